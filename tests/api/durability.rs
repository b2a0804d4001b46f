//! Faults: SIGKILL under concurrent writes loses no acknowledged comment (in both durability
//! modes); with full durability no 201 goes out before the WAL's fsync; start-up failures
//! are one clear message.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cli::{natter, run, run_to_exit, start_cmd, stop};
use crate::helpers::{dir_db, sqlite_only};
use crate::testdb::{params, TestDb};

#[tokio::test]
async fn sigkill_during_concurrent_writes_loses_no_acknowledged_comment() {
    sigkill_loses_nothing("full").await;
}

/// `durability = "normal"` skips the fsync, but a process crash still loses nothing: the
/// commit is in the OS's page cache.
#[tokio::test]
async fn sigkill_loses_nothing_with_normal_durability_too() {
    sqlite_only!("durability = \"normal\" is SQLite's synchronous mode");
    sigkill_loses_nothing("normal").await;
}

async fn sigkill_loses_nothing(durability: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = natter(&dir);
    cmd.env("NATTER_LIMITS__COMMENTS_PER_MINUTE", "0")
        .env("NATTER_DURABILITY", durability);
    let mut server = start_cmd(cmd);
    let base = format!("http://127.0.0.1:{}", server.port);
    let acked: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..8 {
        let (base, acked) = (base.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0.. {
                let text = format!("writer {w} comment {i}");
                let res = client
                    .post(format!("{base}/api/comments"))
                    .json(&json!({"site": "default", "page": format!("/w{}", i % 5), "text": text}))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        let v: serde_json::Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => break,
                        };
                        acked
                            .lock()
                            .unwrap()
                            .push((v["comment"]["id"].as_i64().unwrap(), text));
                    }
                    _ => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    server.child.wait().unwrap();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "the load actually wrote something: {}",
        acked.len()
    );

    let mut restart = natter(&dir);
    restart.env("NATTER_DURABILITY", durability);
    stop(start_cmd(restart));
    let conn = dir_db(dir.path());
    if !conn.is_postgres() {
        let check: String = conn.query_row("PRAGMA integrity_check", params![], |r| r.get(0));
        assert_eq!(check, "ok");
    }
    for (id, text) in &acked {
        let stored: String = conn
            .query_opt(
                "SELECT text FROM comments WHERE id = ?1 AND status = 'approved'",
                params![id],
            )
            .unwrap_or_else(|| panic!("comment {id} lost"));
        assert_eq!(&stored, text);
    }
}

#[test]
fn a_database_path_that_is_a_directory_is_one_clear_message() {
    sqlite_only!("the path of a SQLite file");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("natter.db")).unwrap();
    let (code, _, err) = run(&mut natter(&dir));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot open the database") && err.contains("natter.db"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn a_locked_database_is_one_clear_message() {
    sqlite_only!("a SQLite file locked by another process");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.db");
    let holder = TestDb::open(&path);
    holder.batch("PRAGMA journal_mode = DELETE; CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);");
    let (code, _, err) = run(&mut natter(&dir));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot open the database") && err.contains("locked"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    drop(holder);
}

#[test]
fn a_file_that_is_not_a_database_is_one_clear_message() {
    sqlite_only!("a SQLite file that is not a database");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("natter.db"), vec![b'x'; 8192]).unwrap();
    let (code, _, err) = run(&mut natter(&dir));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot open the database") && err.contains("not a database"),
        "{err}"
    );
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_cmd(natter(&dir));
    let body =
        json!({"site": "default", "page": "/p", "text": "finished during shutdown"}).to_string();
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let (head, tail) = body.split_at(body.len() / 2);
    write!(
        sock,
        "POST /api/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        body.len()
    )
    .unwrap();
    sock.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(300));
    sock.write_all(tail.as_bytes()).unwrap();
    let mut answer = String::new();
    sock.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = server.child.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    let n: i64 = dir_db(dir.path()).query_row(
        "SELECT count(*) FROM comments WHERE text = 'finished during shutdown'",
        params![],
        |r| r.get(0),
    );
    assert_eq!(n, 1);
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let server = start_cmd(natter(&dir));
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    sock.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    // The server closes the connection: reading ends at EOF, not at the socket's own
    // 20-second read timeout (an error).
    let mut answer = Vec::new();
    let read = sock.read_to_end(&mut answer);
    assert!(
        read.is_ok(),
        "the server held a half-sent request open: {read:?}"
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    stop(server);
}

