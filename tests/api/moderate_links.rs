//! Signed one-click links: GET shows and never acts, POST acts once, forged/expired/reused fail.

use natter::domain::moderate::{sign, Action};
use serde_json::json;

use crate::helpers::{id_of, TestApp};
use crate::testdb::params;

/// The server's secret, as it stored it at start-up.
fn key(app: &TestApp) -> natter::domain::crypto::ServerKey {
    let stored: Vec<u8> = app.db().query_row(
        "SELECT value FROM secrets WHERE name = 'server'",
        params![],
        |r| r.get(0),
    );
    natter::domain::crypto::ServerKey::from_bytes(&stored).expect("a stored server key")
}

fn link(app: &TestApp, id: i64, action: Action, expires: i64) -> String {
    app.url(&format!(
        "/moderate/{id}/{}?sig={}",
        action.as_str(),
        sign(&key(app), id, action, expires)
    ))
}

fn soon() -> i64 {
    natter::domain::now() + 3600
}

async fn held(app: &TestApp, text: &str) -> i64 {
    let id = id_of(&app.create("/p", text).await);
    app.set_status(id, "pending");
    id
}

fn status(app: &TestApp, id: i64) -> Option<String> {
    app.db()
        .query_opt("SELECT status FROM comments WHERE id = ?1", params![id])
}

#[tokio::test]
async fn get_shows_the_comment_and_a_button_but_changes_nothing() {
    let app = TestApp::spawn().await;
    let id = id_of(
        &app.create_with(
            json!({"page": "/p", "text": "hello **there**", "author": "<script>alert(1)</script>"}),
        )
        .await,
    );
    app.set_status(id, "pending");
    let url = link(&app, id, Action::Approve, soon());
    for _ in 0..3 {
        let res = app.client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"));
        assert_eq!(res.headers()["referrer-policy"], "no-referrer");
        let page = res.text().await.unwrap();
        assert!(page.contains("<form method=\"post\">") && page.contains("Approve this comment"));
        assert!(page.contains("<strong>there</strong>"));
        assert!(!page.contains("<script>alert(1)</script>") && page.contains("&lt;script&gt;"));
    }
    assert_eq!(status(&app, id).as_deref(), Some("pending"));
}

#[tokio::test]
async fn post_acts_once_and_the_thread_shows_it() {
    let app = TestApp::spawn().await;
    let id = held(&app, "approve me").await;
    let url = link(&app, id, Action::Approve, soon());
    let res = app
        .client
        .post(&url)
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Comment approved"));
    assert_eq!(status(&app, id).as_deref(), Some("approved"));
    assert_eq!(app.list_ids("/p", "").await, vec![id]);
    app.set_status(id, "pending");
    let again = app.client.post(&url).send().await.unwrap();
    assert_eq!(again.status(), 410);
    assert_eq!(
        status(&app, id).as_deref(),
        Some("pending"),
        "a used link changes nothing"
    );
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 410);
}

#[tokio::test]
async fn reject_and_delete_links_do_their_own_action_only() {
    let app = TestApp::spawn().await;
    let a = held(&app, "reject me").await;
    let b = held(&app, "delete me").await;
    let res = app
        .client
        .post(link(&app, a, Action::Reject, soon()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(status(&app, a).as_deref(), Some("rejected"));
    let res = app
        .client
        .post(link(&app, b, Action::Delete, soon()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(status(&app, b), None);
    // An approve signature can't be replayed as another action or for another comment.
    let c = held(&app, "third").await;
    let sig = sign(&key(&app), c, Action::Approve, soon());
    for path in [
        format!("/moderate/{c}/delete?sig={sig}"),
        format!("/moderate/{a}/approve?sig={sig}"),
    ] {
        assert_eq!(
            app.client
                .post(app.url(&path))
                .send()
                .await
                .unwrap()
                .status(),
            403,
            "{path}"
        );
    }
    assert_eq!(status(&app, c).as_deref(), Some("pending"));
}

#[tokio::test]
async fn forged_expired_and_foreign_posts_change_nothing() {
    let app = TestApp::spawn().await;
    let id = held(&app, "x").await;
    let forged = app.url(&format!(
        "/moderate/{id}/approve?sig={}.{}",
        soon(),
        "0".repeat(64)
    ));
    let expired = link(&app, id, Action::Approve, natter::domain::now() - 1);
    let unsigned = app.url(&format!("/moderate/{id}/approve"));
    for url in [&forged, &expired, &unsigned] {
        let get = app.client.get(url).send().await.unwrap();
        assert_eq!(get.status(), 403);
        let post = app.client.post(url).send().await.unwrap();
        assert_eq!(post.status(), 403);
        assert!(post
            .text()
            .await
            .unwrap()
            .contains("This link does not work"));
    }
    assert!(app
        .client
        .get(&expired)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("expired"));
    let good = link(&app, id, Action::Approve, soon());
    let cross = app
        .client
        .post(&good)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(status(&app, id).as_deref(), Some("pending"));
    let bad_action = app
        .client
        .get(app.url(&format!("/moderate/{id}/publish?sig=1.2")))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_action.status(), 403);
    // The form on the page still works after all that.
    assert_eq!(app.client.post(&good).send().await.unwrap().status(), 200);
    assert_eq!(status(&app, id).as_deref(), Some("approved"));
}

#[tokio::test]
async fn a_link_to_a_comment_that_is_gone_says_so() {
    let app = TestApp::spawn().await;
    let url = link(&app, 987_654, Action::Approve, soon());
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 404);
    assert_eq!(app.client.post(&url).send().await.unwrap().status(), 404);
}
