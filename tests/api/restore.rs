//! A clean stop leaves no WAL, and `natter restore` replaces the database with a backup
//! safely: the real binary, real files, real signals.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::{natter, run, run_to_exit, start_cmd, stop, Server};
use crate::helpers::sqlite_only;

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("natter.db")
}

fn sidecar(dir: &tempfile::TempDir, suffix: &str) -> PathBuf {
    dir.path().join(format!("natter.db{suffix}"))
}

/// A server on `dir`'s database with no rate limit on comments.
fn serve(dir: &tempfile::TempDir) -> Server {
    let mut cmd = natter(dir);
    cmd.env("NATTER_LIMITS__COMMENTS_PER_MINUTE", "0");
    start_cmd(cmd)
}

/// `natter ARGS…` on `dir`'s database.
fn natter_cmd(dir: &tempfile::TempDir, args: &[&str]) -> Command {
    let mut cmd = natter(dir);
    cmd.args(args);
    cmd
}

async fn post(port: u16, page: &str, text: &str) -> i64 {
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/comments"))
        .json(&json!({"site": "default", "page": page, "text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{text}");
    let v: Value = res.json().await.unwrap();
    v["comment"]["id"].as_i64().unwrap()
}

/// The texts of a page's comments as the server lists them, oldest first.
async fn texts(port: u16, page: &str) -> Vec<String> {
    let list: Value = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/api/comments?site=default&page={page}&sort=oldest"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let html = c["html"].as_str().unwrap();
            html.trim()
                .trim_start_matches("<p>")
                .trim_end_matches("</p>")
                .to_string()
        })
        .collect()
}

