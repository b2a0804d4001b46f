//! GET /api/comments: thread order, sorts, pagination, tombstones, ETags.

use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, ids, TestApp};

async fn reply(app: &TestApp, page: &str, parent: i64, text: &str) -> i64 {
    app.create_with(json!({"page": page, "text": text, "parent": parent}))
        .await["comment"]["id"]
        .as_i64()
        .unwrap()
}

async fn top(app: &TestApp, page: &str, text: &str) -> i64 {
    app.create(page, text).await["comment"]["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_unknown_page_is_an_empty_list() {
    let app = TestApp::spawn().await;
    let body = app.list("/never", "").await;
    assert_eq!(
        body,
        json!({"site": "blog", "page": "/never", "total": 0, "locked": false, "comments": [], "next": null})
    );
}

#[tokio::test]
async fn threads_are_flat_depth_first_with_siblings_oldest_first() {
    let app = TestApp::spawn().await;
    let a = top(&app, "/t", "a").await;
    let b = top(&app, "/t", "b").await;
    let a1 = reply(&app, "/t", a, "a1").await;
    let b1 = reply(&app, "/t", b, "b1").await;
    let a2 = reply(&app, "/t", a, "a2").await;
    let a1x = reply(&app, "/t", a1, "a1x").await;
    let a1xy = reply(&app, "/t", a1x, "a1xy").await;
    assert_eq!(
        app.list_ids("/t", "").await,
        vec![a, a1, a1x, a1xy, a2, b, b1]
    );
    assert_eq!(
        app.list_ids("/t", "&sort=oldest").await,
        vec![a, a1, a1x, a1xy, a2, b, b1]
    );
    assert_eq!(
        app.list_ids("/t", "&sort=newest").await,
        vec![b, b1, a, a1, a1x, a1xy, a2]
    );
    let body = app.list("/t", "").await;
    assert_eq!(body["total"], 7);
}

#[tokio::test]
async fn top_sorts_by_score_with_ties_oldest_first() {
    let app = TestApp::spawn().await;
    let a = top(&app, "/s", "a").await;
    let b = top(&app, "/s", "b").await;
    let c = top(&app, "/s", "c").await;
    let d = top(&app, "/s", "d").await;
    let e = top(&app, "/s", "e").await;
    let set = |sql: &str, id: i64| app.db().execute(sql, [id]).unwrap();
    set("UPDATE comments SET likes = 3 WHERE id = ?1", c);
    set("UPDATE comments SET dislikes = 1 WHERE id = ?1", a);
    // Three ties at score 1, reached three ways; by time, d is the oldest and b the newest,
    // the reverse of their ids, so a sort by id (or by insertion) fails.
    set(
        "UPDATE comments SET likes = 1, created_at = created_at - 100 WHERE id = ?1",
        b,
    );
    set(
        "UPDATE comments SET likes = 2, dislikes = 1, created_at = created_at - 300 WHERE id = ?1",
        d,
    );
    set(
        "UPDATE comments SET likes = 4, dislikes = 3, created_at = created_at - 200 WHERE id = ?1",
        e,
    );
    assert_eq!(app.list_ids("/s", "&sort=top").await, vec![c, d, e, b, a]);
}

#[tokio::test]
async fn limit_counts_top_level_comments_and_next_continues() {
    let app = TestApp::spawn().await;
    let mut tops = Vec::new();
    for i in 0..5 {
        let t = top(&app, "/pg", &format!("t{i}")).await;
        tops.push(t);
    }
    let r = reply(&app, "/pg", tops[1], "r").await;
    let first = app.list("/pg", "&limit=2").await;
    assert_eq!(ids(&first), vec![tops[0], tops[1], r]);
    let next = first["next"].as_str().unwrap().to_string();
    let second = app.list("/pg", &format!("&limit=2&after={next}")).await;
    assert_eq!(ids(&second), vec![tops[2], tops[3]]);
    let third = app
        .list(
            "/pg",
            &format!("&limit=2&after={}", second["next"].as_str().unwrap()),
        )
        .await;
    assert_eq!(ids(&third), vec![tops[4]]);
    assert_eq!(third["next"], Value::Null);
    assert_eq!(third["total"], 6);
}

#[tokio::test]
async fn limit_must_be_1_to_200() {
    let app = TestApp::spawn().await;
    for bad in ["0", "201", "-1", "x", "1.5"] {
        assert_invalid(
            app.get(&format!("/api/comments?site=blog&page=/p&limit={bad}"))
                .await,
            "limit",
        )
        .await;
    }
    for good in ["1", "200"] {
        assert_eq!(
            app.get(&format!("/api/comments?site=blog&page=/p&limit={good}"))
                .await
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn bad_sort_cursor_and_missing_parameters_are_422() {
    let app = TestApp::spawn().await;
    assert_invalid(
        app.get("/api/comments?site=blog&page=/p&sort=random").await,
        "sort",
    )
    .await;
    assert_invalid(
        app.get("/api/comments?site=blog&page=/p&after=zzz").await,
        "after",
    )
    .await;
    assert_invalid(app.get("/api/comments?site=blog").await, "page").await;
    assert_invalid(app.get("/api/comments?page=/p").await, "site").await;
    assert_error(
        app.get("/api/comments?site=nope&page=/p").await,
        404,
        "unknown_site",
    )
    .await;
    assert_error(
        app.get("/api/comments?site=blog&page=%ZZ").await,
        400,
        "malformed_request",
    )
    .await;
}

#[tokio::test]
async fn hidden_comments_with_visible_replies_are_tombstones() {
    let app = TestApp::spawn().await;
    let a = app.create_with(json!({"page": "/d", "text": "secret words", "author": "Ann", "website": "https://ann.example"})).await;
    let a_id = a["comment"]["id"].as_i64().unwrap();
    let r = reply(&app, "/d", a_id, "reply").await;
    let lone = top(&app, "/d", "lone").await;
    app.db()
        .execute(
            "UPDATE comments SET status = 'pending' WHERE id IN (?1, ?2)",
            [a_id, lone],
        )
        .unwrap();
    let body = app.list("/d", "").await;
    assert_eq!(ids(&body), vec![a_id, r]);
    let t = &body["comments"][0];
    assert_eq!(t["status"], "deleted");
    assert_eq!(t["html"], "");
    assert_eq!(t["author"], Value::Null);
    assert_eq!(t["website"], Value::Null);
    assert_eq!(t["avatar"], Value::Null);
    assert!(!body.to_string().contains("secret words"));
    assert_eq!(body["total"], 1);
}

#[tokio::test]
async fn pending_and_rejected_comments_are_not_listed_or_fetchable() {
    let app = TestApp::spawn().await;
    let a = top(&app, "/h", "a").await;
    let b = top(&app, "/h", "b").await;
    app.db()
        .execute("UPDATE comments SET status = 'pending' WHERE id = ?1", [a])
        .unwrap();
    app.db()
        .execute("UPDATE comments SET status = 'rejected' WHERE id = ?1", [b])
        .unwrap();
    assert!(app.list_ids("/h", "").await.is_empty());
    assert_error(
        app.get(&format!("/api/comments/{a}")).await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.get(&format!("/api/comments/{b}")).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn one_comment_can_be_fetched() {
    let app = TestApp::spawn().await;
    let a = top(&app, "/one", "hello").await;
    let res = app.get(&format!("/api/comments/{a}")).await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["id"], a);
    assert_eq!(c["html"], "<p>hello</p>\n");
    assert_error(app.get("/api/comments/999999").await, 404, "not_found").await;
    assert_error(app.get("/api/comments/abc").await, 404, "not_found").await;
}

#[tokio::test]
async fn lists_carry_an_etag_and_answer_304_until_something_changes() {
    let app = TestApp::spawn().await;
    top(&app, "/e", "a").await;
    let url = app.url("/api/comments?site=blog&page=/e");
    let res = app.client.get(&url).send().await.unwrap();
    let tag = res.headers()["etag"].to_str().unwrap().to_string();
    let same = app
        .client
        .get(&url)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 304);
    assert!(same.bytes().await.unwrap().is_empty());
    top(&app, "/e", "b").await;
    let changed = app
        .client
        .get(&url)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), tag);
}

#[tokio::test]
async fn a_ten_thousand_deep_reply_chain_lists_fine() {
    let app = TestApp::spawn().await;
    let root = top(&app, "/deep", "root").await;
    {
        let db = app.db();
        let page_id: i64 = db
            .query_row("SELECT page_id FROM comments WHERE id = ?1", [root], |r| {
                r.get(0)
            })
            .unwrap();
        db.execute_batch("BEGIN").unwrap();
        let mut parent = root;
        for i in 0..10_000 {
            db.execute(
                "INSERT INTO comments (page_id, parent, text, html, status, created_at) VALUES (?1, ?2, ?3, '<p>x</p>', 'approved', ?4)",
                rusqlite::params![page_id, parent, format!("r{i}"), 1_800_000_000 + i],
            )
            .unwrap();
            parent = db.last_insert_rowid();
        }
        db.execute_batch("COMMIT").unwrap();
    }
    let body = app.list("/deep", "").await;
    assert_eq!(body["comments"].as_array().unwrap().len(), 10_001);
    assert_eq!(body["total"], 10_001);
}
