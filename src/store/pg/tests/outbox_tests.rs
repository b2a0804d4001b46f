//! Erasure's outbox side, digests and the rest of the outbox on PostgreSQL

use std::collections::BTreeSet;

use postgres::Client;

use super::{put, Db};
use crate::error::ApiError;
use crate::store::digests::DigestEntry;
use crate::store::outbox::{About, Email};
use crate::store::pg::{digests, outbox};

fn mail(purpose: &str, text: &str) -> Email {
    Email {
        purpose: purpose.into(),
        subject: "s".into(),
        text: text.into(),
        html: String::new(),
        unsubscribe: None,
    }
}

fn set(c: &mut Client, id: i64, sql: &str) {
    c.execute(&format!("UPDATE outbox SET {sql} WHERE id = $1"), &[&id])
        .unwrap();
}

#[test]
fn forget_deletes_one_persons_deliveries_and_nothing_else() {
    let Some(db) = Db::new("forget") else { return };
    let mut c = db.connect();
    let blog = |comment| About {
        site: "blog",
        comment,
    };
    let json = |m: &Email| serde_json::to_string(m).unwrap();
    let mut gone = BTreeSet::new();
    gone.insert(
        outbox::push_email_due(&mut c, "ann@x.com", &mail("reply", "hi"), blog(None), 1, 1)
            .unwrap(),
    );
    let r2 = put(&mut c, "email", "ANN@X.com", "{}", 1);
    gone.insert(r2);
    let news = About {
        site: "news",
        comment: None,
    };
    outbox::push_email(&mut c, "ann@x.com", &mail("reply", "hi"), news, 1).unwrap();
    outbox::push_webhook(&mut c, "ann@x.com", "{}", blog(None), 1).unwrap();
    gone.insert(
        outbox::push_email_due(
            &mut c,
            "bob@x.com",
            &mail("reply", "q"),
            blog(Some(7)),
            1,
            1,
        )
        .unwrap(),
    );
    let hook = put(&mut c, "webhook", "https://h/", "{}", 1);
    set(&mut c, hook, "comment_id = 8, site = 'blog'");
    gone.insert(hook);
    let legacy = |c: &mut Client, kind: &str, text: &str| {
        put(c, kind, "mod@x.com", &json(&mail("moderation", text)), 1)
    };
    gone.insert(legacy(
        &mut c,
        "email",
        "see https://h/moderate/7/delete?sig=abc",
    ));
    gone.insert(legacy(&mut c, "email", "HTTPS://H/MODERATE/8/DELETE?SIG=X"));
    gone.insert(legacy(&mut c, "email", "https://h/p#natter-7\nmore"));
    legacy(&mut c, "email", "https://h/p#natter-77\nmore");
    legacy(&mut c, "email", "https://h/moderate/17/delete?sig=abc");
    legacy(&mut c, "webhook", "https://h/moderate/7/delete?sig=abc");
    let raw_newline = put(&mut c, "email", "mod@x.com", "#natter-7\nraw", 1);
    let about_9 = legacy(&mut c, "email", "https://h/moderate/7/delete?sig=abc");
    set(&mut c, about_9, "comment_id = 9");
    let digest = |c: &mut Client| {
        let id = put(c, "email", "mod@x.com", &json(&mail("digest", "")), 1);
        set(c, id, "site = 'blog'");
        id
    };
    let (d1, d2, d3) = (digest(&mut c), digest(&mut c), digest(&mut c));
    let entry = |held| DigestEntry {
        held,
        text: "t".into(),
        html: "h".into(),
    };
    for (d, comment) in [(d1, 7), (d1, 99), (d2, 8), (d3, 99)] {
        digests::add_entry(&mut c, d, comment, &entry(comment == 7), 2).unwrap();
    }
    gone.insert(d2);
    let before: BTreeSet<i64> = all(&mut c);

    let n = outbox::forget(&mut c, "blog", "ann@x.com", &[7, 8]).unwrap();
    assert_eq!(n, gone.len() + 2, "rows, and the entries of 7 and 8");
    let left = all(&mut c);
    assert_eq!(
        before.difference(&left).copied().collect::<BTreeSet<_>>(),
        gone
    );
    assert!(left.contains(&raw_newline));
    let (site, entries) = digests::contents(&mut c, d1).unwrap();
    assert_eq!((site.as_str(), entries), ("blog", vec![entry(false)]));
    assert_eq!(
        outbox::forget(&mut c, "blog", "ann@x.com", &[7, 8]).unwrap(),
        0
    );

    // Non-ASCII letters keep their case, as SQLite's lower() leaves them.
    let jose = put(&mut c, "email", "JOSÉ@x.com", "{}", 1);
    assert_eq!(
        outbox::forget(&mut c, "blog", "josé@x.com", &[]).unwrap(),
        0
    );
    assert_eq!(
        outbox::forget(&mut c, "blog", "josÉ@X.COM", &[]).unwrap(),
        1
    );
    assert!(!all(&mut c).contains(&jose));
}

