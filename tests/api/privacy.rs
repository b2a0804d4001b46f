//! Erase and the outbox: rows queued before the outbox recorded which site and comment a
//! delivery is about (migration 0005) are found too (old webhook rows are linked by the
//! upgrade, old mail is matched by its links), and webhook receivers, which may keep
//! copies, hear that each erased comment is gone.

use natter::config::{Moderation, Webhook};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id_of, settings, sqlite_only, TestApp, BLOG};
use crate::notify::{app_with_mail, confirm_opt_in, MOD};
use crate::outbox::{drained, mail_to, rows};
use crate::sinks::{HookSink, SmtpSink};
use crate::stored::{assert_forgotten, rows_holding};
use crate::testdb::{params, TestDb};

#[tokio::test]
async fn an_erase_finds_mail_queued_before_the_outbox_named_its_comment() {
    let sink = SmtpSink::start().await;
    let app = app_with_mail(&sink, Moderation::None).await;
    let (eve, ann) = ("eve@reader.example", "ann@reader.example");
    let url = format!("{BLOG}/q");
    let anns = id_of(
        &app.create_with(
            json!({"page": "/q", "url": url, "text": "ann writes", "email": ann, "notify": true}),
        )
        .await,
    );
    confirm_opt_in(&app, &sink, ann).await;
    app.create_with(json!({"page": "/q", "text": "eve answers ann", "parent": anns, "email": eve, "author": "Eve Quux"})).await;
    app.create_with(
        json!({"page": "/p", "text": "eve alone", "email": eve, "author": "Eve Quux", "notify": true}),
    )
    .await;
    assert_eq!(mail_to(app.db(), ann), ["confirm", "reply"]);
    assert_eq!(mail_to(app.db(), eve), ["confirm"]);
    drained(app.db()).await;
    // As an older version wrote them.
    app.db().execute(
        "UPDATE outbox SET site = NULL, comment_id = NULL",
        params![],
    );
    let token = app.admin_token();
    let res = app
        .admin(Method::POST, "/api/admin/erase", &token)
        .json(&json!({"site": "blog", "email": eve}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_forgotten(app.db(), &[eve, "Eve Quux", "eve answers ann", "eve alone"]);
    assert_eq!(mail_to(app.db(), ann), ["confirm"]);
    let about_ann: Vec<String> = rows_holding(app.db(), &["ann writes"])
        .into_iter()
        .map(|(table, _)| table)
        .collect();
    assert_eq!(
        about_ann,
        ["comments", "outbox"],
        "Ann's comment and the moderator mail about it"
    );
    assert_eq!(mail_to(app.db(), MOD), ["moderation"]);
}

#[tokio::test]
async fn the_upgrade_links_old_webhook_rows_to_their_site_and_comment() {
    sqlite_only!("upgrades a SQLite schema from before migration 0005; PostgreSQL's starts later");
    let (s, dir) = settings();
    {
        let conn = TestDb::open(&s.database);
        conn.batch("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
        for (version, sql) in &natter::store::migrate::MIGRATIONS[..4] {
            conn.batch(sql);
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)",
                params![version],
            );
        }
        assert_eq!(
            natter::store::migrate::MIGRATIONS[4].0,
            "0005_outbox_about",
            "the fifth migration is the one under test"
        );
        let hook = json!({"id": "evt_1", "event": "comment.created", "site": "blog",
            "page": {"key": "/p", "title": null, "url": null}, "comment": {"id": 7}});
        conn.execute(
            "INSERT INTO outbox (kind, target, payload, created_at, next_attempt_at, status)
             VALUES ('webhook', 'http://127.0.0.1:9/hook', ?1, 0, 0, 'sent'),
                    ('email', 'a@reader.example', '{\"purpose\":\"confirm\"}', 0, 0, 'sent')",
            params![hook.to_string()],
        );
    }
    let app = TestApp::start(s, dir).await;
    let linked: Vec<(String, Option<String>, Option<i64>)> = app
        .db()
        .query(
            "SELECT kind, site, comment_id FROM outbox ORDER BY id",
            params![],
        )
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        linked,
        [
            ("webhook".to_string(), Some("blog".to_string()), Some(7)),
            ("email".to_string(), None, None)
        ]
    );
    assert_eq!(rows(app.db()).len(), 2);
}

