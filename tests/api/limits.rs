//! Rate limits per anonymized client: 429 with Retry-After, proxies believed only when trusted.

use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp, BLOG};
use crate::testdb::params;

#[tokio::test]
async fn creates_over_the_limit_get_429_with_retry_after_and_cors() {
    let app = TestApp::spawn_with(|s| s.limits.comments_per_minute = 2).await;
    for i in 0..2 {
        assert_eq!(
            app.post_comment(json!({"page": "/p", "text": format!("c{i}")}))
                .await
                .status(),
            201
        );
    }
    let res = app
        .client
        .post(app.url("/api/comments"))
        .header("origin", BLOG)
        .json(&json!({"site": "blog", "page": "/p", "text": "c3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        BLOG,
        "CORS kept on 429"
    );
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body = assert_error(res, 429, "rate_limited").await;
    assert_eq!(body["error"]["retry_after"], retry);
    assert_eq!(
        app.list("/p", "").await["total"],
        2,
        "the refused comment was not stored"
    );
}

#[tokio::test]
async fn votes_and_reads_have_their_own_limits() {
    let app = TestApp::spawn_with(|s| {
        s.limits.votes_per_minute = 1;
        s.limits.reads_per_minute = 3;
    })
    .await;
    let id = app.create("/p", "x").await["comment"]["id"]
        .as_i64()
        .unwrap();
    let vote = format!("/api/comments/{id}/vote");
    assert_eq!(
        app.post_json(&vote, &json!({"value": 1})).await.status(),
        200
    );
    assert_error(
        app.post_json(&vote, &json!({"value": -1})).await,
        429,
        "rate_limited",
    )
    .await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/counts?site=blog&page=/p").await.status(), 200);
    }
    assert_error(
        app.get("/api/comments?site=blog&page=/p").await,
        429,
        "rate_limited",
    )
    .await;
    // Avatars and preflights don't count as reads.
    let avatar = app
        .db()
        .query_row("SELECT avatar FROM comments", params![], |r| {
            r.get::<String>(0)
        });
    assert_eq!(
        app.get(&format!("/api/avatar/{avatar}.svg")).await.status(),
        200
    );
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/comments"))
        .header("origin", BLOG)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success());
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing() {
    let app = TestApp::spawn_with(|s| s.limits.comments_per_minute = 1).await;
    let post = |xff: &'static str, text: &'static str| {
        app.client
            .post(app.url("/api/comments"))
            .header("x-forwarded-for", xff)
            .json(&json!({"site": "blog", "page": "/p", "text": text}))
            .send()
    };
    assert_eq!(post("203.0.113.1", "a").await.unwrap().status(), 201);
    assert_eq!(post("198.51.100.7", "b").await.unwrap().status(), 429);
    let ip: String = app
        .db()
        .query_row("SELECT ip FROM comments", params![], |r| r.get(0));
    assert_eq!(ip, "127.0.0.0", "the peer, not the header");
}

#[tokio::test]
async fn a_trusted_proxys_forwarded_for_is_walked_from_the_right() {
    let app = TestApp::spawn_with(|s| {
        s.limits.comments_per_minute = 1;
        s.trusted_proxies = vec!["127.0.0.1".into(), "10.0.0.2".into()];
    })
    .await;
    let post = |xff: &'static str, text: &'static str| {
        app.client
            .post(app.url("/api/comments"))
            .header("x-forwarded-for", xff)
            .json(&json!({"site": "blog", "page": "/p", "text": text}))
            .send()
    };
    assert_eq!(
        post("1.1.1.1, 203.0.113.9, 10.0.0.2", "a")
            .await
            .unwrap()
            .status(),
        201
    );
    // A different client behind the same proxies has its own quota...
    assert_eq!(post("198.51.100.20", "b").await.unwrap().status(), 201);
    // ...while a spoofed leftmost entry doesn't buy a new one.
    assert_eq!(
        post("9.9.9.9, 203.0.113.9, 10.0.0.2", "c")
            .await
            .unwrap()
            .status(),
        429
    );
    let ips: Vec<String> = app
        .db()
        .query("SELECT ip FROM comments ORDER BY id", params![])
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ips, vec!["203.0.113.0", "198.51.100.0"]);
}

