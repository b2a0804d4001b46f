//! The outbox table read directly: what an event queued (rows are written in the event's
//! own transaction, so they are there when its answer arrives), and waiting until the
//! worker has handled everything queued, so a sink's count is final, not early.

use std::path::Path;
use std::time::{Duration, Instant};

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

/// Every outbox row of the database at `db` (a `TestApp`'s `db_path`), oldest first.
pub fn rows(db: impl AsRef<Path>) -> Vec<Row> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT id, kind, target,
                    coalesce(json_extract(payload, '$.purpose'), json_extract(payload, '$.event'), ''),
                    status, attempts, last_error, payload
             FROM outbox ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(Row {
            id: r.get(0)?,
            kind: r.get(1)?,
            target: r.get(2)?,
            what: r.get(3)?,
            status: r.get(4)?,
            attempts: r.get(5)?,
            last_error: r.get(6)?,
            payload: r.get(7)?,
        })
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// The purposes of the emails queued to `to` (any status), oldest first.
pub fn mail_to(db: impl AsRef<Path>, to: &str) -> Vec<String> {
    rows(db)
        .into_iter()
        .filter(|r| r.kind == "email" && r.target.eq_ignore_ascii_case(to))
        .map(|r| r.what)
        .collect()
}

/// Waits until nothing in the outbox is pending any more: every row queued so far has
/// been delivered (or given up), so what a sink holds now is all it will get from them.
pub async fn drained(db: impl AsRef<Path>) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let pending: Vec<Row> = rows(&db)
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
pub async fn all_tried(db: impl AsRef<Path>) -> Vec<Row> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let all = rows(&db);
        if !all.is_empty() && all.iter().all(|r| r.attempts >= 1 && r.last_error.is_some()) {
            return all;
        }
        assert!(Instant::now() < deadline, "not every row was tried: {all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
