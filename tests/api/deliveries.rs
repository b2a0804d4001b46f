//! Deliveries never wait on each other: a receiver that hangs (a webhook that never
//! answers, a mail server that never greets) holds up only its own items, the outbox page
//! shows the attempt under way, and two processes on one database deliver each item once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use natter::config::Webhook;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::notify::{smtp, MOD};
use crate::outbox::{drained, rows};
use crate::sinks::{HookSink, SmtpSink};

/// A TCP server that accepts connections and then neither says nor answers anything,
/// keeping them open: a hanging webhook receiver, or a mail server that never greets.
struct Silent {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Silent {
    async fn start() -> Silent {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let (count, open) = (accepted.clone(), Arc::new(Mutex::new(Vec::new())));
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                open.lock().unwrap().push(sock);
            }
        });
        Silent { port, accepted }
    }

    async fn wait_accepted(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.accepted.load(Ordering::SeqCst) < n {
            assert!(
                Instant::now() < deadline,
                "no connection reached the silent peer"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn outbox_page(app: &TestApp) -> Value {
    let res = app
        .admin(Method::GET, "/api/admin/outbox", &app.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn hook(url: String) -> Webhook {
    Webhook {
        url,
        events: vec!["comment.created".into()],
        secret: "s".into(),
    }
}

#[tokio::test]
async fn a_hanging_webhook_receiver_holds_up_no_other_delivery() {
    let silent = Silent::start().await;
    let hooks = HookSink::start().await;
    let sink = SmtpSink::start().await;
    let hang = format!("http://127.0.0.1:{}/hang", silent.port);
    let (hang_url, ok_url, port) = (hang.clone(), hooks.url.clone(), sink.port);
    let app = TestApp::spawn_with(move |s| {
        s.webhooks = vec![hook(hang_url), hook(ok_url)];
        s.smtp = Some(smtp(port));
    })
    .await;
    app.create("/p", "first").await;
    // The hanging receiver has its connection, and its attempt is under way…
    silent.wait_accepted(1).await;
    // …while the healthy receiver and the mail server get theirs.
    hooks.wait_for("comment.created", 10).await;
    sink.wait_for(MOD, 1, 10).await;
    let page = outbox_page(&app).await;
    let stuck: Vec<&Value> = page["undelivered"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["target"] == hang.as_str())
        .collect();
    assert_eq!(stuck.len(), 1, "{page:#}");
    assert_eq!(stuck[0]["status"], "pending");
    assert!(
        stuck[0]["attempt_started_at"].is_string(),
        "the page shows the attempt under way: {page:#}"
    );
    // More events: the healthy targets keep getting theirs, and the hanging one is not
    // given a second attempt while the first still hangs.
    app.create("/p", "second").await;
    app.create("/p", "third").await;
    sink.wait_for(MOD, 3, 10).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while hooks.hooks.lock().unwrap().len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the healthy receiver did not get all three"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        silent.accepted.load(Ordering::SeqCst),
        1,
        "one attempt per target at a time"
    );
    let pending: Vec<_> = rows(app.db())
        .into_iter()
        .filter(|r| r.status == "pending")
        .map(|r| r.target)
        .collect();
    assert_eq!(
        pending,
        [hang.clone(), hang.clone(), hang],
        "only the hanging target waits"
    );
}

#[tokio::test]
async fn a_mail_server_that_never_greets_holds_up_no_webhook_and_times_out() {
    let silent = Silent::start().await;
    let hooks = HookSink::start().await;
    let (ok_url, port) = (hooks.url.clone(), silent.port);
    let app = TestApp::spawn_with(move |s| {
        s.webhooks = vec![hook(ok_url)];
        s.smtp = Some(smtp(port));
    })
    .await;
    app.create("/p", "one").await;
    silent.wait_accepted(1).await;
    hooks.wait_for("comment.created", 10).await;
    app.create("/p", "two").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while hooks.hooks.lock().unwrap().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "webhooks waited for the mail server"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The greeting never comes: the attempt fails at its step timeout and is retried.
    let deadline = Instant::now() + Duration::from_secs(40);
    let failed = loop {
        let tried: Vec<_> = rows(app.db())
            .into_iter()
            .filter(|r| r.kind == "email" && r.attempts > 0)
            .collect();
        if let Some(r) = tried.into_iter().next() {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "the silent mail server held the attempt forever"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed.status, "pending", "retried later, not given up");
    let error = failed.last_error.unwrap_or_default().to_lowercase();
    assert!(error.contains("did not answer within 10 s"), "{error}");
}

#[tokio::test]
async fn two_processes_on_one_database_deliver_each_item_once() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start().await;
    let hooks = HookSink::start().await;
    let cfg = dir.path().join("natter.toml");
    // One mail per comment, however many (digests have their own two-process test).
    std::fs::write(
        &cfg,
        format!(
            "[sites.blog]\norigins = [\"*\"]\n[limits]\ncomments_per_minute = 0\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {}\nmoderators = [\"{MOD}\"]\ndigest_after = 0\n\
             [[webhooks]]\nurl = \"{}\"\n",
            sink.port, hooks.url
        ),
    )
    .unwrap();
    let one = crate::cli::start(&dir, Some(&cfg));
    let two = crate::cli::start(&dir, Some(&cfg));
    let client = reqwest::Client::new();
    let n = 30;
    for i in 0..n {
        let port = if i % 2 == 0 { one.port } else { two.port };
        let res = client
            .post(format!("http://127.0.0.1:{port}/api/comments"))
            .json(&json!({"site": "blog", "page": format!("/p{}", i % 3), "text": format!("comment number {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    drained(&crate::helpers::dir_db(dir.path())).await;
    let mails = sink.to(MOD);
    let hooks_got = hooks.hooks.lock().unwrap().len();
    crate::cli::stop(one);
    crate::cli::stop(two);
    assert_eq!(mails.len(), n, "one moderator mail per comment");
    assert_eq!(hooks_got, n, "one webhook per comment");
    for i in 0..n {
        let text = format!("comment number {i}");
        let with = mails
            .iter()
            .filter(|m| {
                m.decoded().contains(&format!("{text}\r\n"))
                    || m.decoded().contains(&format!("{text}<"))
            })
            .count();
        assert_eq!(with, 1, "{text}");
    }
}
