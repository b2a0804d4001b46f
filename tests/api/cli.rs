//! The real binary: token commands, config errors, start-up, restart and migrations.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{dir_db, sqlite_only};
use crate::testdb::params;

pub(crate) fn natter(dir: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_natter"));
    cmd.current_dir(dir.path())
        .env_remove("NATTER_CONFIG")
        .env_remove("NATTER_ADMIN_TOKEN")
        .env("NATTER_DATABASE", crate::helpers::dir_database(dir.path()))
        .env("NATTER_BIND", "127.0.0.1:0")
        .stdin(Stdio::null());
    cmd
}

/// Like [`run`] for a command that should exit by itself (a refusal at start-up): one that
/// is still running after 20 seconds is killed and reported as exit code -1.
pub(crate) fn run_to_exit(cmd: &mut Command) -> (i32, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn token_create_prints_once_then_list_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run(natter(&dir).args(["admin", "token", "create", "--name", "ci"]));
    assert_eq!(code, 0);
    let token = out.trim();
    assert!(token.starts_with("natter_") && token.len() > 40, "{token}");
    let (code, _, err) = run(natter(&dir).args(["admin", "token", "create", "--name", "ci"]));
    assert_ne!(code, 0);
    assert!(err.contains("already exists"));
    let (_, list, _) = run(natter(&dir).args(["admin", "token", "list"]));
    assert!(list.starts_with("ci\t"));
    assert!(
        !list.contains(token),
        "the token itself is never shown again"
    );
    let stored: String = dir_db(dir.path()).query_row(
        "SELECT hash FROM admin_tokens WHERE name = 'ci'",
        params![],
        |r| r.get(0),
    );
    assert_ne!(stored, token, "only a hash is stored");
    assert_eq!(
        run(natter(&dir).args(["admin", "token", "revoke", "ci"])).0,
        0
    );
    assert_ne!(
        run(natter(&dir).args(["admin", "token", "revoke", "ci"])).0,
        0
    );
    let (_, list, _) = run(natter(&dir).args(["admin", "token", "list"]));
    assert!(list.trim().is_empty());
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["admin", "--help"],
        &["admin", "token", "--help"],
        &["admin", "token", "create", "--help"],
    ] {
        let (code, out, _) = run(natter(&dir).args(args));
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage"), "{args:?}: {out}");
    }
}

#[test]
fn a_bad_config_stops_start_up_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[limits]\nreads_per_minute = -3\n").unwrap();
    for args in [
        vec!["--config", cfg.to_str().unwrap(), "serve"],
        vec!["serve", "--config", cfg.to_str().unwrap()],
    ] {
        let (code, _, err) = run(natter(&dir).args(&args));
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("bad.toml") && err.contains("reads_per_minute"),
            "{err}"
        );
        assert!(!err.contains("panicked"));
    }
    let (code, _, err) = run(natter(&dir).env("NATTER_CONFIG", &cfg));
    assert_eq!(code, 2);
    assert!(err.contains("reads_per_minute"));
}

#[test]
fn a_missing_database_directory_is_one_clear_message() {
    sqlite_only!("the directory of a SQLite file");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(natter(&dir).env("NATTER_DATABASE", "/nonexistent/dir/natter.db"));
    assert_eq!(code, 1);
    assert!(
        err.contains("/nonexistent/dir") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"));
}

pub(crate) struct Server {
    pub child: Child,
    pub port: u16,
    pub stderr: String,
}

impl Drop for Server {
    /// A test that fails before it stops its server leaves no process behind (nor, on
    /// PostgreSQL, its connections): SIGKILL, then reaped. Nothing after [`stop`].
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// The child is handed to the caller, and `stop` waits for it.
#[allow(clippy::zombie_processes)]
pub(crate) fn start(dir: &tempfile::TempDir, config: Option<&std::path::Path>) -> Server {
    let mut cmd = natter(dir);
    if let Some(c) = config {
        cmd.args(["serve", "--config", c.to_str().unwrap()]);
    }
    start_cmd(cmd)
}

// The child is handed to the caller, and `stop` waits for it.
#[allow(clippy::zombie_processes)]
pub(crate) fn start_cmd(mut cmd: Command) -> Server {
    let mut child = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server did not start: {seen}");
        }
        seen.push_str(&line);
        if let Some(rest) = line.split("port=").nth(1) {
            let port = rest
                .trim()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap();
            // Keep draining so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in reader.lines() {});
            return Server {
                child,
                port,
                stderr: seen,
            };
        }
    }
}

