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

use super::mail;
use crate::config::Smtp;
use crate::domain::comment::Comment;
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::digests::DigestEntry;
use crate::store::outbox::{About, Email, Item};
use crate::store::Tx;

/// The `purpose` of a digest's email.
pub const PURPOSE: &str = "digest";

/// Queues what one moderator hears about the new comment `c`: its own mail (`alone`, made
/// on demand), or its `entry` in the moderator's digest for the comment's site.
pub fn push_moderation(
    tx: &dyn Tx,
    smtp: &Smtp,
    to: &str,
    c: &Comment,
    alone: &Email,
    entry: &DigestEntry,
    now: Timestamp,
) -> ApiResult<()> {
    let about = About {
        site: &c.site,
        comment: Some(c.id),
    };
    if smtp.digest_after == 0 {
        return tx.push_email(to, alone, about, now);
    }
    let digest = match tx.open_digest(to, &c.site, now)? {
        Some(id) => id,
        None if tx.mailed_alone(to, now - i64::from(smtp.digest_window))?
            >= i64::from(smtp.digest_after) =>
        {
            tx.push_email_due(
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
        None => return tx.push_email(to, alone, about, now),
    };
    tx.add_entry(digest, c.id, entry, now)
}

/// For a claimed delivery: a digest's mail put together from the entries it holds now
/// (`Ok(None)` when an erase left it none: nothing to send); any other item as it is.
pub fn expand(tx: &dyn Tx, public_url: &str, item: Item) -> ApiResult<Option<Item>> {
    if item.kind != "email" || !is_digest(&item.payload) {
        return Ok(Some(item));
    }
    let (site, entries) = tx.digest_contents(item.id)?;
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
