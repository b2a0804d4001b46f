//! POST /api/comments: validation limits, statuses, privacy of the answer.

use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, TestApp, BLOG};
use crate::testdb::params;

#[tokio::test]
async fn a_valid_comment_is_created_approved_with_an_edit_token() {
    let app = TestApp::spawn().await;
    let body = app.create("/posts/hello/", "Hello **world**").await;
    let c = &body["comment"];
    assert!(c["id"].as_i64().unwrap() > 0);
    assert_eq!(c["status"], "approved");
    // The contract says null, not absent.
    for k in [
        "parent",
        "author",
        "website",
        "edited_at",
        "via",
        "badge",
        "signed_in",
    ] {
        assert_eq!(c.get(k), Some(&Value::Null), "{k} is present and null: {c}");
    }
    assert_eq!(c["html"], "<p>Hello <strong>world</strong></p>\n");
    assert_eq!(c["likes"], 0);
    assert_eq!(c["dislikes"], 0);
    assert!(c["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(c["avatar"].as_str().unwrap().starts_with("/api/avatar/"));
    assert!(body["edit_token"].as_str().unwrap().len() >= 22);
    assert!(body["edit_until"].as_str().unwrap().ends_with('Z'));
    let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "author",
            "avatar",
            "badge",
            "created_at",
            "dislikes",
            "edited_at",
            "html",
            "id",
            "likes",
            "parent",
            "signed_in",
            "status",
            "via",
            "website"
        ],
        "exactly the public fields"
    );
}

#[tokio::test]
async fn the_answer_never_carries_email_ip_or_hashes() {
    let app = TestApp::spawn().await;
    let body = app
        .create_with(
            json!({"page": "/p", "text": "hi", "author": "Ann", "email": "ann@example.com",
            "website": "https://ann.example", "author_key": "k".repeat(32)}),
        )
        .await;
    let text = body.to_string();
    assert!(!text.contains("ann@example.com"));
    assert!(!text.contains("127.0.0"));
    assert!(!text.contains("\"ip\""));
    assert!(!text.contains("\"email\""));
    assert!(!text.contains(&"k".repeat(32)));
    let list = app.list("/p", "").await.to_string();
    assert!(!list.contains("ann@example.com") && !list.contains("127.0.0"));
    assert!(!list.contains(body["edit_token"].as_str().unwrap()));
}

#[tokio::test]
async fn text_limits_are_checked_after_trimming() {
    let app = TestApp::spawn().await;
    assert_invalid(
        app.post_comment(json!({"page": "/p", "text": "   \n "}))
            .await,
        "text",
    )
    .await;
    assert_invalid(
        app.post_comment(json!({"page": "/p", "text": "é".repeat(10_001)}))
            .await,
        "text",
    )
    .await;
    let ok = app
        .create("/p", &format!("  {}  ", "é".repeat(10_000)))
        .await;
    assert_eq!(ok["comment"]["status"], "approved");
    let one = app.create("/p", " x ").await;
    assert_eq!(one["comment"]["html"], "<p>x</p>\n");
}

#[tokio::test]
async fn field_limits_on_both_sides() {
    let app = TestApp::spawn().await;
    let cases = [
        ("author", json!("a".repeat(100)), json!("a".repeat(101))),
        ("title", json!("t".repeat(300)), json!("t".repeat(301))),
        (
            "website",
            json!(format!("https://x.example/{}", "w".repeat(500 - 18))),
            json!(format!("https://x.example/{}", "w".repeat(501 - 18))),
        ),
        (
            "email",
            json!(format!("{}@{}.com", "a".repeat(64), "b".repeat(185))),
            json!(format!("{}@{}.com", "a".repeat(64), "b".repeat(186))),
        ),
        ("author_key", json!("k".repeat(16)), json!("k".repeat(15))),
        ("author_key", json!("k".repeat(128)), json!("k".repeat(129))),
    ];
    for (i, (field, good, bad)) in cases.iter().enumerate() {
        let page = format!("/limits/{i}");
        let mut ok = json!({"page": page, "text": format!("ok {i}")});
        ok[*field] = good.clone();
        let res = app.post_comment(ok).await;
        assert_eq!(res.status().as_u16(), 201, "{field} at the limit");
        let mut no = json!({"page": page, "text": format!("no {i}")});
        no[*field] = bad.clone();
        assert_invalid(app.post_comment(no).await, field).await;
    }
}

