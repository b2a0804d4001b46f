//! `natter db copy`, and `natter export` / `natter import json` on PostgreSQL: a SQLite
//! database with a row in every table goes to PostgreSQL and back row for row, all columns;
//! a target that holds anything is refused and left alone; a failed copy leaves the target
//! empty; PostgreSQL exports what SQLite exported, and imports a JSON export idempotently.
//!
//! The PostgreSQL parts need `NATTER_TEST_PG` (scripts/test.sh sets it); without it they
//! say they were skipped. The SQLite-to-SQLite parts always run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use natter::config::{Settings, Webhook};
use reqwest::Method;
use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::helpers::{blog_site, fresh_pg_database, id_of, test_pg, TestApp};

/// Every table `natter db copy` copies (and SQLite's `sqlite_sequence`, which it keeps),
/// with the order its rows are compared in.
const TABLES: &[(&str, &str)] = &[
    ("sites", "id"),
    ("pages", "id"),
    ("comments", "id"),
    ("votes", "comment_id, voter"),
    ("admin_tokens", "name"),
    ("secrets", "name"),
    ("used_links", "sig_hash"),
    ("outbox", "id"),
    ("confirmed_emails", "site, email"),
    ("digest_entries", "id"),
    ("thread_orphans", "id"),
    ("fedi_keys", "site"),
    ("fedi_actors", "id"),
    ("fedi_followers", "site, actor"),
    ("fedi_seen", "id"),
    ("fedi_posts", "id"),
    ("fedi_notes", "note_id"),
    ("fedi_reactions", "post_id, kind, actor"),
    ("fedi_published", "comment_id"),
    ("fedi_deliveries", "id"),
    ("sqlite_sequence", "name"),
];

/// The binary, in `dir`, with nothing from the environment that would choose a database.
fn natter(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_natter"));
    cmd.current_dir(dir)
        .env_remove("NATTER_CONFIG")
        .env_remove("NATTER_ADMIN_TOKEN")
        .env_remove("NATTER_DATABASE")
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `natter db copy --from FROM --to TO`.
fn copy(dir: &Path, from: &str, to: &str) -> (i32, String, String) {
    run(natter(dir).args(["db", "copy", "--from", from, "--to", to]))
}

fn copy_ok(dir: &Path, from: &str, to: &str) -> String {
    let (code, out, err) = copy(dir, from, to);
    assert_eq!(code, 0, "copy {from} → {to} failed: {err}");
    assert!(
        !err.contains('\x1b') && !err.contains('\r'),
        "no progress bar when standard error is not a terminal: {err:?}"
    );
    assert!(out.starts_with("copied "), "{out}");
    out
}

/// Every row of every table, all columns, in key order.
fn dump(path: &Path) -> Vec<(&'static str, Vec<Vec<Sql>>)> {
    let conn = Connection::open(path).unwrap();
    TABLES
        .iter()
        .map(|(t, key)| {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {t} ORDER BY {key}"))
                .unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| (0..n).map(|i| r.get::<_, Sql>(i)).collect())
                .unwrap()
                .collect::<Result<Vec<Vec<Sql>>, _>>()
                .unwrap();
            (*t, rows)
        })
        .collect()
}

fn assert_same(a: &Path, b: &Path) {
    for ((t, x), (_, y)) in dump(a).into_iter().zip(dump(b)) {
        assert_eq!(x.len(), y.len(), "rows of {t}");
        for (rx, ry) in x.iter().zip(&y) {
            assert_eq!(rx, ry, "a row of {t}");
        }
    }
}

const FAR: i64 = 4_000_000_000;

