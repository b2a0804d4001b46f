//! A clean stop leaves no WAL: the real binary, real files, real signals.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::{natter, run, start_cmd, stop, Server};

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
    assert!(acked.len() > 10, "the load wrote something: {}", acked.len());
    let conn = rusqlite::Connection::open(db_path(&dir)).unwrap();
    for (id, text) in &acked {
        let stored: String = conn
            .query_row("SELECT text FROM comments WHERE id = ?1", [id], |r| r.get(0))
            .unwrap_or_else(|e| panic!("acknowledged comment {id} is missing: {e}"));
        assert_eq!(&stored, text);
    }
}

/// What restoring meant before `natter restore`: the README said to stop Natter and put the
/// backup where `database` points. After a clean stop that is now safe too.
#[tokio::test]
async fn a_backup_copied_over_the_database_after_a_clean_stop_is_served_intact() {
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
