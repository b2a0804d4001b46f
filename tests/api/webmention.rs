//! Webmention (W3C): `POST /webmention` and `GET /webmention/{id}` against the real server,
//! with the sources served by a page server on loopback (`fetch_allow = ["127.0.0.1"]`),
//! every kind of h-entry hand-made: reply, like, repost, bookmark, update, removal,
//! no link, a non-HTML source. The fetcher's own address rules are in `fetch.rs`; here only
//! that the receiver goes through them.

use std::time::{Duration, Instant};

use reqwest::Response;
use serde_json::Value;

use crate::helpers::{assert_error, TestApp, BLOG};
use crate::pages_sink::PageServer;
use crate::testdb::params;

/// The post every test replies to.
pub const POST: &str = "https://blog.example/posts/hello/";
pub const PAGE: &str = "/posts/hello/";

/// An app whose site `blog` takes Webmentions, fetching from loopback allowed.
pub async fn wm_app(tweak: impl FnOnce(&mut natter::config::Settings)) -> TestApp {
    TestApp::spawn_with(|s| {
        s.fetch_allow = vec!["127.0.0.1".into()];
        s.sites.get_mut("blog").unwrap().webmention = true;
        tweak(s);
    })
    .await
}

/// Sends a Webmention as a form.
pub async fn send(app: &TestApp, source: &str, target: &str) -> Response {
    app.client
        .post(app.url("/webmention"))
        .form(&[("source", source), ("target", target)])
        .send()
        .await
        .unwrap()
}

/// Sends and expects 202; returns the status path from `Location`.
pub async fn accepted(app: &TestApp, source: &str, target: &str) -> String {
    let res = send(app, source, target).await;
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "queued");
    let location = location.expect("a Location header");
    let path = location
        .strip_prefix(&app.url(""))
        .or_else(|| location.strip_prefix("http://localhost:8080"))
        .unwrap_or(&location)
        .to_string();
    assert!(path.starts_with("/webmention/"), "{location}");
    path
}