/// A SQLite database with rows in every table, made through the real server (on SQLite)
/// where a request makes them and by hand where none does; returned as a `natter backup`
/// of it, a file nothing writes any more.
async fn populated(dir: &Path) -> PathBuf {
    let live = tempfile::tempdir().unwrap();
    let mut s = Settings {
        bind: "127.0.0.1:0".into(),
        database: live.path().join("natter.db"),
        trusted_proxies: vec!["127.0.0.1".into()],
        ..Settings::default()
    };
    s.limits.comments_per_minute = 0;
    s.limits.votes_per_minute = 0;
    s.limits.reads_per_minute = 0;
    s.limits.edits_per_minute = 0;
    s.sites.insert("blog".into(), blog_site());
    // Every comment event becomes an outbox row (the receiver never answers).
    s.webhooks = vec![Webhook {
        url: "http://127.0.0.1:9/hook".into(),
        events: Vec::new(),
        secret: "webhook-secret".into(),
    }];
    let live_db = s.database.clone();
    let app = TestApp::start(s, live).await;
    let token = app.admin_token();
    let first = id_of(
        &app.create_with(
            json!({"page": "/a", "text": "First, **bold**.", "author": "Ann",
            "email": "ann@example.org", "website": "https://ann.example"}),
        )
        .await,
    );
    let reply = id_of(
        &app.create_with(json!({"page": "/a", "text": "A reply", "parent": first}))
            .await,
    );
    app.create_with(json!({"page": "/a", "text": "A reply to the reply", "parent": reply}))
        .await;
    let early = id_of(&app.create("/a", "linked later to a newer comment").await);
    let pending = id_of(&app.create("/b", "held for moderation").await);
    let rejected = id_of(&app.create("/b", "rejected").await);
    let gone = id_of(&app.create("/b", "deleted by a moderator").await);
    // Its reply keeps it as a tombstone.
    app.create_with(json!({"page": "/b", "text": "a reply to a deleted comment", "parent": gone}))
        .await;
    let later = id_of(&app.create("/a", "the newer parent").await);
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("idempotency-key", "k-0123456789abcdef-copy")
        .json(&json!({"site": "blog", "page": "/c", "text": "with a request key"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    for (voter, value) in [("203.0.113.1", 1), ("198.51.100.1", -1)] {
        let res = app
            .client
            .post(app.url(&format!("/api/comments/{first}/vote")))
            .header("x-forwarded-for", voter)
            .json(&json!({"value": value}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "vote");
    }
    for (method, path, body) in [
        (
            Method::POST,
            format!("/api/admin/comments/{rejected}/reject"),
            None,
        ),
        (Method::DELETE, format!("/api/admin/comments/{gone}"), None),
        (
            Method::POST,
            "/api/admin/threads/lock".into(),
            Some(json!({"site": "blog", "page": "/b", "locked": true})),
        ),
    ] {
        let mut req = app.admin(method, &path, &token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }
    app.set_status(pending, "pending");
    // What no request makes on its own (or only through mail): by hand.
    let db = app.db();
    db.batch(&format!(
        "INSERT INTO used_links (sig_hash, expires_at) VALUES ('used-link-hash', {FAR});
         INSERT INTO confirmed_emails (site, email, confirmed_at) VALUES ('blog', 'ann@example.org', 1700000000);
         INSERT INTO outbox (kind, target, payload, created_at, next_attempt_at, site)
             VALUES ('email', 'mod@example.org', '{{\"purpose\":\"digest\"}}', 1700000000, {FAR}, 'blog');
         INSERT INTO digest_entries (outbox_id, comment_id, held, text, html, created_at)
             VALUES (last_insert_rowid(), {first}, 0, 'First, bold.', '<p>First</p>', 1700000000);
         -- A reply linked to a comment that came after it, and one whose parent is on
         -- another page (the triggers list it in thread_orphans).
         UPDATE comments SET parent = {later} WHERE id = {early};
         UPDATE comments SET parent = {pending} WHERE id = {later};
         -- The Fediverse's tables (the site is no actor here: the rows are what counts).
         INSERT INTO fedi_keys (site, private_pem, public_pem, created_at)
             VALUES ('blog', 'PRIVATE PEM', 'PUBLIC PEM', 1700000000);
         INSERT INTO fedi_actors (id, key_id, public_pem, inbox, shared_inbox, name, username,
             url, fetched_at)
             VALUES ('https://m.example/u/bo', 'https://m.example/u/bo#main-key', 'PEM',
                 'https://m.example/u/bo/inbox', NULL, 'Bo', 'bo', 'https://m.example/@bo',
                 1700000000);
         INSERT INTO fedi_followers (site, actor, inbox, shared_inbox, created_at)
             VALUES ('blog', 'https://m.example/u/bo', 'https://m.example/u/bo/inbox',
                 'https://m.example/inbox', 1700000000);
         INSERT INTO fedi_seen (id, seen_at) VALUES ('https://m.example/a/1', 1700000000);
         INSERT INTO fedi_posts (site, page, url, title, summary, created_at, updated_at)
             VALUES ('blog', '/a', 'https://blog.example/a', 'A', NULL, 1700000000, NULL);
         INSERT INTO fedi_notes (note_id, comment_id, site, actor, created_at)
             VALUES ('https://m.example/n/1', {reply}, 'blog', 'https://m.example/u/bo',
                 1700000000);
         INSERT INTO fedi_reactions (post_id, kind, actor, activity_id, site, page, name, url,
             created_at)
             VALUES (last_insert_rowid(), 'like', 'https://m.example/u/bo',
                 'https://m.example/l/1', 'blog', '/a', 'Bo', 'https://m.example/@bo',
                 1700000000);
         INSERT INTO fedi_published (comment_id, site, inboxes, created_at)
             VALUES ({first}, 'blog', 'https://m.example/inbox', 1700000000);
         INSERT INTO fedi_deliveries (site, inbox, body, status, attempts, last_error,
             next_attempt_at, created_at)
             VALUES ('blog', 'https://m.example/inbox', '{{}}', 'failed', 10, 'gone', {FAR},
                 1700000000);"
    ));
    let orig = dir.join("orig.db");
    let (code, _, err) = run(natter(dir)
        .env("NATTER_DATABASE", &live_db)
        .arg("backup")
        .arg(&orig));
    assert_eq!(code, 0, "backup: {err}");
    for (t, rows) in dump(&orig) {
        assert!(!rows.is_empty(), "the fixture has no row in {t}");
    }
    orig
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test]
async fn a_copy_into_a_new_sqlite_file_is_row_for_row_and_only_into_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let orig = populated(dir.path()).await;
    let copied = dir.path().join("copy.db");
    let out = copy_ok(
        dir.path(),
        path_str(&orig),
        &format!("sqlite://{}", copied.display()),
    );
    assert!(
        out.contains("comments 10") && out.contains("votes 2"),
        "{out}"
    );
    assert_same(&orig, &copied);

    // `--from` defaults to the configured database.
    let default_from = dir.path().join("default-from.db");
    let (code, out, err) = run(natter(dir.path())
        .env("NATTER_DATABASE", &orig)
        .args(["db", "copy", "--to"])
        .arg(&default_from));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("copied {} to ", orig.display())),
        "{out}"
    );
    assert_same(&orig, &default_from);

    // Into a database that holds anything: refused, nothing written.
    let (code, _, err) = copy(dir.path(), path_str(&orig), path_str(&copied));
    assert_ne!(code, 0);
    assert!(
        err.contains("copy.db") && err.contains("not empty"),
        "{err}"
    );
    assert!(err.contains("comments (10)"), "{err}");
    assert_same(&orig, &copied);

    // A value of the wrong type is named, not converted; the target stays empty.
    let bad = dir.path().join("bad.db");
    std::fs::copy(&orig, &bad).unwrap();
    Connection::open(&bad)
        .unwrap()
        .execute("UPDATE comments SET likes = 2.5 WHERE id = 2", [])
        .unwrap();
    let target = dir.path().join("target.db");
    let (code, _, err) = copy(dir.path(), path_str(&bad), path_str(&target));
    assert_ne!(code, 0);
    assert!(
        err.contains("comments id 2, column likes: the real number 2.5"),
        "{err}"
    );
    for (t, rows) in dump(&target) {
        if t != "sqlite_sequence" {
            assert!(rows.is_empty(), "a failed copy left rows in {t}");
        }
    }
    // The emptied target takes a copy afterwards.
    copy_ok(dir.path(), path_str(&orig), path_str(&target));

    // A source whose schema is older than this natter's: migrate it first.
    let old = dir.path().join("old.db");
    std::fs::copy(&orig, &old).unwrap();
    Connection::open(&old)
        .unwrap()
        .execute(
            "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)",
            [],
        )
        .unwrap();
    let (code, _, err) = copy(
        dir.path(),
        path_str(&old),
        path_str(&dir.path().join("x.db")),
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("older") && err.contains("start this natter on it"),
        "{err}"
    );
}

/// Runs `f` on a blocking PostgreSQL client (on a thread of its own: the blocking client
/// may not run on a thread that runs a runtime).
fn on_pg<T: Send + 'static>(
    url: &str,
    f: impl FnOnce(&mut postgres::Client) -> T + Send + 'static,
) -> T {
    let url = url.to_string();
    std::thread::spawn(move || f(&mut postgres::Client::connect(&url, postgres::NoTls).unwrap()))
        .join()
        .unwrap()
}

/// Whether each identity of the database will hand out an id above the highest there
/// (asked without taking one, so that a copy of the database afterwards is unchanged).
fn identities_are_past_their_ids(url: &str) {
    on_pg(url, |c| {
        for t in ["pages", "comments", "outbox", "digest_entries"] {
            let row = c
                .query_one(
                    &format!(
                        "SELECT coalesce(max(id), 0),
                                coalesce(pg_sequence_last_value(pg_get_serial_sequence('{t}', 'id')::regclass), 0)
                         FROM {t}"
                    ),
                    &[],
                )
                .unwrap();
            let (max, last): (i64, i64) = (row.get(0), row.get(1));
            assert!(last >= max, "{t}: last id given {last}, highest {max}");
        }
    });
}

/// The lines of an export after its header (which holds the time of the export).
fn export_lines(dir: &Path, database: &str, file: &str) -> Vec<String> {
    let out = dir.join(file);
    let (code, _, err) = run(natter(dir)
        .env("NATTER_DATABASE", database)
        .args(["export", "--site", "blog", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "export from {database}: {err}");
    let text = std::fs::read_to_string(&out).unwrap();
    text.lines().skip(1).map(String::from).collect()
}

#[tokio::test]
async fn a_sqlite_database_goes_to_postgresql_and_back_row_for_row() {
    let Some(admin) = test_pg() else {
        eprintln!("skipped: NATTER_TEST_PG is not set (no PostgreSQL to copy to)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let orig = populated(dir.path()).await;
    let url = fresh_pg_database(&admin);
    let out = copy_ok(dir.path(), path_str(&orig), &url);
    assert!(
        out.contains("PostgreSQL") && out.contains("comments 10"),
        "{out}"
    );
    assert!(
        !out.contains(&url),
        "no URL (and no password) in the summary: {out}"
    );
    identities_are_past_their_ids(&url);
    let back = dir.path().join("back.db");
    copy_ok(dir.path(), &url, path_str(&back));
    assert_same(&orig, &back);

    // PostgreSQL holding anything is refused, and left as it was.
    let (code, _, err) = copy(dir.path(), path_str(&orig), &url);
    assert_ne!(code, 0);
    assert!(
        err.contains("PostgreSQL") && err.contains("not empty"),
        "{err}"
    );
    let again = dir.path().join("again.db");
    copy_ok(dir.path(), &url, path_str(&again));
    assert_same(&orig, &again);

    // A failed copy into PostgreSQL leaves it empty.
    let bad = dir.path().join("bad.db");
    std::fs::copy(&orig, &bad).unwrap();
    Connection::open(&bad)
        .unwrap()
        .execute(
            "UPDATE outbox SET payload = x'00ff' WHERE id = (SELECT min(id) FROM outbox)",
            [],
        )
        .unwrap();
    let empty = fresh_pg_database(&admin);
    let (code, _, err) = copy(dir.path(), path_str(&bad), &empty);
    assert_ne!(code, 0);
    assert!(
        err.contains("outbox id ") && err.contains("column payload: a blob of 2 bytes"),
        "{err}"
    );
    let rows: i64 = on_pg(&empty, |c| {
        c.query_one(
            "SELECT (SELECT count(*) FROM sites) + (SELECT count(*) FROM pages)
                  + (SELECT count(*) FROM comments)",
            &[],
        )
        .unwrap()
        .get(0)
    });
    assert_eq!(rows, 0);

    // `natter export` from PostgreSQL writes what it wrote from the SQLite original.
    let from_sqlite = export_lines(dir.path(), path_str(&orig), "sqlite.jsonl");
    let from_pg = export_lines(dir.path(), &url, "pg.jsonl");
    assert!(from_sqlite.len() > 10);
    assert_eq!(from_sqlite, from_pg);

    // `natter import json` into PostgreSQL keeps the ids, and a second run adds nothing.
    let fresh = fresh_pg_database(&admin);
    let cfg = dir.path().join("natter.toml");
    std::fs::write(&cfg, "[sites.blog]\norigins = [\"*\"]\n").unwrap();
    let import = || {
        let (code, out, err) = run(natter(dir.path())
            .env("NATTER_DATABASE", &fresh)
            .arg("--config")
            .arg(&cfg)
            .args(["import", "json"])
            .arg(dir.path().join("sqlite.jsonl")));
        assert_eq!(code, 0, "import json: {err}");
        out
    };
    let first = import();
    assert!(first.contains(": 10 comments imported"), "{first}");
    let second = import();
    assert!(second.contains(": 0 comments imported"), "{second}");
    assert!(
        second.contains("already imported before (left alone): 10"),
        "{second}"
    );
    identities_are_past_their_ids(&fresh);
    let comments = |lines: &[String]| -> Vec<Value> {
        lines
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["type"] != "site")
            .map(|mut v| {
                if v["type"] == "comment" {
                    let c = v.as_object_mut().unwrap();
                    // `import json` records where a native comment came from.
                    c.remove("source");
                    c.remove("source_id");
                    // A parent on another page is not linked by an import.
                    if c["text"] == "the newer parent" {
                        c.remove("parent");
                    }
                }
                v
            })
            .collect()
    };
    let imported = export_lines(dir.path(), &fresh, "imported.jsonl");
    assert_eq!(comments(&imported), comments(&from_sqlite));
}

#[test]
fn tokens_work_and_backup_and_restore_point_elsewhere_on_postgresql() {
    let Some(admin) = test_pg() else {
        eprintln!("skipped: NATTER_TEST_PG is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_pg_database(&admin);
    let on = |args: &[&str]| run(natter(dir.path()).env("NATTER_DATABASE", &url).args(args));
    let (code, out, err) = on(&["admin", "token", "create", "--name", "ci"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.trim().starts_with("natter_"), "{out}");
    let (code, _, err) = on(&["admin", "token", "create", "--name", "ci"]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    assert!(on(&["admin", "token", "list"]).1.starts_with("ci\t"));
    assert_eq!(on(&["admin", "token", "revoke", "ci"]).0, 0);
    assert_ne!(on(&["admin", "token", "revoke", "ci"]).0, 0);
    // No lock file: there is no database file to lock.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(names.is_empty(), "{names:?}");

    let (code, _, err) = on(&["backup", "b.db"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("pg_dump") && err.contains("natter db copy --to b.db"),
        "{err}"
    );
    assert!(!dir.path().join("b.db").exists());
    let (code, _, err) = on(&["restore", "b.db"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("pg_restore") && err.contains("natter db copy"),
        "{err}"
    );
}
