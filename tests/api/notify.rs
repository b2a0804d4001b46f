//! Notifications through the outbox, against a real SMTP server and a real HTTP receiver.

use hmac::{Hmac, Mac};
use natter::config::{Moderation, Smtp, Webhook};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id_of, TestApp, BLOG};
use crate::outbox::{all_tried, drained, mail_to};
use crate::sinks::{free_port, HookSink, SmtpSink};
use crate::stored::{assert_forgotten, rows_holding};
use crate::testdb::params;

pub(crate) const MOD: &str = "mod@natter.example";

pub(crate) fn smtp(port: u16) -> Smtp {
    Smtp {
        host: "127.0.0.1".into(),
        port,
        from: "Natter <natter@natter.example>".into(),
        moderators: vec![MOD.into()],
        ..Smtp::default()
    }
}

pub(crate) async fn app_with_mail(sink: &SmtpSink, moderation: Moderation) -> TestApp {
    let port = sink.port;
    TestApp::spawn_with(move |s| {
        s.smtp = Some(smtp(port));
        s.sites.get_mut("blog").unwrap().moderation = moderation;
    })
    .await
}

#[tokio::test]
async fn moderators_get_held_comments_with_working_one_click_links() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink, Moderation::All).await;
    let id = id_of(&app.create_with(json!({"page": "/p", "text": "please approve", "author": "Ann", "title": "My post", "url": format!("{BLOG}/p")})).await);
    let mail = sink.wait_for(MOD, 1, 10).await.remove(0);
    assert!(
        mail.header("Subject")
            .unwrap()
            .contains("awaiting approval"),
        "{:?}",
        mail.header("Subject")
    );
    assert_eq!(
        mail.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    let body = mail.decoded();
    assert!(
        body.contains("please approve")
            && body.contains("Ann")
            && body.contains(&format!("{BLOG}/p#natter-{id}"))
    );
    assert!(body.contains("multipart/alternative") && body.contains("text/html"));
    let approve = mail
        .links("http://localhost:8080/moderate/")
        .into_iter()
        .find(|l| l.contains("/approve?"))
        .unwrap();
    let path = approve.trim_start_matches("http://localhost:8080");
    assert!(app.list_ids("/p", "").await.is_empty());
    let res = app.client.post(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.list_ids("/p", "").await, vec![id]);
}

