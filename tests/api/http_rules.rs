//! Rules for every route: content type, body limit, malformed input, unknown routes, CORS, CSRF.

use serde_json::json;

use crate::helpers::{assert_error, TestApp, BLOG};

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
