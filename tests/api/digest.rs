//! Moderators' digests, against the real server and a real SMTP sink: up to `digest_after`
//! comments within `digest_window` get a mail each; past that they are gathered into one
//! digest per moderator and site, sent when its window ends, that lists every comment it
//! covers with working one-click links. Every comment reaches each moderator exactly once,
//! an erase takes a person's entries out of a digest, and two processes share one digest.

use std::collections::BTreeMap;
use std::time::Duration;

use natter::config::{Moderation, Smtp};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{id_of, TestApp, BLOG};
use crate::notify::{smtp, MOD};
use crate::outbox::{drained, rows};
use crate::sinks::{Mail, SmtpSink};
use crate::stored::{assert_forgotten, rows_holding};
use crate::testdb::params;

const MOD2: &str = "mod2@natter.example";
const LINKS: &str = "http://localhost:8080/moderate/";

fn digest_smtp(port: u16, after: u32, window: u32) -> Smtp {
    Smtp {
        digest_after: after,
        digest_window: window,
        ..smtp(port)
    }
}

async fn app(moderation: Moderation, smtp: Smtp) -> TestApp {
    TestApp::spawn_with(move |s| {
        s.smtp = Some(smtp);
        s.sites.get_mut("blog").unwrap().moderation = moderation;
    })
    .await
}

/// The comments a moderator's mail covers, by their one-click delete links: each comment's
/// link is there once in the text part and once in the HTML part, never more.
fn covered(mail: &Mail) -> Vec<i64> {
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for link in mail.links(LINKS) {
        if let Some((id, _)) = link
            .strip_prefix(LINKS)
            .and_then(|rest| rest.split_once("/delete?sig="))
        {
            *seen.entry(id.parse().unwrap()).or_default() += 1;
        }
    }
    assert!(
        seen.values().all(|n| *n == 2),
        "each comment listed once (text and HTML): {seen:?}\n{}",
        mail.decoded()
    );
    seen.into_keys().collect()
}

/// The comments of a mail's text part, in the order it lists them.
fn covered_in_order(mail: &Mail) -> Vec<i64> {
    let text = mail.decoded();
    let text = &text[..text.find("text/html").unwrap_or(text.len())];
    Mail {
        rcpt: vec![],
        data: text.to_string(),
    }
    .links(LINKS)
    .iter()
    .filter_map(|l| l.strip_prefix(LINKS)?.split_once("/delete?sig="))
    .map(|(id, _)| id.parse().unwrap())
    .collect()
}

/// A digest says how many comments it lists where a single mail names its page.
fn is_digest(mail: &Mail) -> bool {
    let subject = mail.header("Subject").unwrap_or_default();
    subject
        .strip_prefix("[blog] ")
        .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_digit()))
}

/// The outbox's digest rows: `(id, target, status, entries)`.
fn digests(app: &TestApp) -> Vec<(i64, String, String, i64)> {
    app.db()
        .query(
            "SELECT o.id, o.target, o.status,
                    (SELECT count(*) FROM digest_entries e WHERE e.outbox_id = o.id), o.payload
               FROM outbox o ORDER BY o.id",
            params![],
        )
        .iter()
        .filter(|r| crate::outbox::what(&r.get::<String>(4)) == "digest")
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

/// Every comment id in `mails`, asserting that none is in two of them.
fn each_once(mails: &[Mail]) -> Vec<i64> {
    let mut all: Vec<i64> = mails.iter().flat_map(covered).collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "a comment was mailed twice");
    all
}

async fn burst(app: &TestApp, n: usize) -> Vec<i64> {
    burst_from(app, 0, n).await
}

/// Comments `from..from + n`, each with its own author and text, on two pages.
async fn burst_from(app: &TestApp, from: usize, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in from..from + n {
        ids.push(id_of(
            &app.create_with(json!({"page": format!("/p{}", i % 2), "text": format!("burst comment number {i}"), "author": format!("Author {i}")}))
                .await,
        ));
    }
    ids
}