#[tokio::test]
async fn page_keys_are_limited_to_2048_characters_without_controls() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.post_comment(json!({"page": "p".repeat(2048), "text": "a"}))
            .await
            .status(),
        201
    );
    assert_invalid(
        app.post_comment(json!({"page": "p".repeat(2049), "text": "a"}))
            .await,
        "page",
    )
    .await;
    assert_invalid(
        app.post_comment(json!({"page": "", "text": "a"})).await,
        "page",
    )
    .await;
    assert_invalid(
        app.post_comment(json!({"page": "/a\u{7}b", "text": "a"}))
            .await,
        "page",
    )
    .await;
}

#[tokio::test]
async fn websites_and_urls_must_be_http() {
    let app = TestApp::spawn().await;
    for bad in [
        "javascript:alert(1)",
        "ftp://x.example",
        "//x.example",
        "data:text/html,x",
        "x.example",
    ] {
        assert_invalid(
            app.post_comment(json!({"page": "/p", "text": bad, "website": bad}))
                .await,
            "website",
        )
        .await;
        assert_invalid(
            app.post_comment(json!({"page": "/p", "text": bad, "url": bad}))
                .await,
            "url",
        )
        .await;
    }
    assert_invalid(
        app.post_comment(json!({"page": "/p", "text": "a", "url": "https://elsewhere.example/p"}))
            .await,
        "url",
    )
    .await;
    let ok = app
        .post_comment(json!({"page": "/p", "text": "a", "url": format!("{BLOG}/p")}))
        .await;
    assert_eq!(ok.status(), 201);
    // The server's own origin (its demo page) is always allowed.
    let own = app
        .post_comment(json!({"page": "/p", "text": "b", "url": format!("{}/", app.address)}))
        .await;
    assert_eq!(own.status(), 201);
}

#[tokio::test]
async fn malformed_emails_are_refused() {
    let app = TestApp::spawn().await;
    for bad in [
        "nope",
        "a@b",
        "a b@c.de",
        "a@b.co\r\nBcc: x@y.z",
        "<a@b.co>",
    ] {
        assert_invalid(
            app.post_comment(json!({"page": "/p", "text": bad, "email": bad}))
                .await,
            "email",
        )
        .await;
    }
}

