//! `natter export` and `natter import json`: a round trip reproduces every comment, vote and
//! page row by row; re-imports are idempotent; broken files write nothing.

use serde_json::{json, Value};

use crate::cli::{run, start_cmd, stop};
use crate::import_common::*;
use crate::testdb::{Row, TestDb};

const TOKEN: &str = "json-test-admin-token";

/// Every column of every comment of a site, keyed by page key instead of page row id.
fn comment_table(conn: &TestDb) -> Vec<Row> {
    conn.query(
        "SELECT c.id, p.key, c.parent, c.author, c.email, c.website, c.text, c.format, c.html,
                c.status, c.created_at, c.edited_at, c.likes, c.dislikes, c.ip, c.avatar,
                c.author_key_hash, c.edit_token_hash, c.edit_until, c.notify,
                coalesce(c.source, 'json'), coalesce(c.source_id, CAST(c.id AS TEXT)),
                c.via_kind, c.via_url, c.via_handle, c.held_reason, c.badge
         FROM comments c JOIN pages p ON p.id = c.page_id WHERE p.site = 'blog' ORDER BY c.id",
        params![],
    )
}

fn table(conn: &TestDb, sql: &str) -> Vec<Row> {
    conn.query(sql, params![])
}

const PAGES: &str =
    "SELECT key, title, url, locked, first_comment_at FROM pages WHERE site = 'blog' ORDER BY key";
const VOTES: &str = "SELECT comment_id, voter, value FROM votes ORDER BY comment_id, voter";

