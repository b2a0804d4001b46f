//! Faults: SIGKILL under concurrent writes loses no acknowledged comment; start-up failures
//! are one clear message.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::cli::{natter, run, start_cmd, stop};

#[tokio::test]
async fn sigkill_during_concurrent_writes_loses_no_acknowledged_comment() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = natter(&dir);
    cmd.env("NATTER_LIMITS__COMMENTS_PER_MINUTE", "0");
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

    let restarted = start_cmd(natter(&dir));
    stop(restarted);
    let conn = rusqlite::Connection::open(dir.path().join("natter.db")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mut stmt = conn
        .prepare("SELECT text FROM comments WHERE id = ?1 AND status = 'approved'")
        .unwrap();
    for (id, text) in &acked {
        let stored: String = stmt
            .query_row([id], |r| r.get(0))
            .unwrap_or_else(|e| panic!("comment {id} lost: {e}"));
        assert_eq!(&stored, text);
    }
}

#[test]
fn a_database_path_that_is_a_directory_is_one_clear_message() {
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.db");
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("PRAGMA journal_mode = DELETE; CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);").unwrap();
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
    let conn = rusqlite::Connection::open(dir.path().join("natter.db")).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM comments WHERE text = 'finished during shutdown'",
            [],
            |r| r.get(0),
        )
        .unwrap();
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
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let _ = sock.read_to_end(&mut answer);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "the server held a half-sent request for {waited:?}"
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    stop(server);
}
