//! Moderators' digests in the database: entries held for a pending digest mail, and the
//! lookups that decide whether a moderation mail goes alone or into a digest.

use rusqlite::{params, Connection, OptionalExtension};

use crate::config::MAX_DIGEST_WINDOW;
use crate::domain::Timestamp;

/// One comment's part of a moderators' digest: who wrote on which page, an excerpt, its
/// status (held ones marked), and the same one-click links its own mail would carry.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestEntry {
    /// Waiting for a moderator.
    pub held: bool,
    /// Plain-text part.
    pub text: String,
    /// HTML part (one list item).
    pub html: String,
}

/// Adds `entry` about comment `comment_id` to the digest row `digest`.
pub fn add_entry(
    conn: &Connection,
    digest: i64,
    comment_id: i64,
    entry: &DigestEntry,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO digest_entries (outbox_id, comment_id, held, text, html, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        digest, comment_id, entry.held, entry.text, entry.html, now
    ])?;
    Ok(())
}

/// The moderator's digest for `site` that still takes entries, if there is one.
pub fn open_digest(
    conn: &Connection,
    to: &str,
    site: &str,
    now: Timestamp,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT id FROM outbox
          WHERE kind = 'email' AND lower(target) = lower(?1) AND created_at > ?3 - ?4
            AND site = ?2 AND status = 'pending' AND attempts = 0 AND claimed_by IS NULL
            AND next_attempt_at > ?3 AND json_extract(payload, '$.purpose') = 'digest'
          ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![to, site, now, MAX_DIGEST_WINDOW], |r| r.get(0))
    .optional()
}

/// How many moderation mails of their own went to `to` since `since` (any site).
pub fn mailed_alone(conn: &Connection, to: &str, since: Timestamp) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "SELECT count(*) FROM outbox
          WHERE kind = 'email' AND lower(target) = lower(?1) AND created_at > ?2
            AND json_extract(payload, '$.purpose') = 'moderation'",
    )?
    .query_row(params![to, since], |r| r.get(0))
}

/// The site of the digest row `id` and the entries it holds now, oldest first.
pub fn contents(conn: &Connection, id: i64) -> rusqlite::Result<(String, Vec<DigestEntry>)> {
    let site: String = conn
        .prepare_cached("SELECT coalesce(site, '') FROM outbox WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let entries = conn
        .prepare_cached(
            "SELECT held, text, html FROM digest_entries WHERE outbox_id = ?1 ORDER BY id",
        )?
        .query_map([id], |r| {
            Ok(DigestEntry {
                held: r.get(0)?,
                text: r.get(1)?,
                html: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((site, entries))
}

/// Removes the entries about the comments `ids` from every digest, pending or sent, and the
/// digests left with none. Returns how many entries and rows went.
pub fn forget(conn: &Connection, ids: &[i64]) -> rusqlite::Result<usize> {
    let mut touched =
        conn.prepare_cached("SELECT DISTINCT outbox_id FROM digest_entries WHERE comment_id = ?1")?;
    let mut remove = conn.prepare_cached("DELETE FROM digest_entries WHERE comment_id = ?1")?;
    let mut digests = Vec::new();
    let mut n = 0;
    for id in ids {
        let rows = touched.query_map([id], |r| r.get::<_, i64>(0))?;
        for d in rows {
            digests.push(d?);
        }
        n += remove.execute([id])?;
    }
    let mut empty = conn.prepare_cached(
        "DELETE FROM outbox WHERE id = ?1
           AND NOT EXISTS (SELECT 1 FROM digest_entries WHERE outbox_id = ?1)",
    )?;
    digests.sort_unstable();
    digests.dedup();
    for d in digests {
        n += empty.execute([d])?;
    }
    Ok(n)
}

/// Drops a claimed digest that an erase emptied after it was claimed; `false` when `owner`
/// no longer held the claim.
pub fn drop_claimed(conn: &Connection, id: i64, owner: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM outbox WHERE id = ?1 AND claimed_by = ?2",
        params![id, owner],
    )? == 1)
}
