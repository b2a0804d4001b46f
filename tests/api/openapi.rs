//! `GET /api/openapi.json` against the real server: it covers every route the README lists,
//! every operation in it exists and answers only documented statuses, and real answers
//! validate against its schemas (which forbid undocumented fields).

use serde_json::{json, Value};

use crate::helpers::*;

/// The document and a small validator for the JSON Schema subset it uses.
pub(crate) struct Doc(pub(crate) Value);

impl Doc {
    pub(crate) async fn fetch(app: &TestApp) -> Doc {
        let res = app.get("/api/openapi.json").await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        Doc(res.json().await.unwrap())
    }

    fn op(&self, method: &str, path: &str) -> &Value {
        let op = &self.0["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        op
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => {
                let name = r.strip_prefix("#/components/schemas/").unwrap();
                let s = &self.0["components"]["schemas"][name];
                assert!(s.is_object(), "{r} does not resolve");
                self.resolve(s)
            }
            None => schema,
        }
    }

    fn validate(&self, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
        let schema = self.resolve(schema);
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(v) {
                return Err(format!("{at}: {v} is not one of {allowed:?}"));
            }
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let fits = |t: &str| match t {
            "null" => v.is_null(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            other => panic!("unknown type {other}"),
        };
        if !types.is_empty() && !types.iter().any(|t| fits(t)) {
            return Err(format!("{at}: {v} is not {types:?}"));
        }
        let bound = |k: &str| schema[k].as_u64();
        if let Some(text) = v.as_str() {
            let n = text.chars().count() as u64;
            if bound("minLength").is_some_and(|m| n < m)
                || bound("maxLength").is_some_and(|m| n > m)
            {
                return Err(format!("{at}: {n} characters is outside its length limits"));
            }
            if schema["format"] == "date-time"
                && chrono::DateTime::parse_from_rfc3339(text).is_err()
            {
                return Err(format!("{at}: {text} is not an RFC 3339 date-time"));
            }
        }
        if let Some(n) = v.as_f64() {
            let num = |k: &str| schema[k].as_f64();
            if num("minimum").is_some_and(|m| n < m) || num("maximum").is_some_and(|m| n > m) {
                return Err(format!("{at}: {n} is outside its minimum/maximum"));
            }
        }
        if let Some(items) = v.as_array() {
            let n = items.len() as u64;
            if bound("minItems").is_some_and(|m| n < m) || bound("maxItems").is_some_and(|m| n > m)
            {
                return Err(format!("{at}: {n} items is outside its limits"));
            }
        }
        if let Some(obj) = v.as_object() {
            for req in schema["required"].as_array().into_iter().flatten() {
                let req = req.as_str().unwrap();
                if !obj.contains_key(req) {
                    return Err(format!("{at}: missing required {req}"));
                }
            }
            let props = &schema["properties"];
            for (k, val) in obj {
                if let Some(p) = props.get(k) {
                    self.validate(p, val, &format!("{at}.{k}"))?;
                } else if schema["additionalProperties"] == json!(false) {
                    return Err(format!("{at}: undocumented field {k}"));
                } else if schema["additionalProperties"].is_object() {
                    self.validate(&schema["additionalProperties"], val, &format!("{at}.{k}"))?;
                }
            }
        }
        if let Some(items) = v.as_array() {
            for (i, item) in items.iter().enumerate() {
                if schema.get("items").is_some() {
                    self.validate(&schema["items"], item, &format!("{at}[{i}]"))?;
                }
            }
        }
        Ok(())
    }

    /// Sends a request, then [`Doc::check`]s its answer.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        want: u16,
        req: reqwest::RequestBuilder,
    ) -> Value {
        self.check(method, path, want, req.send().await.unwrap())
            .await
    }

    /// Asserts the answer has the status the test wants, then [`Doc::documented`].
    async fn check(&self, method: &str, path: &str, want: u16, res: reqwest::Response) -> Value {
        assert_eq!(res.status().as_u16(), want, "{method} {path}");
        self.documented(method, path, res).await
    }

