//! Several real `natter serve` processes on one PostgreSQL database: what one node writes
//! the others show, links work once, limits hold for the cluster, each mail goes once, a
//! node killed mid-burst loses no acknowledged comment, PostgreSQL going away and coming
//! back needs no restart of Natter. Runs when the suite has a PostgreSQL server
//! (`NATTER_TEST_PG`; scripts/test.sh starts one), else says it was skipped.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use natter::domain::moderate::{sign, Action};
use serde_json::{json, Value};

use crate::cli::{start_cmd, stop, Server};
use crate::helpers::{fresh_pg_database, test_pg};
use crate::notify::MOD;
use crate::sinks::SmtpSink;

/// A new database on the suite's PostgreSQL, or `None` (and a note) without one.
pub(crate) fn cluster_db(test: &str) -> Option<String> {
    match test_pg() {
        Some(admin) => Some(fresh_pg_database(&admin)),
        None => {
            eprintln!("{test}: skipped, no PostgreSQL (set NATTER_TEST_PG; scripts/test.sh does)");
            None
        }
    }
}

/// A config file: the site `blog`, moderation as given, the limits as given (others off).
pub(crate) fn config(
    dir: &Path,
    moderation: &str,
    comments_per_minute: u32,
    extra: &str,
) -> std::path::PathBuf {
    let path = dir.join("natter.toml");
    std::fs::write(
        &path,
        format!(
            "[limits]\ncomments_per_minute = {comments_per_minute}\nvotes_per_minute = 0\n\
             reads_per_minute = 0\nedits_per_minute = 0\nassets_per_minute = 0\n\
             [sites.blog]\norigins = [\"https://blog.example\"]\nmoderation = \"{moderation}\"\n{extra}"
        ),
    )
    .unwrap();
    path
}

/// Starts one node on `database` with `config`.
pub(crate) fn node(database: &str, config: &Path) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_natter"));
    cmd.args(["serve", "--config", config.to_str().unwrap()])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NATTER_DATABASE", database)
        .env("NATTER_BIND", "127.0.0.1:0")
        .env("NATTER_ADMIN_TOKEN", "cluster-test-token")
        .env("NATTER_DATABASE_WAIT", "10")
        .env("RUST_LOG", "info");
    start_cmd(cmd)
}

fn base(s: &Server) -> String {
    format!("http://127.0.0.1:{}", s.port)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn create(
    c: &reqwest::Client,
    node: &str,
    page: &str,
    text: &str,
) -> reqwest::Result<reqwest::Response> {
    c.post(format!("{node}/api/comments"))
        .header("origin", "https://blog.example")
        .json(&json!({"site": "blog", "page": page, "text": text}))
        .send()
        .await
}

async fn ids_on(c: &reqwest::Client, node: &str, page: &str) -> Vec<i64> {
    let res = c
        .get(format!(
            "{node}/api/comments?site=blog&page={page}&limit=100"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

/// Runs SQL on the database (off the test's runtime: the blocking client has its own).
pub(crate) fn sql_i64(database: &str, query: &str) -> i64 {
    let (db, q) = (database.to_string(), query.to_string());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
        c.query_one(q.as_str(), &[]).unwrap().get::<_, i64>(0)
    })
    .join()
    .unwrap()
}

fn server_key(database: &str) -> natter::domain::crypto::ServerKey {
    let db = database.to_string();
    let bytes: Vec<u8> = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
        c.query_one("SELECT value FROM secrets WHERE name = 'server'", &[])
            .unwrap()
            .get(0)
    })
    .join()
    .unwrap();
    natter::domain::crypto::ServerKey::from_bytes(&bytes).unwrap()
}

