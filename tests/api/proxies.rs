//! Behind a reverse proxy: `trusted_proxies` takes addresses and CIDR ranges, matches an IPv4
//! proxy seen on a dual-stack `[::]` bind, and the log says once when `X-Forwarded-For`
//! comes from a peer it does not trust.

use serde_json::json;

use crate::helpers::{settings, TestApp};
use crate::testdb::params;

/// Two posts from different clients behind the proxy at 127.0.0.1, with one comment a
/// minute per client: `[first status, second status]`, and the stored networks.
async fn two_clients(app: &TestApp) -> (Vec<u16>, Vec<String>) {
    let mut statuses = vec![];
    for (xff, text) in [("203.0.113.9", "one"), ("198.51.100.20", "two")] {
        let res = app
            .client
            .post(app.url("/api/comments"))
            .header("x-forwarded-for", xff)
            .json(&json!({"site": "blog", "page": "/p", "text": text}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    let ips = app
        .db()
        .query("SELECT ip FROM comments ORDER BY id", params![])
        .iter()
        .map(|r| r.get(0))
        .collect();
    (statuses, ips)
}

#[tokio::test]
async fn an_ipv4_proxy_on_a_dual_stack_bind_is_trusted() {
    let (mut s, dir) = settings();
    // On `[::]`, a connection to 127.0.0.1 arrives from ::ffff:127.0.0.1.
    s.bind = "[::]:0".into();
    s.limits.comments_per_minute = 1;
    s.trusted_proxies = vec!["127.0.0.1".into()];
    let app = TestApp::start(s, dir).await;
    let (statuses, ips) = two_clients(&app).await;
    assert_eq!(statuses, [201, 201], "each client has its own quota");
    assert_eq!(ips, ["203.0.113.0", "198.51.100.0"]);
}

#[tokio::test]
async fn a_cidr_range_of_proxies_is_trusted() {
    let app = TestApp::spawn_with(|s| {
        s.limits.comments_per_minute = 1;
        s.trusted_proxies = vec!["10.0.0.0/8".into(), "127.0.0.0/30".into()];
    })
    .await;
    let (statuses, ips) = two_clients(&app).await;
    assert_eq!(statuses, [201, 201]);
    assert_eq!(ips, ["203.0.113.0", "198.51.100.0"]);
}

#[tokio::test]
async fn a_range_that_leaves_the_peer_out_trusts_nothing() {
    let app = TestApp::spawn_with(|s| {
        s.limits.comments_per_minute = 1;
        // 127.0.0.4–7: the peer, 127.0.0.1, is just outside.
        s.trusted_proxies = vec!["127.0.0.4/30".into()];
    })
    .await;
    let (statuses, ips) = two_clients(&app).await;
    assert_eq!(statuses, [201, 429], "one client: the peer");
    assert_eq!(ips, ["127.0.0.0"]);
}

#[test]
fn bad_entries_stop_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["10.0.0.0/33", "proxy.example", "10.0.0.1/"] {
        let (code, _, err) = crate::cli::run(
            crate::cli::natter(&dir).env("NATTER_TRUSTED_PROXIES", format!("[\"{bad}\"]")),
        );
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("trusted_proxies"), "{bad}: {err}");
    }
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_logged_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base, log_path) = crate::logs::serve_logging_json(&dir, &[]).await;
    let client = reqwest::Client::new();
    let warnings = || {
        std::fs::read_to_string(&log_path)
            .unwrap()
            .lines()
            .filter(|l| l.contains("X-Forwarded-For") && l.contains("\"WARN\""))
            .count()
    };
    assert_eq!(warnings(), 0, "no warning before any such request");
    for i in 0..3 {
        let res = client
            .post(format!("{base}/api/comments"))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({"site": "default", "page": "/p", "text": format!("comment {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    let _ = server.child.wait();
    assert_eq!(
        warnings(),
        1,
        "{}",
        std::fs::read_to_string(&log_path).unwrap()
    );
}
