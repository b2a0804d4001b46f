//! The moderation API: auth, queue, approve/reject/edit/delete, locks, erase, sites.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, id_of, TestApp};
use crate::sinks::{HookSink, SmtpSink};
use crate::stored::{assert_forgotten, rows_holding};
use crate::testdb::params;

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn every_admin_route_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    // Every admin operation of the OpenAPI document (which another test ties to the route
    // table), and one that does not exist.
    let mut routes = crate::openapi::admin_operations(&app).await;
    assert!(routes.len() >= 9, "{routes:?}");
    assert!(routes.contains(&(Method::GET, "/api/admin/outbox".into())));
    routes.push((Method::GET, "/api/admin/no-such-route".into()));
    for (method, path) in &routes {
        let none = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_error(none, 401, "unauthorized").await;
        let wrong = app
            .admin(method.clone(), path, "natter_wrong")
            .send()
            .await
            .unwrap();
        assert_error(wrong, 401, "unauthorized").await;
        let almost = app
            .admin(method.clone(), path, &token[..token.len() - 1])
            .send()
            .await
            .unwrap();
        assert_error(almost, 401, "unauthorized").await;
    }
    let res = app
        .admin(Method::GET, "/api/admin/sites", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A cookie is never a credential.
    let res = app
        .client
        .get(app.url("/api/admin/sites"))
        .header("cookie", format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    assert_eq!(
        app.admin(Method::GET, "/api/admin/sites", &token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.db().execute("DELETE FROM admin_tokens", params![]);
    assert_error(
        app.admin(Method::GET, "/api/admin/sites", &token)
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn the_queue_lists_pending_first_with_private_fields() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::All
    })
    .await;
    let token = app.admin_token();
    let a = id_of(
        &app.create_with(
            json!({"page": "/a", "text": "first", "email": "ann@example.com", "author": "Ann"}),
        )
        .await,
    );
    let b = id_of(
        &app.create_with(json!({"page": "/b", "text": "second"}))
            .await,
    );
    let c = id_of(&app.create("/a", "third").await);
    app.set_status(c, "approved");
    let body = ok_json(
        app.admin(Method::GET, "/api/admin/comments", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["total"], 2);
    let list = body["comments"].as_array().unwrap();
    assert_eq!(
        list.iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![b, a]
    );
    let ann = &list[1];
    assert_eq!(ann["email"], "ann@example.com");
    assert_eq!(ann["text"], "first");
    assert_eq!(ann["format"], "markdown");
    assert_eq!(ann["ip"], "127.0.0.0");
    assert_eq!(ann["site"], "blog");
    assert_eq!(ann["page"], "/a");
    assert_eq!(ann["status"], "pending");
    assert_eq!(ann["author"], "Ann");
    for key in [
        "id",
        "parent",
        "author",
        "website",
        "avatar",
        "html",
        "status",
        "created_at",
        "edited_at",
        "likes",
        "dislikes",
    ] {
        assert!(ann.get(key).is_some(), "{key}");
    }
    let all = ok_json(
        app.admin(Method::GET, "/api/admin/comments?status=all", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(all["total"], 3);
    let approved = ok_json(
        app.admin(Method::GET, "/api/admin/comments?status=approved", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(approved["comments"][0]["id"], c);
}

#[tokio::test]
async fn the_queue_filters_by_site_page_and_text_and_pages() {
    let app = TestApp::spawn_with(|s| {
        s.sites.insert("other".into(), crate::helpers::blog_site());
    })
    .await;
    let token = app.admin_token();
    app.create_with(json!({"page": "/a", "text": "apples and pears", "email": "x@example.com"}))
        .await;
    app.create_with(json!({"page": "/b", "text": "bananas", "author": "Pear Lover"}))
        .await;
    app.create_with(json!({"page": "/a", "text": "cherries 100%", "email": "pear@example.com"}))
        .await;
    let res = app
        .post_json(
            "/api/comments",
            &json!({"site": "other", "page": "/a", "text": "pears elsewhere"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let get = |q: &str| {
        app.admin(
            Method::GET,
            &format!("/api/admin/comments?status=all{q}"),
            &token,
        )
        .send()
    };
    assert_eq!(ok_json(get("&q=pear").await.unwrap()).await["total"], 4);
    assert_eq!(
        ok_json(get("&q=pear&site=blog").await.unwrap()).await["total"],
        3
    );
    assert_eq!(
        ok_json(get("&site=blog&page=/a").await.unwrap()).await["total"],
        2
    );
    assert_eq!(
        ok_json(get("&q=100%25").await.unwrap()).await["total"],
        1,
        "% is matched literally"
    );
    assert_eq!(
        ok_json(get("&q=_").await.unwrap()).await["total"],
        0,
        "_ is matched literally"
    );
    let page1 = ok_json(get("&limit=3").await.unwrap()).await;
    assert_eq!(page1["comments"].as_array().unwrap().len(), 3);
    assert_eq!(page1["total"], 4);
    let page2 = ok_json(get("&limit=3&offset=3").await.unwrap()).await;
    assert_eq!(page2["comments"].as_array().unwrap().len(), 1);
    assert_invalid(get("&limit=0").await.unwrap(), "limit").await;
    assert_invalid(get("&limit=201").await.unwrap(), "limit").await;
    assert_invalid(get("&offset=-1").await.unwrap(), "offset").await;
    assert_invalid(
        app.admin(Method::GET, "/api/admin/comments?status=junk", &token)
            .send()
            .await
            .unwrap(),
        "status",
    )
    .await;
    assert_error(get("&site=nope").await.unwrap(), 404, "unknown_site").await;
}

#[tokio::test]
async fn approving_publishes_and_rejecting_hides() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::All
    })
    .await;
    let token = app.admin_token();
    let id = id_of(&app.create("/p", "held").await);
    assert!(app.list_ids("/p", "").await.is_empty());
    let c = ok_json(
        app.admin(
            Method::POST,
            &format!("/api/admin/comments/{id}/approve"),
            &token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(c["status"], "approved");
    assert_eq!(app.list_ids("/p", "").await, vec![id]);
    let counts: Value = app
        .get("/api/counts?site=blog&page=/p")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts["counts"]["/p"], 1);
    let again = ok_json(
        app.admin(
            Method::POST,
            &format!("/api/admin/comments/{id}/approve"),
            &token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(again["status"], "approved");
    let c = ok_json(
        app.admin(
            Method::POST,
            &format!("/api/admin/comments/{id}/reject"),
            &token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(c["status"], "rejected");
    assert!(app.list_ids("/p", "").await.is_empty());
    let feed = app.get("/feed/blog.atom").await.text().await.unwrap();
    assert!(!feed.contains("held"));
    assert_error(
        app.admin(Method::POST, "/api/admin/comments/999999/approve", &token)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.admin(Method::POST, "/api/admin/comments/x/reject", &token)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn moderators_edit_text_name_and_website() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let id = id_of(&app.create("/p", "rude words").await);
    let res = app
        .admin(Method::PATCH, &format!("/api/admin/comments/{id}"), &token)
        .json(&json!({"text": "kind *words*", "author": "Mod", "website": "https://mod.example"}))
        .send()
        .await
        .unwrap();
    let c = ok_json(res).await;
    assert_eq!(c["text"], "kind *words*");
    assert_eq!(c["html"], "<p>kind <em>words</em></p>\n");
    assert_eq!(c["author"], "Mod");
    assert_eq!(c["status"], "approved");
    let res = app
        .admin(Method::PATCH, &format!("/api/admin/comments/{id}"), &token)
        .json(&json!({"text": ""}))
        .send()
        .await
        .unwrap();
    assert_invalid(res, "text").await;
    let res = app
        .admin(Method::PATCH, &format!("/api/admin/comments/{id}"), &token)
        .json(&json!({"website": "javascript:1"}))
        .send()
        .await
        .unwrap();
    assert_invalid(res, "website").await;
    let res = app
        .admin(Method::PATCH, "/api/admin/comments/424242", &token)
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "not_found").await;
}

#[tokio::test]
async fn moderator_deletes_leave_tombstones_only_when_replied_to() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let parent = id_of(&app.create("/p", "parent").await);
    let reply = id_of(
        &app.create_with(json!({"page": "/p", "text": "reply", "parent": parent}))
            .await,
    );
    let lone = id_of(&app.create("/p", "lone").await);
    for id in [parent, lone] {
        let res = app
            .admin(Method::DELETE, &format!("/api/admin/comments/{id}"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
    }
    let list = app.list("/p", "").await;
    assert_eq!(crate::helpers::ids(&list), vec![parent, reply]);
    assert_eq!(list["comments"][0]["status"], "deleted");
    let gone = app
        .db()
        .query_i64("SELECT count(*) FROM comments WHERE id = ?1", params![lone]);
    assert_eq!(gone, 0);
    assert_error(
        app.admin(
            Method::DELETE,
            &format!("/api/admin/comments/{lone}"),
            &token,
        )
        .send()
        .await
        .unwrap(),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn threads_lock_and_unlock_even_before_their_first_comment() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let lock = |locked: bool| {
        app.admin(Method::POST, "/api/admin/threads/lock", &token)
            .json(&json!({"site": "blog", "page": "/new", "locked": locked}))
            .send()
    };
    let body = ok_json(lock(true).await.unwrap()).await;
    assert_eq!(
        body,
        json!({"site": "blog", "page": "/new", "locked": true})
    );
    assert_error(
        app.post_comment(json!({"page": "/new", "text": "x"})).await,
        403,
        "thread_locked",
    )
    .await;
    assert_eq!(app.list("/new", "").await["locked"], true);
    ok_json(lock(false).await.unwrap()).await;
    assert_eq!(
        app.post_comment(json!({"page": "/new", "text": "x"}))
            .await
            .status(),
        201
    );
    let res = app
        .admin(Method::POST, "/api/admin/threads/lock", &token)
        .json(&json!({"site": "nope", "page": "/x", "locked": true}))
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "unknown_site").await;
    let res = app
        .admin(Method::POST, "/api/admin/threads/lock", &token)
        .json(&json!({"site": "blog", "page": "/x"}))
        .send()
        .await
        .unwrap();
    assert_invalid(res, "locked").await;
}

#[tokio::test]
async fn erase_removes_everything_about_one_email_case_insensitively() {
    // Mail and webhooks on: the outbox and the opt-in table hold her data too.
    let (sink, hooks) = (SmtpSink::start().await, HookSink::start().await);
    let (port, url) = (sink.port, hooks.url.clone());
    let app = TestApp::spawn_with(move |s| {
        s.smtp = Some(natter::config::Smtp {
            host: "127.0.0.1".into(),
            port,
            moderators: vec!["mod@example.com".into()],
            ..Default::default()
        });
        s.webhooks = vec![natter::config::Webhook {
            url,
            events: vec![],
            secret: "k".into(),
        }];
    })
    .await;
    let token = app.admin_token();
    let eve = ["eve@example.com", "eve%40example.com", "Eve Quux", "mine"];
    let mine = id_of(
        &app.create_with(
            json!({"page": "/p", "text": "mine", "email": "Eve@Example.com", "author": "Eve Quux", "notify": true}),
        )
        .await,
    );
    app.db().execute(
        "INSERT INTO confirmed_emails (site, email, confirmed_at) VALUES ('blog', 'eve@example.com', 0)",
        params![],
    );
    let reply = id_of(&app.create_with(json!({"page": "/p", "text": "reply to eve", "parent": mine, "email": "bob@example.com"})).await);
    let other = id_of(
        &app.create_with(json!({"page": "/q", "text": "also mine", "email": "eve@example.com"}))
            .await,
    );
    let held: Vec<String> = rows_holding(app.db(), &eve)
        .into_iter()
        .map(|(table, _)| table)
        .collect();
    for table in ["comments", "outbox", "confirmed_emails"] {
        assert!(held.iter().any(|t| t == table), "{table}: {held:?}");
    }
    let res = app
        .admin(Method::POST, "/api/admin/erase", &token)
        .json(&json!({"site": "blog", "email": "EVE@example.COM"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok_json(res).await, json!({"erased": 2}));
    // No table keeps her address, name or text: not the comments, not her opt-in, not the
    // moderator mail, confirmation mail and webhooks (sent or not) that quoted them.
    assert_forgotten(app.db(), &eve);
    // Bob's reply and what was queued about it are his, and stay.
    let bob: Vec<String> = rows_holding(app.db(), &["reply to eve"])
        .into_iter()
        .map(|(table, _)| table)
        .collect();
    assert_eq!(
        bob,
        ["comments", "outbox", "outbox"],
        "moderator mail and webhook"
    );
    let list = app.list("/p", "").await;
    assert_eq!(crate::helpers::ids(&list), vec![mine, reply]);
    assert_eq!(list["comments"][0]["status"], "deleted");
    let n = app.db().query_i64(
        "SELECT count(*) FROM comments WHERE id = ?1",
        params![other],
    );
    assert_eq!(n, 0);
    let res = app
        .admin(Method::POST, "/api/admin/erase", &token)
        .json(&json!({"site": "blog", "email": "nobody@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok_json(res).await, json!({"erased": 0}));
    let res = app
        .admin(Method::POST, "/api/admin/erase", &token)
        .json(&json!({"site": "blog", "email": "not-an-email"}))
        .send()
        .await
        .unwrap();
    assert_invalid(res, "email").await;
}

#[tokio::test]
async fn sites_are_listed_with_counts_per_status() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    app.create("/p", "a").await;
    let held = id_of(&app.create("/p", "b").await);
    app.set_status(held, "pending");
    let body = ok_json(
        app.admin(Method::GET, "/api/admin/sites", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        body,
        json!({"sites": [{"id": "blog", "origins": ["https://blog.example"], "moderation": "none",
            "counts": {"approved": 1, "pending": 1, "rejected": 0, "deleted": 0}}]})
    );
}
