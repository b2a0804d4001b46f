//! The thread cache behind `GET /api/comments`: a second read is served from memory, gzip is
//! prepared once and negotiated, and any write (this server's, another connection's, another
//! process's) is visible on the very next read.

use std::io::Read;

use serde_json::{json, Value};

use crate::cli::{start, stop};
use crate::helpers::*;
use crate::import_common::{dir_with_sites, disqus_xml, import_ok};
use crate::testdb::params;

/// `(hits, misses)` of the thread cache, read from `/metrics`.
async fn lookups(base: &str) -> (u64, u64) {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let count = |result: &str| {
        let prefix = format!("natter_thread_cache_lookups_total{{result=\"{result}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} in /metrics"))
            .parse()
            .unwrap()
    };
    (count("hit"), count("miss"))
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn the_second_read_is_a_hit_and_gzip_is_the_same_thread() {
    let app = TestApp::spawn().await;
    app.create("/g", "one").await;
    app.create("/g", "two").await;
    let url = app.url("/api/comments?site=blog&page=/g");
    let (h0, m0) = lookups(&app.address).await;

    let plain = app.client.get(&url).send().await.unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    let tag = plain.headers()["etag"].to_str().unwrap().to_string();
    let plain_body = plain.text().await.unwrap();
    assert_eq!(
        lookups(&app.address).await,
        (h0, m0 + 1),
        "first read: a miss"
    );

    let gz = app
        .client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.status(), 200);
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["etag"].to_str().unwrap(), tag);
    assert!(gz.headers()["vary"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    assert_eq!(gunzip(&gz.bytes().await.unwrap()), plain_body);
    assert_eq!(
        lookups(&app.address).await,
        (h0 + 1, m0 + 1),
        "second read: a hit"
    );

    // A client that refuses gzip gets the plain bytes, from the cache too.
    let refused = app
        .client
        .get(&url)
        .header("accept-encoding", "gzip;q=0")
        .send()
        .await
        .unwrap();
    assert!(refused.headers().get("content-encoding").is_none());
    assert_eq!(refused.text().await.unwrap(), plain_body);

    // 304 from the cache, whatever the encoding.
    for enc in ["gzip", "identity"] {
        let res = app
            .client
            .get(&url)
            .header("accept-encoding", enc)
            .header("if-none-match", format!("W/{tag}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304, "{enc}");
        assert_eq!(res.headers()["etag"].to_str().unwrap(), tag);
        assert!(res.bytes().await.unwrap().is_empty());
    }
    assert_eq!(lookups(&app.address).await, (h0 + 4, m0 + 1));

    // Each query shape is its own entry, and none answers for another.
    let newest = app.list("/g", "&sort=newest").await;
    let oldest: Value = serde_json::from_str(&plain_body).unwrap();
    assert_eq!(
        ids(&newest),
        ids(&oldest).into_iter().rev().collect::<Vec<_>>()
    );
    let first = app.list("/g", "&limit=1").await;
    assert_eq!(ids(&first), vec![ids(&oldest)[0]]);
    assert!(first["next"].is_string());
    assert_eq!(lookups(&app.address).await, (h0 + 4, m0 + 3));
}

#[tokio::test]
async fn every_kind_of_write_shows_on_the_next_read() {
    let app = TestApp::spawn_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::All;
    })
    .await;
    let token = app.admin_token();
    let cached = |app: &TestApp| {
        let url = app.url("/api/comments?site=blog&page=/w");
        let client = app.client.clone();
        async move {
            // Twice, so the second answer is the cached one.
            client.get(&url).send().await.unwrap();
            let v: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
            v
        }
    };
    let held = app.create("/w", "held").await;
    let id = id_of(&held);
    assert_eq!(cached(&app).await["total"], 0);

    // A moderator's approval (through the writer).
    let res = app
        .admin(
            reqwest::Method::POST,
            &format!("/api/admin/comments/{id}/approve"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(cached(&app).await["total"], 1);

    // A vote.
    let res = app
        .post_json(&format!("/api/comments/{id}/vote"), &json!({"value": 1}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(cached(&app).await["comments"][0]["likes"], 1);

    // A lock.
    let res = app
        .admin(reqwest::Method::POST, "/api/admin/threads/lock", &token)
        .json(&json!({"site": "blog", "page": "/w", "locked": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(cached(&app).await["locked"], true);

    // Another connection to the file, as a second process would write it.
    app.db()
        .execute("UPDATE comments SET likes = 42 WHERE id = ?1", params![id]);
    crate::helpers::after_foreign_write().await;
    assert_eq!(cached(&app).await["comments"][0]["likes"], 42);
}

#[tokio::test]
async fn an_import_by_another_process_shows_on_the_next_read() {
    let (dir, cfg) = dir_with_sites(&["blog"]);
    let server = start(&dir, Some(&cfg));
    let base = format!("http://127.0.0.1:{}", server.port);
    let url = format!("{base}/api/comments?site=blog&page=/imported/");
    let read = || async {
        let v: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        v
    };
    assert_eq!(read().await["total"], 0);
    assert_eq!(read().await["total"], 0);
    let (hits, _) = lookups(&base).await;
    assert!(hits >= 1, "the empty page was served from the cache");

    let file = dir.path().join("export.xml");
    std::fs::write(
        &file,
        disqus_xml(
            &[("t1", "https://blog.example/imported/")],
            &[("p1", "t1", None, "2020-01-02T03:04:05Z")],
        ),
    )
    .unwrap();
    import_ok(
        &dir,
        &cfg,
        &["disqus", file.to_str().unwrap(), "--site", "blog"],
    );
    crate::helpers::after_foreign_write().await;
    let after = read().await;
    stop(server);
    assert_eq!(after["total"], 1, "{after}");
    assert!(after["comments"][0]["html"]
        .as_str()
        .unwrap()
        .contains("message p1"));
}

#[tokio::test]
async fn a_thread_that_locks_by_age_is_not_served_open_from_the_cache() {
    let app = TestApp::spawn_with(|s| s.sites.get_mut("blog").unwrap().lock_after_days = 1).await;
    app.create("/old", "first").await;
    // The page locks two seconds from now.
    app.db().execute(
        "UPDATE pages SET first_comment_at = ?1 WHERE key = '/old'",
        params![natter::domain::now() - 86400 + 2],
    );
    assert_eq!(app.list("/old", "").await["locked"], false);
    assert_eq!(app.list("/old", "").await["locked"], false);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_eq!(app.list("/old", "").await["locked"], true);
}

/// `natter_thread_cache_entries` from `/metrics`.
async fn entries(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("natter_thread_cache_entries "))
        .expect("natter_thread_cache_entries in /metrics")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn unknown_parameters_and_other_spellings_are_one_entry_and_one_read() {
    let app = TestApp::spawn().await;
    app.create("/u", "one").await;
    app.create("/u", "two").await;
    let (h0, m0) = lookups(&app.address).await;
    let read = |query: &str| {
        let url = app.url(&format!("/api/comments?{query}"));
        let client = app.client.clone();
        async move {
            let res = client.get(&url).send().await.unwrap();
            assert_eq!(res.status(), 200, "{url}");
            let tag = res.headers()["etag"].to_str().unwrap().to_string();
            (tag, res.text().await.unwrap())
        }
    };
    // The widget's spelling.
    let first = read("site=blog&page=%2Fu").await;
    assert_eq!(entries(&app.address).await, 1);
    let spellings = [
        "site=blog&page=%2Fu&x=1",
        "site=blog&page=%2Fu&x=2",
        "site=blog&page=%2Fu&_=1712345678901",
        "utm_source=feed&site=blog&page=%2Fu&utm_medium=rss",
        "site=blog&page=%2Fu&sorted=newest",
        "site=blog&page=/u",
        "page=%2fu&site=blog",
        "site=blog&page=%2F%75",
        "site=blog&page=%2Fu&sort=oldest&limit=50&after=",
        "site=blog&page=%2Fu&page=%2Fother",
    ];
    for q in spellings {
        assert_eq!(read(q).await, first, "{q}");
    }
    // One read of the database; one entry.
    assert_eq!(
        lookups(&app.address).await,
        (h0 + spellings.len() as u64, m0 + 1)
    );
    assert_eq!(entries(&app.address).await, 1);

    // Another list is another entry, whatever it carries besides.
    let newest = read("site=blog&page=%2Fu&sort=newest&x=1").await;
    assert_ne!(newest.0, first.0);
    assert_eq!(read("sort=newest&page=/u&site=blog").await, newest);
    assert_eq!(entries(&app.address).await, 2);
    assert_eq!(
        lookups(&app.address).await,
        (h0 + spellings.len() as u64 + 1, m0 + 2)
    );

    // And a write still shows at once, under any spelling.
    app.create("/u", "three").await;
    let after = read("site=blog&page=%2Fu&x=3").await;
    assert!(after.1.contains("three"), "{}", after.1);
}