pub(crate) fn stop(mut s: Server) {
    let _ = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if s.child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = s.child.kill();
    panic!("server ignored SIGTERM");
}

#[tokio::test]
async fn the_binary_serves_on_defaults_and_a_restart_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(&dir, None);
    assert!(
        first.stderr.contains("first admin token"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("no site is declared"),
        "{}",
        first.stderr
    );
    let base = format!("http://127.0.0.1:{}", first.port);
    let client = reqwest::Client::new();
    let demo = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(demo.status(), 200);
    assert!(demo.text().await.unwrap().contains("data-site=\"default\""));
    let res = client
        .post(format!("{base}/api/comments"))
        .json(&json!({"site": "default", "page": "/hello/", "text": "kept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    stop(first);

    let second = start(&dir, None);
    assert!(
        !second.stderr.contains("first admin token"),
        "printed once only"
    );
    assert!(
        !second.stderr.contains("migrations applied"),
        "{}",
        second.stderr
    );
    let base = format!("http://127.0.0.1:{}", second.port);
    let list: Value = client
        .get(format!("{base}/api/comments?site=default&page=/hello/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["comments"][0]["html"], "<p>kept</p>\n");
    stop(second);
    let conn = dir_db(dir.path());
    let applied: i64 = conn.query_row("SELECT count(*) FROM schema_migrations", params![], |r| {
        r.get(0)
    });
    assert_eq!(applied as usize, crate::helpers::migrations().len());
    if !conn.is_postgres() {
        let mode: String = conn.query_row("PRAGMA journal_mode", params![], |r| r.get(0));
        assert_eq!(mode, "wal");
    }
}

#[tokio::test]
async fn a_site_removed_from_the_config_keeps_its_comments_but_answers_unknown_site() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("natter.toml");
    std::fs::write(
        &cfg,
        "[sites.a]\norigins = [\"*\"]\n[sites.b]\norigins = [\"*\"]\n",
    )
    .unwrap();
    let s = start(&dir, Some(&cfg));
    let base = format!("http://127.0.0.1:{}", s.port);
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/comments"))
        .json(&json!({"site": "b", "page": "/p", "text": "in b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    stop(s);
    std::fs::write(&cfg, "[sites.a]\norigins = [\"*\"]\n").unwrap();
    let s = start(&dir, Some(&cfg));
    let base = format!("http://127.0.0.1:{}", s.port);
    let res = client
        .get(format!("{base}/api/comments?site=b&page=/p"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let demo = client
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(demo.contains("data-site=\"a\""));
    stop(s);
    std::fs::write(
        &cfg,
        "[sites.a]\norigins = [\"*\"]\n[sites.b]\norigins = [\"*\"]\n",
    )
    .unwrap();
    let s = start(&dir, Some(&cfg));
    let base = format!("http://127.0.0.1:{}", s.port);
    let list: Value = client
        .get(format!("{base}/api/comments?site=b&page=/p"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    stop(s);
}

#[tokio::test]
async fn natter_admin_token_from_the_environment_works_and_no_token_is_generated() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = natter(&dir);
    cmd.env("NATTER_ADMIN_TOKEN", "an-operator-chosen-secret");
    let s = start_cmd(cmd);
    assert!(!s.stderr.contains("first admin token"));
    let base = format!("http://127.0.0.1:{}", s.port);
    let client = reqwest::Client::new();
    let ok = client
        .get(format!("{base}/api/admin/sites"))
        .bearer_auth("an-operator-chosen-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad = client
        .get(format!("{base}/api/admin/sites"))
        .bearer_auth("an-operator-chosen-secreT")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    stop(s);
}

#[tokio::test]
async fn healthcheck_exits_0_on_a_healthy_server_and_1_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir, None);
    let check = |port: u16| {
        let mut cmd = natter(&dir);
        cmd.arg("healthcheck")
            .env("NATTER_BIND", format!("127.0.0.1:{port}"));
        run(&mut cmd)
    };
    let (code, out, err) = check(server.port);
    assert_eq!((code, out.trim()), (0, "ok"), "{err}");
    // The database goes bad under the server: /healthz answers 503, the check fails.
    dir_db(dir.path()).batch("ALTER TABLE sites RENAME TO sites_gone");
    let (code, _, err) = check(server.port);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("503"), "{err}");
    stop(server);
    // Nothing listening at all.
    let (code, _, err) = check(crate::sinks::free_port());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot reach"), "{err}");
}