#[tokio::test]
async fn a_comment_written_through_one_node_shows_on_the_other_within_100_ms() {
    let Some(db) = cluster_db("cluster visibility") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "none", 0, "");
    let (a, b) = (node(&db, &cfg), node(&db, &cfg));
    let (ua, ub, c) = (base(&a), base(&b), client());
    for round in 0..5 {
        // B has the thread cached (read twice: the second is a cache hit) before A writes.
        let before = ids_on(&c, &ub, "/p").await;
        assert_eq!(ids_on(&c, &ub, "/p").await, before);
        let res = create(&c, &ua, "/p", &format!("round {round}"))
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["comment"]["id"]
            .as_i64()
            .unwrap();
        // On A at once, as on one node.
        assert!(ids_on(&c, &ua, "/p").await.contains(&id));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after = ids_on(&c, &ub, "/p").await;
        assert!(
            after.contains(&id),
            "round {round}: {id} not on B after 100 ms: {after:?}"
        );
    }
    stop(a);
    stop(b);
}

#[tokio::test]
async fn a_one_click_link_used_on_one_node_is_refused_on_the_other() {
    let Some(db) = cluster_db("cluster links") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "all", 0, "");
    let (a, b) = (node(&db, &cfg), node(&db, &cfg));
    let (ua, ub, c) = (base(&a), base(&b), client());
    let res = create(&c, &ua, "/held", "hold me").await.unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["comment"]["status"], "pending",
        "moderation = all holds it"
    );
    let id = body["comment"]["id"].as_i64().unwrap();
    // Both nodes sign with the one secret the first of them made.
    let sig = sign(
        &server_key(&db),
        id,
        Action::Approve,
        natter::domain::now() + 3600,
    );
    let path = format!("/moderate/{id}/approve?sig={sig}");
    let first = c.post(format!("{ua}{path}")).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let second = c.post(format!("{ub}{path}")).send().await.unwrap();
    assert_eq!(second.status(), 410, "used on A, so gone on B");
    assert_eq!(ids_on(&c, &ub, "/held").await, vec![id]);
    stop(a);
    stop(b);
}

#[tokio::test]
async fn comments_per_minute_holds_for_the_cluster_not_per_node() {
    let Some(db) = cluster_db("cluster limits") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "none", 3, "");
    let (a, b) = (node(&db, &cfg), node(&db, &cfg));
    let (ua, ub, c) = (base(&a), base(&b), client());
    // Two on each node would pass two per-node limiters of 3; the cluster allows 3.
    let mut statuses = Vec::new();
    for (i, n) in [&ua, &ub, &ua, &ub].into_iter().enumerate() {
        let res = create(&c, n, "/limits", &format!("comment {i}"))
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        }
    }
    assert_eq!(statuses, vec![201, 201, 201, 429]);
    assert_eq!(sql_i64(&db, "SELECT count(*) FROM comments"), 3);
    stop(a);
    stop(b);
}

#[tokio::test]
async fn two_nodes_deliver_each_mail_once() {
    let Some(db) = cluster_db("cluster mail") else {
        return;
    };
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let smtp = format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"natter@natter.example\"\n\
         moderators = [\"{MOD}\"]\ndigest_after = 0\n",
        sink.port
    );
    let cfg = config(dir.path(), "all", 0, &smtp);
    let (a, b) = (node(&db, &cfg), node(&db, &cfg));
    let (ua, ub, c) = (base(&a), base(&b), client());
    const N: usize = 12;
    for i in 0..N {
        let n = if i % 2 == 0 { &ua } else { &ub };
        let res = create(&c, n, "/mail", &format!("held {i}")).await.unwrap();
        assert_eq!(res.status(), 201);
    }
    let mails = sink.wait_for(MOD, N, 30).await;
    // Let any second delivery arrive before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails_now = sink.to(MOD);
    assert_eq!(mails.len(), N);
    assert_eq!(
        mails_now.len(),
        N,
        "each mail once, though both nodes run workers"
    );
    assert_eq!(
        sql_i64(&db, "SELECT count(*) FROM outbox WHERE status = 'sent'"),
        N as i64
    );
    stop(a);
    stop(b);
}