fn all(c: &mut Client) -> BTreeSet<i64> {
    c.query("SELECT id FROM outbox", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn digests_open_count_and_hold_entries() {
    let Some(db) = Db::new("digests") else { return };
    let mut c = db.connect();
    let now = 1_000_000;
    let json = |p: &str| serde_json::to_string(&mail(p, "")).unwrap();
    let digest = |c: &mut Client, to: &str, fix: &str| {
        let id = put(c, "email", to, &json("digest"), now + 60);
        set(c, id, &format!("site = 'blog', created_at = {}", now - 10));
        if !fix.is_empty() {
            set(c, id, fix);
        }
        id
    };
    let d1 = digest(&mut c, "mod@x.com", "");
    let d2 = digest(&mut c, "MOD@x.com", "");
    let news = digest(&mut c, "mod@x.com", "site = 'news'");
    digest(&mut c, "mod@x.com", "attempts = 1");
    digest(&mut c, "mod@x.com", "claimed_by = 'w'");
    digest(&mut c, "mod@x.com", &format!("next_attempt_at = {now}"));
    digest(
        &mut c,
        "mod@x.com",
        &format!("created_at = {}", now - 86_400),
    );
    digest(&mut c, "mod@x.com", "status = 'sent'");
    digest(&mut c, "mòd@x.com", "");
    let alone = put(&mut c, "email", "mod@x.com", &json("moderation"), now);
    set(
        &mut c,
        alone,
        &format!("site = 'blog', created_at = {}", now - 10),
    );
    assert_eq!(
        digests::open_digest(&mut c, "Mod@X.com", "blog", now).unwrap(),
        Some(d2)
    );
    set(&mut c, d2, "attempts = 1");
    assert_eq!(
        digests::open_digest(&mut c, "mod@x.com", "blog", now).unwrap(),
        Some(d1)
    );
    assert_eq!(
        digests::open_digest(&mut c, "MÒD@x.com", "blog", now).unwrap(),
        None
    );
    assert_eq!(
        digests::open_digest(&mut c, "mod@x.com", "news", now).unwrap(),
        Some(news)
    );

    let other = put(&mut c, "email", "MOD@X.COM", &json("moderation"), now);
    set(
        &mut c,
        other,
        &format!("site = 'news', created_at = {}", now - 5),
    );
    assert_eq!(
        digests::mailed_alone(&mut c, "mod@x.com", now - 11).unwrap(),
        2
    );
    assert_eq!(
        digests::mailed_alone(&mut c, "mod@x.com", now - 10).unwrap(),
        1
    );
    assert_eq!(digests::mailed_alone(&mut c, "nobody@x.com", 0).unwrap(), 0);

    let e = |held, t: &str| DigestEntry {
        held,
        text: t.into(),
        html: format!("<li>{t}</li>"),
    };
    digests::add_entry(&mut c, d1, 5, &e(true, "b"), now).unwrap();
    digests::add_entry(&mut c, d1, 3, &e(false, "a"), now).unwrap();
    let got = digests::contents(&mut c, d1).unwrap();
    assert_eq!(got, ("blog".to_string(), vec![e(true, "b"), e(false, "a")]));
    set(&mut c, d1, "site = NULL");
    assert_eq!(digests::contents(&mut c, d1).unwrap().0, "");
    assert!(matches!(
        digests::contents(&mut c, 9_999),
        Err(ApiError::Internal(_))
    ));

    set(&mut c, d1, "claimed_by = 'A'");
    assert!(!digests::drop_claimed(&mut c, d1, "B").unwrap());
    assert!(digests::drop_claimed(&mut c, d1, "A").unwrap());
    assert!(!digests::drop_claimed(&mut c, d1, "A").unwrap());
    let n: i64 = c
        .query_one("SELECT count(*) FROM digest_entries", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "its entries went with it");
}

#[test]
fn the_outbox_pushes_counts_and_lists() {
    let Some(db) = Db::new("lists") else { return };
    let mut c = db.connect();
    let about = About {
        site: "blog",
        comment: Some(4),
    };
    let m = mail("confirm", "hi");
    outbox::push_email(&mut c, "A@x.com", &m, about, 100).unwrap();
    let due = outbox::push_email_due(&mut c, "b@x.com", &m, about, 100, 160).unwrap();
    outbox::push_webhook(&mut c, "https://h/", "{\"a\":1}", about, 100).unwrap();
    let row = c
        .query_one("SELECT payload, created_at, next_attempt_at, site, comment_id, status, attempts FROM outbox WHERE id = $1", &[&due])
        .unwrap();
    assert_eq!(serde_json::from_str::<Email>(row.get(0)).unwrap(), m);
    assert_eq!((row.get::<_, i64>(1), row.get::<_, i64>(2)), (100, 160));
    assert_eq!(
        (
            row.get::<_, Option<String>>(3),
            row.get::<_, Option<i64>>(4)
        ),
        (Some("blog".into()), Some(4))
    );
    assert_eq!(
        (row.get::<_, String>(5), row.get::<_, i64>(6)),
        ("pending".into(), 0)
    );

    assert!(outbox::recently_mailed(&mut c, "a@X.com", "confirm", 100).unwrap());
    assert!(!outbox::recently_mailed(&mut c, "a@x.com", "confirm", 101).unwrap());
    assert!(!outbox::recently_mailed(&mut c, "a@x.com", "reply", 0).unwrap());
    assert!(
        outbox::recently_mailed(&mut c, "a@x.com", "CONFIRM", 0).unwrap(),
        "LIKE"
    );
    assert!(!outbox::recently_mailed(&mut c, "https://h/", "confirm", 0).unwrap());

    let ids = all(&mut c).into_iter().collect::<Vec<_>>();
    set(&mut c, ids[0], "status = 'sent'");
    set(&mut c, ids[1], "status = 'failed', last_error = 'no'");
    let counts = outbox::counts(&mut c).unwrap();
    assert_eq!(
        counts,
        vec![
            ("failed".into(), 1),
            ("pending".into(), 1),
            ("sent".into(), 1)
        ]
    );
    let listed = outbox::undelivered(&mut c, 10).unwrap();
    assert_eq!(
        listed.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
    assert_eq!(listed[1].last_error.as_deref(), Some("no"));
    assert_eq!(listed[0].payload, "{\"a\":1}");
    assert_eq!(listed[0].attempt_started_at, None);
    assert_eq!(outbox::undelivered(&mut c, 1).unwrap().len(), 1);
    assert_eq!(
        outbox::undelivered(&mut c, -1).unwrap().len(),
        2,
        "SQLite's LIMIT -1"
    );
}
