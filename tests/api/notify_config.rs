//! The notification keys of a TOML config file — `public_url`, `outbox_max_age`,
//! `[smtp] tls` and `[[webhooks]]` — take effect in the real binary, each proven by what
//! it changes, not by how it parses.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use crate::notify::MOD;
use crate::outbox::rows;
use crate::sinks::{HookSink, SmtpOptions, SmtpSink};

#[tokio::test]
async fn notification_keys_from_the_file_change_what_the_server_does() {
    // STARTTLS with the untrusted test certificate: with `tls = "starttls"` the mail is
    // refused (with the default "none" it would be delivered in clear).
    let sink = SmtpSink::start_with(SmtpOptions {
        starttls: true,
        ..SmtpOptions::default()
    })
    .await;
    let hooks = HookSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("natter.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"public_url = "https://comments.example.org"
outbox_max_age = 1

[sites.blog]
origins = ["*"]

[smtp]
host = "127.0.0.1"
port = {port}
tls = "starttls"
moderators = ["{MOD}"]

[[webhooks]]
url = "{hook}/from-file"
events = ["comment.created"]
secret = "file-secret"
"#,
            port = sink.port,
            hook = hooks.url
        ),
    )
    .unwrap();
    let server = crate::cli::start(&dir, Some(&cfg));
    let base = format!("http://127.0.0.1:{}", server.port);
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{base}/api/comments"))
        .json(&json!({"site": "blog", "page": "/p", "text": "configured from a file"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["comment"]["id"].as_i64().unwrap();
    let kept = client
        .post(format!("{base}/api/comments"))
        .json(&json!({"site": "blog", "page": "/p", "text": "stays"}))
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 201);
    let res = client
        .delete(format!("{base}/api/comments/{id}"))
        .bearer_auth(created["edit_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    // outbox_max_age = 1: the refused mails are given up within seconds, not days;
    // everything else was delivered.
    let db = crate::helpers::dir_db(dir.path());
    let deadline = Instant::now() + Duration::from_secs(20);
    let done = loop {
        let all = rows(&db);
        if all.iter().all(|r| r.status != "pending") {
            break all;
        }
        assert!(Instant::now() < deadline, "still pending: {all:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mail: Vec<_> = done.iter().filter(|r| r.kind == "email").collect();
    assert_eq!(mail.len(), 2);
    for r in &mail {
        assert_eq!(r.status, "failed", "{r:?}");
        // public_url: the queued moderator mail links to it.
        assert!(
            r.payload.contains("https://comments.example.org/moderate/"),
            "{}",
            r.payload
        );
        assert!(!r.payload.contains("localhost"));
    }
    // smtp.tls = "starttls": the client asked for TLS and refused the certificate.
    let log = sink.log();
    assert!(log.iter().any(|l| l == "STARTTLS"), "{log:?}");
    assert!(sink.mails.lock().unwrap().is_empty());
    assert!(!log.iter().any(|l| l.starts_with("MAIL")), "{log:?}");

    // webhooks: the file's receiver got the two creations, signed with the file's
    // secret, and not the deletion it didn't ask for.
    let got = hooks.hooks.lock().unwrap().clone();
    let events: Vec<&str> = got.iter().map(|h| h.event.as_str()).collect();
    assert_eq!(events, ["comment.created", "comment.created"]);
    for h in &got {
        assert_eq!(h.path, "/hook/from-file");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"file-secret").unwrap();
        mac.update(&h.body);
        assert_eq!(
            h.signature,
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        );
    }
    assert_eq!(
        done.iter().filter(|r| r.kind == "webhook").count(),
        2,
        "no row for the deletion"
    );

    // public_url in the feed.
    let feed = client
        .get(format!("{base}/feed/blog.atom"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains("href=\"https://comments.example.org/feed/blog.atom\""),
        "{feed}"
    );
    crate::cli::stop(server);
}