#[tokio::test]
async fn wrong_types_and_missing_fields_name_the_field() {
    let app = TestApp::spawn().await;
    assert_invalid(
        app.post_json("/api/comments", &json!({"site": "blog", "page": "/p"}))
            .await,
        "text",
    )
    .await;
    assert_invalid(
        app.post_comment(json!({"page": "/p", "text": 5})).await,
        "text",
    )
    .await;
    assert_invalid(
        app.post_comment(json!({"page": "/p", "text": "a", "parent": "x"}))
            .await,
        "parent",
    )
    .await;
    assert_invalid(
        app.post_comment(json!({"page": "/p", "text": "a", "notify": "yes"}))
            .await,
        "notify",
    )
    .await;
    assert_invalid(
        app.post_json(
            "/api/comments",
            &json!({"site": 3, "page": "/p", "text": "a"}),
        )
        .await,
        "site",
    )
    .await;
    let res = app.post_json("/api/comments", &json!([1, 2])).await;
    assert_error(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn unknown_sites_are_404() {
    let app = TestApp::spawn().await;
    let res = app
        .post_json(
            "/api/comments",
            &json!({"site": "nope", "page": "/p", "text": "a"}),
        )
        .await;
    assert_error(res, 404, "unknown_site").await;
}

#[tokio::test]
async fn replies_need_an_approved_parent_on_the_same_page() {
    let app = TestApp::spawn().await;
    let parent = app.create("/a", "parent").await["comment"]["id"]
        .as_i64()
        .unwrap();
    let reply = app
        .create_with(json!({"page": "/a", "text": "reply", "parent": parent}))
        .await;
    assert_eq!(reply["comment"]["parent"], parent);
    assert_invalid(
        app.post_comment(json!({"page": "/b", "text": "x", "parent": parent}))
            .await,
        "parent",
    )
    .await;
    assert_invalid(
        app.post_comment(json!({"page": "/a", "text": "y", "parent": 999_999}))
            .await,
        "parent",
    )
    .await;
}

#[tokio::test]
async fn the_same_text_twice_within_ten_minutes_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.create("/p", "same words").await;
    assert_error(
        app.post_comment(json!({"page": "/p", "text": "same words"}))
            .await,
        409,
        "duplicate",
    )
    .await;
    assert_eq!(
        app.post_comment(json!({"page": "/other", "text": "same words"}))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn the_honeypot_looks_like_a_held_comment_and_is_never_shown() {
    let app = TestApp::spawn().await;
    let body = app
        .create_with(json!({"page": "/p", "text": "buy pills", "hp": "http://spam"}))
        .await;
    assert_eq!(body["comment"]["status"], "pending");
    assert!(body["edit_token"].is_string());
    let id = body["comment"]["id"].as_i64().unwrap();
    assert!(app.list_ids("/p", "").await.is_empty());
    let stored: String = app.db().query_row(
        "SELECT status FROM comments WHERE id = ?1",
        params![id],
        |r| r.get(0),
    );
    assert_eq!(stored, "rejected");
}

#[tokio::test]
async fn more_than_three_links_holds_the_comment() {
    let app = TestApp::spawn().await;
    let three = "<https://a.example> <https://b.example> <https://c.example>";
    assert_eq!(
        app.create("/p", three).await["comment"]["status"],
        "approved"
    );
    let four = "<https://a.example> <https://b.example> <https://c.example> <https://d.example>";
    assert_eq!(app.create("/p", four).await["comment"]["status"], "pending");
}

#[tokio::test]
async fn moderation_all_holds_everything() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::All
    })
    .await;
    assert_eq!(
        app.create("/p", "held").await["comment"]["status"],
        "pending"
    );
    assert!(app.list_ids("/p", "").await.is_empty());
}

#[tokio::test]
async fn moderation_first_trusts_only_email_and_author_key_together() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::First
    })
    .await;
    let key = "a-secret-browser-key-123";
    let first = app
        .create_with(
            json!({"page": "/p", "text": "one", "email": "Ann@Example.com", "author_key": key}),
        )
        .await;
    assert_eq!(first["comment"]["status"], "pending");
    let id = first["comment"]["id"].as_i64().unwrap();
    app.db().execute(
        "UPDATE comments SET status = 'approved' WHERE id = ?1",
        params![id],
    );
    let trusted = app
        .create_with(
            json!({"page": "/q", "text": "two", "email": "ann@EXAMPLE.com", "author_key": key}),
        )
        .await;
    assert_eq!(trusted["comment"]["status"], "approved");
    let impostor = app.create_with(json!({"page": "/q", "text": "three", "email": "ann@example.com", "author_key": "someone-elses-key-0000"})).await;
    assert_eq!(impostor["comment"]["status"], "pending");
    let keyless = app
        .create_with(json!({"page": "/q", "text": "four", "email": "ann@example.com"}))
        .await;
    assert_eq!(keyless["comment"]["status"], "pending");
}

