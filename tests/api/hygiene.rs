//! What a hostile client's connections may cost: a limit spent before a body is read, a
//! deadline for the whole body, a per-client limit on every route, and a cap on
//! connections per client network.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::helpers::TestApp;

fn port_of(app: &TestApp) -> u16 {
    app.address.rsplit(':').next().unwrap().parse().unwrap()
}

/// What the server sends on `sock` until it closes or `wait` passes.
fn answer(sock: &mut TcpStream, wait: Duration) -> String {
    sock.set_read_timeout(Some(wait)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if got.windows(4).any(|w| w == b"\r\n\r\n") && got.ends_with(b"}") {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn a_client_over_its_limit_is_refused_before_its_body_is_read() {
    let app = TestApp::spawn_with(|s| s.limits.comments_per_minute = 1).await;
    app.create("/p", "the one allowed").await;
    let port = port_of(&app);
    let got = tokio::task::spawn_blocking(move || {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        // A large body announced, none of it sent.
        sock.write_all(
            b"POST /api/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n",
        )
        .unwrap();
        answer(&mut sock, Duration::from_secs(8))
    })
    .await
    .unwrap();
    assert!(got.starts_with("HTTP/1.1 429"), "{got:?}");
    assert!(got.to_lowercase().contains("retry-after:"), "{got}");
    assert!(got.contains("\"rate_limited\""), "{got}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off_with_408() {
    let app = TestApp::spawn().await;
    let port = port_of(&app);
    let got = tokio::task::spawn_blocking(move || {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.write_all(
            b"POST /api/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"site\":",
        )
        .unwrap();
        // Bounded by the socket's read timeout, well past the 10 s deadline.
        answer(&mut sock, Duration::from_secs(25))
    })
    .await
    .unwrap();
    assert!(got.starts_with("HTTP/1.1 408"), "{got:?}");
    assert!(got.contains("\"malformed_request\""), "{got}");
    assert!(app.list_ids("/p", "").await.is_empty());
}

#[tokio::test]
async fn the_widget_healthz_and_avatars_spend_a_per_client_budget_of_their_own() {
    let app = TestApp::spawn_with(|s| {
        s.limits.assets_per_minute = 3;
        s.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let get = |path: &'static str, client: &'static str| {
        app.client
            .get(app.url(path))
            .header("x-forwarded-for", client)
            .send()
    };
    for path in ["/embed.js", "/healthz", "/api/openapi.json"] {
        assert_eq!(
            get(path, "203.0.113.1").await.unwrap().status(),
            200,
            "{path}"
        );
    }
    let res = get("/healthz", "203.0.113.1").await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let res = get("/embed.js", "203.0.113.1").await.unwrap();
    assert_eq!(res.status(), 429);
    // Another client has its own budget; thread reads spend the read budget, not this one.
    assert_eq!(
        get("/embed.js", "198.51.100.1").await.unwrap().status(),
        200
    );
    let res = get("/api/comments?site=blog&page=/p", "203.0.113.1")
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Connects and makes one request on a kept-alive connection: the server has admitted it.
fn admitted(port: u16) -> Option<TcpStream> {
    let mut sock = TcpStream::connect(("127.0.0.1", port)).ok()?;
    sock.write_all(b"GET /api/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .ok()?;
    sock.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut head = [0u8; 12];
    sock.read_exact(&mut head).ok()?;
    (&head == b"HTTP/1.1 200").then_some(sock)
}

#[tokio::test]
async fn a_client_network_holds_at_most_128_connections() {
    let app = TestApp::spawn_with(|s| s.limits.assets_per_minute = 0).await;
    let port = port_of(&app);
    let open = natter::http::conn::PER_CLIENT as usize;
    tokio::task::spawn_blocking(move || {
        let mut held: Vec<TcpStream> = (0..open)
            .map(|i| admitted(port).unwrap_or_else(|| panic!("connection {i} refused")))
            .collect();
        // One more from the same network is closed unanswered.
        assert!(
            admitted(port).is_none(),
            "connection {} was admitted",
            open + 1
        );
        // When one goes, a new one is admitted.
        held.pop();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = admitted(port) {
                held.push(s);
                break;
            }
            assert!(Instant::now() < deadline, "no slot came free");
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_trusted_proxy_is_not_held_to_the_cap() {
    let app = TestApp::spawn_with(|s| {
        s.limits.assets_per_minute = 0;
        s.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let port = port_of(&app);
    let open = natter::http::conn::PER_CLIENT as usize + 10;
    tokio::task::spawn_blocking(move || {
        let held: Vec<TcpStream> = (0..open)
            .map(|i| admitted(port).unwrap_or_else(|| panic!("connection {i} refused")))
            .collect();
        assert_eq!(held.len(), open);
    })
    .await
    .unwrap();
}

/// The resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn pipelined_requests_whose_answers_are_never_read_hold_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crate::cli::natter(&dir);
    // Every request is answered 200 (no 429s): the most work a flood can cause.
    cmd.env("NATTER_LIMITS__ASSETS_PER_MINUTE", "0");
    let server = crate::cli::start_cmd(cmd);
    let (port, pid) = (server.port, server.child.id());
    let before = rss_kib(pid);
    // 20 connections, each sending pipelined requests as fast as the server takes them for
    // 3 s (at most 16 MiB each), and never reading an answer.
    let request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(1500);
    let senders: Vec<_> = (0..20)
        .map(|_| {
            let request = request.clone();
            std::thread::spawn(move || {
                let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
                sock.set_write_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                let (start, mut sent) = (Instant::now(), 0usize);
                while start.elapsed() < Duration::from_secs(3) && sent < 16 << 20 {
                    match sock.write(&request) {
                        Ok(n) => sent += n,
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
                (sock, sent)
            })
        })
        .collect();
    let held: Vec<(TcpStream, usize)> = senders.into_iter().map(|t| t.join().unwrap()).collect();
    // The server goes on working through what it has read; measure once it has had time.
    std::thread::sleep(Duration::from_secs(1));
    let after = rss_kib(pid);
    let sent: usize = held.iter().map(|(_, n)| n).sum();
    drop(held);
    crate::cli::stop(server);
    let grown_mib = after.saturating_sub(before) / 1024;
    assert!(
        sent > 1 << 20,
        "the clients did send requests: {sent} bytes"
    );
    assert!(
        grown_mib < 64,
        "memory grew by {grown_mib} MiB ({before} KiB to {after} KiB) for {sent} bytes of unread pipelined requests"
    );
}
