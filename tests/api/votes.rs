//! POST /api/comments/{id}/vote.

use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, TestApp};
use crate::testdb::params;

#[tokio::test]
async fn one_vote_per_voter_replaced_and_withdrawn() {
    let app = TestApp::spawn().await;
    let id = app.create("/p", "x").await["comment"]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/comments/{id}/vote");
    let v: Value = app
        .post_json(&path, &json!({"value": 1}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"likes": 1, "dislikes": 0}));
    let v: Value = app
        .post_json(&path, &json!({"value": 1}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"likes": 1, "dislikes": 0}));
    let v: Value = app
        .post_json(&path, &json!({"value": -1}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"likes": 0, "dislikes": 1}));
    let v: Value = app
        .post_json(&path, &json!({"value": 0}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"likes": 0, "dislikes": 0}));
    app.post_json(&path, &json!({"value": 1})).await;
    assert_eq!(app.list("/p", "").await["comments"][0]["likes"], 1);
}

#[tokio::test]
async fn vote_values_other_than_minus_one_zero_one_are_422() {
    let app = TestApp::spawn().await;
    let id = app.create("/p", "x").await["comment"]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/comments/{id}/vote");
    for bad in [json!(2), json!(-2), json!("1"), json!(null), json!(1.5)] {
        assert_invalid(app.post_json(&path, &json!({"value": bad})).await, "value").await;
    }
    assert_invalid(app.post_json(&path, &json!({})).await, "value").await;
}

#[tokio::test]
async fn votes_on_invisible_or_unknown_comments_are_404() {
    let app = TestApp::spawn().await;
    let id = app.create("/p", "x").await["comment"]["id"]
        .as_i64()
        .unwrap();
    app.db().execute(
        "UPDATE comments SET status = 'pending' WHERE id = ?1",
        params![id],
    );
    assert_error(
        app.post_json(&format!("/api/comments/{id}/vote"), &json!({"value": 1}))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.post_json("/api/comments/424242/vote", &json!({"value": 1}))
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn votes_from_a_foreign_origin_are_refused() {
    let app = TestApp::spawn().await;
    let id = app.create("/p", "x").await["comment"]["id"]
        .as_i64()
        .unwrap();
    let res = app
        .client
        .post(app.url(&format!("/api/comments/{id}/vote")))
        .header("origin", "https://evil.example")
        .json(&json!({"value": 1}))
        .send()
        .await
        .unwrap();
    assert_error(res, 403, "origin_not_allowed").await;
}
