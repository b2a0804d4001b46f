//! Rules for every route: content type, body limit, malformed input, unknown routes, CORS, CSRF.

use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp, BLOG};
use crate::testdb::params;

#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    let app = TestApp::spawn().await;
    for body in ["{", "not json", "{\"site\": }", "\u{0}"] {
        let res = app
            .client
            .post(app.url("/api/comments"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(res, 400, "malformed_request").await;
    }
}

#[tokio::test]
async fn bodies_that_are_not_declared_json_are_415() {
    let app = TestApp::spawn().await;
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let res = app
            .client
            .post(app.url("/api/comments"))
            .header("content-type", ct)
            .body(r#"{"site":"blog","page":"/p","text":"csrf"}"#)
            .send()
            .await
            .unwrap();
        assert_error(res, 415, "unsupported_media_type").await;
    }
    let res = app
        .client
        .post(app.url("/api/comments"))
        .body(r#"{"site":"blog"}"#)
        .send()
        .await
        .unwrap();
    assert_error(res, 415, "unsupported_media_type").await;
    assert!(app.list_ids("/p", "").await.is_empty());
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_at_the_limit_is_read() {
    let app = TestApp::spawn_with(|s| s.limits.max_body_bytes = 2048).await;
    let exact = format!(
        r#"{{"site":"blog","page":"/p","text":"{}"}}"#,
        "a".repeat(2048 - 37)
    );
    assert_eq!(exact.len(), 2048);
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("content-type", "application/json")
        .body(exact)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let over = format!(
        r#"{{"site":"blog","page":"/p","text":"{}"}}"#,
        "b".repeat(2049 - 37)
    );
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("content-type", "application/json")
        .body(over)
        .send()
        .await
        .unwrap();
    assert_error(res, 413, "payload_too_large").await;
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_error_shape() {
    let app = TestApp::spawn().await;
    assert_error(app.get("/api/nope").await, 404, "not_found").await;
    assert_error(app.get("/definitely/not/here").await, 404, "not_found").await;
    let res = app
        .client
        .put(app.url("/api/comments"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_error(res, 405, "method_not_allowed").await;
    let res = app
        .client
        .delete(app.url("/api/counts"))
        .send()
        .await
        .unwrap();
    assert_error(res, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn writes_from_foreign_origins_are_403_and_allowed_ones_pass() {
    let app = TestApp::spawn().await;
    let body = json!({"site": "blog", "page": "/p", "text": "hello"});
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    assert_error(res, 403, "origin_not_allowed").await;
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("origin", BLOG)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["access-control-allow-origin"], BLOG);
    // The server's own origin is always allowed.
    let own = app.address.clone();
    let body = json!({"site": "blog", "page": "/p", "text": "from the demo page"});
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("origin", own)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("origin", "http://localhost:8080")
        .json(&json!({"site": "blog", "page": "/p", "text": "from public_url"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn cors_echoes_allowed_origins_only() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/comments?site=blog&page=/p"))
        .header("origin", BLOG)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], BLOG);
    let expose = res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(expose.contains("retry-after") && expose.contains("etag"));
    assert!(res
        .headers()
        .get_all("vary")
        .iter()
        .any(|v| v.to_str().unwrap().contains("Origin")));
    let res = app
        .client
        .get(app.url("/api/comments?site=blog&page=/p"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!res.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn preflights_are_answered_for_origins_some_site_allows() {
    let app = TestApp::spawn_with(|s| {
        let mut other = crate::helpers::blog_site();
        other.origins = vec!["https://other.example".into()];
        s.sites.insert("other".into(), other);
    })
    .await;
    for origin in [BLOG, "https://other.example"] {
        let res = app
            .client
            .request(reqwest::Method::OPTIONS, app.url("/api/comments"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        assert_eq!(res.headers()["access-control-allow-origin"], origin);
        let methods = res.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap();
        assert!(
            methods.contains("POST") && methods.contains("PATCH") && methods.contains("DELETE")
        );
        assert!(res.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("content-type"));
    }
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/comments"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    // The real request then checks its own site: other.example may not write to blog.
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("origin", "https://other.example")
        .json(&json!({"site": "blog", "page": "/p", "text": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(res, 403, "origin_not_allowed").await;
}

#[tokio::test]
async fn a_wildcard_site_accepts_any_origin() {
    let app = TestApp::spawn_with(|s| s.sites.clear()).await;
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("origin", "https://anywhere.example")
        .json(&json!({"site": "default", "page": "/p", "text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://anywhere.example"
    );
}

/// A GET from a client that takes gzip.
async fn get_gzip(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn responses_are_compressed_for_clients_that_ask() {
    let app = TestApp::spawn().await;
    let res = get_gzip(&app, "/embed.js").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn bodies_under_1024_bytes_go_out_uncompressed_and_claim_no_coding() {
    let app = TestApp::spawn().await;
    // `{"counts":{"/xxx…":0}}`: one byte longer per `x`.
    let path = |pad: usize| format!("/api/counts?site=blog&page=/{}", "x".repeat(pad));
    let plain_len = |pad: usize| {
        let app = &app;
        let path = path(pad);
        async move { app.get(&path).await.bytes().await.unwrap().len() }
    };
    let base = plain_len(0).await;
    assert!(base < 1000, "{base}");
    let pad = 1023 - base;
    assert_eq!(plain_len(pad).await, 1023);
    let gzipped = |pad: usize| {
        let app = &app;
        let path = path(pad);
        async move {
            let res = get_gzip(app, &path).await;
            assert_eq!(res.status(), 200);
            res.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string())
        }
    };
    assert_eq!(gzipped(pad).await, None, "1,023 bytes go out as they are");
    assert_eq!(
        gzipped(pad + 1).await.as_deref(),
        Some("gzip"),
        "1,024 bytes are compressed"
    );
    // An error answer is small too.
    let res = get_gzip(&app, "/api/counts?site=nope&page=/a").await;
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("content-encoding").is_none());
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"].is_object());
}

#[tokio::test]
async fn no_request_gets_a_500_or_leaks_internals() {
    let app = TestApp::spawn().await;
    let nasty = [
        "/api/comments?site=blog&page=%00",
        "/api/comments?site=blog&page=/p&limit=99999999999999999999",
        "/api/comments/99999999999999999999999",
        "/api/comments/-1",
        "/api/comments?site='%20OR%201=1--&page=/p",
        "/api/counts?site=blog&page=",
        "/api/config?site=",
        "/feed/.atom",
        "/feed/blog",
        "/api/avatar/../../etc/passwd",
        "/api/avatar/zz.svg",
    ];
    for path in nasty {
        let res = app.get(path).await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert!(status < 500, "{path} → {status}");
        assert!(
            !text.contains("SQL") && !text.contains("sqlite") && !text.contains("panicked"),
            "{path}: {text}"
        );
    }
}

/// A comment to aim writes at: `(id, edit token)`.
async fn target(app: &TestApp) -> (i64, String) {
    let body = app.create("/p", "kept").await;
    (
        body["comment"]["id"].as_i64().unwrap(),
        body["edit_token"].as_str().unwrap().to_string(),
    )
}

/// The comment as the public API shows it.
async fn shown(app: &TestApp, id: i64) -> Value {
    let res = app.get(&format!("/api/comments/{id}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn every_api_route_that_takes_a_body_takes_only_json() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token();
    let (id, edit) = target(&app).await;
    let before = shown(&app, id).await;
    // Every operation of the OpenAPI document under /api/ that can carry a body.
    let ops = crate::openapi::operations(&app, "/api/").await;
    let mut tried = 0;
    for (method, path) in ops.iter().filter(|(m, _)| m != reqwest::Method::GET) {
        let url = app.url(&path.replace("{id}", &id.to_string()));
        let token = if path.starts_with("/api/admin/") {
            &admin
        } else {
            &edit
        };
        for ct in ["text/plain", "application/x-www-form-urlencoded"] {
            let res = app
                .client
                .request(method.clone(), &url)
                .bearer_auth(token)
                .header("content-type", ct)
                .body(r#"{"site":"blog","page":"/p","text":"csrf","value":1,"email":"a@b.co","locked":true,"author":"x"}"#)
                .send()
                .await
                .unwrap();
            assert_error(res, 415, "unsupported_media_type").await;
        }
        tried += 1;
    }
    // POST/PATCH/DELETE comments, vote, preview, counts, privacy erase; five admin writes.
    assert!(tried >= 12, "{tried}: {ops:?}");
    assert_eq!(shown(&app, id).await, before, "nothing changed");
    assert_eq!(app.list_ids("/p", "").await, vec![id]);
}

#[tokio::test]
async fn a_key_given_twice_is_422_naming_it_on_every_route_that_takes_json() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token();
    let (id, edit) = target(&app).await;
    let before = shown(&app, id).await;
    // One body per operation, each valid but for a key given twice; `field` is what the
    // 422 names. Raw text: a JSON library would never write a key twice.
    let cases: Vec<(&str, &str, &str, &str)> = vec![
        (
            "POST",
            "/api/comments",
            r#"{"site": "blog", "page": "/p", "text": "one", "text": "two"}"#,
            "text",
        ),
        (
            "PATCH",
            "/api/comments/{id}",
            r#"{"text": "one", "author": "a", "text": "two"}"#,
            "text",
        ),
        (
            "POST",
            "/api/comments/{id}/vote",
            r#"{"value": 1, "value": -1}"#,
            "value",
        ),
        (
            "POST",
            "/api/preview",
            r#"{"text": "*a*", "site": "blog", "text": "*b*"}"#,
            "text",
        ),
        (
            "POST",
            "/api/counts",
            r#"{"site": "blog", "pages": ["/p"], "site": "blog"}"#,
            "site",
        ),
        (
            "POST",
            "/api/privacy/erase",
            r#"{"site": "blog", "email": "a@example.org", "email": "b@example.org"}"#,
            "email",
        ),
        (
            "PATCH",
            "/api/admin/comments/{id}",
            r#"{"text": "one", "text": "two"}"#,
            "text",
        ),
        (
            "POST",
            "/api/admin/threads/lock",
            r#"{"site": "blog", "page": "/p", "locked": true, "locked": false}"#,
            "locked",
        ),
        (
            "POST",
            "/api/admin/erase",
            r#"{"site": "blog", "email": "a@example.org", "email": "b@example.org"}"#,
            "email",
        ),
        (
            "POST",
            "/api/admin/blocks",
            r#"{"site": "blog", "kind": "email", "value": "a@b.org", "kind": "network"}"#,
            "kind",
        ),
        (
            "POST",
            "/api/admin/comments/bulk",
            r#"{"ids": [1], "action": "approve", "action": "delete"}"#,
            "action",
        ),
        (
            "POST",
            "/api/auth/passkey/register",
            r#"{"site": "blog", "origin": "x", "site": "y"}"#,
            "site",
        ),
        (
            "POST",
            "/api/auth/passkey/login",
            r#"{"site": "blog", "origin": "x", "origin": "y"}"#,
            "origin",
        ),
        (
            "POST",
            "/api/auth/passkey/register/finish",
            r#"{"ceremony": "a", "credential": {}, "ceremony": "b"}"#,
            "ceremony",
        ),
        (
            "POST",
            "/api/auth/passkey/login/finish",
            r#"{"ceremony": "a", "credential": {}, "credential": {}}"#,
            "credential",
        ),
        (
            "POST",
            "/api/admin/fediverse/announce",
            r#"{"site": "blog", "page": "/p", "url": "https://b.example/p", "title": "a", "title": "b"}"#,
            "title",
        ),
    ];
    // The table covers every operation whose OpenAPI entry takes a request body.
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut documented: Vec<(String, String)> = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            // JSON bodies only: `POST /webmention` takes a form, as the W3C spec says.
            if op["requestBody"]["content"]
                .get("application/json")
                .is_some()
            {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    documented.sort();
    let mut listed: Vec<(String, String)> = cases
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    listed.sort();
    assert_eq!(listed, documented, "a JSON route this test does not know");

    let send = |method: &str, path: &str, body: String| {
        let token = if path.starts_with("/api/admin/") {
            &admin
        } else {
            &edit
        };
        app.client
            .request(
                method.parse().unwrap(),
                app.url(&path.replace("{id}", &id.to_string())),
            )
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for (method, path, body, field) in &cases {
        let res = send(method, path, body.to_string()).await.unwrap();
        let err = assert_error(res, 422, "validation_failed").await;
        assert_eq!(err["error"]["field"], *field, "{method} {path}: {err}");
    }
    // A key given twice deeper down, in an object the route does not even read.
    let res = send(
        "POST",
        "/api/comments",
        r#"{"site": "blog", "page": "/p", "text": "new", "extra": {"list": [{"a": 1}, {"a": 1, "a": 2}]}}"#.into(),
    )
    .await
    .unwrap();
    let err = assert_error(res, 422, "validation_failed").await;
    assert_eq!(err["error"]["field"], "extra.list[1].a", "{err}");
    let res = send(
        "POST",
        "/api/comments",
        r#"{"site": "blog", "page": "/p", "t\u0065xt": "one", "text": "two"}"#.into(),
    )
    .await
    .unwrap();
    let err = assert_error(res, 422, "validation_failed").await;
    assert_eq!(
        err["error"]["field"], "text",
        "an escaped key is the same key: {err}"
    );
    assert_eq!(shown(&app, id).await, before, "nothing changed");
    assert_eq!(
        app.list_ids("/p", "").await,
        vec![id],
        "nothing was created"
    );
    // The same key in different objects is no repetition.
    let res = send(
        "POST",
        "/api/comments",
        r#"{"site": "blog", "page": "/p", "text": "nested", "extra": {"text": "x", "site": "y"}}"#
            .into(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn every_public_write_checks_the_origin() {
    let app = TestApp::spawn().await;
    let (id, edit) = target(&app).await;
    let before = shown(&app, id).await;
    // One valid request per public write, in an order that leaves the target to the end;
    // `None`: a read that POSTs its query (no origin rule, CORS decides who reads it).
    let writes: Vec<(&str, &str, Option<Value>)> = vec![
        (
            "POST",
            "/api/comments",
            Some(json!({"site": "blog", "page": "/p", "text": "new"})),
        ),
        (
            "PATCH",
            "/api/comments/{id}",
            Some(json!({"text": "changed"})),
        ),
        ("POST", "/api/comments/{id}/vote", Some(json!({"value": 1}))),
        (
            "POST",
            "/api/preview",
            Some(json!({"site": "blog", "text": "*hi*"})),
        ),
        (
            "POST",
            "/api/privacy/erase",
            Some(json!({"site": "blog", "email": "a@example.org"})),
        ),
        ("DELETE", "/api/comments/{id}", None),
    ];
    let reads_by_post = [("POST", "/api/counts")];
    // The table covers every public non-GET operation of the OpenAPI document, but for
    // sign-in's: those need a session or run from Natter's own popup, and
    // `signin::each_signed_in_write_checks_its_origin` holds them to their rules.
    let mut documented: Vec<(String, String)> = crate::openapi::operations(&app, "/api/")
        .await
        .into_iter()
        .filter(|(m, p)| {
            m != reqwest::Method::GET
                && !p.starts_with("/api/admin/")
                && !p.starts_with("/api/auth/")
        })
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    documented.sort();
    let mut listed: Vec<(String, String)> = writes
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(
            reads_by_post
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    listed.sort();
    assert_eq!(listed, documented, "a public write this test does not know");

    let send = |method: &str, path: &str, body: &Option<Value>, origin: &str| {
        let mut req = app
            .client
            .request(
                method.parse().unwrap(),
                app.url(&path.replace("{id}", &id.to_string())),
            )
            .bearer_auth(&edit)
            .header("origin", origin);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send()
    };
    for (method, path, body) in &writes {
        let res = send(method, path, body, "https://evil.example")
            .await
            .unwrap();
        assert!(
            !res.headers().contains_key("access-control-allow-origin"),
            "{method} {path}"
        );
        let err = assert_error(res, 403, "origin_not_allowed").await;
        assert!(err.to_string().contains("origin"), "{method} {path}: {err}");
    }
    assert_eq!(shown(&app, id).await, before, "nothing changed");
    assert_eq!(app.list_ids("/p", "").await, vec![id]);
    let outbox: i64 = app
        .db()
        .query_row("SELECT count(*) FROM outbox", params![], |r| r.get(0));
    assert_eq!(outbox, 0, "no erase mail was queued");
    // The same requests from the blog's own origin go through.
    for (method, path, body) in &writes {
        let res = send(method, path, body, BLOG).await.unwrap();
        assert!(
            res.status().is_success(),
            "{method} {path}: {}",
            res.status()
        );
        assert_eq!(res.headers()["access-control-allow-origin"], BLOG);
    }
    assert_error(
        app.get(&format!("/api/comments/{id}")).await,
        404,
        "not_found",
    )
    .await;
}