/// A source database with imported and native comments, replies, votes, an edit, a
/// tombstone and a locked page.
async fn populated() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, cfg) = dir_with_sites(&["blog"]);
    import_ok(
        &dir,
        &cfg,
        &[
            "isso",
            fixture("isso-0.14-comments.db").to_str().unwrap(),
            "--site",
            "blog",
        ],
    );
    import_ok(
        &dir,
        &cfg,
        &[
            "wordpress",
            fixture("isso-tests-wordpress.xml").to_str().unwrap(),
            "--site",
            "blog",
        ],
    );
    let mut cmd = natter_cfg(&dir, &cfg);
    cmd.env("NATTER_ADMIN_TOKEN", TOKEN).arg("serve");
    let server = start_cmd(cmd);
    let base = format!("http://127.0.0.1:{}", server.port);
    let c = reqwest::Client::new();
    let post = |body: Value| {
        let c = c.clone();
        let base = base.clone();
        async move {
            let res = c
                .post(format!("{base}/api/comments"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }
    };
    let first = post(json!({"site": "blog", "page": "/native/", "title": "Native", "text": "**first**",
        "author": "Ann", "email": "ann@example.org", "author_key": "0123456789abcdef-key", "notify": true})).await;
    let id = first["comment"]["id"].as_i64().unwrap();
    let reply =
        post(json!({"site": "blog", "page": "/native/", "text": "a reply", "parent": id})).await;
    let doomed =
        post(json!({"site": "blog", "page": "/native/", "text": "to be deleted", "author": "Bob"}))
            .await;
    post(
        json!({"site": "blog", "page": "/native/", "text": "reply to the doomed one",
        "parent": doomed["comment"]["id"]}),
    )
    .await;
    let res = c
        .post(format!("{base}/api/comments/{id}/vote"))
        .json(&json!({"value": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = c
        .patch(format!("{base}/api/comments/{}", reply["comment"]["id"]))
        .bearer_auth(reply["edit_token"].as_str().unwrap())
        .json(&json!({"text": "an edited reply"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = c
        .delete(format!(
            "{base}/api/admin/comments/{}",
            doomed["comment"]["id"]
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = c
        .post(format!("{base}/api/admin/threads/lock"))
        .bearer_auth(TOKEN)
        .json(&json!({"site": "blog", "page": "/native/", "locked": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    stop(server);
    // One comment came from elsewhere, as a verified Webmention (or a Fediverse reply) leaves it.
    crate::helpers::dir_db(dir.path()).execute(
        "UPDATE comments SET via_kind = 'webmention', via_url = 'https://alice.example/re/1',
             held_reason = 'first_comment', badge = 'owner', status = 'spam'
         WHERE id = ?1",
        params![id],
    );
    (dir, cfg)
}

#[tokio::test]
async fn export_then_import_json_into_an_empty_database_reproduces_every_row() {
    let (src, src_cfg) = populated().await;
    let file = src.path().join("blog.jsonl");
    let (code, _, err) = run(natter_cfg(&src, &src_cfg).args([
        "export",
        "--site",
        "blog",
        "--out",
        file.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{err}");
    let before = comment_table(&db(&src));
    assert_eq!(before.len(), 21, "9 from Isso, 8 from WordPress, 4 native");
    assert!(err.contains("21 comments, 1 votes"), "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "header");
    assert_eq!(first["format"], "natter-export");
    let ann: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["author"] == "Ann")
        .unwrap();
    for private in [
        "email",
        "ip",
        "text",
        "author_key_hash",
        "edit_token_hash",
        "notify",
        "source",
    ] {
        assert!(
            ann.get(private).is_some(),
            "the export has {private}: {ann}"
        );
    }

    let (dst, dst_cfg) = dir_with_sites(&["blog"]);
    let out = import_ok(&dst, &dst_cfg, &["json", file.to_str().unwrap()]);
    assert!(out.contains("21 comments imported"), "{out}");
    let (a, b) = (db(&src), db(&dst));
    assert_eq!(comment_table(&b), before, "the same rows, ids and all");
    assert_eq!(table(&b, PAGES), table(&a, PAGES));
    assert_eq!(table(&b, VOTES), table(&a, VOTES));
    assert_eq!(table(&b, VOTES).len(), 1);

    // Idempotent: a second run adds nothing.
    let again = import_ok(
        &dst,
        &dst_cfg,
        &["json", file.to_str().unwrap(), "--site", "blog"],
    );
    assert!(again.contains(" 0 comments imported"), "{again}");
    assert!(again.contains("left alone): 21"), "{again}");
    assert_eq!(comment_table(&b), before);

    // New comments never reuse an imported id.
    let max: i64 = b.query_row("SELECT max(id) FROM comments", params![], |r| r.get(0));
    // The id the next comment gets, from the engine's sequence (`sqlite_sequence` holds the
    // last id handed out; a PostgreSQL sequence its last value, and whether it was used).
    let next: i64 = if b.is_postgres() {
        b.query_row(
            "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM comments_id_seq",
            params![],
            |r| r.get(0),
        )
    } else {
        b.query_row(
            "SELECT seq + 1 FROM sqlite_sequence WHERE name = 'comments'",
            params![],
            |r| r.get(0),
        )
    };
    assert!(next > max);

    // A later `import isso` of the same source still recognises what came through JSON.
    let isso = import_ok(
        &dst,
        &dst_cfg,
        &[
            "isso",
            fixture("isso-0.14-comments.db").to_str().unwrap(),
            "--site",
            "blog",
        ],
    );
    assert!(isso.contains(" 0 comments imported"), "{isso}");
}

#[test]
fn export_streams_to_standard_output_and_an_unknown_site_is_an_error() {
    let (dir, cfg) = dir_with_sites(&["blog"]);
    import_ok(
        &dir,
        &cfg,
        &[
            "disqus",
            fixture("isso-tests-disqus.xml").to_str().unwrap(),
            "--site",
            "blog",
        ],
    );
    let (code, out, _) = run(natter_cfg(&dir, &cfg).args(["export", "--site", "blog"]));
    assert_eq!(code, 0);
    let types: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(types[..2], ["header", "site"]);
    assert_eq!(types.iter().filter(|t| *t == "page").count(), 2);
    assert_eq!(types.iter().filter(|t| *t == "comment").count(), 5);
    let first_comment = types.iter().position(|t| t == "comment").unwrap();
    assert!(
        types[first_comment..].iter().all(|t| t == "comment"),
        "pages come first"
    );
    let (code, _, err) = run(natter_cfg(&dir, &cfg).args(["export", "--site", "nope"]));
    assert_eq!(code, 1);
    assert!(err.contains("unknown site"), "{err}");
}

fn header() -> String {
    json!({"type": "header", "format": "natter-export", "version": 1, "site": "blog",
        "exported_at": "2026-01-01T00:00:00Z"})
    .to_string()
}

fn comment_line(id: i64, page: &str, parent: Option<i64>, text: &str, html: &str) -> String {
    json!({"type": "comment", "id": id, "site": "blog", "page": page, "parent": parent,
        "author": "A", "email": null, "website": null, "text": text, "format": "markdown",
        "html": html, "status": "approved", "created_at": "2026-01-01T00:00:00Z",
        "edited_at": null, "likes": 0, "dislikes": 0, "ip": "203.0.113.77", "avatar": null,
        "author_key_hash": null, "edit_token_hash": null, "edit_until": "1970-01-01T00:00:00Z",
        "notify": false, "source": null, "source_id": null})
    .to_string()
}

#[test]
fn import_json_re_sanitizes_links_late_parents_and_reports_id_conflicts() {
    let (dir, cfg) = dir_with_sites(&["blog"]);
    let lines = [
        header(),
        comment_line(5, "/p/", Some(9), "a reply that comes first", ""),
        comment_line(9, "/p/", None, "hi", "<script>alert(1)</script>"),
    ];
    let file = dir.path().join("in.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    import_ok(&dir, &cfg, &["json", file.to_str().unwrap()]);
    let conn = db(&dir);
    let rows = rows(&conn, "blog");
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [5, 9],
        "ids are kept"
    );
    assert_eq!(
        rows[0].parent,
        Some(9),
        "a parent later in the file is linked"
    );
    assert_eq!(
        rows[1].html, "<p>hi</p>\n",
        "the file's html is not trusted"
    );
    assert_eq!(
        rows[1].ip.as_deref(),
        Some("203.0.113.0"),
        "a full IP is anonymized"
    );

    // Id 9 now taken by a different comment: reported, not overwritten.
    let other = [
        header(),
        comment_line(9, "/elsewhere/", None, "another", ""),
    ];
    let file2 = dir.path().join("other.jsonl");
    std::fs::write(&file2, other.join("\n")).unwrap();
    let out = import_ok(&dir, &cfg, &["json", file2.to_str().unwrap()]);
    assert!(
        out.contains("its id is taken by a different comment"),
        "{out}"
    );
    assert_eq!(crate::import_common::rows(&conn, "blog"), rows);

    // --site keeps to one site.
    let (dir2, cfg2) = dir_with_sites(&["blog", "other"]);
    let out = import_ok(
        &dir2,
        &cfg2,
        &["json", file.to_str().unwrap(), "--site", "other"],
    );
    assert!(out.contains("nothing for the site \"other\""), "{out}");
    assert!(out.contains(" 0 comments imported"), "{out}");
}

#[test]
fn a_broken_json_file_names_its_line_and_writes_nothing() {
    let (dir, cfg) = dir_with_sites(&["blog"]);
    let file = dir.path().join("bad.jsonl");
    let lines = [
        header(),
        comment_line(1, "/p/", None, "fine", ""),
        "{\"type\": \"comment\", \"id\": 2,".to_string(),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (code, _, err) =
        run(natter_cfg(&dir, &cfg).args(["import", "json", file.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(err.contains("line 3"), "{err}");
    let n: i64 = db(&dir)
        .try_query("SELECT count(*) FROM comments", params![])
        .map_or(0, |rows| rows[0].get(0));
    assert_eq!(n, 0);

    let bad_status = comment_line(1, "/p/", None, "x", "").replace("approved", "published");
    std::fs::write(&file, [header(), bad_status].join("\n")).unwrap();
    let (code, _, err) =
        run(natter_cfg(&dir, &cfg).args(["import", "json", file.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(err.contains("line 2") && err.contains("published"), "{err}");

    std::fs::write(&file, comment_line(1, "/p/", None, "x", "")).unwrap();
    let (code, _, err) =
        run(natter_cfg(&dir, &cfg).args(["import", "json", file.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(err.contains("not a Natter export"), "{err}");
}

#[test]
fn the_import_export_and_backup_commands_have_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["import", "--help"][..],
        &["import", "disqus", "--help"],
        &["import", "wordpress", "--help"],
        &["import", "isso", "--help"],
        &["import", "json", "--help"],
        &["export", "--help"],
        &["backup", "--help"],
    ] {
        let (code, out, _) = run(crate::cli::natter(&dir).args(args));
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage"), "{args:?}: {out}");
    }
    let (_, out, _) = run(crate::cli::natter(&dir).args(["import", "wordpress", "--help"]));
    for option in ["--site", "--full-url", "--rewrite", "--include-pingbacks"] {
        assert!(out.contains(option), "{out}");
    }
}

#[tokio::test]
async fn replies_whose_parent_an_import_brings_back_are_listed_under_it_once() {
    let (dir, cfg) = dir_with_sites(&["blog"]);
    let lines = [
        header(),
        comment_line(9, "/p/", None, "the parent", ""),
        comment_line(5, "/p/", Some(9), "a reply", ""),
        comment_line(6, "/p/", Some(9), "another", ""),
    ];
    let file = dir.path().join("in.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    import_ok(&dir, &cfg, &["json", file.to_str().unwrap()]);
    // The parent deleted by hand, without foreign keys (as the sqlite3 shell runs): its
    // replies are shown at the top level.
    {
        let conn = db(&dir);
        conn.foreign_keys(false);
        conn.execute("DELETE FROM comments WHERE id = 9", params![]);
        conn.foreign_keys(true);
    }
    let server = crate::cli::start(&dir, Some(&cfg));
    let url = format!(
        "http://127.0.0.1:{}/api/comments?site=blog&page=%2Fp%2F",
        server.port
    );
    let list = || async {
        let v: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        v["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_i64().unwrap(), c["parent"].as_i64()))
            .collect::<Vec<_>>()
    };
    assert_eq!(list().await, [(5, Some(9)), (6, Some(9))]);

    // Imported again, the parent is back (an import runs without the triggers that keep the
    // list of such replies): they are under it, and only there.
    let out = import_ok(&dir, &cfg, &["json", file.to_str().unwrap()]);
    assert!(out.contains(" 1 comments imported"), "{out}");
    let after = list().await;
    stop(server);
    assert_eq!(after, [(9, None), (5, Some(9)), (6, Some(9))]);
}
