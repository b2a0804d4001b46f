//! GET and POST /api/counts.

use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, TestApp};
use crate::testdb::params;

#[tokio::test]
async fn counts_are_approved_comments_per_page() {
    let app = TestApp::spawn().await;
    app.create("/a", "1").await;
    app.create("/a", "2").await;
    let held = app.create("/b", "3").await["comment"]["id"]
        .as_i64()
        .unwrap();
    app.db().execute(
        "UPDATE comments SET status = 'pending' WHERE id = ?1",
        params![held],
    );
    let res = app
        .get("/api/counts?site=blog&page=/a&page=/b&page=/c")
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("etag"));
    let v: Value = res.json().await.unwrap();
    assert_eq!(v, json!({"counts": {"/a": 2, "/b": 0, "/c": 0}}));
    let v: Value = app
        .post_json(
            "/api/counts",
            &json!({"site": "blog", "pages": ["/a", "/z"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"counts": {"/a": 2, "/z": 0}}));
}

#[tokio::test]
async fn at_most_100_pages_per_call() {
    let app = TestApp::spawn().await;
    let hundred: Vec<String> = (0..100).map(|i| format!("/p{i}")).collect();
    let res = app
        .post_json("/api/counts", &json!({"site": "blog", "pages": hundred}))
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["counts"].as_object().unwrap().len(), 100);
    let more: Vec<String> = (0..101).map(|i| format!("/p{i}")).collect();
    assert_invalid(
        app.post_json("/api/counts", &json!({"site": "blog", "pages": more}))
            .await,
        "pages",
    )
    .await;
    let q: String = (0..101).map(|i| format!("&page=/p{i}")).collect();
    assert_invalid(app.get(&format!("/api/counts?site=blog{q}")).await, "page").await;
}

#[tokio::test]
async fn counts_check_site_and_shape() {
    let app = TestApp::spawn().await;
    assert_error(
        app.get("/api/counts?site=nope&page=/a").await,
        404,
        "unknown_site",
    )
    .await;
    assert_invalid(app.get("/api/counts?page=/a").await, "site").await;
    assert_invalid(
        app.post_json("/api/counts", &json!({"site": "blog", "pages": "/a"}))
            .await,
        "pages",
    )
    .await;
    assert_invalid(
        app.post_json("/api/counts", &json!({"site": "blog", "pages": [""]}))
            .await,
        "pages",
    )
    .await;
    let v: Value = app.get("/api/counts?site=blog").await.json().await.unwrap();
    assert_eq!(v, json!({"counts": {}}));
}

#[tokio::test]
async fn counts_answer_304_to_a_matching_etag() {
    let app = TestApp::spawn().await;
    app.create("/a", "1").await;
    let url = app.url("/api/counts?site=blog&page=/a");
    let tag = app.client.get(&url).send().await.unwrap().headers()["etag"].clone();
    let res = app
        .client
        .get(&url)
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
}
