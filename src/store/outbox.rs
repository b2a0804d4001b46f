//! The outbox table: notifications written with the event that causes them, delivered
//! later by the worker, with attempts, backoff and the last error recorded.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// An email, fully rendered when enqueued.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Email {
    /// Why it is sent (`moderation`, `confirm`, `reply`, `erase`), for limits and logs.
    pub purpose: String,
    /// Subject line (no line breaks).
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// One-click unsubscribe URL, when the mail is a subscription.
    pub unsubscribe: Option<String>,
}

/// One row of the outbox.
#[derive(Debug, Clone)]
pub struct Item {
    /// Row id.
    pub id: i64,
    /// `email` or `webhook`.
    pub kind: String,
    /// Address or URL.
    pub target: String,
    /// Email JSON or webhook body.
    pub payload: String,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// Attempts so far.
    pub attempts: i64,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When the next attempt is due.
    pub next_attempt_at: Timestamp,
    /// When the attempt under way started (a live claim), if one is.
    pub attempt_started_at: Option<Timestamp>,
}

/// What a delivery is about: the site, and the comment whose name and text it carries
/// (so an erase can find it).
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    /// The site of the event.
    pub site: &'a str,
    /// The comment it quotes, if any.
    pub comment: Option<i64>,
}

/// Enqueues an email.
pub fn push_email(
    conn: &Connection,
    to: &str,
    mail: &Email,
    about: About<'_>,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let payload = serde_json::to_string(mail).unwrap_or_default();
    push(conn, "email", to, &payload, about, now, now).map(drop)
}

/// Enqueues an email that is not due before `due`; returns its row id.
pub fn push_email_due(
    conn: &Connection,
    to: &str,
    mail: &Email,
    about: About<'_>,
    now: Timestamp,
    due: Timestamp,
) -> rusqlite::Result<i64> {
    let payload = serde_json::to_string(mail).unwrap_or_default();
    push(conn, "email", to, &payload, about, now, due)
}

/// Enqueues a webhook delivery of exactly these body bytes.
pub fn push_webhook(
    conn: &Connection,
    url: &str,
    body: &str,
    about: About<'_>,
    now: Timestamp,
) -> rusqlite::Result<()> {
    push(conn, "webhook", url, body, about, now, now).map(drop)
}

fn push(
    conn: &Connection,
    kind: &str,
    target: &str,
    payload: &str,
    about: About<'_>,
    now: Timestamp,
    due: Timestamp,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO outbox (kind, target, payload, created_at, next_attempt_at, site, comment_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        kind,
        target,
        payload,
        now,
        due,
        about.site,
        about.comment
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Deletes, whatever their state, the deliveries that carry one person's data on a site:
/// mail addressed to `email`, and mail and webhooks about the comments `ids`, and their
/// entries in moderators' digests (a digest left with none goes too). Rows from before the
/// outbox recorded what it is about are matched by address (on any site) and, for mail
/// about a comment, by the links in it. Returns how many rows and entries went.
pub fn forget(conn: &Connection, site: &str, email: &str, ids: &[i64]) -> rusqlite::Result<usize> {
    let mut n = conn.execute(
        "DELETE FROM outbox WHERE kind = 'email' AND lower(target) = lower(?2)
           AND (site = ?1 OR site IS NULL)",
        params![site, email],
    )?;
    let mut by_comment = conn.prepare_cached("DELETE FROM outbox WHERE comment_id = ?1")?;
    // Older moderator mail links `/moderate/{id}/delete?sig=`, older reply mail
    // `…#natter-{id}` followed by a line break (`\n` inside the JSON payload).
    let mut legacy = conn.prepare_cached(
        "DELETE FROM outbox WHERE comment_id IS NULL AND kind = 'email'
           AND (payload LIKE '%/moderate/' || ?1 || '/delete?sig=%'
                OR payload LIKE '%#natter-' || ?1 || '\\n%')",
    )?;
    for id in ids {
        n += by_comment.execute([id])?;
        n += legacy.execute([id])?;
    }
    n += super::digests::forget(conn, ids)?;
    Ok(n)
}

/// Whether an email of this purpose went to this address since `since`.
pub fn recently_mailed(
    conn: &Connection,
    to: &str,
    purpose: &str,
    since: Timestamp,
) -> rusqlite::Result<bool> {
    let pattern = format!("%\"purpose\":\"{purpose}\"%");
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE kind = 'email' AND lower(target) = lower(?1)
           AND created_at >= ?2 AND payload LIKE ?3)",
        params![to, since, pattern],
        |r| r.get(0),
    )
}

const ITEM_COLUMNS: &str = "id, kind, target, payload, created_at, attempts, status, last_error,
    next_attempt_at, claimed_at, claimed_until";