    /// Asserts the answer's status is documented for the operation and, when JSON, that the
    /// body fits the documented schema.
    async fn documented(&self, method: &str, path: &str, res: reqwest::Response) -> Value {
        let status = res.status().as_u16().to_string();
        let op = self.op(method, path);
        let doc = &op["responses"][&status];
        assert!(
            doc.is_object(),
            "{method} {path} answered {status}, which is not documented"
        );
        let body: Value = if doc["content"]["application/json"].is_object() {
            res.json().await.unwrap()
        } else {
            return Value::Null;
        };
        let schema = &doc["content"]["application/json"]["schema"];
        if let Err(e) = self.validate(schema, &body, "body") {
            panic!("{method} {path} {status}: {e}\n{body:#}");
        }
        body
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_every_reference_resolving() {
    let app = TestApp::spawn().await;
    let doc = Doc::fetch(&app).await;
    assert_eq!(doc.0["openapi"], "3.1.0");
    assert_eq!(doc.0["info"]["version"], env!("CARGO_PKG_VERSION"));
    let text = doc.0.to_string();
    let mut rest = text.as_str();
    let mut refs = 0;
    while let Some(i) = rest.find("\"$ref\":\"") {
        rest = &rest[i + 8..];
        let end = rest.find('"').unwrap();
        doc.resolve(&json!({"$ref": &rest[..end]}));
        refs += 1;
    }
    assert!(refs > 20, "{refs}");
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc.0["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
            assert!(op["summary"].is_string(), "{method} {path}");
            assert!(
                ids.insert(op["operationId"].as_str().unwrap().to_string()),
                "duplicate operationId at {method} {path}"
            );
            if op["security"].is_array() {
                for s in op["security"].as_array().unwrap() {
                    let scheme = s.as_object().unwrap().keys().next().unwrap();
                    assert!(doc.0["components"]["securitySchemes"][scheme].is_object());
                }
            }
        }
    }
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .header(
            "if-none-match",
            app.get("/api/openapi.json").await.headers()["etag"].clone(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
}

/// `(method, path template)` of every route in the README's API tables.
fn readme_routes() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## HTTP API").expect("an HTTP API section");
    let end = start + readme[start..].find("\n## CLI").unwrap();
    let mut out = vec![];
    for line in readme[start..end].lines() {
        let Some(first) = line.strip_prefix("| `").and_then(|l| l.split(" | ").next()) else {
            continue;
        };
        let mut last_path = String::new();
        for item in first.split("`, `") {
            let item = item.trim_matches('`');
            let (methods, path) = match item.split_once(' ') {
                Some((m, p)) if m.chars().all(|c| c.is_ascii_uppercase() || c == '/') => (m, p),
                _ => ("", item),
            };
            let mut path = path
                .split(['?', '['])
                .next()
                .unwrap()
                .replace("{approve\\|reject\\|delete}", "{action}");
            if let Some(tail) = path.strip_prefix('…') {
                path = format!("{}{tail}", &last_path[..last_path.rfind('/').unwrap()]);
            }
            let methods = if methods.is_empty() { "POST" } else { methods };
            for m in methods.split('/') {
                out.push((m.to_ascii_lowercase(), path.clone()));
            }
            last_path = path;
        }
    }
    out
}

#[tokio::test]
async fn every_route_in_the_readme_is_documented_and_every_documented_one_answers() {
    let app = TestApp::spawn().await;
    let doc = Doc::fetch(&app).await;
    let listed = readme_routes();
    assert!(listed.len() >= 30, "{listed:?}");
    for (method, path) in &listed {
        doc.op(method, path);
    }
    // Every documented operation exists on the server (never "no such route" nor 405) and
    // answers, even to an empty request, only with a documented status.
    for (path, item) in doc.0["paths"].as_object().unwrap() {
        let url = path
            .replace("{id}", "999")
            .replace("{action}", "approve")
            .replace("{purpose}", "confirm")
            .replace("{hash}", "00ff")
            .replace("{site}", "blog")
            .replace("{lang}", "en");
        for method in item.as_object().unwrap().keys() {
            let res = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&url))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            assert_ne!(status, 405, "{method} {path}");
            let body = doc.documented(method, path, res).await;
            if status == 404 {
                assert_ne!(body["error"]["message"], "no such route", "{method} {path}");
            }
        }
    }
}

