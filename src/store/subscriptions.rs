//! Reply-mail subscriptions in the database: confirmed (double opt-in) addresses per site,
//! and each comment's notify state.

use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::comment::Notify;
use crate::domain::Timestamp;

/// A page's title and URL, for mail and webhooks.
pub fn page_meta(
    conn: &Connection,
    page_id: i64,
) -> rusqlite::Result<(Option<String>, Option<String>)> {
    conn.prepare_cached("SELECT title, url FROM pages WHERE id = ?1")?
        .query_row([page_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map(Option::unwrap_or_default)
}

/// Whether `email` confirmed its address on `site`.
pub fn is_confirmed(conn: &Connection, site: &str, email: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM confirmed_emails WHERE site = ?1 AND email = lower(?2))",
    )?
    .query_row(params![site, email], |r| r.get(0))
}

/// Sets one comment's notify state; whether the comment exists.
pub fn set_notify(conn: &Connection, id: i64, notify: Notify) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE comments SET notify = ?2 WHERE id = ?1")?
        .execute(params![id, notify.as_i64()])?
        == 1)
}

/// Records `email` as confirmed on `site` and turns on every request it made there.
pub fn confirm_email(
    conn: &Connection,
    site: &str,
    email: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO confirmed_emails (site, email, confirmed_at) VALUES (?1, lower(?2), ?3)
         ON CONFLICT DO NOTHING",
        params![site, email, now],
    )?;
    conn.execute(
        "UPDATE comments SET notify = 2 WHERE notify = 1 AND lower(email) = lower(?1)
           AND page_id IN (SELECT id FROM pages WHERE site = ?2)",
        params![email, site],
    )?;
    Ok(())
}

/// Forgets that `email` confirmed its address on `site`.
pub fn forget_confirmation(conn: &Connection, site: &str, email: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM confirmed_emails WHERE site = ?1 AND email = lower(?2)",
        params![site, email],
    )?;
    Ok(())
}
