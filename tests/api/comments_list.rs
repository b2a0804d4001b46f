//! GET /api/comments: thread order, sorts, pagination, tombstones, ETags.

use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, ids, TestApp};
use crate::testdb::{params, TestDb};

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
    let set = |sql: &str, id: i64| app.db().execute(sql, params![id]);
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
    app.db().execute(
        "UPDATE comments SET status = 'pending' WHERE id IN (?1, ?2)",
        params![a_id, lone],
    );
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
    app.db().execute(
        "UPDATE comments SET status = 'pending' WHERE id = ?1",
        params![a],
    );
    app.db().execute(
        "UPDATE comments SET status = 'rejected' WHERE id = ?1",
        params![b],
    );
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
        let page_id: i64 = db.query_row(
            "SELECT page_id FROM comments WHERE id = ?1",
            params![root],
            |r| r.get(0),
        );
        db.batch("BEGIN");
        let mut parent = root;
        for i in 0..10_000 {
            parent = db.query_i64(
                "INSERT INTO comments (page_id, parent, text, html, status, created_at) VALUES (?1, ?2, ?3, '<p>x</p>', 'approved', ?4) RETURNING id",
                params![page_id, parent, format!("r{i}"), 1_800_000_000 + i],
            );
        }
        db.batch("COMMIT");
    }
    let body = app.list("/deep", "").await;
    assert_eq!(body["comments"].as_array().unwrap().len(), 10_001);
    assert_eq!(body["total"], 10_001);
}

/// id, parent, status, created_at, likes, dislikes.
type Stored = (i64, Option<i64>, &'static str, i64, i64, i64);

/// A comment row written straight into the database (as an import or a hand edit may leave
/// it); `conn` enforces no foreign keys, so a parent may be gone, elsewhere, or itself.
#[allow(clippy::too_many_arguments)]
fn put(
    conn: &TestDb,
    id: i64,
    page_id: i64,
    parent: Option<i64>,
    status: &str,
    created_at: i64,
    likes: i64,
    dislikes: i64,
) {
    conn.execute("INSERT INTO comments (id, page_id, parent, text, html, status, created_at, likes, dislikes)
         VALUES (?1, ?2, ?3, 'x', ?4, ?5, ?6, ?7, ?8)", params![id,
            page_id,
            parent,
            format!("<p>{id}</p>"),
            status,
            created_at,
            likes,
            dislikes]);
}