/// Polls a status path until it is no longer queued.
pub async fn settled(app: &TestApp, path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let res = app.get(path).await;
        assert_eq!(res.status().as_u16(), 200);
        let body: Value = res.json().await.unwrap();
        if body["status"] != "queued" {
            return body;
        }
        assert!(Instant::now() < deadline, "still queued: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An h-entry page that replies to `target`.
pub fn reply_page(target: &str, author: &str, content: &str) -> String {
    format!(
        r#"<!doctype html><html><head><title>A reply</title></head><body>
<article class="h-entry">
  <a class="p-author h-card" href="https://alice.example/">{author}</a>
  <p>In reply to <a class="u-in-reply-to" href="{target}">that post</a></p>
  <div class="e-content">{content}</div>
  <time class="dt-published" datetime="2026-12-01T10:00:00Z">1 Dec</time>
</article></body></html>"#
    )
}

/// An h-entry page whose `prop` (`like-of`, `repost-of`, `bookmark-of`) is `target`.
pub fn reaction_page(target: &str, author: &str, prop: &str) -> String {
    format!(
        r#"<!doctype html><html><body><div class="h-entry">
  <span class="p-author h-card"><a class="u-url p-name" href="https://{author}.example/">{author}</a></span>
  <a class="u-{prop}" href="{target}">this</a>
</div></body></html>"#
    )
}

async fn thread(app: &TestApp) -> Value {
    app.list(PAGE, "").await
}

#[tokio::test]
async fn a_reply_becomes_a_sanitized_comment_that_says_where_it_came_from() {
    let app = wm_app(|_| {}).await;
    let pages = PageServer::start().await;
    pages.html(
        "/r/1",
        &reply_page(
            POST,
            "Alice Example",
            "<p>Nice <strong>post</strong>!<script>alert(1)</script><img src=x onerror=alert(2)></p>",
        ),
    );
    let status = accepted(&app, &pages.url("/r/1"), POST).await;
    let done = settled(&app, &status).await;
    assert_eq!(done["status"], "accepted", "{done}");
    assert_eq!(done["reason"], Value::Null);

    let list = thread(&app).await;
    assert_eq!(list["total"], 1, "{list}");
    let c = &list["comments"][0];
    assert_eq!(c["author"], "Alice Example");
    assert_eq!(c["website"], "https://alice.example/");
    assert_eq!(c["status"], "approved");
    assert_eq!(
        c["via"],
        serde_json::json!({"kind": "webmention", "url": pages.url("/r/1"), "handle": null})
    );
    let html = c["html"].as_str().unwrap();
    assert!(html.contains("<strong>post</strong>"), "{html}");
    assert!(
        !html.contains("script") && !html.contains("onerror"),
        "{html}"
    );
    // No photo is hotlinked: the avatar is Natter's identicon.
    assert!(c["avatar"].as_str().unwrap().starts_with("/api/avatar/"));
    // The no-JS fragment links the source too.
    let fragment = app
        .get(&format!("/api/comments.html?site=blog&page={PAGE}"))
        .await
        .text()
        .await
        .unwrap();
    let link = format!(
        r#"<a class="natter-via" href="{}" rel="nofollow ugc noopener noreferrer">via webmention</a>"#,
        pages.url("/r/1")
    );
    assert!(fragment.contains(&link), "{fragment}");
    // A comment written here says it came from nowhere else.
    app.create(PAGE, "written here").await;
    let list = thread(&app).await;
    assert_eq!(list["comments"][1]["via"], Value::Null);
    // The page remembers the target as its URL.
    let url = app
        .db()
        .query_string("SELECT url FROM pages WHERE key = ?1", params![PAGE]);
    assert_eq!(url, POST);
}

#[tokio::test]
async fn likes_reposts_and_bookmarks_are_counted_with_their_authors() {
    let app = wm_app(|_| {}).await;
    let pages = PageServer::start().await;
    pages.html("/l/1", &reaction_page(POST, "bob", "like-of"));
    pages.html("/l/2", &reaction_page(POST, "cy", "like-of"));
    pages.html("/p/1", &reaction_page(POST, "dee", "repost-of"));
    pages.html("/b/1", &reaction_page(POST, "eve", "bookmark-of"));
    for p in ["/l/1", "/l/2", "/p/1", "/b/1"] {
        let s = accepted(&app, &pages.url(p), POST).await;
        assert_eq!(settled(&app, &s).await["status"], "accepted");
    }
    let list = thread(&app).await;
    assert_eq!(list["total"], 0, "reactions are not comments: {list}");
    assert_eq!(list["comments"], serde_json::json!([]));
    let r = &list["reactions"];
    assert_eq!(
        (
            r["likes"].as_i64(),
            r["reposts"].as_i64(),
            r["bookmarks"].as_i64()
        ),
        (Some(2), Some(1), Some(1)),
        "{r}"
    );
    let mut names: Vec<(String, String, String)> = r["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().into(),
                p["name"].as_str().unwrap().into(),
                p["url"].as_str().unwrap().into(),
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            (
                "bookmark".into(),
                "eve".into(),
                "https://eve.example/".into()
            ),
            ("like".into(), "bob".into(), "https://bob.example/".into()),
            ("like".into(), "cy".into(), "https://cy.example/".into()),
            ("repost".into(), "dee".into(), "https://dee.example/".into()),
        ]
    );
    // Another page of the site has none.
    let other = app.list("/posts/other/", "").await;
    assert_eq!(other["reactions"]["likes"], 0);
    assert_eq!(other["reactions"]["people"], serde_json::json!([]));
}

#[tokio::test]
async fn the_same_source_sent_again_updates_its_comment() {
    let app = wm_app(|_| {}).await;
    let pages = PageServer::start().await;
    pages.html("/r/2", &reply_page(POST, "Alice", "<p>first words</p>"));
    let first = accepted(&app, &pages.url("/r/2"), POST).await;
    settled(&app, &first).await;
    let before = thread(&app).await;
    let id = before["comments"][0]["id"].as_i64().unwrap();
    assert_eq!(before["comments"][0]["edited_at"], Value::Null);

    pages.html("/r/2", &reply_page(POST, "Alice", "<p>second thoughts</p>"));
    let again = accepted(&app, &pages.url("/r/2"), POST).await;
    assert_eq!(again, first, "the same pair keeps its status URL");
    let done = settled(&app, &again).await;
    assert_eq!(done["status"], "accepted");
    let after = thread(&app).await;
    assert_eq!(after["total"], 1, "{after}");
    assert_eq!(after["comments"][0]["id"].as_i64(), Some(id));
    assert!(after["comments"][0]["html"]
        .as_str()
        .unwrap()
        .contains("second thoughts"));
    assert!(after["comments"][0]["edited_at"].is_string());
}

#[tokio::test]
async fn a_source_that_is_gone_or_no_longer_links_removes_its_comment() {
    let app = wm_app(|_| {}).await;
    let pages = PageServer::start().await;
    pages.html("/r/3", &reply_page(POST, "Alice", "<p>soon gone</p>"));
    pages.html("/r/4", &reply_page(POST, "Bob", "<p>soon unlinked</p>"));
    for p in ["/r/3", "/r/4"] {
        let s = accepted(&app, &pages.url(p), POST).await;
        assert_eq!(settled(&app, &s).await["status"], "accepted");
    }
    assert_eq!(thread(&app).await["total"], 2);

    pages.set("/r/3", 410, "text/html", "gone");
    let s = accepted(&app, &pages.url("/r/3"), POST).await;
    let done = settled(&app, &s).await;
    assert_eq!(done["status"], "rejected");
    assert!(done["reason"].as_str().unwrap().contains("410"), "{done}");

    pages.html(
        "/r/4",
        r#"<div class="h-entry"><div class="e-content">I took the link out</div></div>"#,
    );
    let s = accepted(&app, &pages.url("/r/4"), POST).await;
    let done = settled(&app, &s).await;
    assert_eq!(done["status"], "rejected");
    assert!(
        done["reason"].as_str().unwrap().contains("does not link"),
        "{done}"
    );
    let list = thread(&app).await;
    assert_eq!(list["total"], 0, "{list}");
    assert_eq!(list["comments"], serde_json::json!([]));
}

#[tokio::test]
async fn a_removed_reply_with_replies_leaves_a_tombstone() {
    let app = wm_app(|_| {}).await;
    let pages = PageServer::start().await;
    pages.html("/r/5", &reply_page(POST, "Alice", "<p>answered</p>"));
    let s = accepted(&app, &pages.url("/r/5"), POST).await;
    settled(&app, &s).await;
    let id = thread(&app).await["comments"][0]["id"].as_i64().unwrap();
    app.create_with(serde_json::json!({"page": PAGE, "text": "a reply to the web", "parent": id}))
        .await;
    pages.set("/r/5", 404, "text/html", "not here");
    let s = accepted(&app, &pages.url("/r/5"), POST).await;
    assert_eq!(settled(&app, &s).await["status"], "rejected");
    let list = thread(&app).await;
    assert_eq!(list["comments"][0]["id"].as_i64(), Some(id));
    assert_eq!(list["comments"][0]["status"], "deleted");
    assert_eq!(
        list["comments"][0]["via"],
        Value::Null,
        "a tombstone says nothing"
    );
    assert_eq!(list["comments"][1]["parent"].as_i64(), Some(id));
}

#[tokio::test]
async fn a_target_fragment_naming_a_comment_makes_the_reply_a_child_of_it() {
    let app = wm_app(|_| {}).await;
    let parent = crate::helpers::id_of(&app.create(PAGE, "the parent").await);
    let pages = PageServer::start().await;
    let target = format!("{POST}#natter-{parent}");
    pages.html("/r/6", &reply_page(&target, "Alice", "<p>to you</p>"));
    let s = accepted(&app, &pages.url("/r/6"), &target).await;
    assert_eq!(settled(&app, &s).await["status"], "accepted");
    let list = thread(&app).await;
    assert_eq!(
        list["comments"][1]["parent"].as_i64(),
        Some(parent),
        "{list}"
    );
}

#[tokio::test]
async fn sources_that_cannot_be_taken_are_rejected_with_a_reason() {
    let app = wm_app(|_| {}).await;
    let pages = PageServer::start().await;
    pages.set(
        "/json",
        200,
        "application/json",
        &format!(r#"{{"link":"{POST}"}}"#),
    );
    pages.set(
        "/teapot",
        418,
        "text/html",
        &format!(r#"<a href="{POST}">x</a>"#),
    );
    let cases = [
        (pages.url("/json"), "not an HTML page"),
        (pages.url("/teapot"), "418"),
        (pages.url("/missing"), "404"),
    ];
    for (source, why) in cases {
        let s = accepted(&app, &source, POST).await;
        let done = settled(&app, &s).await;
        assert_eq!(done["status"], "rejected", "{source}");
        assert!(
            done["reason"].as_str().unwrap().contains(why),
            "{source}: {done}"
        );
    }
    assert_eq!(thread(&app).await["total"], 0);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"natter_webmentions_total{site="blog",outcome="rejected"} 3"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_bad_request_is_400_in_the_error_shape() {
    let app = wm_app(|s| {
        let mut quiet = crate::helpers::blog_site();
        quiet.origins = vec!["https://quiet.example".into()];
        s.sites.insert("quiet".into(), quiet);
    })
    .await;
    let src = "https://alice.example/reply";
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("source", src)], "target"),
        (vec![("target", POST)], "source"),
        (
            vec![
                ("source", src),
                ("target", "https://elsewhere.example/post/"),
            ],
            "target",
        ),
        // a site that does not take Webmentions
        (
            vec![("source", src), ("target", "https://quiet.example/post/")],
            "target",
        ),
        (vec![("source", "not a url"), ("target", POST)], "source"),
        (
            vec![("source", "ftp://alice.example/x"), ("target", POST)],
            "source",
        ),
        (
            vec![("source", src), ("target", "mailto:ann@blog.example")],
            "target",
        ),
        (vec![("source", POST), ("target", POST)], "different"),
        (
            vec![("source", src), ("target", POST), ("target", POST)],
            "more than once",
        ),
    ];
    for (form, word) in cases {
        let res = app
            .client
            .post(app.url("/webmention"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let body = assert_error(res, 400, "malformed_request").await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(word), "{form:?}: {message}");
    }
    // A broken %-escape, a JSON body, no body at all.
    let raw = |body: &'static str, ct: &'static str| {
        app.client
            .post(app.url("/webmention"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let res = raw("source=%zz&target=x", "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_error(res, 400, "malformed_request").await;
    let res = raw(r#"{"source":"a","target":"b"}"#, "application/json")
        .await
        .unwrap();
    assert_error(res, 415, "unsupported_media_type").await;
    let res = app
        .client
        .post(app.url("/webmention"))
        .send()
        .await
        .unwrap();
    assert_error(res, 415, "unsupported_media_type").await;
    // With a charset, the form type is still the form type.
    let res = raw(
        "source=https%3A%2F%2Falice.example%2Fr&target=https%3A%2F%2Fblog.example%2Fposts%2Fhello%2F",
        "application/x-www-form-urlencoded; charset=utf-8",
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    // Nothing of the refused ones was recorded.
    let n = app
        .db()
        .query_i64("SELECT count(*) FROM webmentions", params![]);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_status_that_does_not_exist_is_404() {
    let app = wm_app(|_| {}).await;
    assert_error(app.get("/webmention/nope").await, 404, "not_found").await;
    let long = format!("/webmention/{}", "a".repeat(65));
    assert_error(app.get(&long).await, 404, "not_found").await;
}

#[tokio::test]
async fn a_browser_origin_the_site_does_not_allow_is_refused() {
    let app = wm_app(|_| {}).await;
    let send_from = |origin: &'static str| {
        app.client
            .post(app.url("/webmention"))
            .header("origin", origin)
            .form(&[("source", "https://alice.example/r"), ("target", POST)])
            .send()
    };
    assert_error(
        send_from("https://evil.example").await.unwrap(),
        403,
        "origin_not_allowed",
    )
    .await;
    assert_eq!(send_from(BLOG).await.unwrap().status().as_u16(), 202);
}

#[tokio::test]
async fn limits_per_source_host_and_per_page_hold_on_both_sides() {
    use natter::actions::webmention::{MAX_FOR_PAGE, MAX_FROM_HOST};
    let app = wm_app(|_| {}).await;
    // One host: MAX_FROM_HOST new pairs pass, the next is 429. (The sources don't exist: they
    // are rejected later, which doesn't matter here.)
    for i in 0..MAX_FROM_HOST {
        let res = send(&app, &format!("https://one.example/{i}"), POST).await;
        assert_eq!(res.status().as_u16(), 202, "#{i}");
    }
    let res = send(&app, "https://one.example/over", POST).await;
    let body = assert_error(res, 429, "rate_limited").await;
    assert!(body["error"]["retry_after"].as_u64().unwrap() > 0);
    // The same pair again is no new pair: still taken.
    assert_eq!(
        send(&app, "https://one.example/0", POST)
            .await
            .status()
            .as_u16(),
        202
    );
    // One page: MAX_FOR_PAGE in all from many hosts.
    let target = "https://blog.example/posts/busy/";
    for i in 0..MAX_FOR_PAGE {
        let res = send(&app, &format!("https://h{i}.example/r"), target).await;
        assert_eq!(res.status().as_u16(), 202, "#{i}");
    }
    let res = send(&app, "https://late.example/r", target).await;
    assert_error(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn too_many_waiting_verifications_is_503() {
    use natter::actions::webmention::MAX_QUEUED;
    let app = wm_app(|_| {}).await;
    // Queued rows as a flood would leave them (due in a day, so no verifier takes them).
    let day = natter::domain::now() + 86_400;
    for i in 0..MAX_QUEUED - 1 {
        app.db().execute(
            "INSERT INTO webmentions (id, site, page, source, target, source_host, status,
               next_attempt_at, created_at, updated_at)
             VALUES (?1, 'blog', '/x/', ?2, ?3, ?4, 'queued', ?5, 0, 0)",
            params![
                format!("q{i}"),
                format!("https://s{i}.example/"),
                POST,
                format!("s{i}.example"),
                day
            ],
        );
    }
    assert_eq!(
        send(&app, "https://last.example/r", POST)
            .await
            .status()
            .as_u16(),
        202
    );
    let res = send(&app, "https://over.example/r", POST).await;
    assert_error(res, 503, "unavailable").await;
}

#[tokio::test]
async fn under_first_moderation_trust_is_per_source_host() {
    let app = wm_app(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::First;
    })
    .await;
    let pages = PageServer::start().await;
    pages.html(
        "/r/a",
        &reply_page(POST, "Alice", "<p>first from this host</p>"),
    );
    pages.html(
        "/r/b",
        &reply_page(POST, "Alice", "<p>second from this host</p>"),
    );
    let s = accepted(&app, &pages.url("/r/a"), POST).await;
    assert_eq!(settled(&app, &s).await["status"], "accepted");
    let id = app
        .db()
        .query_i64("SELECT id FROM comments ORDER BY id LIMIT 1", params![]);
    let status = app
        .db()
        .query_string("SELECT status FROM comments WHERE id = ?1", params![id]);
    assert_eq!(status, "pending", "a host never seen is held");
    assert_eq!(thread(&app).await["total"], 0);
    app.set_status(id, "approved");
    let s = accepted(&app, &pages.url("/r/b"), POST).await;
    assert_eq!(settled(&app, &s).await["status"], "accepted");
    let list = thread(&app).await;
    assert_eq!(list["total"], 2, "the host is trusted now: {list}");
}

#[tokio::test]
async fn a_reply_with_too_many_links_is_held() {
    let app = wm_app(|_| {}).await;
    let pages = PageServer::start().await;
    let links: String = (0..4)
        .map(|i| format!(r#"<a href="https://spam{i}.example/">x</a> "#))
        .collect();
    pages.html(
        "/r/spam",
        &reply_page(POST, "Spammer", &format!("<p>{links}</p>")),
    );
    let s = accepted(&app, &pages.url("/r/spam"), POST).await;
    assert_eq!(settled(&app, &s).await["status"], "accepted");
    let status = app
        .db()
        .query_string("SELECT status FROM comments", params![]);
    assert_eq!(status, "pending");
}

#[tokio::test]
async fn the_moderation_view_and_the_webhooks_say_where_it_came_from() {
    let hooks = crate::sinks::HookSink::start().await;
    let app = wm_app(|s| {
        s.webhooks = vec![natter::config::Webhook {
            url: hooks.url.clone(),
            events: vec![],
            secret: String::new(),
        }];
    })
    .await;
    let pages = PageServer::start().await;
    pages.html("/r/h", &reply_page(POST, "Alice", "<p>hello hooks</p>"));
    let s = accepted(&app, &pages.url("/r/h"), POST).await;
    settled(&app, &s).await;
    let hook = hooks.wait_for("comment.created", 10).await;
    let body: Value = serde_json::from_slice(&hook.body).unwrap();
    assert_eq!(body["comment"]["via"]["kind"], "webmention", "{body}");
    assert_eq!(body["comment"]["via"]["url"], pages.url("/r/h"));
    let res = app
        .client
        .get(app.url("/api/admin/comments?site=blog&status=approved"))
        .bearer_auth(app.admin_token())
        .send()
        .await
        .unwrap();
    let q: Value = res.json().await.unwrap();
    assert_eq!(q["comments"][0]["via"]["url"], pages.url("/r/h"), "{q}");
}

#[tokio::test]
async fn loopback_sources_are_refused_without_fetch_allow_and_never_contacted() {
    let app = wm_app(|s| s.fetch_allow.clear()).await;
    let pages = PageServer::start().await;
    let v6 = PageServer::start_on("::1").await.ok();
    let body = reply_page(POST, "Mallory", "<p>from inside</p>");
    pages.html("/in", &body);
    let port = pages.port;
    let mut sources = vec![
        pages.url("/in"),
        format!("http://localhost:{port}/in"),
        format!("http://[::ffff:127.0.0.1]:{port}/in"),
        format!("http://0.0.0.0:{port}/in"),
    ];
    if let Some(v6) = &v6 {
        v6.html("/in", &body);
        sources.push(v6.url("/in"));
    }
    for source in &sources {
        let s = accepted(&app, source, POST).await;
        let done = settled(&app, &s).await;
        assert_eq!(done["status"], "rejected", "{source}");
        let reason = done["reason"].as_str().unwrap();
        assert!(reason.contains("refused"), "{source}: {reason}");
    }
    assert_eq!(pages.hits(), 0, "{:?}", pages.seen());
    assert_eq!(v6.map_or(0, |v| v.hits()), 0);
    assert_eq!(thread(&app).await["total"], 0);
}

#[tokio::test]
async fn a_reply_a_moderator_deleted_does_not_come_back_when_sent_again() {
    let app = wm_app(|_| {}).await;
    let pages = PageServer::start().await;
    pages.html("/r/del", &reply_page(POST, "Spammy", "<p>buy things</p>"));
    let s = accepted(&app, &pages.url("/r/del"), POST).await;
    settled(&app, &s).await;
    let id = thread(&app).await["comments"][0]["id"].as_i64().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/api/admin/comments/{id}")))
        .bearer_auth(app.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    pages.html(
        "/r/del",
        &reply_page(POST, "Spammy", "<p>buy more things</p>"),
    );
    let s = accepted(&app, &pages.url("/r/del"), POST).await;
    assert_eq!(settled(&app, &s).await["status"], "accepted");
    let list = thread(&app).await;
    assert_eq!(list["total"], 0, "{list}");
    let n = app
        .db()
        .query_i64("SELECT count(*) FROM comments", params![]);
    assert_eq!(n, 0);
}