/// Builds `support/fsync_gate.c`, an `LD_PRELOAD` shim that holds every fsync of a `-wal`
/// file until a gate file exists, with the system's C compiler.
fn fsync_gate(dir: &Path) -> PathBuf {
    let so = dir.join("fsync_gate.so");
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/api/support/fsync_gate.c"
    );
    let status = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-o"])
        .arg(&so)
        .args([src, "-ldl"])
        .status()
        .expect("a C compiler (cc) for the fsync gate");
    assert!(status.success());
    so
}

/// A server whose WAL fsyncs wait for `gate` (started with the gate open, then closed),
/// and the next of which fails while a file `fail` exists in `dir`.
fn gated_server(dir: &tempfile::TempDir, durability: &str) -> (crate::cli::Server, PathBuf) {
    let so = fsync_gate(dir.path());
    let gate = dir.path().join("gate");
    std::fs::write(&gate, "").unwrap();
    let mut cmd = natter(dir);
    cmd.env("LD_PRELOAD", &so)
        .env("NATTER_FSYNC_GATE", &gate)
        .env("NATTER_FSYNC_FAIL", dir.path().join("fail"))
        .env("NATTER_DURABILITY", durability);
    let server = start_cmd(cmd);
    std::fs::remove_file(&gate).unwrap();
    let _ = std::fs::remove_file(dir.path().join("gate.waiting"));
    (server, gate)
}

fn post_one(port: u16, text: &str) -> tokio::task::JoinHandle<u16> {
    let body = json!({"site": "default", "page": "/p", "text": text});
    tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/api/comments"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    })
}

