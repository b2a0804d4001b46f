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

use rusqlite::Connection;

use super::mail;
use crate::config::Smtp;
use crate::domain::comment::Comment;
use crate::domain::Timestamp;
use crate::store::digests::{self, DigestEntry};
use crate::store::outbox::{self, About, Email, Item};

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
    let digest = match digests::open_digest(conn, to, &c.site, now)? {
        Some(id) => id,
        None if digests::mailed_alone(conn, to, now - i64::from(smtp.digest_window))?
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
    digests::add_entry(conn, digest, c.id, entry, now)
}

/// For a claimed delivery: a digest's mail put together from the entries it holds now
/// (`Ok(None)` when an erase left it none: nothing to send); any other item as it is.
pub fn expand(conn: &Connection, public_url: &str, item: Item) -> rusqlite::Result<Option<Item>> {
    if item.kind != "email" || !is_digest(&item.payload) {
        return Ok(Some(item));
    }
    let (site, entries) = digests::contents(conn, item.id)?;
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
