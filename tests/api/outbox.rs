//! The outbox table read directly: what an event queued (rows are written in the event's
//! own transaction, so they are there when its answer arrives), and waiting until the
//! worker has handled everything queued, so a sink's count is final, not early.

use std::time::{Duration, Instant};

use crate::testdb::{params, TestDb};

/// One outbox row, as a test looks at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: i64,
    pub kind: String,
    pub target: String,
    /// An email's `purpose`, or a webhook's `event`.
    pub what: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub payload: String,
}

/// An email payload's `purpose`, or a webhook's `event`, or nothing.
pub fn what(payload: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let field = |k: &str| v.get(k).and_then(|w| w.as_str());
    field("purpose")
        .or_else(|| field("event"))
        .unwrap_or_default()
        .to_string()
}

/// Every outbox row of the database, oldest first.
pub fn rows(db: &TestDb) -> Vec<Row> {
    db.query(
        "SELECT id, kind, target, status, attempts, last_error, payload FROM outbox ORDER BY id",
        params![],
    )
    .iter()
    .map(|r| {
        let payload: String = r.get(6);
        Row {
            id: r.get(0),
            kind: r.get(1),
            target: r.get(2),
            what: what(&payload),
            status: r.get(3),
            attempts: r.get(4),
            last_error: r.get(5),
            payload,
        }
    })
    .collect()
}

/// The purposes of the emails queued to `to` (any status), oldest first.
pub fn mail_to(db: &TestDb, to: &str) -> Vec<String> {
    rows(db)
        .into_iter()
        .filter(|r| r.kind == "email" && r.target.eq_ignore_ascii_case(to))
        .map(|r| r.what)
        .collect()
}

/// Waits until nothing in the outbox is pending any more: every row queued so far has
/// been delivered (or given up), so what a sink holds now is all it will get from them.
pub async fn drained(db: &TestDb) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let pending: Vec<Row> = rows(db)
            .into_iter()
            .filter(|r| r.status == "pending")
            .collect();
        if pending.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the outbox was not drained: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the worker has tried (and failed) to deliver every row at least once.
pub async fn all_tried(db: &TestDb) -> Vec<Row> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let all = rows(db);
        if !all.is_empty()
            && all
                .iter()
                .all(|r| r.attempts >= 1 && r.last_error.is_some())
        {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "not every row was tried: {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until every row is in `status`.
pub async fn all_in(db: &TestDb, status: &str, secs: u64) -> Vec<Row> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let all = rows(db);
        if !all.is_empty() && all.iter().all(|r| r.status == status) {
            return all;
        }
        assert!(Instant::now() < deadline, "not all {status}: {all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_delivery_is_retried_until_outbox_max_age_then_failed_and_never_tried_again() {
    use natter::config::Webhook;
    use reqwest::Method;
    use serde_json::Value;

    use crate::notify::{smtp, MOD};
    use crate::sinks::{free_port, HookSink, SmtpSink};

    let (mail_port, hook_port) = (free_port(), free_port());
    let hook_url = format!("http://127.0.0.1:{hook_port}/hook");
    let url = hook_url.clone();
    let app = crate::helpers::TestApp::spawn_with(move |s| {
        s.smtp = Some(smtp(mail_port));
        s.webhooks = vec![Webhook {
            url,
            events: vec![],
            secret: "k".into(),
        }];
        s.outbox_max_age = 2;
    })
    .await;
    app.create("/p", "nobody is listening").await;
    let failed = all_in(app.db(), "failed", 20).await;
    let times: Vec<(i64, i64, i64)> = app
        .db()
        .query(
            "SELECT created_at, done_at, next_attempt_at FROM outbox ORDER BY id",
            params![],
        )
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    for (row, (created, done, _)) in failed.iter().zip(&times) {
        // The first attempt comes well within the 2 s, so a row that is given up was retried.
        assert!(row.attempts >= 2, "retried before giving up: {row:?}");
        assert!(
            done - created >= 2,
            "not given up before outbox_max_age: {row:?}"
        );
        assert!(row.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    }
    let token = app.admin_token();
    let state: Value = app
        .admin(Method::GET, "/api/admin/outbox", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state["counts"],
        serde_json::json!({"pending": 0, "sent": 0, "failed": 2})
    );
    let shown = state["undelivered"].as_array().unwrap();
    assert_eq!(shown.len(), 2, "{state}");
    for row in &failed {
        let s = shown.iter().find(|s| s["id"] == row.id).unwrap();
        assert_eq!(s["status"], "failed");
        assert_eq!(s["kind"], row.kind.as_str());
        assert_eq!(s["attempts"], row.attempts);
        assert_eq!(s["last_error"], row.last_error.as_deref().unwrap());
        let target = if row.kind == "email" { MOD } else { &hook_url };
        assert_eq!(s["target"], target);
        assert!(s["created_at"].as_str().unwrap().ends_with('Z'));
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("natter_outbox_failed 2"), "{metrics}");
    // Both receivers come back. The next event's deliveries arrive; the given-up ones,
    // due long before, would have gone first had they been tried again.
    let sink = SmtpSink::start_on(mail_port).await;
    let hooks = HookSink::start_on(hook_port).await;
    app.create("/p", "somebody is listening").await;
    let mail = sink.wait_for(MOD, 1, 15).await;
    hooks.wait_for("comment.created", 15).await;
    drained(app.db()).await;
    assert_eq!(sink.to(MOD).len(), 1);
    assert!(mail[0].decoded().contains("somebody is listening"));
    let got = hooks.hooks.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(!String::from_utf8_lossy(&got[0].body).contains("nobody is listening"));
    let after: Vec<Row> = rows(app.db())
        .into_iter()
        .filter(|r| failed.iter().any(|f| f.id == r.id))
        .collect();
    assert_eq!(after, failed, "given up means never tried again");
}