#[tokio::test]
async fn with_full_durability_no_201_goes_out_before_the_wal_fsync() {
    sqlite_only!("holds the fsyncs of SQLite's WAL file");
    let dir = tempfile::tempdir().unwrap();
    let (server, gate) = gated_server(&dir, "full");
    let mut answer = post_one(server.port, "held at the fsync");
    // The commit reaches its fsync, which the shim holds…
    let waiting = dir.path().join("gate.waiting");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !waiting.exists() {
        assert!(
            Instant::now() < deadline,
            "no fsync of the WAL was ever made"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // …and while it is held, the client has no answer.
    let early = tokio::time::timeout(Duration::from_millis(500), &mut answer).await;
    assert!(early.is_err(), "answered before the fsync: {early:?}");
    std::fs::write(&gate, "").unwrap();
    assert_eq!(answer.await.unwrap(), 201);
    stop(server);
}

#[tokio::test]
async fn with_normal_durability_a_201_needs_no_fsync() {
    sqlite_only!("holds the fsyncs of SQLite's WAL file");
    let dir = tempfile::tempdir().unwrap();
    let (server, _gate) = gated_server(&dir, "normal");
    // The gate stays shut: a commit that waited for a WAL fsync would never be answered.
    let answer = tokio::time::timeout(Duration::from_secs(20), post_one(server.port, "no fsync"))
        .await
        .expect("answered without any WAL fsync");
    assert_eq!(answer.unwrap(), 201);
    assert!(!dir.path().join("gate.waiting").exists());
    stop(server);
}

/// A clean stop syncs files (the final checkpoint); a disk that never finishes an fsync must
/// not keep SIGTERM from stopping the server. The next start recovers as after a crash.
#[tokio::test]
async fn sigterm_stops_the_server_even_when_the_disk_never_syncs() {
    sqlite_only!("holds the fsyncs of SQLite's WAL file");
    let dir = tempfile::tempdir().unwrap();
    let (server, _gate) = gated_server(&dir, "normal");
    assert_eq!(post_one(server.port, "kept").await.unwrap(), 201);
    let started = Instant::now();
    stop(server); // fails if the server is still running 10 s after SIGTERM
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    stop(start_cmd(natter(&dir)));
    let n: i64 =
        dir_db(dir.path()).query_row("SELECT count(*) FROM comments", params![], |r| r.get(0));
    assert_eq!(n, 1);
}

#[test]
fn a_zero_byte_database_file_is_refused_not_started_afresh() {
    sqlite_only!("an empty SQLite file");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.db");
    std::fs::write(&path, b"").unwrap();
    let (code, _, err) = run_to_exit(&mut natter(&dir));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("empty (0 bytes)") && err.contains("natter.db"),
        "{err}"
    );
    // The CLI commands refuse it the same way, and nobody wrote to it.
    let (code, _, err) = run(natter(&dir).args(["admin", "token", "list"]));
    assert_ne!(code, 0);
    assert!(err.contains("empty (0 bytes)"), "{err}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

#[test]
fn a_schema_newer_than_the_binary_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    // A database this binary made, then "migrated" by a future one.
    assert_eq!(run(natter(&dir).args(["admin", "token", "list"])).0, 0);
    dir_db(dir.path()).execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES ('9001_from_the_future', 0)",
        params![],
    );
    let known = crate::helpers::migrations().last().unwrap().0;
    for args in [
        &[][..],
        &["admin", "token", "list"][..],
        &["export", "--site", "default"][..],
    ] {
        let (code, out, err) = run_to_exit(natter(&dir).args(args));
        assert!(code > 0, "{args:?}: {code} {out}");
        assert!(
            err.contains("9001_from_the_future") && err.contains(known) && err.contains("newer"),
            "{args:?}: {err}"
        );
    }
    // A schema this binary knows all of still starts.
    dir_db(dir.path()).execute(
        "DELETE FROM schema_migrations WHERE version = '9001_from_the_future'",
        params![],
    );
    assert_eq!(run(natter(&dir).args(["admin", "token", "list"])).0, 0);
}

#[tokio::test]
async fn a_damaged_page_is_found_before_start_up() {
    sqlite_only!("damages a page of the SQLite file");
    let dir = tempfile::tempdir().unwrap();
    let server = start_cmd(natter(&dir));
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/comments", server.port))
        .json(&json!({"site": "default", "page": "/p", "text": "before the damage"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    stop(server);
    let path = dir.path().join("natter.db");
    let conn = TestDb::open(&path);
    conn.batch("PRAGMA wal_checkpoint(TRUNCATE)");
    let (root, page_size): (i64, i64) = conn
        .query_row("SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_schema WHERE name = 'comments'", params![], |r| (r.get(0), r.get(1)));
    drop(conn);
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(((root - 1) * page_size + 8) as u64))
            .unwrap();
        f.write_all(&[0xA5; 64]).unwrap();
    }
    let (code, _, err) = run_to_exit(&mut natter(&dir));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("is damaged") && err.contains("natter.db") && err.contains("restore"),
        "{err}"
    );
}

#[tokio::test]
async fn after_a_failed_fsync_a_retry_with_its_idempotency_key_gets_the_comment() {
    sqlite_only!("fails an fsync of SQLite's WAL file");
    let dir = tempfile::tempdir().unwrap();
    let (server, gate) = gated_server(&dir, "full");
    std::fs::write(&gate, "").unwrap(); // fsyncs go through, but for the one made to fail
    let fail = dir.path().join("fail");
    let base = format!("http://127.0.0.1:{}", server.port);
    let client = reqwest::Client::new();
    let post = |key: &'static str| {
        let req = client
            .post(format!("{base}/api/comments"))
            .json(&json!({"site": "default", "page": "/p", "text": "kept through a failed fsync"}));
        if key.is_empty() {
            req.send()
        } else {
            req.header("idempotency-key", key).send()
        }
    };
    const KEY: &str = "k-0123456789abcdef-retry";
    std::fs::write(&fail, "").unwrap();
    let res = post(KEY).await.unwrap();
    assert!(!fail.exists(), "the shim failed an fsync of the WAL");
    crate::helpers::assert_error(res, 503, "unavailable").await;
    // The author retries the same submission: 201, with the comment the first try made.
    let first: serde_json::Value = {
        let res = post(KEY).await.unwrap();
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    };
    let again: serde_json::Value = {
        let res = post(KEY).await.unwrap();
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    };
    assert_eq!(first, again, "the same comment and the same edit token");
    let id = first["comment"]["id"].as_i64().unwrap();
    let list: serde_json::Value = client
        .get(format!("{base}/api/comments?site=default&page=/p"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["comments"][0]["id"], id);
    // Without the key the same text is a duplicate, as before;
    crate::helpers::assert_error(post("").await.unwrap(), 409, "duplicate").await;
    // The token works: the retry got the author's rights.
    let res = client
        .patch(format!("{base}/api/comments/{id}"))
        .bearer_auth(first["edit_token"].as_str().unwrap())
        .json(&json!({"text": "edited after the retry"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A malformed key is refused.
    let res = client
        .post(format!("{base}/api/comments"))
        .header("idempotency-key", "short")
        .json(&json!({"site": "default", "page": "/q", "text": "x"}))
        .send()
        .await
        .unwrap();
    let body = crate::helpers::assert_error(res, 422, "validation_failed").await;
    assert_eq!(body["error"]["field"], "Idempotency-Key");
    stop(server);
}