#[tokio::test]
async fn real_answers_fit_the_documented_schemas() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::First;
    })
    .await;
    let doc = Doc::fetch(&app).await;
    let token = app.admin_token();
    let c = &app.client;
    let admin = |m: reqwest::Method, p: &str| app.admin(m, p, &token);

    let created = doc
        .send(
            "post",
            "/api/comments",
            201,
            c.post(app.url("/api/comments")).json(
                &json!({"site": "blog", "page": "/o", "text": "*hi*", "author": "A",
                              "email": "a@example.org", "website": "https://a.example"}),
            ),
        )
        .await;
    let id = created["comment"]["id"].as_i64().unwrap();
    let edit = created["edit_token"].as_str().unwrap().to_string();
    let queue = doc
        .send(
            "get",
            "/api/admin/comments",
            200,
            admin(reqwest::Method::GET, "/api/admin/comments?site=blog"),
        )
        .await;
    assert_eq!(queue["total"], 1);
    doc.send(
        "post",
        "/api/admin/comments/{id}/approve",
        200,
        admin(
            reqwest::Method::POST,
            &format!("/api/admin/comments/{id}/approve"),
        ),
    )
    .await;
    let reply = app
        .create_with(json!({"page": "/o", "text": "reply", "parent": id, "email": "a@example.org"}))
        .await;
    doc.send(
        "post",
        "/api/admin/comments/{id}/reject",
        200,
        admin(
            reqwest::Method::POST,
            &format!("/api/admin/comments/{}/reject", id_of(&reply)),
        ),
    )
    .await;
    doc.send(
        "patch",
        "/api/comments/{id}",
        200,
        c.patch(app.url(&format!("/api/comments/{id}")))
            .bearer_auth(&edit)
            .json(&json!({"text": "edited"})),
    )
    .await;
    doc.send(
        "patch",
        "/api/admin/comments/{id}",
        200,
        admin(reqwest::Method::PATCH, &format!("/api/admin/comments/{id}"))
            .json(&json!({"author": "B"})),
    )
    .await;
    doc.check(
        "post",
        "/api/comments/{id}/vote",
        200,
        app.post_json(&format!("/api/comments/{id}/vote"), &json!({"value": 1}))
            .await,
    )
    .await;
    // A tombstone: the reply's parent deleted while the (rejected) reply remains.
    let second = app.create("/o", "second").await;
    let res = admin(
        reqwest::Method::POST,
        &format!("/api/admin/comments/{}/approve", id_of(&second)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let r2 = app
        .create_with(json!({"page": "/o", "text": "r2", "parent": id_of(&second)}))
        .await;
    app.set_status(id_of(&r2), "approved");
    doc.send(
        "delete",
        "/api/comments/{id}",
        204,
        c.delete(app.url(&format!("/api/comments/{}", id_of(&second))))
            .bearer_auth(second["edit_token"].as_str().unwrap()),
    )
    .await;
    let list = doc
        .check(
            "get",
            "/api/comments",
            200,
            app.get("/api/comments?site=blog&page=/o&limit=1").await,
        )
        .await;
    assert!(list["next"].is_string());
    let all = doc
        .check(
            "get",
            "/api/comments",
            200,
            app.get("/api/comments?site=blog&page=/o").await,
        )
        .await;
    assert!(all["comments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["status"] == "deleted"));
    doc.check(
        "get",
        "/api/comments/{id}",
        200,
        app.get(&format!("/api/comments/{id}")).await,
    )
    .await;
    doc.check(
        "get",
        "/api/counts",
        200,
        app.get("/api/counts?site=blog&page=/o&page=/none").await,
    )
    .await;
    doc.check(
        "post",
        "/api/counts",
        200,
        app.post_json("/api/counts", &json!({"site": "blog", "pages": ["/o"]}))
            .await,
    )
    .await;
    doc.check(
        "post",
        "/api/preview",
        200,
        app.post_json("/api/preview", &json!({"text": "**b**", "site": "blog"}))
            .await,
    )
    .await;
    doc.check(
        "get",
        "/api/config",
        200,
        app.get("/api/config?site=blog").await,
    )
    .await;
    doc.check(
        "post",
        "/api/privacy/erase",
        202,
        app.post_json(
            "/api/privacy/erase",
            &json!({"site": "blog", "email": "a@example.org"}),
        )
        .await,
    )
    .await;
    doc.send(
        "post",
        "/api/admin/threads/lock",
        200,
        admin(reqwest::Method::POST, "/api/admin/threads/lock")
            .json(&json!({"site": "blog", "page": "/o", "locked": true})),
    )
    .await;
    let sites = doc
        .send(
            "get",
            "/api/admin/sites",
            200,
            admin(reqwest::Method::GET, "/api/admin/sites"),
        )
        .await;
    assert_eq!(sites["sites"][0]["id"], "blog");
    doc.send(
        "get",
        "/api/admin/outbox",
        200,
        admin(reqwest::Method::GET, "/api/admin/outbox"),
    )
    .await;
    doc.send(
        "post",
        "/api/admin/erase",
        200,
        admin(reqwest::Method::POST, "/api/admin/erase")
            .json(&json!({"site": "blog", "email": "a@example.org"})),
    )
    .await;
    doc.check("get", "/healthz", 200, app.get("/healthz").await)
        .await;

    // Errors in the documented shape, with their documented statuses.
    for (res, path, method, want) in [
        (
            app.get("/api/comments?site=nope&page=/o").await,
            "/api/comments",
            "get",
            404,
        ),
        (
            app.post_json(
                "/api/comments",
                &json!({"site": "blog", "page": "/o", "text": ""}),
            )
            .await,
            "/api/comments",
            "post",
            422,
        ),
        (
            app.get("/api/comments?site=blog&page=/o&limit=0").await,
            "/api/comments",
            "get",
            422,
        ),
        (
            app.get("/api/comments/12345").await,
            "/api/comments/{id}",
            "get",
            404,
        ),
    ] {
        let body = doc.check(method, path, want, res).await;
        assert!(body["error"]["code"].is_string(), "{body}");
    }
}

/// A string of exactly `n` characters that passes the field's other rules: a URL on the
/// blog's origin, a well-formed address, else two-byte characters (limits count characters).
fn of_length(schema: &Value, n: usize) -> String {
    match schema["format"].as_str() {
        Some("uri") => {
            let head = format!("{BLOG}/");
            format!("{head}{}", "u".repeat(n - head.len()))
        }
        Some("email") => format!("{}@{}.com", "a".repeat(64), "b".repeat(n - 69)),
        _ => "é".repeat(n),
    }
}

/// Every documented `minLength`/`maxLength` of a request body's fields, tried on both sides.
async fn try_limits(
    doc: &Doc,
    schema: &str,
    send: impl AsyncFn(&str, String) -> reqwest::Response,
) -> usize {
    let schema = doc
        .resolve(&json!({"$ref": format!("#/components/schemas/{schema}")}))
        .clone();
    let mut tried = 0;
    for (field, prop) in schema["properties"].as_object().unwrap() {
        let Some(max) = prop["maxLength"].as_u64() else {
            continue;
        };
        let max = max as usize;
        let res = send(field, of_length(prop, max)).await;
        let status = res.status().as_u16();
        assert!(
            status == 200 || status == 201,
            "{schema}.{field} at its documented maximum {max}: {status} {}",
            res.text().await.unwrap()
        );
        assert_invalid(send(field, of_length(prop, max + 1)).await, field).await;
        if let Some(min) = prop["minLength"].as_u64().filter(|m| *m > 0) {
            assert_invalid(send(field, of_length(prop, min as usize - 1)).await, field).await;
        }
        tried += 1;
    }
    tried
}

#[tokio::test]
async fn the_documented_length_limits_are_the_ones_the_server_enforces() {
    let app = TestApp::spawn().await;
    let doc = Doc::fetch(&app).await;
    let n = std::cell::Cell::new(0);
    let create = async |field: &str, v: String| {
        n.set(n.get() + 1);
        // A page and a text of its own for each request, so no duplicate check interferes.
        let mut body = json!({"site": "blog", "page": format!("/limits/{}", n.get()),
                              "text": format!("limits {}", n.get())});
        body[field] = json!(v);
        app.post_json("/api/comments", &body).await
    };
    // page, title, url, author, email, website, text.
    assert_eq!(try_limits(&doc, "NewComment", create).await, 7);

    let created = app.create("/limits/edit", "to edit").await;
    let (id, token) = (
        id_of(&created),
        created["edit_token"].as_str().unwrap().to_string(),
    );
    let edit = async |field: &str, v: String| {
        app.client
            .patch(app.url(&format!("/api/comments/{id}")))
            .bearer_auth(&token)
            .json(&json!({ field: v }))
            .send()
            .await
            .unwrap()
    };
    assert_eq!(try_limits(&doc, "Edit", edit).await, 3);

    // The page key of a thread read, in the query string.
    let param = doc.op("get", "/api/comments")["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "page")
        .unwrap()["schema"]
        .clone();
    let max = param["maxLength"].as_u64().unwrap() as usize;
    let read = async |page: String| {
        app.get(&format!("/api/comments?site=blog&page={}", enc(&page)))
            .await
    };
    assert_eq!(read(of_length(&param, max)).await.status(), 200);
    assert_invalid(read(of_length(&param, max + 1)).await, "page").await;
    assert_invalid(read(String::new()).await, "page").await;
}

/// `(method, path)` of every route in the server's route table (`src/routes/mod.rs`), with
/// each `{parameter}` segment (and what follows it in the segment) as `*`.
fn route_table() -> std::collections::BTreeSet<(String, String)> {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes/mod.rs")).unwrap();
    let table = &src[src.find("pub fn configure").unwrap()..];
    let table = &table[..table.find("\n}\n").unwrap()];
    let mut prefix = "";
    let mut out = std::collections::BTreeSet::new();
    for chunk in table.split("resource(\"").skip(1) {
        let path = &chunk[..chunk.find('"').unwrap()];
        for method in ["get", "post", "patch", "put", "delete"] {
            if chunk.contains(&format!("web::{method}()")) {
                out.insert((method.to_string(), wildcard(&format!("{prefix}{path}"))));
            }
        }
        if let Some(i) = chunk.find("web::scope(\"") {
            let rest = &chunk[i + 12..];
            prefix = &rest[..rest.find('"').unwrap()];
        }
    }
    out
}

fn wildcard(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "*" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_route_table_and_the_document_list_the_same_operations() {
    let app = TestApp::spawn().await;
    let doc = Doc::fetch(&app).await;
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in doc.0["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), wildcard(path)));
        }
    }
    let routes = route_table();
    assert!(routes.len() >= 30, "{routes:?}");
    assert!(routes.contains(&("get".into(), "/api/admin/outbox".into())));
    assert_eq!(
        routes, documented,
        "route table (left) against the OpenAPI document (right)"
    );
}

/// Every operation the OpenAPI document lists under a path prefix, as
/// `(method, path template)`.
pub async fn operations(app: &TestApp, prefix: &str) -> Vec<(reqwest::Method, String)> {
    let doc = Doc::fetch(app).await;
    let mut out = vec![];
    for (path, item) in doc.0["paths"].as_object().unwrap() {
        if !path.starts_with(prefix) {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            out.push((method.to_uppercase().parse().unwrap(), path.clone()));
        }
    }
    out
}

/// Every admin operation the OpenAPI document lists, as `(method, path with ids filled)`.
pub async fn admin_operations(app: &TestApp) -> Vec<(reqwest::Method, String)> {
    operations(app, "/api/admin/")
        .await
        .into_iter()
        .map(|(m, p)| (m, p.replace("{id}", "1")))
        .collect()
}