#[tokio::test]
async fn zero_means_unlimited() {
    let app = TestApp::spawn_with(|s| s.limits.comments_per_minute = 0).await;
    for i in 0..12 {
        let res = app
            .post_comment(json!({"page": "/p", "text": format!("n{i}")}))
            .await;
        assert_eq!(res.status(), 201);
    }
    let v: Value = app
        .get("/api/counts?site=blog&page=/p")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["counts"]["/p"], 12);
}

/// Posts a comment from each `(address, expected status)` in turn, the address sent as
/// `X-Forwarded-For` (the app trusts 127.0.0.1), and asserts each status; returns the
/// stored `ip` of every stored comment, in order.
async fn post_from_each(app: &TestApp, steps: &[(&str, u16)]) -> Vec<String> {
    for (i, (addr, want)) in steps.iter().enumerate() {
        let res = app
            .client
            .post(app.url("/api/comments"))
            .header("x-forwarded-for", *addr)
            .json(&json!({"site": "blog", "page": "/p", "text": format!("from {addr} ({i})")}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, *want, "a comment from {addr}: {body}");
        if status == 429 {
            assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        }
    }
    app.db()
        .query("SELECT ip FROM comments ORDER BY id", params![])
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn hosts_of_one_ipv4_slash_24_share_a_limit_and_neighbouring_networks_dont() {
    let app = TestApp::spawn_with(|s| {
        s.limits.comments_per_minute = 1;
        s.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let ips = post_from_each(
        &app,
        &[
            ("203.0.113.5", 201),
            // The same /24, the other end of it.
            ("203.0.113.250", 429),
            // The /24s just above and just below.
            ("203.0.114.5", 201),
            ("203.0.112.255", 201),
        ],
    )
    .await;
    assert_eq!(ips, vec!["203.0.113.0", "203.0.114.0", "203.0.112.0"]);
}

#[tokio::test]
async fn hosts_of_one_ipv6_slash_48_share_a_limit_and_neighbouring_networks_dont() {
    let app = TestApp::spawn_with(|s| {
        s.limits.comments_per_minute = 1;
        s.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let ips = post_from_each(
        &app,
        &[
            ("2001:db8:1:ffff::1", 201),
            // The same /48, another /64 of it.
            ("2001:db8:1::2", 429),
            // The /48s just above and just below.
            ("2001:db8:2::1", 201),
            ("2001:db8:0:ffff::1", 201),
        ],
    )
    .await;
    // Compared as addresses: the stored text may spell the network either way.
    let ips: Vec<std::net::Ipv6Addr> = ips.iter().map(|ip| ip.parse().unwrap()).collect();
    let want: Vec<std::net::Ipv6Addr> = ["2001:db8:1::", "2001:db8:2::", "2001:db8::"]
        .iter()
        .map(|ip| ip.parse().unwrap())
        .collect();
    assert_eq!(ips, want);
}

#[tokio::test]
async fn votes_are_limited_per_slash_24_too() {
    let app = TestApp::spawn_with(|s| {
        s.limits.votes_per_minute = 1;
        s.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let id = app.create("/p", "x").await["comment"]["id"]
        .as_i64()
        .unwrap();
    let vote = |addr: &'static str| {
        app.client
            .post(app.url(&format!("/api/comments/{id}/vote")))
            .header("x-forwarded-for", addr)
            .json(&json!({"value": 1}))
            .send()
    };
    assert_eq!(vote("203.0.113.5").await.unwrap().status(), 200);
    assert_error(vote("203.0.113.250").await.unwrap(), 429, "rate_limited").await;
    assert_eq!(vote("203.0.114.5").await.unwrap().status(), 200);
}

/// Asserts a 429 with `Retry-After` (whole seconds, 1..=60) and the same `retry_after` in
/// the error object.
async fn assert_limited(res: reqwest::Response, what: &str) {
    assert_eq!(res.status(), 429, "{what}");
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{what}: {retry}");
    let body = assert_error(res, 429, "rate_limited").await;
    assert_eq!(body["error"]["retry_after"], retry, "{what}: {body}");
}

/// An author's request on comment `id` with its edit token, from `addr` (sent as
/// `X-Forwarded-For`; the app trusts 127.0.0.1).
async fn authored(
    app: &TestApp,
    method: reqwest::Method,
    id: i64,
    token: &str,
    addr: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, app.url(&format!("/api/comments/{id}")))
        .bearer_auth(token)
        .header("x-forwarded-for", addr);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn edits_and_deletes_share_a_per_client_limit_of_their_own() {
    use reqwest::Method;
    let app = TestApp::spawn_with(|s| {
        s.limits.edits_per_minute = 3;
        s.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let mut mine = vec![];
    for i in 0..4 {
        let c = app.create("/p", &format!("comment {i}")).await;
        mine.push((
            c["comment"]["id"].as_i64().unwrap(),
            c["edit_token"].as_str().unwrap().to_string(),
        ));
    }
    let edit = |i: usize, text: &str, addr: &'static str| {
        let (id, token) = &mine[i];
        authored(
            &app,
            Method::PATCH,
            *id,
            token,
            addr,
            Some(json!({ "text": text })),
        )
    };
    let delete = |i: usize, addr: &'static str| {
        let (id, token) = &mine[i];
        authored(&app, Method::DELETE, *id, token, addr, None)
    };
    let (a, b) = ("203.0.113.7", "198.51.100.7");
    // Up to the limit: two edits and a delete.
    assert_eq!(edit(0, "edited once", a).await.status(), 200);
    assert_eq!(edit(0, "edited twice", a).await.status(), 200);
    assert_eq!(delete(1, a).await.status(), 204);
    // Over it, an edit and a delete are refused, and change nothing.
    assert_limited(edit(0, "edited thrice", a).await, "an edit").await;
    assert_limited(delete(2, a).await, "a delete").await;
    // Another client has its own quota.
    assert_eq!(edit(2, "still here", b).await.status(), 200);
    assert_eq!(delete(3, b).await.status(), 204);
    let texts: Vec<(i64, String)> = app
        .db()
        .query("SELECT id, text FROM comments ORDER BY id", params![])
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        texts,
        vec![
            (mine[0].0, "edited twice".to_string()),
            (mine[2].0, "still here".to_string())
        ]
    );
    // Guessing tokens spends the quota as well: one edit token can't be hammered.
    let c = "192.0.2.7";
    let (id, token) = &mine[0];
    for _ in 0..3 {
        let res = authored(
            &app,
            Method::PATCH,
            *id,
            "guess",
            c,
            Some(json!({"text": "x"})),
        )
        .await;
        assert_eq!(res.status(), 401);
    }
    let res = authored(
        &app,
        Method::PATCH,
        *id,
        token,
        c,
        Some(json!({"text": "x"})),
    )
    .await;
    assert_limited(res, "an edit after three guesses").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("natter_rate_limited_total") && l.contains("class=\"edit\"")),
        "{metrics}"
    );
}

#[tokio::test]
async fn previews_spend_the_read_quota() {
    let app = TestApp::spawn_with(|s| s.limits.reads_per_minute = 3).await;
    let body = json!({"text": "*hi*", "site": "blog"});
    let preview = || app.post_json("/api/preview", &body);
    assert_eq!(preview().await.status(), 200);
    assert_eq!(preview().await.status(), 200);
    assert_eq!(app.get("/api/config?site=blog").await.status(), 200);
    assert_limited(preview().await, "a preview").await;
    assert_limited(
        app.get("/api/comments?site=blog&page=/p").await,
        "a read after previews",
    )
    .await;
}

/// Every read route spends the read budget, once per request, in the one table of route
/// classes (`http::middleware::route_class`): with one read a minute, the second request
/// to any of them is 429, whatever the route.
#[tokio::test]
async fn every_read_route_spends_the_read_budget() {
    let gets = [
        "/api/comments?site=blog&page=/p",
        "/api/comments/{id}",
        "/api/comments.html?site=blog&page=/p",
        "/api/counts?site=blog&page=/p",
        "/api/config?site=blog",
        "/feed/blog.atom",
    ];
    for path in gets {
        let app = TestApp::spawn_with(|s| s.limits.reads_per_minute = 1).await;
        let id = app.create("/p", "x").await["comment"]["id"]
            .as_i64()
            .unwrap();
        let path = path.replace("{id}", &id.to_string());
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
        assert_error(app.get(&path).await, 429, "rate_limited").await;
    }
    let posts = [
        ("/api/counts", json!({"site": "blog", "pages": ["/p"]})),
        ("/api/preview", json!({"site": "blog", "text": "*hi*"})),
    ];
    for (path, body) in &posts {
        let app = TestApp::spawn_with(|s| s.limits.reads_per_minute = 1).await;
        assert_eq!(app.post_json(path, body).await.status(), 200, "{path}");
        assert_error(app.post_json(path, body).await, 429, "rate_limited").await;
    }
}