fn item(r: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item {
        id: r.get(0)?,
        kind: r.get(1)?,
        target: r.get(2)?,
        payload: r.get(3)?,
        created_at: r.get(4)?,
        attempts: r.get(5)?,
        status: r.get(6)?,
        last_error: r.get(7)?,
        next_attempt_at: r.get(8)?,
        attempt_started_at: {
            let (at, until): (Option<Timestamp>, Option<Timestamp>) = (r.get(9)?, r.get(10)?);
            at.filter(|_| until.is_some_and(|u| u > crate::domain::now()))
        },
    })
}

/// How long a claim lasts, in seconds: longer than any one attempt may take (the worker
/// gives an attempt at most [`super::worker::DEADLINE`]). A claim whose holder died runs
/// out, and the delivery is due again.
pub const LEASE: i64 = 120;

/// Claims, for `owner`, the oldest due delivery that nobody is attempting: a webhook only
/// when nobody is attempting its URL either (one slow receiver takes one attempt at a
/// time, never every one), an email only while fewer than `email_slots` are under way
/// (every email goes through the one mail server). Across processes too: the claim is one
/// `UPDATE` of the shared database.
pub fn claim(
    conn: &Connection,
    owner: &str,
    now: Timestamp,
    email_slots: i64,
) -> rusqlite::Result<Option<Item>> {
    // A read first: most polls find nothing, and those should not take the write lock.
    let due: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending'
               AND next_attempt_at <= ?1 AND (claimed_until IS NULL OR claimed_until <= ?1))",
        )?
        .query_row([now], |r| r.get(0))?;
    if !due {
        return Ok(None);
    }
    let sql = format!(
        "UPDATE outbox SET claimed_by = ?2, claimed_at = ?1, claimed_until = ?1 + {LEASE}
         WHERE id = (
           SELECT o.id FROM outbox o
            WHERE o.status = 'pending' AND o.next_attempt_at <= ?1
              AND (o.claimed_until IS NULL OR o.claimed_until <= ?1)
              AND CASE o.kind
                    WHEN 'email' THEN (SELECT count(*) FROM outbox e WHERE e.claimed_until > ?1
                                         AND e.status = 'pending' AND e.kind = 'email') < ?3
                    ELSE NOT EXISTS (SELECT 1 FROM outbox b WHERE b.claimed_until > ?1
                                       AND b.status = 'pending' AND b.target = o.target)
                  END
            ORDER BY o.next_attempt_at, o.id LIMIT 1)
         RETURNING {ITEM_COLUMNS}"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![now, owner, email_slots], item)
        .optional()
}

/// Marks a delivery done and releases its claim; `false` when `owner` no longer held it
/// (its lease ran out and another claim took it).
pub fn mark_sent(
    conn: &Connection,
    id: i64,
    owner: &str,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, done_at = ?3, last_error = NULL,
                claimed_by = NULL, claimed_at = NULL, claimed_until = NULL
          WHERE id = ?1 AND claimed_by = ?2",
        params![id, owner, now],
    )? == 1)
}

/// Records a failed attempt and releases its claim: retried at `retry_at`, or given up
/// when `None`. `false` when `owner` no longer held the claim.
pub fn mark_failed(
    conn: &Connection,
    id: i64,
    owner: &str,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let n = match retry_at {
        Some(at) => conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, next_attempt_at = ?4,
                    claimed_by = NULL, claimed_at = NULL, claimed_until = NULL
              WHERE id = ?1 AND claimed_by = ?2",
            params![id, owner, error, at],
        )?,
        None => conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, status = 'failed', done_at = ?4,
                    claimed_by = NULL, claimed_at = NULL, claimed_until = NULL
              WHERE id = ?1 AND claimed_by = ?2",
            params![id, owner, error, now],
        )?,
    };
    Ok(n == 1)
}

/// Rows per status.
pub fn counts(conn: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare("SELECT status, count(*) FROM outbox GROUP BY status")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The pending and failed rows, newest first (what an operator looks at).
pub fn undelivered(conn: &Connection, limit: i64) -> rusqlite::Result<Vec<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM outbox WHERE status != 'sent' ORDER BY id DESC LIMIT ?1"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([limit], item)?;
    rows.collect()
}

/// Seconds to wait before attempt `attempts + 1`: 1, 2, 4 … capped at an hour.
pub fn backoff(attempts: i64) -> i64 {
    (1i64 << attempts.clamp(0, 12)).min(3600)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let waits: Vec<i64> = (0..15).map(super::backoff).collect();
        assert_eq!(&waits[..4], &[1, 2, 4, 8]);
        assert_eq!(waits[14], 3600);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
    }
}
