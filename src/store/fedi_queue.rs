//! The Fediverse's queues on SQLite: signed deliveries (claimed with a lease, as the
//! webmentions' verifications are), the activity ids seen lately, and which local replies
//! went out as Notes.

use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::fediverse::Delivery;
use crate::domain::Timestamp;

/// Seconds a worker holds its claim on a delivery: past the POST's deadline with room to
/// record the result. A worker that died lets the delivery become due again after this.
pub const LEASE: i64 = 60;

/// See the trait method in `fedi_tx.rs`.
pub fn first_sight(
    conn: &Connection,
    id: &str,
    now: Timestamp,
    forget_before: Timestamp,
) -> rusqlite::Result<bool> {
    conn.prepare_cached("DELETE FROM fedi_seen WHERE seen_at < ?1")?
        .execute([forget_before])?;
    Ok(conn
        .prepare_cached(
            "INSERT INTO fedi_seen (id, seen_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(params![id, now])?
        == 1)
}

/// See the trait method in `fedi_tx.rs`.
pub fn published(conn: &Connection, comment_id: i64) -> rusqlite::Result<Option<Vec<String>>> {
    let inboxes: Option<String> = conn
        .prepare_cached("SELECT inboxes FROM fedi_published WHERE comment_id = ?1")?
        .query_row([comment_id], |r| r.get(0))
        .optional()?;
    Ok(inboxes.map(|s| s.lines().map(str::to_string).collect()))
}

/// See the trait method in `fedi_tx.rs`.
pub fn set_published(
    conn: &Connection,
    comment_id: i64,
    site: &str,
    inboxes: &[String],
    now: Timestamp,
) -> rusqlite::Result<()> {
    if inboxes.is_empty() {
        conn.execute(
            "DELETE FROM fedi_published WHERE comment_id = ?1",
            [comment_id],
        )?;
        return Ok(());
    }
    conn.execute(
        "INSERT INTO fedi_published (comment_id, site, inboxes, created_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (comment_id) DO UPDATE SET inboxes = excluded.inboxes",
        params![comment_id, site, inboxes.join("\n"), now],
    )?;
    Ok(())
}

/// See the trait method in `fedi_tx.rs`.
pub fn push(
    conn: &Connection,
    site: &str,
    inbox: &str,
    body: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO fedi_deliveries (site, inbox, body, status, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
    )?
    .execute(params![site, inbox, body, now])?;
    Ok(())
}

/// See the trait method in `fedi_tx.rs`.
pub fn due(conn: &Connection, now: Timestamp) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM fedi_deliveries WHERE status = 'pending'
           AND next_attempt_at <= ?1 AND (claimed_until IS NULL OR claimed_until <= ?1))",
    )?
    .query_row([now], |r| r.get(0))
}

/// See the trait method in `fedi_tx.rs`.
pub fn claim(conn: &Connection, owner: &str, now: Timestamp) -> rusqlite::Result<Option<Delivery>> {
    let sql = format!(
        "UPDATE fedi_deliveries SET claimed_by = ?2, claimed_until = ?1 + {LEASE},
            attempts = attempts + 1
         WHERE id = (SELECT id FROM fedi_deliveries WHERE status = 'pending'
                       AND next_attempt_at <= ?1
                       AND (claimed_until IS NULL OR claimed_until <= ?1)
                     ORDER BY next_attempt_at, id LIMIT 1)
         RETURNING id, site, inbox, body, attempts"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![now, owner], |r| {
            Ok(Delivery {
                id: r.get(0)?,
                site: r.get(1)?,
                inbox: r.get(2)?,
                body: r.get(3)?,
                attempts: r.get(4)?,
            })
        })
        .optional()
}

/// See the trait method in `fedi_tx.rs`.
pub fn finish(
    conn: &Connection,
    id: i64,
    owner: &str,
    outcome: Result<(), (&str, Option<Timestamp>)>,
    now: Timestamp,
    forget_before: Timestamp,
) -> rusqlite::Result<bool> {
    let n = match outcome {
        Ok(()) => conn.execute(
            "UPDATE fedi_deliveries SET status = 'sent', last_error = NULL, done_at = ?3,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = ?1 AND claimed_by = ?2",
            params![id, owner, now],
        )?,
        Err((error, Some(at))) => conn.execute(
            "UPDATE fedi_deliveries SET last_error = ?3, next_attempt_at = ?4,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = ?1 AND claimed_by = ?2",
            params![id, owner, error, at],
        )?,
        Err((error, None)) => conn.execute(
            "UPDATE fedi_deliveries SET status = 'failed', last_error = ?3, done_at = ?4,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = ?1 AND claimed_by = ?2",
            params![id, owner, error, now],
        )?,
    };
    conn.execute(
        "DELETE FROM fedi_deliveries WHERE status <> 'pending' AND done_at < ?1",
        [forget_before],
    )?;
    Ok(n == 1)
}