#[tokio::test]
async fn below_the_threshold_every_comment_gets_its_own_mail_and_the_count_restarts_with_the_window(
) {
    let sink = SmtpSink::start().await;
    let app = app(Moderation::All, digest_smtp(sink.port, 4, 2)).await;
    let first = burst(&app, 4).await;
    drained(app.db()).await;
    let mails = sink.to(MOD);
    assert_eq!(mails.len(), 4);
    assert!(mails.iter().all(|m| covered(m).len() == 1 && !is_digest(m)));
    assert_eq!(each_once(&mails), first);
    assert!(digests(&app).is_empty());
    // Once the window has passed, the count starts again.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let second = burst_from(&app, 4, 4).await;
    drained(app.db()).await;
    let mails = sink.to(MOD);
    assert_eq!(mails.len(), 8);
    assert!(mails.iter().all(|m| covered(m).len() == 1 && !is_digest(m)));
    assert_eq!(each_once(&mails[4..]), second);
    assert!(digests(&app).is_empty());
}

#[tokio::test]
async fn a_burst_past_the_threshold_becomes_one_digest_per_moderator_with_working_links() {
    let sink = SmtpSink::start().await;
    let smtp = Smtp {
        moderators: vec![MOD.into(), MOD2.into()],
        ..digest_smtp(sink.port, 3, 4)
    };
    let app = app(Moderation::All, smtp).await;
    let ids = burst(&app, 20).await;
    // Queued with the comments, before their answers: the digest waits for its window.
    let pending = digests(&app);
    assert_eq!(
        pending
            .iter()
            .map(|d| (&d.1[..], &d.2[..], d.3))
            .collect::<Vec<_>>(),
        [(MOD, "pending", 17), (MOD2, "pending", 17)],
        "{pending:?}"
    );
    let (created, due): (i64, i64) = app.db().query_row(
        "SELECT created_at, next_attempt_at FROM outbox WHERE id = ?1",
        params![pending[0].0],
        |r| (r.get(0), r.get(1)),
    );
    assert_eq!(due - created, 4, "sent when its window ends");
    for to in [MOD, MOD2] {
        let mails = sink.wait_for(to, 4, 20).await;
        assert_eq!(each_once(&mails), ids, "every comment, once, to {to}");
        // Mails go out side by side, so the first three may arrive in any order; the
        // digest comes seconds later.
        assert!(mails[..3]
            .iter()
            .all(|m| covered(m).len() == 1 && !is_digest(m)));
        assert_eq!(each_once(&mails[..3]), ids[..3]);
        let digest = &mails[3];
        assert!(is_digest(digest));
        assert_eq!(
            digest.header("Subject").unwrap(),
            "[blog] 17 new comments, 17 awaiting approval"
        );
        assert_eq!(covered(digest), ids[3..]);
        let body = digest.decoded();
        for (i, id) in ids.iter().enumerate().skip(3) {
            for needle in [
                format!("Author {i} wrote on /p{}", i % 2),
                format!("burst comment number {i}\r\n"),
                format!("/moderate/{id}/approve?sig="),
                format!("/moderate/{id}/reject?sig="),
            ] {
                assert!(body.contains(&needle), "{needle} in\n{body}");
            }
        }
        assert_eq!(body.matches("(awaiting your approval):\r\n").count(), 17);
    }
    // One click from the digest approves the comment.
    let target = ids[10];
    let approve = sink.to(MOD)[3]
        .links(LINKS)
        .into_iter()
        .find(|l| l.contains(&format!("/moderate/{target}/approve?")))
        .unwrap();
    assert!(!app.list_ids("/p0", "").await.contains(&target));
    let res = app
        .client
        .post(app.url(approve.trim_start_matches("http://localhost:8080")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.list_ids("/p0", "").await, [target]);
    // Once the digest is sent it takes nothing more, and the single mails it outlived have
    // left the window: the next comments get mails of their own again.
    let later = burst_from(&app, 20, 2).await;
    for to in [MOD, MOD2] {
        let mails = sink.wait_for(to, 6, 20).await;
        assert!(mails[4..].iter().all(|m| !is_digest(m)));
        assert_eq!(each_once(&mails[4..]), later);
    }
    drained(app.db()).await;
    for to in [MOD, MOD2] {
        let mails = sink.to(to);
        assert_eq!(mails.len(), 6);
        assert_eq!(each_once(&mails), [&ids[..], &later[..]].concat());
    }
}

#[tokio::test]
async fn with_digest_after_zero_a_burst_is_never_digested() {
    let sink = SmtpSink::start().await;
    let app = app(Moderation::None, digest_smtp(sink.port, 0, 1)).await;
    let ids = burst(&app, 15).await;
    let mails = sink.wait_for(MOD, 15, 20).await;
    // A digest would have been due a second after it opened.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    drained(app.db()).await;
    let mails_after = sink.to(MOD);
    assert_eq!(mails_after.len(), 15, "{:?}", mails.len());
    assert_eq!(each_once(&mails_after), ids);
    assert!(mails_after.iter().all(|m| covered(m).len() == 1));
    assert!(digests(&app).is_empty());
}

#[tokio::test]
async fn a_digest_lists_held_comments_first_marked_and_with_an_approve_link() {
    let sink = SmtpSink::start().await;
    let app = app(Moderation::None, digest_smtp(sink.port, 1, 2)).await;
    app.create("/m", "the first one").await;
    // More than three links hold a comment even where moderation is off.
    let links = "[a](https://a.example) [b](https://b.example) [c](https://c.example) [d](https://d.example)";
    let mut order = Vec::new();
    for (i, held) in [false, true, false, true].into_iter().enumerate() {
        let text = if held {
            format!("held {i} {links}")
        } else {
            format!("published {i}")
        };
        let c = app.create_with(json!({"page": "/m", "text": text})).await;
        assert_eq!(
            c["comment"]["status"],
            if held { "pending" } else { "approved" }
        );
        order.push((held, id_of(&c)));
    }
    let mails = sink.wait_for(MOD, 2, 20).await;
    let digest = &mails[1];
    assert_eq!(
        digest.header("Subject").unwrap(),
        "[blog] 4 new comments, 2 awaiting approval"
    );
    // Held ones first, each in the order it came.
    let listed = covered_in_order(digest);
    let expected: Vec<i64> = order
        .iter()
        .filter(|(held, _)| *held)
        .chain(order.iter().filter(|(held, _)| !*held))
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(listed, expected);
    let body = digest.decoded();
    for (held, id) in &order {
        let approve = format!("/moderate/{id}/approve?sig=");
        assert_eq!(body.contains(&approve), *held, "approve link for {id}");
    }
    assert_eq!(body.matches("(awaiting your approval):\r\n").count(), 2);
    assert_eq!(body.matches("(published):\r\n").count(), 2);
}

async fn erase(app: &TestApp, email: &str) {
    let res = app
        .admin(Method::POST, "/api/admin/erase", &app.admin_token())
        .json(&json!({"site": "blog", "email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn an_erase_takes_a_persons_entries_out_of_a_pending_digest_and_a_sent_one() {
    let sink = SmtpSink::start().await;
    let app = app(Moderation::None, digest_smtp(sink.port, 1, 4)).await;
    let (ann, bob) = ("ann@reader.example", "bob@reader.example");
    let url = format!("{BLOG}/e");
    let first = id_of(
        &app.create_with(json!({"page": "/e", "url": url, "text": "the first one"}))
            .await,
    );
    for text in ["ann says alpha", "ann says beta"] {
        app.create_with(
            json!({"page": "/e", "url": url, "text": text, "author": "Ann Quux", "email": ann}),
        )
        .await;
    }
    let bobs = id_of(
        &app.create_with(
            json!({"page": "/e", "url": url, "text": "bob says gamma", "author": "Bob Roe", "email": bob}),
        )
        .await,
    );
    assert_eq!(digests(&app)[0].2, "pending");
    assert_eq!(digests(&app)[0].3, 3);
    erase(&app, ann).await;
    // Gone from every table, the pending digest's entries included; Bob's entry stays.
    assert_forgotten(app.db(), &[ann, "Ann Quux", "ann says"]);
    let left = digests(&app);
    assert_eq!(left.len(), 1);
    assert_eq!((&left[0].2[..], left[0].3), ("pending", 1));
    let mails = sink.wait_for(MOD, 2, 20).await;
    assert_eq!(covered(&mails[0]), [first]);
    let digest = &mails[1];
    assert_eq!(digest.header("Subject").unwrap(), "[blog] 1 new comment");
    assert_eq!(covered(digest), [bobs]);
    let body = digest.decoded();
    assert!(
        body.contains("Bob Roe") && body.contains("bob says gamma") && body.contains("(published)")
    );
    assert!(
        !body.contains("Ann Quux") && !body.contains("ann says"),
        "{body}"
    );
    drained(app.db()).await;
    assert_eq!(sink.to(MOD).len(), 2);
    // Sent: the entry is the only copy of Bob's comment in it; his erase takes it out, and
    // the digest, left with nothing, goes too.
    assert_eq!(
        rows_holding(app.db(), &["bob says gamma"])
            .into_iter()
            .map(|(table, _)| table)
            .collect::<Vec<_>>(),
        ["comments", "digest_entries"]
    );
    erase(&app, bob).await;
    assert_forgotten(app.db(), &[bob, "Bob Roe", "bob says"]);
    assert!(digests(&app).is_empty());
    assert_eq!(rows(app.db()).len(), 1, "the first comment's own mail");
}

#[tokio::test]
async fn an_erase_that_empties_a_pending_digest_leaves_nothing_to_send() {
    let sink = SmtpSink::start().await;
    let app = app(Moderation::All, digest_smtp(sink.port, 1, 2)).await;
    let ann = "ann@reader.example";
    app.create("/e", "the first one").await;
    app.create_with(json!({"page": "/e", "text": "ann alone", "author": "Ann Quux", "email": ann}))
        .await;
    assert_eq!(digests(&app).len(), 1);
    erase(&app, ann).await;
    assert_forgotten(app.db(), &[ann, "Ann Quux", "ann alone"]);
    // Past the digest's window: no mail about nobody.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    drained(app.db()).await;
    let mails = sink.to(MOD);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].decoded().contains("the first one"));
    assert!(
        digests(&app).is_empty(),
        "the emptied digest went with the erase"
    );
}

#[tokio::test]
async fn two_processes_on_one_database_fill_one_digest_and_mail_each_comment_once() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start().await;
    let cfg = dir.path().join("natter.toml");
    std::fs::write(
        &cfg,
        format!(
            "[sites.blog]\norigins = [\"*\"]\nmoderation = \"all\"\n[limits]\ncomments_per_minute = 0\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {}\nmoderators = [\"{MOD}\"]\n\
             digest_after = 5\ndigest_window = 5\n",
            sink.port
        ),
    )
    .unwrap();
    let one = crate::cli::start(&dir, Some(&cfg));
    let two = crate::cli::start(&dir, Some(&cfg));
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..30 {
        let port = if i % 2 == 0 { one.port } else { two.port };
        let res = client
            .post(format!("http://127.0.0.1:{port}/api/comments"))
            .json(&json!({"site": "blog", "page": "/p", "text": format!("comment number {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        ids.push(
            res.json::<serde_json::Value>().await.unwrap()["comment"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let mails = sink.wait_for(MOD, 6, 20).await;
    drained(&crate::helpers::dir_db(dir.path())).await;
    let mails_after = sink.to(MOD);
    crate::cli::stop(one);
    crate::cli::stop(two);
    assert_eq!(mails_after.len(), 6, "{}", mails.len());
    assert_eq!(each_once(&mails_after), ids);
    let digest: Vec<&Mail> = mails_after.iter().filter(|m| is_digest(m)).collect();
    assert_eq!(digest.len(), 1);
    assert_eq!(covered(digest[0]), ids[5..]);
}