#[tokio::test]
async fn required_name_and_email_are_enforced() {
    let app = TestApp::spawn_with(|s| {
        let b = s.sites.get_mut("blog").unwrap();
        b.require_name = true;
        b.require_email = true;
    })
    .await;
    assert_invalid(
        app.post_comment(json!({"page": "/p", "text": "a", "email": "a@b.co"}))
            .await,
        "author",
    )
    .await;
    assert_invalid(
        app.post_comment(json!({"page": "/p", "text": "a", "author": "A"}))
            .await,
        "email",
    )
    .await;
    assert_eq!(
        app.post_comment(json!({"page": "/p", "text": "a", "author": "A", "email": "a@b.co"}))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn a_locked_thread_refuses_comments() {
    let app = TestApp::spawn().await;
    app.create("/p", "first").await;
    app.db()
        .execute("UPDATE pages SET locked = 1 WHERE key = '/p'", params![]);
    assert_error(
        app.post_comment(json!({"page": "/p", "text": "late"}))
            .await,
        403,
        "thread_locked",
    )
    .await;
    assert_eq!(app.list("/p", "").await["locked"], true);
}

#[tokio::test]
async fn threads_lock_after_the_configured_days() {
    let app = TestApp::spawn_with(|s| s.sites.get_mut("blog").unwrap().lock_after_days = 1).await;
    app.create("/p", "first").await;
    app.db().execute(
        "UPDATE pages SET first_comment_at = first_comment_at - 86400 WHERE key = '/p'",
        params![],
    );
    assert_error(
        app.post_comment(json!({"page": "/p", "text": "late"}))
            .await,
        403,
        "thread_locked",
    )
    .await;
    assert_eq!(
        app.post_comment(json!({"page": "/fresh", "text": "early"}))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn page_title_and_url_come_from_the_first_comment() {
    let app = TestApp::spawn().await;
    app.create_with(
        json!({"page": "/p", "text": "a", "title": "First", "url": format!("{BLOG}/p")}),
    )
    .await;
    app.create_with(
        json!({"page": "/p", "text": "b", "title": "Second", "url": format!("{BLOG}/other")}),
    )
    .await;
    let (title, url): (String, String) = app.db().query_row(
        "SELECT title, url FROM pages WHERE key = '/p'",
        params![],
        |r| (r.get(0), r.get(1)),
    );
    assert_eq!(title, "First");
    assert_eq!(url, format!("{BLOG}/p"));
}

#[tokio::test]
async fn form_tokens_hold_forged_or_hasty_posts() {
    let app = TestApp::spawn_with(|s| s.sites.get_mut("blog").unwrap().min_form_seconds = 60).await;
    let cfg: Value = app.get("/api/config?site=blog").await.json().await.unwrap();
    let token = cfg["form_token"].as_str().unwrap();
    let hasty = app
        .create_with(json!({"page": "/p", "text": "fast", "form_token": token}))
        .await;
    assert_eq!(hasty["comment"]["status"], "pending");
    let forged = app
        .create_with(json!({"page": "/p", "text": "forged", "form_token": "1.deadbeef"}))
        .await;
    assert_eq!(forged["comment"]["status"], "pending");
    let none = app.create_with(json!({"page": "/p", "text": "none"})).await;
    assert_eq!(none["comment"]["status"], "approved");
}

#[tokio::test]
async fn a_required_form_token_holds_posts_without_one_and_passes_old_enough_ones() {
    let app = TestApp::spawn_with(|s| {
        let b = s.sites.get_mut("blog").unwrap();
        b.require_form_token = true;
        b.min_form_seconds = 0;
    })
    .await;
    let none = app.create_with(json!({"page": "/p", "text": "none"})).await;
    assert_eq!(none["comment"]["status"], "pending");
    let cfg: Value = app.get("/api/config?site=blog").await.json().await.unwrap();
    let ok = app
        .create_with(json!({"page": "/p", "text": "with", "form_token": cfg["form_token"]}))
        .await;
    assert_eq!(ok["comment"]["status"], "approved");
}

#[tokio::test]
async fn ids_are_never_reused() {
    let app = TestApp::spawn().await;
    let a = app.create("/p", "a").await;
    let id = a["comment"]["id"].as_i64().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/api/comments/{id}")))
        .bearer_auth(a["edit_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let b = app.create("/p", "b").await;
    assert!(b["comment"]["id"].as_i64().unwrap() > id);
}
