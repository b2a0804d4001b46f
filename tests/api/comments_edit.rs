//! PATCH and DELETE /api/comments/{id}: the edit token, the window, tombstones.

use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, TestApp, BLOG};
use crate::testdb::params;

async fn patch(app: &TestApp, id: i64, token: &str, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/comments/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, id: i64, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client.delete(app.url(&format!("/api/comments/{id}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn id_token(body: &Value) -> (i64, String) {
    (
        body["comment"]["id"].as_i64().unwrap(),
        body["edit_token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn the_author_can_edit_text_name_and_website() {
    let app = TestApp::spawn().await;
    let (id, token) = id_token(&app.create("/p", "before").await);
    let res = patch(
        &app,
        id,
        &token,
        json!({"text": "after *edit*", "author": "Bo", "website": "https://bo.example"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["html"], "<p>after <em>edit</em></p>\n");
    assert_eq!(c["author"], "Bo");
    assert_eq!(c["website"], "https://bo.example");
    assert!(c["edited_at"].as_str().is_some());
    let listed = app.list("/p", "").await;
    assert_eq!(
        listed["comments"][0]["html"],
        "<p>after <em>edit</em></p>\n"
    );
}

#[tokio::test]
async fn edits_are_validated_like_creates() {
    let app = TestApp::spawn().await;
    let (id, token) = id_token(&app.create("/p", "x").await);
    assert_invalid(patch(&app, id, &token, json!({"text": " "})).await, "text").await;
    assert_invalid(
        patch(&app, id, &token, json!({"website": "javascript:x"})).await,
        "website",
    )
    .await;
    assert_invalid(
        patch(&app, id, &token, json!({"author": "a".repeat(101)})).await,
        "author",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_401_and_an_unknown_id_404() {
    let app = TestApp::spawn().await;
    let (id, _) = id_token(&app.create("/p", "x").await);
    let (_, other) = id_token(&app.create("/p", "y").await);
    assert_error(
        patch(&app, id, &other, json!({"text": "z"})).await,
        401,
        "unauthorized",
    )
    .await;
    assert_error(delete(&app, id, None).await, 401, "unauthorized").await;
    assert_error(delete(&app, id, Some("garbage")).await, 401, "unauthorized").await;
    assert_error(
        patch(&app, 999_999, &other, json!({"text": "z"})).await,
        404,
        "not_found",
    )
    .await;
    assert_error(delete(&app, 999_999, Some(&other)).await, 404, "not_found").await;
}

#[tokio::test]
async fn the_window_closes_with_403_but_a_wrong_token_stays_401() {
    let app = TestApp::spawn_with(|s| s.sites.get_mut("blog").unwrap().edit_window = 1).await;
    let (id, token) = id_token(&app.create("/p", "x").await);
    let (_, other) = id_token(&app.create("/p", "y").await);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_error(
        patch(&app, id, &token, json!({"text": "late"})).await,
        403,
        "edit_window_closed",
    )
    .await;
    assert_error(
        delete(&app, id, Some(&token)).await,
        403,
        "edit_window_closed",
    )
    .await;
    assert_error(
        patch(&app, id, &other, json!({"text": "late"})).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn edit_window_zero_means_no_editing() {
    let app = TestApp::spawn_with(|s| s.sites.get_mut("blog").unwrap().edit_window = 0).await;
    let body = app.create("/p", "x").await;
    assert_eq!(body["edit_until"], body["comment"]["created_at"]);
    let (id, token) = id_token(&body);
    // Straight away, within the creation second: no edit and no delete, ever.
    assert_error(
        patch(&app, id, &token, json!({"text": "no"})).await,
        403,
        "edit_window_closed",
    )
    .await;
    assert_error(
        delete(&app, id, Some(&token)).await,
        403,
        "edit_window_closed",
    )
    .await;
    let list = app.list("/p", "").await;
    assert_eq!(list["comments"][0]["status"], "approved");
    assert!(list["comments"][0]["html"].as_str().unwrap().contains('x'));
}

#[tokio::test]
async fn an_edit_under_moderation_all_goes_back_to_pending() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::All
    })
    .await;
    let (id, token) = id_token(&app.create("/p", "x").await);
    app.db().execute(
        "UPDATE comments SET status = 'approved' WHERE id = ?1",
        params![id],
    );
    let c: Value = patch(&app, id, &token, json!({"text": "changed"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["status"], "pending");
    assert!(app.list_ids("/p", "").await.is_empty());
}

#[tokio::test]
async fn an_edit_adding_links_goes_back_to_pending() {
    let app = TestApp::spawn().await;
    let (id, token) = id_token(&app.create("/p", "x").await);
    let links = "<https://a.example> <https://b.example> <https://c.example> <https://d.example>";
    let c: Value = patch(&app, id, &token, json!({"text": links}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["status"], "pending");
}

#[tokio::test]
async fn deleting_without_replies_removes_the_row() {
    let app = TestApp::spawn().await;
    let (id, token) = id_token(&app.create("/p", "x").await);
    let res = delete(&app, id, Some(&token)).await;
    assert_eq!(res.status(), 204);
    assert!(res.bytes().await.unwrap().is_empty());
    let n: i64 = app.db().query_row(
        "SELECT count(*) FROM comments WHERE id = ?1",
        params![id],
        |r| r.get(0),
    );
    assert_eq!(n, 0);
    assert!(app.list_ids("/p", "").await.is_empty());
}

#[tokio::test]
async fn deleting_with_replies_leaves_a_scrubbed_tombstone() {
    let app = TestApp::spawn().await;
    let body = app
        .create_with(json!({"page": "/p", "text": "private words", "author": "Ann", "email": "ann@example.com", "website": "https://ann.example"}))
        .await;
    let (id, token) = id_token(&body);
    let r = app
        .create_with(json!({"page": "/p", "text": "reply", "parent": id}))
        .await;
    assert_eq!(delete(&app, id, Some(&token)).await.status(), 204);
    let list = app.list("/p", "").await;
    assert_eq!(list["comments"][0]["id"], id);
    assert_eq!(list["comments"][0]["status"], "deleted");
    assert_eq!(list["comments"][1]["id"], r["comment"]["id"]);
    let (text, email, website, ip): (String, Option<String>, Option<String>, Option<String>) =
        app.db().query_row(
            "SELECT text, email, website, ip FROM comments WHERE id = ?1",
            params![id],
            |r| (r.get(0), r.get(1), r.get(2), r.get(3)),
        );
    assert_eq!((text.as_str(), email, website, ip), ("", None, None, None));
    // The token is gone with the data: the tombstone can't be edited again.
    assert_error(
        patch(&app, id, &token, json!({"text": "back"})).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_retried_delete_is_404_whether_a_tombstone_stayed_or_not() {
    let app = TestApp::spawn().await;
    // One comment with a reply (it leaves a tombstone), one without (its row goes).
    let (kept, kept_token) = id_token(&app.create("/p", "has a reply").await);
    let reply = app
        .create_with(json!({"page": "/p", "text": "reply", "parent": kept}))
        .await;
    let (gone, gone_token) = id_token(&app.create("/p", "alone").await);
    for (id, token) in [(kept, &kept_token), (gone, &gone_token)] {
        assert_eq!(delete(&app, id, Some(token)).await.status(), 204);
        // The same token again, as a client retrying after a lost answer would send it.
        for _ in 0..2 {
            assert_error(delete(&app, id, Some(token)).await, 404, "not_found").await;
        }
        assert_error(
            patch(&app, id, token, json!({"text": "back"})).await,
            404,
            "not_found",
        )
        .await;
        // Any other token learns nothing more than that it is gone.
        assert_error(delete(&app, id, Some("garbage")).await, 404, "not_found").await;
        assert_error(
            app.get(&format!("/api/comments/{id}")).await,
            404,
            "not_found",
        )
        .await;
    }
    // The tombstone still holds its reply, untouched by the retries.
    let list = app.list("/p", "").await;
    let shown: Vec<(i64, &str)> = list["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_i64().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        shown,
        vec![
            (kept, "deleted"),
            (reply["comment"]["id"].as_i64().unwrap(), "approved")
        ]
    );
}

#[tokio::test]
async fn edits_from_a_foreign_origin_are_refused() {
    let app = TestApp::spawn().await;
    let (id, token) = id_token(&app.create("/p", "x").await);
    let res = app
        .client
        .patch(app.url(&format!("/api/comments/{id}")))
        .bearer_auth(&token)
        .header("origin", "https://evil.example")
        .json(&json!({"text": "pwned"}))
        .send()
        .await
        .unwrap();
    assert_error(res, 403, "origin_not_allowed").await;
    let ok = app
        .client
        .patch(app.url(&format!("/api/comments/{id}")))
        .bearer_auth(&token)
        .header("origin", BLOG)
        .json(&json!({"text": "fine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}