#[tokio::test]
async fn reply_mail_needs_a_confirmed_opt_in_and_stops_on_unsubscribe() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink, Moderation::None).await;
    let ann = "ann@reader.example";
    let parent = id_of(
        &app.create_with(json!({"page": "/p", "text": "notify me", "email": ann, "notify": true}))
            .await,
    );
    let confirm = sink.wait_for(ann, 1, 10).await.remove(0);
    assert!(confirm.header("Subject").unwrap().starts_with("Confirm"));
    // A reply before confirming: nothing for Ann.
    app.create_with(json!({"page": "/p", "text": "early reply", "parent": parent, "email": "bob@reader.example", "author": "Bob"})).await;
    // The reply's mail would have been queued with it, before its 201.
    assert_eq!(mail_to(app.db(), ann), ["confirm"], "only the confirmation");
    drained(app.db()).await;
    assert_eq!(sink.to(ann).len(), 1, "only the confirmation");
    let link = confirm
        .links("http://localhost:8080/notify/confirm/")
        .remove(0);
    let path = link.trim_start_matches("http://localhost:8080");
    let shown = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(shown.status(), 200);
    assert!(shown
        .text()
        .await
        .unwrap()
        .contains("<form method=\"post\">"));
    let notify: i64 = app.db().query_row(
        "SELECT notify FROM comments WHERE id = ?1",
        params![parent],
        |r| r.get(0),
    );
    assert_eq!(notify, 1, "GET changes nothing");
    assert_eq!(
        app.client
            .post(app.url(path))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.create_with(json!({"page": "/p", "text": "a real reply", "parent": parent, "email": "bob@reader.example", "author": "Bob"})).await;
    let mails = sink.wait_for(ann, 2, 10).await;
    let reply = &mails[1];
    assert!(reply.header("Subject").unwrap().contains("Bob replied"));
    let unsubscribe = reply.header("List-Unsubscribe").unwrap();
    assert!(unsubscribe.starts_with("<http://localhost:8080/notify/unsubscribe/"));
    assert_eq!(
        reply.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(reply.decoded().contains("a real reply"));
    assert!(
        !reply.data.contains("bob@reader.example"),
        "another reader's address is never shown"
    );
    // One-click unsubscribe, as a mail client does it.
    let url = unsubscribe
        .trim_matches(['<', '>'])
        .trim_start_matches("http://localhost:8080");
    let res = app
        .client
        .post(app.url(url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.create_with(json!({"page": "/p", "text": "after unsubscribing", "parent": parent}))
        .await;
    assert_eq!(mail_to(app.db(), ann), ["confirm", "reply"]);
    drained(app.db()).await;
    assert_eq!(sink.to(ann).len(), 2);
}

#[tokio::test]
async fn held_replies_are_mailed_only_once_approved_and_rejected_ones_never() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink, Moderation::All).await;
    let token = app.admin_token();
    let ann = "ann@reader.example";
    let parent = id_of(
        &app.create_with(json!({"page": "/p", "text": "mine", "email": ann, "notify": true}))
            .await,
    );
    app.db().execute(
        "INSERT INTO confirmed_emails (site, email, confirmed_at) VALUES ('blog', ?1, 0)",
        params![ann],
    );
    let approve = |id: i64| {
        app.admin(
            Method::POST,
            &format!("/api/admin/comments/{id}/approve"),
            &token,
        )
        .send()
    };
    assert_eq!(approve(parent).await.unwrap().status(), 200);
    let spam = id_of(
        &app.create_with(json!({"page": "/p", "text": "spam reply", "parent": parent}))
            .await,
    );
    let good = id_of(
        &app.create_with(json!({"page": "/p", "text": "good reply", "parent": parent}))
            .await,
    );
    assert!(
        mail_to(app.db(), ann).is_empty(),
        "nothing queued before approval"
    );
    drained(app.db()).await;
    assert!(
        sink.to(ann).is_empty(),
        "nothing before approval: {:?}",
        sink.to(ann)
            .iter()
            .map(|m| m.header("Subject"))
            .collect::<Vec<_>>()
    );
    let res = app
        .admin(
            Method::POST,
            &format!("/api/admin/comments/{spam}/reject"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(approve(good).await.unwrap().status(), 200);
    assert_eq!(mail_to(app.db(), ann), ["reply"], "exactly one reply mail");
    drained(app.db()).await;
    let all = sink.to(ann);
    assert_eq!(all.len(), 1, "exactly one reply mail");
    assert!(all[0].decoded().contains("good reply") && !all[0].decoded().contains("spam reply"));
}

#[tokio::test]
async fn names_and_titles_cannot_inject_headers() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink, Moderation::None).await;
    for (field, value) in [
        ("author", "Eve\r\nBcc: victim@evil.example"),
        ("title", "Post\nBcc: victim@evil.example"),
    ] {
        let res = app
            .post_comment(json!({"page": "/p", "text": format!("x {field}"), field: value}))
            .await;
        assert_eq!(res.status(), 422, "{field}");
    }
    app.create_with(json!({"page": "/p", "text": "fine", "author": "Zoë \"Bcc: x@y.z\"", "title": "Ünïcode: <b>title</b>"})).await;
    let mail = sink.wait_for(MOD, 1, 10).await.remove(0);
    assert_eq!(mail.rcpt, vec![MOD.to_string()]);
    let head = mail.data.split("\r\n\r\n").next().unwrap().to_lowercase();
    assert!(!head.contains("\nbcc:") && !head.contains("victim"));
    assert_eq!(
        head.matches("\nto:").count() + usize::from(head.starts_with("to:")),
        1
    );
}

#[tokio::test]
async fn mail_survives_an_smtp_server_that_is_down_at_first() {
    let port = free_port();
    let app = TestApp::spawn_with(move |s| s.smtp = Some(smtp(port))).await;
    app.create("/p", "while the mail server is down").await;
    let tried = all_tried(app.db()).await;
    assert_eq!(tried.len(), 1);
    assert_eq!(tried[0].status, "pending", "{tried:?}");
    let token = app.admin_token();
    let state: Value = app
        .admin(Method::GET, "/api/admin/outbox", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["counts"]["pending"], 1);
    assert!(state["undelivered"][0]["last_error"].is_string());
    let sink = SmtpSink::start_on(port).await;
    let mail = sink.wait_for(MOD, 1, 15).await;
    assert!(mail[0].decoded().contains("while the mail server is down"));
}

#[tokio::test]
async fn webhooks_are_signed_and_carry_an_event_id() {
    let hooks = HookSink::start().await;
    let url = hooks.url.clone();
    let app = TestApp::spawn_with(move |s| {
        s.webhooks = vec![Webhook {
            url,
            events: vec![],
            secret: "s3cret".into(),
        }];
        s.sites.get_mut("blog").unwrap().moderation = Moderation::All;
    })
    .await;
    let token = app.admin_token();
    let id = id_of(&app.create("/p", "hooked").await);
    let created = hooks.wait_for("comment.created", 10).await;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(&created.body);
    assert_eq!(
        created.signature,
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    let body: Value = serde_json::from_slice(&created.body).unwrap();
    assert_eq!(body["event"], "comment.created");
    assert_eq!(body["comment"]["id"], id);
    assert_eq!(body["comment"]["status"], "pending");
    assert_eq!(body["id"], created.delivery);
    assert!(body["id"].as_str().unwrap().starts_with("evt_"));
    assert!(!String::from_utf8_lossy(&created.body).contains("127.0.0"));
    app.admin(
        Method::POST,
        &format!("/api/admin/comments/{id}/approve"),
        &token,
    )
    .send()
    .await
    .unwrap();
    hooks.wait_for("comment.approved", 10).await;
    app.admin(
        Method::POST,
        &format!("/api/admin/comments/{id}/reject"),
        &token,
    )
    .send()
    .await
    .unwrap();
    hooks.wait_for("comment.rejected", 10).await;
    app.admin(Method::DELETE, &format!("/api/admin/comments/{id}"), &token)
        .send()
        .await
        .unwrap();
    let deleted = hooks.wait_for("comment.deleted", 10).await;
    assert_ne!(deleted.delivery, created.delivery);
}

/// Follows the confirmation link of the latest opt-in mail to `to`.
pub(crate) async fn confirm_opt_in(app: &TestApp, sink: &SmtpSink, to: &str) {
    let mail = sink
        .wait_for(to, 1, 10)
        .await
        .into_iter()
        .rfind(|m| m.header("Subject").unwrap().starts_with("Confirm"))
        .unwrap();
    let link = mail
        .links("http://localhost:8080/notify/confirm/")
        .remove(0);
    let path = link.trim_start_matches("http://localhost:8080");
    let res = app.client.post(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn self_service_erase_always_answers_202_and_mails_a_working_link() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink, Moderation::None).await;
    let (eve, ann) = ("eve@reader.example", "ann@reader.example");
    // Everything that can carry Eve's data: her comments, her opt-in, the moderator mail and
    // confirmation about them, the reply mail she sent Ann and the one Bob's reply sent her.
    let eve_data = [
        eve,
        "eve%40reader.example",
        "Eve Quux",
        "erase me",
        "eve answers ann",
    ];
    let id = id_of(
        &app.create_with(json!({"page": "/p", "text": "erase me", "email": eve, "author": "Eve Quux", "notify": true}))
            .await,
    );
    let anns = id_of(
        &app.create_with(json!({"page": "/q", "text": "ann writes", "email": ann, "notify": true}))
            .await,
    );
    confirm_opt_in(&app, &sink, eve).await;
    confirm_opt_in(&app, &sink, ann).await;
    let eves_reply = id_of(&app.create_with(json!({"page": "/q", "text": "eve answers ann", "parent": anns, "email": eve, "author": "Eve Quux", "notify": true})).await);
    let bobs = id_of(
        &app.create_with(
            json!({"page": "/q", "text": "bob answers eve", "parent": eves_reply, "author": "Bob"}),
        )
        .await,
    );
    assert_eq!(mail_to(app.db(), ann), ["confirm", "reply"]);
    assert_eq!(mail_to(app.db(), eve), ["confirm", "reply"]);
    for email in [eve, "nobody@reader.example"] {
        let res = app
            .post_json(
                "/api/privacy/erase",
                &json!({"site": "blog", "email": email}),
            )
            .await;
        assert_eq!(res.status(), 202);
    }
    assert!(
        mail_to(app.db(), "nobody@reader.example").is_empty(),
        "no mail for an address with no comments"
    );
    let again = app
        .post_json("/api/privacy/erase", &json!({"site": "blog", "email": eve}))
        .await;
    assert_eq!(again.status(), 202);
    assert_eq!(
        mail_to(app.db(), eve),
        ["confirm", "reply", "erase"],
        "one erase mail an hour"
    );
    drained(app.db()).await;
    assert!(sink.to("nobody@reader.example").is_empty());
    let mail = sink.to(eve).pop().unwrap();
    assert!(mail.header("Subject").unwrap().starts_with("Erase"));
    let held: Vec<String> = rows_holding(app.db(), &eve_data)
        .into_iter()
        .map(|(table, _)| table)
        .collect();
    for table in ["comments", "outbox", "confirmed_emails"] {
        assert!(held.iter().any(|t| t == table), "{table}: {held:?}");
    }
    let link = mail.links("http://localhost:8080/privacy/erase?").remove(0);
    let path = link
        .trim_start_matches("http://localhost:8080")
        .replace("&amp;", "&");
    assert_eq!(
        app.client
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(app.list_ids("/p", "").await, vec![id], "GET erases nothing");
    let forged = path.replace("sig=", "sig=1");
    assert_eq!(
        app.client
            .post(app.url(&forged))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app.client
            .post(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(app.list_ids("/p", "").await.is_empty());
    let q = app.list("/q", "").await;
    assert_eq!(crate::helpers::ids(&q), vec![anns, eves_reply, bobs]);
    assert_eq!(q["comments"][1]["status"], "deleted");
    // Nothing about Eve is left anywhere: not her comments, not her opt-in, not a row of
    // the outbox, sent or not — the erase mail included. Ann's and Bob's data stays.
    assert_forgotten(app.db(), &eve_data);
    assert!(mail_to(app.db(), eve).is_empty());
    assert_eq!(mail_to(app.db(), ann), ["confirm"]);
    let confirmed: Vec<String> = app
        .db()
        .query("SELECT email FROM confirmed_emails", params![])
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(confirmed, [ann]);
    assert_eq!(
        rows_holding(app.db(), &["bob answers eve"]).len(),
        2,
        "Bob's reply and the moderator mail about it"
    );
    // With nothing left, asking again mails nothing.
    let after = app
        .post_json("/api/privacy/erase", &json!({"site": "blog", "email": eve}))
        .await;
    assert_eq!(after.status(), 202);
    assert!(mail_to(app.db(), eve).is_empty());
    let bad = app
        .post_json("/api/privacy/erase", &json!({"site": "nope", "email": eve}))
        .await;
    assert_eq!(bad.status(), 404);
}

#[tokio::test]
async fn undelivered_mail_is_delivered_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = dir.path().join("natter.toml");
    std::fs::write(
        &cfg,
        format!("[sites.blog]\norigins = [\"*\"]\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nmoderators = [\"{MOD}\"]\n"),
    )
    .unwrap();
    let server = crate::cli::start(&dir, Some(&cfg));
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/comments", server.port))
        .json(&json!({"site": "blog", "page": "/p", "text": "sent across a restart"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // Tried and failed before the restart, so the second server must pick it up again.
    let tried = all_tried(&crate::helpers::dir_db(dir.path())).await;
    assert_eq!(tried[0].status, "pending");
    crate::cli::stop(server);
    let sink = SmtpSink::start_on(port).await;
    let server = crate::cli::start(&dir, Some(&cfg));
    let mail = sink.wait_for(MOD, 1, 15).await;
    assert!(mail[0].decoded().contains("sent across a restart"));
    crate::cli::stop(server);
}