#[tokio::test]
async fn an_erase_tells_webhook_receivers_each_comment_is_gone_without_repeating_it() {
    let hooks = HookSink::start().await;
    let url = hooks.url.clone();
    let app = TestApp::spawn_with(move |s| {
        s.webhooks = vec![Webhook {
            url,
            events: vec![],
            secret: "k".into(),
        }];
    })
    .await;
    let eve = "eve@reader.example";
    let first = id_of(
        &app.create_with(json!({"page": "/p", "text": "eve first", "email": eve, "author": "Eve Quux", "website": "https://eve.example"}))
            .await,
    );
    let bobs = id_of(
        &app.create_with(json!({"page": "/p", "text": "bob replies", "parent": first}))
            .await,
    );
    let second = id_of(
        &app.create_with(
            json!({"page": "/q", "text": "eve second", "email": eve, "author": "Eve Quux"}),
        )
        .await,
    );
    let token = app.admin_token();
    let res = app
        .admin(Method::POST, "/api/admin/erase", &token)
        .json(&json!({"site": "blog", "email": eve}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    drained(app.db()).await;
    let deleted: Vec<Value> = hooks
        .hooks
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.event == "comment.deleted")
        .map(|h| serde_json::from_slice(&h.body).unwrap())
        .collect();
    let mut ids: Vec<i64> = deleted
        .iter()
        .map(|b| b["comment"]["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, [first, second], "not Bob's ({bobs})");
    for body in &deleted {
        let c = &body["comment"];
        assert_eq!(c["status"], "deleted");
        assert_eq!(c["html"], "");
        for key in ["author", "website", "avatar", "edited_at"] {
            assert!(c[key].is_null(), "{key}: {body}");
        }
        let raw = body.to_string();
        for needle in ["Eve Quux", "eve first", "eve second", "eve.example", eve] {
            assert!(!raw.contains(needle), "{needle}: {raw}");
        }
    }
    // The rows of these events hold nothing of hers either.
    assert_forgotten(
        app.db(),
        &[eve, "Eve Quux", "eve first", "eve second", "eve.example"],
    );
}

#[tokio::test]
async fn a_backup_taken_after_an_erase_holds_none_of_the_person_not_even_in_free_pages() {
    sqlite_only!("`natter backup` copies the SQLite file, whose free pages are searched");
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let secret_text = "Zanzibar-quokka-erasable-".repeat(40);
    for i in 0..30 {
        app.create_with(
            json!({"page": format!("/p{}", i % 3), "text": format!("{secret_text} {i}"),
            "author": "Quentin Erasable", "email": "quentin.erasable@example.org"}),
        )
        .await;
        app.create_with(
            json!({"page": "/kept", "text": format!("Bob keeps comment {i}"),
            "email": "bob@example.org"}),
        )
        .await;
    }
    let res = app
        .admin(Method::POST, "/api/admin/erase", &token)
        .json(&json!({"site": "blog", "email": "quentin.erasable@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("after-erase.db");
    let (code, _, err) = crate::cli::run(
        crate::cli::natter(&dir)
            .env("NATTER_DATABASE", &app.db_path)
            .args(["backup", copy.to_str().unwrap()]),
    );
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&copy).unwrap();
    let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has("Bob keeps comment 29"), "the backup holds the rest");
    for needle in ["quentin.erasable", "Quentin Erasable", "Zanzibar-quokka"] {
        assert!(!has(needle), "the backup's bytes still hold {needle:?}");
    }
}