fn integrity(path: &Path) -> String {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// `natter backup FILE` while the server runs, as the README says.
fn backup(dir: &tempfile::TempDir, file: &Path) {
    let (code, out, err) = run(&mut natter_cmd(dir, &["backup", file.to_str().unwrap()]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("integrity ok"), "{out}");
}

/// The WAL after a stop: absent, or empty.
fn wal_len(dir: &tempfile::TempDir) -> u64 {
    std::fs::metadata(sidecar(dir, "-wal")).map_or(0, |m| m.len())
}

#[tokio::test]
async fn sigterm_during_writes_answers_them_checkpoints_and_leaves_no_wal() {
    sqlite_only!("the checkpoint and the WAL file of SQLite");
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir);
    let port = server.port;
    let acked: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..4 {
        let acked = acked.clone();
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0.. {
                let text = format!("writer {w} comment {i}");
                let res = client
                    .post(format!("http://127.0.0.1:{port}/api/comments"))
                    .json(&json!({"site": "default", "page": "/p/", "text": text}))
                    .send()
                    .await;
                let Ok(r) = res else { break };
                if r.status() != 201 {
                    break;
                }
                let Ok(v) = r.json::<Value>().await else {
                    break;
                };
                let id = v["comment"]["id"].as_i64().unwrap();
                acked.lock().unwrap().push((id, text));
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        wal_len(&dir) > 0,
        "the writes went to the WAL: the test checks something"
    );
    // SIGTERM while the writers go on, as `docker stop` would.
    tokio::task::spawn_blocking(move || stop(server))
        .await
        .unwrap();
    for w in writers {
        w.await.unwrap();
    }
    // Looked at before anything here opens the database (closing the last connection would
    // remove the WAL by itself).
    assert_eq!(
        wal_len(&dir),
        0,
        "a clean stop leaves no WAL (or an empty one) beside the database"
    );
    assert_eq!(integrity(&db_path(&dir)), "ok");
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 10,
        "the load wrote something: {}",
        acked.len()
    );
    let conn = rusqlite::Connection::open(db_path(&dir)).unwrap();
    for (id, text) in &acked {
        let stored: String = conn
            .query_row("SELECT text FROM comments WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("acknowledged comment {id} is missing: {e}"));
        assert_eq!(&stored, text);
    }
}

/// What restoring meant before `natter restore`: the README said to stop Natter and put the
/// backup where `database` points. After a clean stop that is now safe too.
#[tokio::test]
async fn a_backup_copied_over_the_database_after_a_clean_stop_is_served_intact() {
    sqlite_only!("a SQLite backup file copied over the database file");
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir);
    for i in 0..5 {
        post(server.port, "/p/", &format!("kept {i}")).await;
    }
    let copy = dir.path().join("backup.db");
    backup(&dir, &copy);
    for i in 0..300 {
        post(server.port, "/p/", &format!("after the backup {i}")).await;
    }
    stop(server);
    std::fs::copy(&copy, db_path(&dir)).unwrap();
    let server = serve(&dir);
    let expected: Vec<String> = (0..5).map(|i| format!("kept {i}")).collect();
    assert_eq!(texts(server.port, "/p/").await, expected);
    post(server.port, "/p/", "a new one").await;
    stop(server);
    assert_eq!(integrity(&db_path(&dir)), "ok");
}

#[tokio::test]
async fn the_readme_flow_backup_stop_restore_start_serves_exactly_the_backup() {
    sqlite_only!("`natter backup`/`natter restore` of a SQLite file");
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir);
    for i in 0..5 {
        post(server.port, "/p/", &format!("kept {i}")).await;
    }
    let copy = dir.path().join("backup.db");
    backup(&dir, &copy);
    for i in 0..200 {
        post(server.port, "/p/", &format!("after the backup {i}")).await;
    }
    stop(server);

    let (code, out, err) = run(&mut natter_cmd(&dir, &["restore", "backup.db"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("5 comments") && out.contains("integrity ok"),
        "{out}"
    );
    assert!(out.contains("natter.db.before-restore"), "{out}");
    for suffix in ["-wal", "-shm", "-journal"] {
        assert!(
            !sidecar(&dir, suffix).exists(),
            "no stale natter.db{suffix} is left"
        );
    }
    assert!(!dir.path().join(".natter.db.restoring").exists());

    let server = serve(&dir);
    let expected: Vec<String> = (0..5).map(|i| format!("kept {i}")).collect();
    assert_eq!(texts(server.port, "/p/").await, expected);
    post(server.port, "/p/", "written after the restore").await;
    stop(server);
    assert_eq!(integrity(&db_path(&dir)), "ok");
    let kept = rusqlite::Connection::open(sidecar(&dir, ".before-restore")).unwrap();
    let n: i64 = kept
        .query_row("SELECT count(*) FROM comments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 205, "the replaced database is kept whole");
}

#[tokio::test]
async fn restore_is_refused_while_a_server_runs_and_the_database_is_untouched() {
    sqlite_only!("`natter restore` of a SQLite file");
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir);
    post(server.port, "/p/", "one").await;
    let copy = dir.path().join("backup.db");
    backup(&dir, &copy);
    post(server.port, "/p/", "two").await;

    let (code, out, err) = run(&mut natter_cmd(&dir, &["restore", "backup.db"]));
    assert_ne!(code, 0, "{out}");
    assert!(
        err.contains("using the database") && err.contains("stop it first"),
        "{err}"
    );
    assert!(!sidecar(&dir, ".before-restore").exists());
    assert!(!dir.path().join(".natter.db.restoring").exists());
    // The server never noticed.
    assert_eq!(texts(server.port, "/p/").await, ["one", "two"]);
    post(server.port, "/p/", "three").await;
    stop(server);
    assert_eq!(integrity(&db_path(&dir)), "ok");
    let (code, _, err) = run(&mut natter_cmd(&dir, &["restore", "backup.db"]));
    assert_eq!(code, 0, "once it is stopped the restore goes ahead: {err}");
}

/// A program that doesn't know natter's lock file (the `sqlite3` shell, a natter from before
/// it) is seen through SQLite's own locks.
#[tokio::test]
async fn restore_is_refused_while_another_program_has_the_database_open() {
    sqlite_only!("`natter restore` of a SQLite file");
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir);
    post(server.port, "/p/", "one").await;
    let copy = dir.path().join("backup.db");
    backup(&dir, &copy);
    post(server.port, "/p/", "two").await;
    stop(server);

    let other = rusqlite::Connection::open(db_path(&dir)).unwrap();
    let count = |c: &rusqlite::Connection| -> i64 {
        c.query_row("SELECT count(*) FROM comments", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&other), 2);
    let (code, _, err) = run(&mut natter_cmd(&dir, &["restore", "backup.db"]));
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("process {}", std::process::id()))
            && err.contains("has the database"),
        "names the process: {err}"
    );
    // Asked through the connection still open (reading the file here would drop this
    // process's SQLite locks: POSIX locks go with any close of the file).
    assert_eq!(count(&other), 2, "the database is untouched");
    drop(other);
    assert!(!sidecar(&dir, ".before-restore").exists());
    assert!(!dir.path().join(".natter.db.restoring").exists());
    let (code, _, err) = run(&mut natter_cmd(&dir, &["restore", "backup.db"]));
    assert_eq!(code, 0, "{err}");
}