#[tokio::test]
async fn a_node_killed_mid_burst_loses_no_acknowledged_comment() {
    let Some(db) = cluster_db("cluster kill") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "none", 0, "");
    let (mut a, b) = (node(&db, &cfg), node(&db, &cfg));
    let (ua, ub) = (base(&a), base(&b));
    let c = client();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (c, ua, ub) = (c.clone(), ua.clone(), ub.clone());
        tasks.push(tokio::spawn(async move {
            let (mut acked, mut b_failures) = (Vec::new(), 0);
            let end = Instant::now() + Duration::from_millis(1500);
            let mut i = 0;
            while Instant::now() < end {
                let on_a = (w + i) % 2 == 0;
                let n = if on_a { &ua } else { &ub };
                match create(&c, n, "/burst", &format!("w{w} i{i}")).await {
                    Ok(r) if r.status() == 201 => {
                        let body: Value = r.json().await.unwrap();
                        acked.push(body["comment"]["id"].as_i64().unwrap());
                    }
                    _ if !on_a => b_failures += 1,
                    _ => {}
                }
                i += 1;
            }
            (acked, b_failures)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = Command::new("kill")
        .args(["-KILL", &a.child.id().to_string()])
        .status();
    let _ = a.child.wait();
    let mut acked = Vec::new();
    for t in tasks {
        let (ids, b_failures) = t.await.unwrap();
        assert_eq!(b_failures, 0, "node B never stopped answering");
        acked.extend(ids);
    }
    assert!(acked.len() > 8, "the burst made comments: {}", acked.len());
    let stored = sql_i64(&db, "SELECT count(*) FROM comments");
    assert!(stored >= acked.len() as i64);
    let missing = {
        let list = acked
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        sql_i64(
            &db,
            &format!(
                "SELECT {} - count(*) FROM comments WHERE id IN ({list})",
                acked.len()
            ),
        )
    };
    assert_eq!(missing, 0, "every acknowledged comment is stored");
    stop(b);
}

/// A PostgreSQL cluster of the test's own (it is stopped and started again).
pub(crate) struct OwnPg {
    pub dir: tempfile::TempDir,
    pub url: String,
}

impl OwnPg {
    pub fn start() -> OwnPg {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg.sh"))
            .args(["start", dir.path().join("pg").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8(out.stdout).unwrap().trim().to_string();
        OwnPg { dir, url }
    }

    pub fn pg_ctl(&self, action: &str) {
        let data = self.dir.path().join("pg");
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .map(|e| e.unwrap().path().join("bin/pg_ctl"))
            .max()
            .unwrap();
        let port = std::fs::read_to_string(data.join("port")).unwrap();
        let as_root = unsafe { libc::geteuid() } == 0;
        let mut cmd = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        cmd.args([
            "-D",
            data.join("data").to_str().unwrap(),
            "-w",
            "-m",
            "fast",
        ]);
        cmd.args(["-l", data.join("server.log").to_str().unwrap()]);
        if action == "start" {
            cmd.args([
                "-o",
                &format!(
                    "-p {} -k {} -c listen_addresses=127.0.0.1",
                    port.trim(),
                    data.display()
                ),
            ]);
        }
        cmd.stdout(std::process::Stdio::null());
        assert!(
            cmd.arg(action).status().unwrap().success(),
            "pg_ctl {action}"
        );
    }
}

impl Drop for OwnPg {
    fn drop(&mut self) {
        let _ = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg.sh"))
            .args(["stop", self.dir.path().join("pg").to_str().unwrap()])
            .status();
    }
}

#[tokio::test]
async fn postgres_going_away_answers_503_and_service_resumes_without_a_restart() {
    if cluster_db("postgres restart").is_none() {
        return;
    }
    let pg = OwnPg::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "none", 0, "");
    let a = node(&pg.url, &cfg);
    let (ua, c) = (base(&a), client());
    let mut acked = Vec::new();
    for i in 0..5 {
        let r = create(&c, &ua, "/down", &format!("before {i}"))
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        acked.push(
            r.json::<Value>().await.unwrap()["comment"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    pg.pg_ctl("stop");
    // While it is down: 503 in the error shape, for writes, reads and /healthz.
    let r = create(&c, &ua, "/down", "while down").await.unwrap();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let read = c
        .get(format!("{ua}/api/comments?site=blog&page=/down-other"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 503);
    assert_eq!(
        c.get(format!("{ua}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    pg.pg_ctl("start");
    // Back by itself: the writer, the pool and the listener connect again.
    let deadline = Instant::now() + Duration::from_secs(20);
    let back = loop {
        let r = create(&c, &ua, "/down", "after").await.unwrap();
        if r.status() == 201 {
            break r.json::<Value>().await.unwrap()["comment"]["id"]
                .as_i64()
                .unwrap();
        }
        assert_eq!(r.status(), 503, "only 503 while it comes back");
        assert!(Instant::now() < deadline, "Natter did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    acked.push(back);
    assert_eq!(
        c.get(format!("{ua}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let shown = ids_on(&c, &ua, "/down").await;
    for id in &acked {
        assert!(shown.contains(id), "{id} lost: {shown:?}");
    }
    stop(a);
}

pub(crate) fn sql(database: &str, statement: &str) {
    let (db, q) = (database.to_string(), statement.to_string());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
        c.batch_execute(&q).unwrap();
    })
    .join()
    .unwrap();
}

#[test]
fn an_unreachable_postgres_is_retried_for_a_bounded_time_then_named_and_refused() {
    // Nothing listens on this port (no server is needed for this one).
    let port = crate::sinks::free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crate::cli::natter(&dir);
    cmd.env(
        "NATTER_DATABASE",
        format!("postgres://natter:s3cret-pw@127.0.0.1:{port}/natter"),
    )
    .env("NATTER_DATABASE_WAIT", "2");
    let started = Instant::now();
    let (code, _, err) = crate::cli::run_to_exit(&mut cmd);
    assert_ne!(code, 0, "{err}");
    assert_ne!(code, -1, "it gave up by itself: {err}");
    assert!(
        err.contains(&format!("127.0.0.1:{port}")),
        "names the host: {err}"
    );
    assert!(err.contains("retrying"), "it retried: {err}");
    assert!(!err.contains("s3cret-pw"), "never the password: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it waited before giving up"
    );
}

#[test]
fn a_schema_newer_than_the_binary_is_refused_naming_both_versions() {
    let Some(db) = cluster_db("newer schema") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "none", 0, "");
    stop(node(&db, &cfg));
    sql(
        &db,
        "INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_from_the_future', 0)",
    );
    let mut cmd = crate::cli::natter(&dir);
    cmd.env("NATTER_DATABASE", &db)
        .args(["serve", "--config", cfg.to_str().unwrap()]);
    let (code, _, err) = crate::cli::run_to_exit(&mut cmd);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("9999_from_the_future")
            && err.contains(natter::store::pg::migrate::MIGRATIONS.last().unwrap().0),
        "{err}"
    );
    assert!(err.contains("newer"), "{err}");
}

#[test]
fn nodes_starting_together_migrate_once() {
    let Some(db) = cluster_db("migrate once") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "none", 0, "");
    let nodes: Vec<Server> = std::thread::scope(|s| {
        let starts: Vec<_> = (0..3).map(|_| s.spawn(|| node(&db, &cfg))).collect();
        starts.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        sql_i64(&db, "SELECT count(*) FROM schema_migrations"),
        natter::store::pg::migrate::MIGRATIONS.len() as i64
    );
    // One secret for all of them.
    assert_eq!(sql_i64(&db, "SELECT count(*) FROM secrets"), 1);
    for n in nodes {
        stop(n);
    }
}

#[test]
fn a_database_that_answers_no_is_refused_at_once_not_retried() {
    let Some(db) = cluster_db("answers no") else {
        return;
    };
    let (base, _) = db.rsplit_once('/').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crate::cli::natter(&dir);
    cmd.env("NATTER_DATABASE", format!("{base}/no_such_database_here"))
        .env("NATTER_DATABASE_WAIT", "60");
    let (code, _, err) = crate::cli::run_to_exit(&mut cmd);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no_such_database_here") && err.contains("does not exist"),
        "{err}"
    );
    assert!(
        !err.contains("retrying"),
        "a refusal is not waited out: {err}"
    );
}
