//! The moderation desk's API: why a comment was held, the spam status, blocks, the audit
//! log, and the owners' badge (SPEC, "Moderation additions" and "Owners").

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, id_of, TestApp};
use crate::testdb::params;

/// A stored admin token with a known name (the audit log's actor).
fn named_token(app: &TestApp, name: &str) -> String {
    use natter::domain::crypto;
    let token = format!("natter_{}", crypto::random_token());
    app.db().execute(
        "INSERT INTO admin_tokens (name, hash, created_at) VALUES (?1, ?2, ?3)",
        params![name, crypto::token_hash(&token), natter::domain::now()],
    );
    token
}

async fn admin_json(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.admin(method, path, token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body = if status == 204 {
        Value::Null
    } else {
        res.json().await.unwrap()
    };
    (status, body)
}

/// Sets one comment's status through its own route: `approve`, `reject` or `spam`.
async fn moderate(app: &TestApp, token: &str, id: i64, action: &str) -> (u16, Value) {
    let path = format!("/api/admin/comments/{id}/{action}");
    admin_json(app, Method::POST, &path, token, None).await
}

/// A request with no token at all.
async fn without_token(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .send()
        .await
        .unwrap()
}

/// The AdminComment of one comment, found in the queue of any status.
async fn admin_view(app: &TestApp, token: &str, id: i64) -> Value {
    let (s, q) = admin_json(
        app,
        Method::GET,
        "/api/admin/comments?status=all&limit=200",
        token,
        None,
    )
    .await;
    assert_eq!(s, 200);
    q["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("comment {id} not in the queue: {q}"))
}

#[tokio::test]
async fn each_held_comment_says_which_rule_held_it() {
    let app = TestApp::spawn_with(|s| {
        let mut all = crate::helpers::blog_site();
        all.moderation = natter::config::Moderation::All;
        s.sites.insert("all".into(), all);
        let mut first = crate::helpers::blog_site();
        first.moderation = natter::config::Moderation::First;
        s.sites.insert("first".into(), first);
    })
    .await;
    let token = app.admin_token();
    let post = |fields: Value| app.create_with(fields);
    let cases = [
        (
            json!({"page": "/h", "text": "plain"}),
            "approved",
            Value::Null,
        ),
        (
            json!({"site": "all", "page": "/h", "text": "held by all"}),
            "pending",
            json!("moderation_all"),
        ),
        (
            json!({"site": "first", "page": "/h", "text": "new here", "email": "n@x.org", "author_key": "k".repeat(20)}),
            "pending",
            json!("first_comment"),
        ),
        (
            json!({"page": "/h", "text": "[a](https://a.example) [b](https://b.example) [c](https://c.example) [d](https://d.example)"}),
            "pending",
            json!("too_many_links"),
        ),
        (
            json!({"page": "/h", "text": "forged", "form_token": "1.deadbeef"}),
            "pending",
            json!("form_token"),
        ),
        (
            json!({"page": "/h", "text": "a bot", "hp": "filled"}),
            "rejected",
            json!("honeypot"),
        ),
    ];
    for (fields, status, reason) in cases {
        let id = id_of(&post(fields.clone()).await);
        let c = admin_view(&app, &token, id).await;
        assert_eq!(c["status"], status, "{fields}");
        assert_eq!(c["held_reason"], reason, "{fields}");
    }
    // Too fast: a genuine form token younger than min_form_seconds (3 s by default).
    let cfg: Value = app.get("/api/config?site=blog").await.json().await.unwrap();
    let id =
        id_of(&post(json!({"page": "/h", "text": "hasty", "form_token": cfg["form_token"]})).await);
    assert_eq!(
        admin_view(&app, &token, id).await["held_reason"],
        "too_fast"
    );
    // Approving clears the reason.
    let (s, c) = moderate(&app, &token, id, "approve").await;
    assert_eq!((s, &c["held_reason"]), (200, &Value::Null));
    // An author's edit that adds links sends it back, saying why.
    let created = post(json!({"page": "/h", "text": "clean at first"})).await;
    let id = id_of(&created);
    let res = app
        .client
        .patch(app.url(&format!("/api/comments/{id}")))
        .bearer_auth(created["edit_token"].as_str().unwrap())
        .json(&json!({"text": "<https://a.example> <https://b.example> <https://c.example> <https://d.example>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let c = admin_view(&app, &token, id).await;
    assert_eq!(
        (c["status"].as_str(), c["held_reason"].as_str()),
        (Some("pending"), Some("too_many_links"))
    );
}

#[tokio::test]
async fn spam_is_its_own_status_never_public() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let id = id_of(&app.create("/s", "buy now").await);
    let other = id_of(&app.create("/s", "a real comment").await);
    let (s, c) = moderate(&app, &token, id, "spam").await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["status"], "spam");
    assert_eq!(app.list_ids("/s", "").await, vec![other]);
    assert_error(
        app.get(&format!("/api/comments/{id}")).await,
        404,
        "not_found",
    )
    .await;
    let ids = |q: Value| -> Vec<i64> {
        q["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    let (_, spam) = admin_json(
        &app,
        Method::GET,
        "/api/admin/comments?status=spam",
        &token,
        None,
    )
    .await;
    assert_eq!(
        (ids(spam.clone()), spam["total"].as_i64()),
        (vec![id], Some(1))
    );
    let (_, rejected) = admin_json(
        &app,
        Method::GET,
        "/api/admin/comments?status=rejected",
        &token,
        None,
    )
    .await;
    assert_eq!(ids(rejected), Vec::<i64>::new());
    // Approving takes it out of the spam folder.
    let (_, c) = moderate(&app, &token, id, "approve").await;
    assert_eq!(c["status"], "approved");
    assert_eq!(app.list_ids("/s", "").await, vec![id, other]);
    // Unknown comment, no token.
    assert_eq!(moderate(&app, &token, 999999, "spam").await.0, 404);
    let res = without_token(
        &app,
        Method::POST,
        &format!("/api/admin/comments/{id}/spam"),
    )
    .await;
    assert_error(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_blocked_author_is_held_never_dropped_until_the_block_is_lifted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let block = |kind: &str, value: &str| {
        admin_json(
            &app,
            Method::POST,
            "/api/admin/blocks",
            &token,
            Some(json!({"site": "blog", "kind": kind, "value": value, "expires_at": null})),
        )
    };
    let (s, b) = block("email", "Spammer@Example.org").await;
    assert_eq!(s, 201, "{b}");
    assert!(b["id"].as_i64().unwrap() > 0);
    assert_eq!(
        (b["site"].as_str(), b["kind"].as_str(), b["value"].as_str()),
        (Some("blog"), Some("email"), Some("Spammer@Example.org"))
    );
    assert_eq!(b["expires_at"], Value::Null);
    let email_block = b["id"].as_i64().unwrap();

    let held = |fields: Value| async {
        let c = app.create_with(fields).await;
        assert_eq!(c["comment"]["status"], "pending", "{c}");
        admin_view(&app, &token, id_of(&c)).await["held_reason"].clone()
    };
    assert_eq!(
        held(json!({"page": "/b", "text": "one", "email": "spammer@example.ORG"})).await,
        "blocked"
    );
    // By author key.
    let key = "a-key-of-twenty-chars";
    let (s, _) = block("author_key", key).await;
    assert_eq!(s, 201);
    assert_eq!(
        held(json!({"page": "/b", "text": "two", "author_key": key})).await,
        "blocked"
    );
    let free = app
        .create_with(json!({"page": "/b", "text": "three", "author_key": "another-key-entirely"}))
        .await;
    assert_eq!(free["comment"]["status"], "approved");
    // By network: the test client is 127.0.0.1, anonymized to 127.0.0.0.
    let (s, net) = block("network", "127.0.0.99").await;
    assert_eq!(s, 201);
    assert_eq!(held(json!({"page": "/b", "text": "four"})).await, "blocked");
    // The list, newest first; another site's list is empty.
    let (_, list) = admin_json(
        &app,
        Method::GET,
        "/api/admin/blocks?site=blog",
        &token,
        None,
    )
    .await;
    let kinds: Vec<&str> = list["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["network", "author_key", "email"]);
    // Lifted: comments publish again; lifting twice is 404.
    let path = format!("/api/admin/blocks/{}", net["id"]);
    assert_eq!(
        admin_json(&app, Method::DELETE, &path, &token, None)
            .await
            .0,
        204
    );
    assert_eq!(
        admin_json(&app, Method::DELETE, &path, &token, None)
            .await
            .0,
        404
    );
    let c = app.create_with(json!({"page": "/b", "text": "five"})).await;
    assert_eq!(c["comment"]["status"], "approved");
    // An expired block holds nothing.
    app.db().execute(
        "UPDATE blocks SET expires_at = 1 WHERE id = ?1",
        params![email_block],
    );
    let c = app
        .create_with(json!({"page": "/b", "text": "six", "email": "spammer@example.org"}))
        .await;
    assert_eq!(c["comment"]["status"], "approved");
}

#[tokio::test]
async fn a_bad_block_is_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let post = |body: Value| {
        app.admin(Method::POST, "/api/admin/blocks", &token)
            .json(&body)
            .send()
    };
    let base = json!({"site": "blog", "kind": "email", "value": "a@b.org"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("kind", json!("ip")), "kind"),
        (with("value", json!("not an email")), "value"),
        (with("value", json!("")), "value"),
        (
            json!({"site": "blog", "kind": "network", "value": "300.1.2.3"}),
            "value",
        ),
        (
            json!({"site": "blog", "kind": "author_key", "value": "short"}),
            "value",
        ),
        (
            json!({"site": "blog", "kind": "author_key", "value": "k".repeat(129)}),
            "value",
        ),
        (with("expires_at", json!("tomorrow")), "expires_at"),
        (
            with("expires_at", json!("2001-01-01T00:00:00Z")),
            "expires_at",
        ),
        (json!({"site": "blog", "kind": "email"}), "value"),
    ];
    for (body, field) in cases {
        assert_invalid(post(body.clone()).await.unwrap(), field).await;
    }
    // Edges: 16 and 128 characters are author keys; a future expiry is kept.
    for n in [16, 128] {
        let res = post(json!({"site": "blog", "kind": "author_key", "value": "k".repeat(n)}))
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{n}");
    }
    let res = post(with("expires_at", json!("2099-01-01T00:00:00Z")))
        .await
        .unwrap();
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["expires_at"], "2099-01-01T00:00:00Z");
    assert_error(
        post(json!({"site": "nope", "kind": "email", "value": "a@b.org"}))
            .await
            .unwrap(),
        404,
        "unknown_site",
    )
    .await;
    assert_error(
        app.admin(Method::GET, "/api/admin/blocks?site=nope", &token)
            .send()
            .await
            .unwrap(),
        404,
        "unknown_site",
    )
    .await;
    let res = without_token(&app, Method::GET, "/api/admin/blocks").await;
    assert_error(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn every_moderation_action_is_in_the_audit_log_with_who_did_it() {
    let app = TestApp::spawn().await;
    let token = named_token(&app, "mod-ann");
    let a = id_of(&app.create("/a", "one").await);
    let b = id_of(&app.create("/a", "two").await);
    let c = id_of(&app.create("/a", "three").await);
    let act = |m: Method, path: String, body: Option<Value>| {
        let token = token.clone();
        let app = &app;
        async move { admin_json(app, m, &path, &token, body).await.0 }
    };
    for (id, action) in [(a, "reject"), (a, "approve"), (b, "spam")] {
        assert_eq!(moderate(&app, &token, id, action).await.0, 200);
    }
    assert_eq!(
        act(
            Method::PATCH,
            format!("/api/admin/comments/{c}"),
            Some(json!({"text": "edited"}))
        )
        .await,
        200
    );
    assert_eq!(
        act(Method::DELETE, format!("/api/admin/comments/{c}"), None).await,
        204
    );
    assert_eq!(
        act(
            Method::POST,
            "/api/admin/threads/lock".into(),
            Some(json!({"site": "blog", "page": "/a", "locked": true}))
        )
        .await,
        200
    );
    assert_eq!(
        act(
            Method::POST,
            "/api/admin/erase".into(),
            Some(json!({"site": "blog", "email": "x@y.org"}))
        )
        .await,
        200
    );
    let (_, blk) = admin_json(
        &app,
        Method::POST,
        "/api/admin/blocks",
        &token,
        Some(json!({"site": "blog", "kind": "email", "value": "x@y.org"})),
    )
    .await;
    assert_eq!(
        act(
            Method::DELETE,
            format!("/api/admin/blocks/{}", blk["id"]),
            None
        )
        .await,
        204
    );

    let (s, log) = admin_json(
        &app,
        Method::GET,
        "/api/admin/audit?site=blog",
        &token,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(log["total"], 9, "{log}");
    let entries = log["entries"].as_array().unwrap();
    let seen: Vec<(String, Option<i64>)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["comment_id"].as_i64(),
            )
        })
        .collect();
    let want: Vec<(String, Option<i64>)> = [
        ("unblock", None),
        ("block", None),
        ("erase", None),
        ("lock", None),
        ("delete", Some(c)),
        ("edit", Some(c)),
        ("spam", Some(b)),
        ("approve", Some(a)),
        ("reject", Some(a)),
    ]
    .into_iter()
    .map(|(a, c)| (a.to_string(), c))
    .collect();
    assert_eq!(seen, want, "newest first");
    for e in entries {
        assert_eq!(e["actor"], "mod-ann");
        assert_eq!(e["site"], "blog");
        assert!(e["at"].as_str().unwrap().ends_with('Z'));
        let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 6, "{e}");
    }
    // Pages.
    let (_, page) = admin_json(
        &app,
        Method::GET,
        "/api/admin/audit?limit=2&offset=1",
        &token,
        None,
    )
    .await;
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["block", "erase"]);
    assert_eq!(page["total"], 9);
    for q in ["limit=0", "limit=201", "offset=-1"] {
        let res = app
            .admin(Method::GET, &format!("/api/admin/audit?{q}"), &token)
            .send()
            .await
            .unwrap();
        assert_invalid(res, q.split('=').next().unwrap()).await;
    }
    let res = app
        .admin(Method::GET, "/api/admin/audit?site=nope", &token)
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "unknown_site").await;
    let res = without_token(&app, Method::GET, "/api/admin/audit").await;
    assert_error(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_one_click_link_is_audited_as_link() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let id = id_of(&app.create("/l", "held").await);
    app.set_status(id, "pending");
    let stored: Vec<u8> = app.db().query_row(
        "SELECT value FROM secrets WHERE name = 'server'",
        params![],
        |r| r.get(0),
    );
    let key = natter::domain::crypto::ServerKey::from_bytes(&stored).unwrap();
    use natter::domain::moderate::{sign, Action};
    let sig = sign(&key, id, Action::Approve, natter::domain::now() + 3600);
    let res = app
        .client
        .post(app.url(&format!("/moderate/{id}/approve?sig={sig}")))
        .header("origin", app.url(""))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let (_, log) = admin_json(&app, Method::GET, "/api/admin/audit", &token, None).await;
    assert_eq!(log["entries"][0]["actor"], "link", "{log}");
    assert_eq!(log["entries"][0]["action"], "approve");
    assert_eq!(log["entries"][0]["comment_id"], id);
}

#[tokio::test]
async fn the_owner_posts_approved_and_badged_and_nobody_else_may_use_the_name() {
    let app = TestApp::spawn_with(|s| {
        let blog = s.sites.get_mut("blog").unwrap();
        blog.owners = vec!["Ann Owner".into()];
        blog.moderation = natter::config::Moderation::All;
    })
    .await;
    let token = app.admin_token();
    let res = app
        .client
        .post(app.url("/api/comments"))
        .bearer_auth(&token)
        .json(&json!({"site": "blog", "page": "/o", "text": "thanks all", "author": "Ann Owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let owner: Value = res.json().await.unwrap();
    assert_eq!(
        owner["comment"]["status"], "approved",
        "held sites publish the owner at once"
    );
    assert_eq!(owner["comment"]["badge"], "owner");
    let reader = app
        .create_with(json!({"page": "/o", "text": "a reader", "author": "Bo"}))
        .await;
    assert_eq!(reader["comment"]["badge"], Value::Null);
    // The public list shows the badge.
    let list = app.list("/o", "").await;
    assert_eq!(list["comments"][0]["badge"], "owner");
    // Impostors: the name in any case, with spaces around.
    for name in ["Ann Owner", "  ann owner ", "ANN OWNER"] {
        let res = app
            .post_comment(json!({"page": "/o", "text": "me too", "author": name}))
            .await;
        assert_invalid(res, "author").await;
    }
    // A near name is fine.
    let ok = app
        .create_with(json!({"page": "/o", "text": "hi", "author": "Ann Owners"}))
        .await;
    assert_eq!(ok["comment"]["status"], "pending");
    // Nor can a reader take the name by editing.
    let res = app
        .client
        .patch(app.url(&format!("/api/comments/{}", id_of(&reader))))
        .bearer_auth(reader["edit_token"].as_str().unwrap())
        .json(&json!({"author": "ann owner"}))
        .send()
        .await
        .unwrap();
    assert_invalid(res, "author").await;
    // A bearer that is no admin token makes no owner.
    let res = app
        .client
        .post(app.url("/api/comments"))
        .bearer_auth("natter_not-a-token")
        .json(&json!({"site": "blog", "page": "/o", "text": "sneaky"}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (
            body["comment"]["status"].as_str(),
            &body["comment"]["badge"]
        ),
        (Some("pending"), &Value::Null)
    );
}

/// `POST /api/admin/comments/bulk` with `body`.
async fn bulk(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    admin_json(
        app,
        Method::POST,
        "/api/admin/comments/bulk",
        token,
        Some(body),
    )
    .await
}

/// The ids of a bulk answer's `comments`, with their statuses.
fn changed(answer: &Value) -> Vec<(i64, String)> {
    answer["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_i64().unwrap(),
                c["status"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// The `(action, comment_id)` of every audit entry, oldest first.
async fn audited(app: &TestApp, token: &str) -> Vec<(String, i64)> {
    let (_, log) = admin_json(app, Method::GET, "/api/admin/audit?limit=200", token, None).await;
    let mut out: Vec<(String, i64)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().into(),
                e["comment_id"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn a_bulk_action_takes_1_to_200_ids() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::All;
    })
    .await;
    let token = app.admin_token();
    // 200 held comments, made by 8 clients side by side (a network holds at most 128
    // connections).
    let mut made = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let (client, url) = (app.client.clone(), app.url("/api/comments"));
        made.spawn(async move {
            let mut ids = vec![];
            for n in 0..25 {
                let text = format!("comment {worker}-{n}");
                let body = json!({"site": "blog", "page": "/many", "text": text});
                let res = client.post(&url).json(&body).send().await.unwrap();
                assert_eq!(res.status(), 201);
                ids.push(id_of(&res.json().await.unwrap()));
            }
            ids
        });
    }
    let mut ids: Vec<i64> = made.join_all().await.concat();
    ids.sort();

    // 0 and 201 are refused, naming `ids`, and change nothing.
    for n in [0, 201] {
        let mut body = ids.clone();
        body.resize(n, ids[0]);
        let res = app
            .admin(Method::POST, "/api/admin/comments/bulk", &token)
            .json(&json!({"ids": body, "action": "approve"}))
            .send()
            .await
            .unwrap();
        assert_invalid(res, "ids").await;
    }
    assert_eq!(app.list_ids("/many", "").await, Vec::<i64>::new());
    assert_eq!(audited(&app, &token).await, vec![]);

    // 1, then all 200 in one request.
    let (s, one) = bulk(&app, &token, json!({"ids": [ids[0]], "action": "approve"})).await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(changed(&one), vec![(ids[0], "approved".into())]);
    assert_eq!(
        (one["deleted"].clone(), one["failed"].clone()),
        (json!([]), json!([]))
    );
    let (s, all) = bulk(&app, &token, json!({"ids": ids, "action": "approve"})).await;
    assert_eq!(s, 200, "{all}");
    let want: Vec<(i64, String)> = ids.iter().map(|id| (*id, "approved".into())).collect();
    assert_eq!(changed(&all), want, "every comment, in the order asked for");
    assert_eq!(all["failed"], json!([]));
    assert_eq!(
        app.list("/many", "&limit=200").await["total"],
        200,
        "all public"
    );
}

#[tokio::test]
async fn a_bulk_action_is_approve_reject_spam_or_delete() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let id = id_of(&app.create("/k", "one").await);
    let bad = |body: Value| {
        app.admin(Method::POST, "/api/admin/comments/bulk", &token)
            .json(&body)
            .send()
    };
    for (body, field) in [
        (json!({"ids": [id], "action": "archive"}), "action"),
        (json!({"ids": [id], "action": "APPROVE"}), "action"),
        (json!({"ids": [id]}), "action"),
        (json!({"action": "approve"}), "ids"),
        (json!({"ids": "1", "action": "approve"}), "ids"),
        (json!({"ids": [id], "action": "approve", "why": "x"}), "why"),
    ] {
        assert_invalid(bad(body).await.unwrap(), field).await;
    }
    for (action, status) in [
        ("reject", "rejected"),
        ("spam", "spam"),
        ("approve", "approved"),
    ] {
        let (s, done) = bulk(&app, &token, json!({"ids": [id], "action": action})).await;
        assert_eq!(s, 200, "{done}");
        assert_eq!(changed(&done), vec![(id, status.to_string())]);
        assert_eq!(admin_view(&app, &token, id).await["status"], status);
    }
    let (s, done) = bulk(&app, &token, json!({"ids": [id], "action": "delete"})).await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(
        (done["comments"].clone(), done["deleted"].clone()),
        (json!([]), json!([id]))
    );
    assert_eq!(app.list_ids("/k", "").await, Vec::<i64>::new());
}

#[tokio::test]
async fn a_bulk_action_skips_unknown_ids_acts_once_per_id_and_audits_each_comment() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::All;
    })
    .await;
    let token = named_token(&app, "mod-bo");
    let a = id_of(&app.create("/m", "a").await);
    let b = id_of(&app.create("/m", "b").await);
    let gone = id_of(&app.create("/m", "c").await);
    assert_eq!(
        admin_json(
            &app,
            Method::DELETE,
            &format!("/api/admin/comments/{gone}"),
            &token,
            None
        )
        .await
        .0,
        204
    );
    let before = audited(&app, &token).await;
    let ids = json!([b, 999_999, a, b, gone, 0, a]);
    let (s, done) = bulk(&app, &token, json!({"ids": ids, "action": "spam"})).await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(
        changed(&done),
        vec![(b, "spam".into()), (a, "spam".into())],
        "each once, in the order first asked for"
    );
    let failed: Vec<(i64, &str)> = done["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
            (f["id"].as_i64().unwrap(), f["code"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        failed,
        [
            (999_999, "not_found"),
            (gone, "not_found"),
            (0, "not_found")
        ]
    );
    // One audit entry per comment acted on, by the token's name; none for the others.
    let log = audited(&app, &token).await;
    assert_eq!(
        log[before.len()..],
        [("spam".to_string(), b), ("spam".to_string(), a)]
    );
    let (_, entries) =
        admin_json(&app, Method::GET, "/api/admin/audit?limit=2", &token, None).await;
    for e in entries["entries"].as_array().unwrap() {
        assert_eq!(
            (&e["actor"], &e["site"]),
            (&json!("mod-bo"), &json!("blog"))
        );
    }
    // A bulk delete: a and b go (audited), the unknown id is listed.
    let (_, done) = bulk(
        &app,
        &token,
        json!({"ids": [a, 424_242, b], "action": "delete"}),
    )
    .await;
    assert_eq!(done["deleted"], json!([a, b]));
    assert_eq!(done["failed"][0]["id"], 424_242);
    let log = audited(&app, &token).await;
    assert_eq!(
        log[log.len() - 2..],
        [("delete".to_string(), a), ("delete".to_string(), b)]
    );
}

#[tokio::test]
async fn a_bulk_action_needs_an_admin_token_and_a_json_body() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::All;
    })
    .await;
    let token = app.admin_token();
    let id = id_of(&app.create("/t", "held").await);
    let body = json!({"ids": [id], "action": "approve"});
    let res = app
        .client
        .post(app.url("/api/admin/comments/bulk"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "unauthorized").await;
    let res = app
        .admin(Method::POST, "/api/admin/comments/bulk", "natter_wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "unauthorized").await;
    // What a plain HTML form could send from another site, even with the token somehow.
    let res = app
        .admin(Method::POST, "/api/admin/comments/bulk", &token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("ids={id}&action=approve"))
        .send()
        .await
        .unwrap();
    assert_error(res, 415, "unsupported_media_type").await;
    assert_eq!(admin_view(&app, &token, id).await["status"], "pending");
}

#[tokio::test]
async fn the_bulk_answer_fits_its_documented_schema() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let id = id_of(&app.create("/d", "one").await);
    let doc = crate::openapi::Doc::fetch(&app).await;
    for action in ["spam", "delete"] {
        doc.send(
            "post",
            "/api/admin/comments/bulk",
            200,
            app.admin(Method::POST, "/api/admin/comments/bulk", &token)
                .json(&json!({"ids": [id, 999_999], "action": action})),
        )
        .await;
    }
    let props = &doc.0["components"]["schemas"]["BulkRequest"]["properties"];
    assert_eq!(
        (&props["ids"]["minItems"], &props["ids"]["maxItems"]),
        (&json!(1), &json!(200))
    );
}

#[tokio::test]
async fn a_block_can_name_one_of_the_authors_comments_instead_of_a_value() {
    let app = TestApp::spawn_with(|s| {
        s.sites.insert("notes".into(), crate::helpers::blog_site());
    })
    .await;
    let token = app.admin_token();
    let key = "a-browser-key-of-the-spammer";
    let theirs = app
        .create_with(
            json!({"page": "/c", "text": "spam", "email": "Sp@M.example", "author_key": key}),
        )
        .await;
    let theirs = id_of(&theirs);
    let keyless = id_of(&app.create("/c", "no key, no email").await);
    let block = |body: Value| {
        let mut b = json!({"site": "blog", "expires_at": null});
        for (k, v) in body.as_object().unwrap() {
            b[k] = v.clone();
        }
        admin_json(&app, Method::POST, "/api/admin/blocks", &token, Some(b))
    };
    let held_reason = |fields: Value| async {
        let c = app.create_with(fields).await;
        admin_view(&app, &token, id_of(&c)).await["held_reason"].clone()
    };

    // By the author key it was sent with (which the page never sees).
    let (s, b) = block(json!({"kind": "author_key", "comment_id": theirs})).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["value"], format!("the key of comment {theirs}"));
    assert!(!b.to_string().contains(key));
    assert_eq!(
        held_reason(json!({"page": "/c", "text": "again", "author_key": key})).await,
        "blocked"
    );
    let other = json!({"page": "/c", "text": "other", "author_key": "someone-else-entirely"});
    assert_eq!(held_reason(other).await, Value::Null);
    // By its email.
    let (s, b) = block(json!({"kind": "email", "comment_id": theirs})).await;
    assert_eq!((s, b["value"].as_str()), (201, Some("Sp@M.example")));
    assert_eq!(
        held_reason(json!({"page": "/c", "text": "mail", "email": "sp@m.example"})).await,
        "blocked"
    );
    // By its network (the test client's, 127.0.0.0): everyone here is held now.
    let (s, net) = block(json!({"kind": "network", "comment_id": keyless})).await;
    assert_eq!((s, net["value"].as_str()), (201, Some("127.0.0.0")));
    assert_eq!(
        held_reason(json!({"page": "/c", "text": "net"})).await,
        "blocked"
    );
    let path = format!("/api/admin/blocks/{}", net["id"]);
    assert_eq!(
        admin_json(&app, Method::DELETE, &path, &token, None)
            .await
            .0,
        204
    );

    // What it refuses, naming comment_id (or value, when neither is given).
    for (body, field) in [
        (
            json!({"kind": "author_key", "comment_id": keyless}),
            "comment_id",
        ),
        (
            json!({"kind": "email", "comment_id": keyless}),
            "comment_id",
        ),
        (
            json!({"kind": "email", "comment_id": 999_999}),
            "comment_id",
        ),
        (
            json!({"site": "notes", "kind": "email", "comment_id": theirs}),
            "comment_id",
        ),
        (
            json!({"kind": "email", "comment_id": theirs, "value": "a@b.org"}),
            "comment_id",
        ),
        (json!({"kind": "email", "value": null}), "value"),
    ] {
        let mut b = json!({"site": "blog"});
        for (k, v) in body.as_object().unwrap() {
            b[k] = v.clone();
        }
        let res = app
            .admin(Method::POST, "/api/admin/blocks", &token)
            .json(&b)
            .send()
            .await
            .unwrap();
        assert_invalid(res, field).await;
    }
}
