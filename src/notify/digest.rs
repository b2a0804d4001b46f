//! Moderators' digests: past `[smtp] digest_after` moderation mails to one moderator within
//! `digest_window` seconds, a new comment no longer gets a mail of its own to them; it
//! becomes an entry of that moderator's open digest for its site (one is opened when there
//! is none), and the digest is sent `digest_window` seconds after it opened.
//!
//! Everything is decided in the comment's own write transaction, against the shared outbox,
//! so several processes on one database count the same mails and fill the same digest. A
//! digest stays open for entries only while it is pending, never attempted, unclaimed and
//! not yet due: once a worker has claimed it (a claim is a write, serialized with every
//! other), no entry can join it, so the mail put together after the claim lists every entry
//! it will ever have. The row's payload names nobody; the entries hold each comment's part
//! of the mail, so an erase removes one person's entries and leaves the rest.

use rusqlite::{params, Connection, OptionalExtension};

use super::mail::{self, DigestEntry};
use super::outbox::{self, About, Email, Item};
use crate::config::{Smtp, MAX_DIGEST_WINDOW};
use crate::domain::comment::Comment;
use crate::domain::Timestamp;

/// The `purpose` of a digest's email.
pub const PURPOSE: &str = "digest";

/// Queues what one moderator hears about the new comment `c`: its own mail (`alone`, made
/// on demand), or its `entry` in the moderator's digest for the comment's site.
pub fn push_moderation(
    conn: &Connection,
    smtp: &Smtp,
    to: &str,
    c: &Comment,
    alone: &Email,
    entry: &DigestEntry,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let about = About {
        site: &c.site,
        comment: Some(c.id),
    };
    if smtp.digest_after == 0 {
        return outbox::push_email(conn, to, alone, about, now);
    }
    let digest = match open_digest(conn, to, &c.site, now)? {
        Some(id) => id,
        None if mailed_alone(conn, to, now - i64::from(smtp.digest_window))?
            >= i64::from(smtp.digest_after) =>
        {
            outbox::push_email_due(
                conn,
                to,
                &mail::digest_placeholder(),
                About {
                    site: &c.site,
                    comment: None,
                },
                now,
                now + i64::from(smtp.digest_window),
            )?
        }
        None => return outbox::push_email(conn, to, alone, about, now),
    };
    conn.prepare_cached(
        "INSERT INTO digest_entries (outbox_id, comment_id, held, text, html, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        digest, c.id, entry.held, entry.text, entry.html, now
    ])?;
    Ok(())
}

/// The moderator's digest for `site` that still takes entries, if there is one.
fn open_digest(
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
fn mailed_alone(conn: &Connection, to: &str, since: Timestamp) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "SELECT count(*) FROM outbox
          WHERE kind = 'email' AND lower(target) = lower(?1) AND created_at > ?2
            AND json_extract(payload, '$.purpose') = 'moderation'",
    )?
    .query_row(params![to, since], |r| r.get(0))
}

/// For a claimed delivery: a digest's mail put together from the entries it holds now
/// (`Ok(None)` when an erase left it none: nothing to send); any other item as it is.
pub fn expand(conn: &Connection, public_url: &str, item: Item) -> rusqlite::Result<Option<Item>> {
    if item.kind != "email" || !is_digest(&item.payload) {
        return Ok(Some(item));
    }
    let site: String = conn
        .prepare_cached("SELECT coalesce(site, '') FROM outbox WHERE id = ?1")?
        .query_row([item.id], |r| r.get(0))?;
    let entries: Vec<DigestEntry> = conn
        .prepare_cached(
            "SELECT held, text, html FROM digest_entries WHERE outbox_id = ?1 ORDER BY id",
        )?
        .query_map([item.id], |r| {
            Ok(DigestEntry {
                held: r.get(0)?,
                text: r.get(1)?,
                html: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    if entries.is_empty() {
        return Ok(None);
    }
    let mail = mail::digest(public_url, &site, &entries);
    Ok(Some(Item {
        payload: serde_json::to_string(&mail).unwrap_or_default(),
        ..item
    }))
}

fn is_digest(payload: &str) -> bool {
    serde_json::from_str::<Email>(payload).is_ok_and(|m| m.purpose == PURPOSE)
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