#[tokio::test]
async fn restore_refuses_a_bad_backup_and_leaves_the_database_untouched() {
    sqlite_only!("`natter restore` of a SQLite file");
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir);
    let long = "a long comment to fill pages ".repeat(60);
    for i in 0..40 {
        post(server.port, "/p/", &format!("{i} {long}")).await;
    }
    let good = dir.path().join("good.db");
    backup(&dir, &good);
    stop(server);
    let good_bytes = std::fs::read(&good).unwrap();

    // One page in the middle of the file overwritten.
    let corrupt = dir.path().join("corrupt.db");
    let mut bytes = good_bytes.clone();
    let page = 4096;
    let pages = bytes.len() / page;
    assert!(pages > 10, "{pages} pages");
    let at = (pages / 2) * page;
    bytes[at..at + page].fill(0xA5);
    std::fs::write(&corrupt, &bytes).unwrap();

    // Subtler: one table leaf page's first-freeblock pointer aimed past its end. SQLite still
    // opens and reads the file; only `PRAGMA integrity_check` notices.
    let subtle = dir.path().join("subtle.db");
    let mut bytes = good_bytes.clone();
    let leaves: Vec<usize> = (1..pages).filter(|p| bytes[p * page] == 0x0D).collect();
    let at = leaves[leaves.len() / 2] * page;
    bytes[at + 1..at + 3].copy_from_slice(&[0x0F, 0xF0]);
    std::fs::write(&subtle, &bytes).unwrap();

    let text = dir.path().join("text.db");
    std::fs::write(&text, "this is not a database\n".repeat(100)).unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();

    let newer = dir.path().join("newer.db");
    std::fs::write(&newer, &good_bytes).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_from_the_future', 0)",
            [],
        )
        .unwrap();

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE comments (id INTEGER PRIMARY KEY, text TEXT)")
        .unwrap();

    let missing = dir.path().join("missing.db");
    let known = natter::store::migrate::MIGRATIONS.last().unwrap().0;
    let cases: [(&Path, &[&str]); 7] = [
        (&corrupt, &["corrupt.db", "damaged"]),
        (
            &subtle,
            &[
                "subtle.db",
                "damaged",
                "integrity_check",
                "free space corruption",
            ],
        ),
        (&text, &["text.db", "not a SQLite database"]),
        (&empty, &["empty.db", "empty (0 bytes)"]),
        (&newer, &["newer.db", "9999_from_the_future", known]),
        (&foreign, &["foreign.db", "not a Natter one"]),
        (&missing, &["missing.db", "No such file or directory"]),
    ];
    let db_before = std::fs::read(db_path(&dir)).unwrap();
    for (file, words) in cases {
        let (code, out, err) = run(&mut natter_cmd(&dir, &["restore", file.to_str().unwrap()]));
        assert_eq!(code, 1, "{file:?} refused: {out}");
        for w in words {
            assert!(err.contains(w), "{file:?}: {w:?} in {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            std::fs::read(db_path(&dir)).unwrap() == db_before,
            "{file:?}: the database is untouched"
        );
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("restoring") || n.contains("before-restore"))
            .collect();
        assert!(left.is_empty(), "{file:?}: {left:?}");
    }

    // The good one goes through, and the server starts on it.
    let (code, out, err) = run(&mut natter_cmd(&dir, &["restore", "good.db"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("40 comments"), "{out}");
    let server = serve(&dir);
    assert_eq!(texts(server.port, "/p/").await.len(), 40);
    stop(server);
}

#[tokio::test]
async fn restore_after_a_sigkilled_server_works_and_keeps_its_last_writes_aside() {
    sqlite_only!("`natter restore` of a SQLite file");
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(&dir);
    for i in 0..3 {
        post(server.port, "/p/", &format!("kept {i}")).await;
    }
    let copy = dir.path().join("backup.db");
    backup(&dir, &copy);
    for i in 0..50 {
        post(server.port, "/p/", &format!("after the backup {i}")).await;
    }
    server.child.kill().unwrap(); // SIGKILL: no shutdown at all
    server.child.wait().unwrap();
    assert!(wal_len(&dir) > 0, "the killed server left its WAL");

    let (code, out, err) = run(&mut natter_cmd(&dir, &["restore", "backup.db"]));
    assert_eq!(code, 0, "a killed server's locks are gone with it: {err}");
    assert!(out.contains("3 comments"), "{out}");
    assert!(!sidecar(&dir, "-wal").exists());
    assert!(!sidecar(&dir, "-shm").exists());
    let server = serve(&dir);
    assert_eq!(
        texts(server.port, "/p/").await,
        ["kept 0", "kept 1", "kept 2"]
    );
    stop(server);
    assert_eq!(integrity(&db_path(&dir)), "ok");
    // The killed server's WAL was folded into the file kept aside: nothing it acknowledged
    // is lost for good.
    let kept = sidecar(&dir, ".before-restore");
    assert_eq!(integrity(&kept), "ok");
    let n: i64 = rusqlite::Connection::open(&kept)
        .unwrap()
        .query_row("SELECT count(*) FROM comments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 53);
}

/// While a restore holds the lock file, natter commands that open the database refuse to
/// start instead of opening a file that is about to be replaced.
#[test]
fn nothing_starts_on_the_database_while_a_restore_holds_it() {
    sqlite_only!("the restore lock on a SQLite file");
    let dir = tempfile::tempdir().unwrap();
    let lock = natter::store::lock::exclusive(&db_path(&dir)).unwrap();
    for args in [
        &["serve"][..],
        &["backup", "b.db"],
        &["admin", "token", "list"],
    ] {
        let (code, _, err) = run_to_exit(&mut natter_cmd(&dir, args));
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("`natter restore` is replacing"), "{err}");
    }
    assert!(!db_path(&dir).exists());
    drop(lock);
    let (code, _, err) = run(&mut natter_cmd(&dir, &["admin", "token", "list"]));
    assert_eq!(code, 0, "{err}");
}