fn page_id(app: &TestApp, key: &str) -> i64 {
    app.db()
        .query_row("SELECT id FROM pages WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
}

/// The thread order worked out from the stored rows by the contract's words alone: top-level
/// comments (no parent, or a parent that is not a comment of the page, or itself) sorted by
/// `sort`, each followed depth-first by its replies, siblings oldest first, equal times by id;
/// hidden comments only as tombstones above a visible reply. `(id, status)` in order.
fn thread_by_the_contract(app: &TestApp, page: i64, sort: &str) -> Vec<(i64, String)> {
    struct Row {
        id: i64,
        parent: Option<i64>,
        approved: bool,
        at: i64,
        score: i64,
    }
    let conn = app.db();
    let rows: Vec<Row> = conn
        .query(
            "SELECT id, parent, status = 'approved', created_at, likes - dislikes FROM comments
             WHERE page_id = ?1",
            params![page],
        )
        .iter()
        .map(|r| Row {
            id: r.get(0),
            parent: r.get(1),
            approved: r.get(2),
            at: r.get(3),
            score: r.get(4),
        })
        .collect();
    fn children(rows: &[Row], id: i64) -> Vec<&Row> {
        let mut kids: Vec<&Row> = rows
            .iter()
            .filter(|r| r.parent == Some(id) && r.id != id)
            .collect();
        kids.sort_by_key(|r| (r.at, r.id));
        kids
    }
    fn shown(rows: &[Row], r: &Row) -> bool {
        r.approved || children(rows, r.id).iter().any(|k| shown(rows, k))
    }
    fn emit(rows: &[Row], r: &Row, out: &mut Vec<(i64, String)>) {
        let status = if r.approved { "approved" } else { "deleted" };
        out.push((r.id, status.to_string()));
        for k in children(rows, r.id) {
            if shown(rows, k) {
                emit(rows, k, out);
            }
        }
    }
    let on_page = |id: i64| rows.iter().any(|r| r.id == id);
    let mut roots: Vec<&Row> = rows
        .iter()
        .filter(|r| r.parent.is_none_or(|p| p == r.id || !on_page(p)))
        .filter(|r| shown(&rows, r))
        .collect();
    match sort {
        "oldest" => roots.sort_by_key(|r| (r.at, r.id)),
        "newest" => roots.sort_by_key(|r| std::cmp::Reverse((r.at, r.id))),
        _ => roots.sort_by_key(|r| (-r.score, r.at, r.id)),
    }
    let mut out = Vec::new();
    for r in roots {
        emit(&rows, r, &mut out);
    }
    out
}

#[tokio::test]
async fn every_sort_pages_through_exactly_the_whole_list_tombstones_and_orphans_included() {
    let app = TestApp::spawn().await;
    // Two pages made the usual way; everything else is written into the database.
    let first = top(&app, "/mix", "first").await;
    let elsewhere = top(&app, "/other", "elsewhere").await;
    let (mix, other) = (page_id(&app, "/mix"), page_id(&app, "/other"));
    {
        let db = app.db();
        db.foreign_keys(false);
        db.execute(
            "UPDATE comments SET created_at = 100 WHERE id = ?1",
            params![first],
        );
        // id, parent, status, time, likes, dislikes: equal times and equal scores throughout.
        let rows: &[Stored] = &[
            (101, None, "approved", 100, 2, 0),
            (102, None, "approved", 100, 0, 0),
            (103, None, "pending", 110, 5, 0), // tombstone: a visible reply below
            (104, Some(103), "approved", 120, 0, 0),
            (105, None, "pending", 90, 9, 0), // hidden, nothing visible below: not listed
            (106, Some(105), "rejected", 95, 0, 0),
            (107, None, "approved", 130, 1, 1),
            (108, Some(107), "approved", 140, 0, 0),
            (109, Some(107), "approved", 140, 0, 0), // a sibling at the same time: by id
            (110, Some(108), "deleted", 150, 0, 0),  // a tombstone deep down
            (111, Some(110), "approved", 160, 0, 0),
            (112, Some(107), "pending", 135, 0, 0), // hidden leaf: not listed
            (113, Some(999_999), "approved", 105, 3, 0), // its parent is gone
            (114, Some(elsewhere), "approved", 125, 0, 0), // its parent is on another page
            (115, Some(115), "approved", 100, 1, 0), // its own parent
            (116, Some(113), "approved", 170, 0, 0), // below an orphan
            (117, Some(118), "approved", 80, 0, 0), // a cycle: never listed
            (118, Some(117), "approved", 80, 0, 0),
            (119, None, "approved", 200, 2, 0),
            (120, Some(119), "approved", 210, 0, 0),
            (121, Some(120), "approved", 220, 0, 0),
            (122, None, "approved", 50, 0, 2),
            (123, None, "deleted", 60, 0, 0), // tombstone whose only visible reply is deep
            (124, Some(123), "pending", 61, 0, 0),
            (125, Some(124), "approved", 62, 0, 0),
            (126, None, "approved", 300, 2, 0),
            (127, Some(126), "approved", 301, 0, 0), // its parent is deleted below
        ];
        for &(id, parent, status, at, likes, dislikes) in rows {
            put(db, id, mix, parent, status, at, likes, dislikes);
        }
        // A reply on the other page to a comment of this one: part of the other thread.
        put(db, 130, other, Some(101), "approved", 100, 0, 0);
        // A parent removed without a tombstone (by hand, with foreign keys off).
        db.execute("DELETE FROM comments WHERE id = 126", params![]);
        db.foreign_keys(true);
    }
    // And a reply whose parent its author deletes: a tombstone made through the API.
    let parent = app
        .create_with(json!({"page": "/mix", "text": "soon gone"}))
        .await;
    let parent_id = parent["comment"]["id"].as_i64().unwrap();
    reply(&app, "/mix", parent_id, "stays").await;
    let res = app
        .client
        .delete(app.url(&format!("/api/comments/{parent_id}")))
        .bearer_auth(parent["edit_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    for sort in ["oldest", "newest", "top"] {
        let whole = app.list("/mix", &format!("&sort={sort}&limit=200")).await;
        assert_eq!(whole["next"], Value::Null);
        let listed: Vec<(i64, String)> = whole["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_i64().unwrap(),
                    c["status"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(listed, thread_by_the_contract(&app, mix, sort), "{sort}");
        let all = whole["comments"].as_array().unwrap();
        let tops = |page: &[Value]| {
            page.iter()
                .enumerate()
                .filter(|(i, c)| {
                    c["parent"].is_null() || !page[..*i].iter().any(|e| e["id"] == c["parent"])
                })
                .count()
        };
        assert_eq!(tops(all), 13, "{sort}");

        for limit in [1, 2, 3, 5] {
            let mut pages: Vec<Value> = Vec::new();
            let mut after = String::new();
            // 13 top-level comments: a cursor that doesn't move on fails here, not forever.
            for _ in 0..=13 {
                let page = app
                    .list("/mix", &format!("&sort={sort}&limit={limit}{after}"))
                    .await;
                assert_eq!(page["total"], whole["total"], "{sort} {limit}");
                let comments = page["comments"].as_array().unwrap().clone();
                match page["next"].as_str() {
                    Some(next) => {
                        assert_eq!(tops(&comments), limit, "{sort} {limit}: {page}");
                        after = format!("&after={next}");
                        pages.extend(comments);
                    }
                    None => {
                        assert!((1..=limit).contains(&tops(&comments)), "{sort} {limit}");
                        pages.extend(comments);
                        break;
                    }
                }
            }
            assert_eq!(&pages, all, "{sort}, limit {limit}");
        }
    }
    // Every approved comment of the page counts, the two of the cycle too.
    assert_eq!(app.list("/mix", "").await["total"], 21);
}

#[tokio::test]
async fn a_read_loads_only_the_top_level_comments_it_answers_and_their_replies() {
    let app = TestApp::spawn().await;
    top(&app, "/big", "first").await;
    let page = page_id(&app, "/big");
    {
        let db = app.db();
        db.batch("BEGIN");
        for i in 1..=60 {
            put(
                db,
                1000 + 2 * i,
                page,
                None,
                "approved",
                2_000_000_000 + i,
                0,
                0,
            );
            put(
                db,
                1001 + 2 * i,
                page,
                Some(1000 + 2 * i),
                "approved",
                2_100_000_000 + i,
                0,
                0,
            );
        }
        // The reply under the 55th: its html made a BLOB, which no read can turn into a
        // comment. Any answer that loads it fails, so an answer that succeeds did not load it.
        // A PostgreSQL column holds only its own type: there, the html is made NULL (which
        // the schema otherwise forbids), which no read can turn into a comment either.
        if db.is_postgres() {
            db.batch("ALTER TABLE comments ALTER COLUMN html DROP NOT NULL");
            db.execute(
                "UPDATE comments SET html = NULL WHERE id = ?1",
                params![1001 + 2 * 55],
            );
        } else {
            db.execute(
                "UPDATE comments SET html = CAST(html AS BLOB) WHERE id = ?1",
                params![1001 + 2 * 55],
            );
        }
        db.batch("COMMIT");
    }
    // The first comment and the first 49 of the 60, each with its reply.
    let first = app.list("/big", "&limit=50").await;
    assert_eq!(first["comments"].as_array().unwrap().len(), 99);
    assert_eq!(first["total"], 121);
    let newest = app.list("/big", "&sort=newest&limit=5").await;
    assert_eq!(ids(&newest)[0], 1120);
    assert_eq!(
        app.list("/big", "&sort=top&limit=50").await["comments"],
        first["comments"]
    );
    // The rest of the thread holds it: that read does fail.
    let res = app
        .get(&format!(
            "/api/comments?site=blog&page=%2Fbig&limit=50&after={}",
            first["next"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status(), 500);
}
