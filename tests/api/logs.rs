//! The real binary's request log: one JSON line per request (`NATTER_LOG_FORMAT=json`) with
//! the request id the answer carries, the route pattern and the status; never a query
//! string, page, email, token, IP or comment text.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::natter;

/// The real binary with JSON logs going to `dir/natter.log`, once it answers `/healthz`:
/// the server (killed if dropped still running), its base URL and the log's path.
pub(crate) async fn serve_logging_json(
    dir: &tempfile::TempDir,
    env: &[(&str, &str)],
) -> (crate::cli::Server, String, std::path::PathBuf) {
    let port = crate::sinks::free_port();
    let log_path = dir.path().join("natter.log");
    let mut cmd = natter(dir);
    cmd.env("NATTER_BIND", format!("127.0.0.1:{port}"))
        .env("NATTER_LOG_FORMAT", "json")
        .env_remove("NATTER_LOG")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap());
    let server = crate::cli::Server {
        child: cmd.spawn().unwrap(),
        port,
        stderr: String::new(),
    };
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, base, log_path)
}

#[tokio::test]
async fn each_request_logs_one_json_line_with_its_id_and_nothing_private() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base, log_path) = serve_logging_json(
        &dir,
        &[("NATTER_ADMIN_TOKEN", "natter_log-test-admin-token")],
    )
    .await;
    let client = reqwest::Client::new();

    let mut sent: Vec<(reqwest::Response, &str, &str)> = vec![];
    let res = client
        .post(format!("{base}/api/comments"))
        .header("x-forwarded-for", "203.0.113.77")
        .json(
            &json!({"site": "default", "page": "/private-page/", "text": "SECRET TEXT",
                      "email": "leak@example.org", "author": "Leaky Name"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    sent.push((res, "POST", "/api/comments"));
    let res = client
        .get(format!(
            "{base}/api/comments?site=default&page=/private-page/&q=leak@example.org"
        ))
        .send()
        .await
        .unwrap();
    sent.push((res, "GET", "/api/comments"));
    let res = client
        .get(format!("{base}/api/admin/comments?q=leak@example.org"))
        .bearer_auth("natter_log-test-admin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    sent.push((res, "GET", "/api/admin/comments"));
    let res = client
        .get(format!("{base}/api/comments/1"))
        .send()
        .await
        .unwrap();
    sent.push((res, "GET", "/api/comments/{id}"));
    let res = client
        .get(format!("{base}/no/such/route?email=leak@example.org"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    sent.push((res, "GET", "unmatched"));

    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let requests: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "request")
        .collect();

    for (res, method, route) in &sent {
        let id = res.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 16, "{id}");
        let mine: Vec<_> = requests
            .iter()
            .filter(|l| l["fields"]["request_id"] == id)
            .collect();
        assert_eq!(mine.len(), 1, "one line for {method} {route}: {log}");
        let f = &mine[0]["fields"];
        assert_eq!(f["method"], *method);
        assert_eq!(f["route"], *route);
        assert_eq!(f["status"], res.status().as_u16());
        assert!(f["ms"].as_f64().unwrap() >= 0.0);
    }
    let ids: std::collections::HashSet<_> = requests
        .iter()
        .map(|l| &l["fields"]["request_id"])
        .collect();
    assert_eq!(ids.len(), requests.len(), "request ids are unique");
    for secret in [
        "private-page",
        "leak@example.org",
        "SECRET TEXT",
        "Leaky Name",
        "203.0.113",
        "log-test-admin-token",
        "q=",
    ] {
        assert!(!log.contains(secret), "the log leaks {secret}:\n{log}");
    }
    // Nor the real peer's address (every request came from 127.0.0.1), which only actix's
    // own start-up line names, as the address it listens on.
    let with_peer: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("127.0.0.1") && !l.contains("listening on: 127.0.0.1"))
        .collect();
    assert!(
        with_peer.is_empty(),
        "the log names the client: {with_peer:?}"
    );
}
