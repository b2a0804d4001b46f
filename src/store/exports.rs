//! The reads of `natter export`: the site, then its pages, comments and votes streamed
//! one row at a time inside one read transaction. `import json` writes the same rows back
//! (see [`super::imports`]).

use rusqlite::{Connection, OptionalExtension};

use crate::domain::Timestamp;

/// Opens a read transaction (an export's consistent snapshot).
pub fn begin_read(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN")
}

/// Ends the read transaction.
pub fn end_read(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("COMMIT")
}

/// A page as an export holds it.
#[derive(Debug, Clone)]
pub struct PageRow {
    /// Page key.
    pub key: String,
    /// Title.
    pub title: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Locked.
    pub locked: bool,
    /// Time of its first comment.
    pub first_comment_at: Option<Timestamp>,
    /// When the row was made.
    pub created_at: Timestamp,
}

/// Every stored field of a comment but its page, as an export reads it and `import json`
/// writes it back.
#[derive(Debug, Clone)]
pub struct CommentRow {
    /// Natter id.
    pub id: i64,
    /// Parent id.
    pub parent: Option<i64>,
    /// Name.
    pub author: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Source text.
    pub text: String,
    /// `markdown` or `html`.
    pub format: String,
    /// Rendering.
    pub html: String,
    /// Moderation state.
    pub status: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last edit.
    pub edited_at: Option<Timestamp>,
    /// Likes.
    pub likes: i64,
    /// Dislikes.
    pub dislikes: i64,
    /// Anonymized IP.
    pub ip: Option<String>,
    /// Identicon hash.
    pub avatar: Option<String>,
    /// Keyed hash of the author key.
    pub author_key_hash: Option<String>,
    /// Hash of the edit token.
    pub edit_token_hash: Option<String>,
    /// End of the edit window.
    pub edit_until: Timestamp,
    /// Wants reply emails.
    pub notify: bool,
    /// Where it was imported from.
    pub source: Option<String>,
    /// Its id there.
    pub source_id: Option<String>,
}

/// Whether the database has a row for the site.
pub fn site_known(conn: &Connection, site: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sites WHERE id = ?1)",
        [site],
        |r| r.get(0),
    )
}

/// When the site's row was made.
pub fn site_created(conn: &Connection, site: &str) -> rusqlite::Result<Option<Timestamp>> {
    conn.query_row("SELECT created_at FROM sites WHERE id = ?1", [site], |r| {
        r.get(0)
    })
    .optional()
}

/// Calls `f` with each page of the site, by id, one row in memory at a time.
pub fn each_page<E: From<rusqlite::Error>>(
    conn: &Connection,
    site: &str,
    mut f: impl FnMut(PageRow) -> Result<(), E>,
) -> Result<(), E> {
    let mut stmt = conn.prepare(
        "SELECT key, title, url, locked, first_comment_at, created_at FROM pages WHERE site = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([site])?;
    while let Some(r) = rows.next()? {
        f(PageRow {
            key: r.get(0)?,
            title: r.get(1)?,
            url: r.get(2)?,
            locked: r.get(3)?,
            first_comment_at: r.get(4)?,
            created_at: r.get(5)?,
        })?;
    }
    Ok(())
}

/// Calls `f` with each comment of the site and its page key, by id, one at a time.
pub fn each_comment<E: From<rusqlite::Error>>(
    conn: &Connection,
    site: &str,
    mut f: impl FnMut(String, CommentRow) -> Result<(), E>,
) -> Result<(), E> {
    let mut stmt = conn.prepare(
        "SELECT c.id, p.key, c.parent, c.author, c.email, c.website, c.text, c.format, c.html,
                c.status, c.created_at, c.edited_at, c.likes, c.dislikes, c.ip, c.avatar,
                c.author_key_hash, c.edit_token_hash, c.edit_until, c.notify, c.source, c.source_id
         FROM comments c JOIN pages p ON p.id = c.page_id WHERE p.site = ?1 ORDER BY c.id",
    )?;
    let mut rows = stmt.query([site])?;
    while let Some(r) = rows.next()? {
        let page: String = r.get(1)?;
        f(
            page,
            CommentRow {
                id: r.get(0)?,
                parent: r.get(2)?,
                author: r.get(3)?,
                email: r.get(4)?,
                website: r.get(5)?,
                text: r.get(6)?,
                format: r.get(7)?,
                html: r.get(8)?,
                status: r.get(9)?,
                created_at: r.get(10)?,
                edited_at: r.get(11)?,
                likes: r.get(12)?,
                dislikes: r.get(13)?,
                ip: r.get(14)?,
                avatar: r.get(15)?,
                author_key_hash: r.get(16)?,
                edit_token_hash: r.get(17)?,
                edit_until: r.get(18)?,
                notify: r.get(19)?,
                source: r.get(20)?,
                source_id: r.get(21)?,
            },
        )?;
    }
    Ok(())
}

/// Calls `f` with each vote on the site's comments: `(comment, voter, value)`.
pub fn each_vote<E: From<rusqlite::Error>>(
    conn: &Connection,
    site: &str,
    mut f: impl FnMut(i64, String, i64) -> Result<(), E>,
) -> Result<(), E> {
    let mut stmt = conn.prepare(
        "SELECT v.comment_id, v.voter, v.value FROM votes v JOIN comments c ON c.id = v.comment_id
         JOIN pages p ON p.id = c.page_id WHERE p.site = ?1 ORDER BY v.comment_id, v.voter",
    )?;
    let mut rows = stmt.query([site])?;
    while let Some(r) = rows.next()? {
        f(r.get(0)?, r.get(1)?, r.get(2)?)?;
    }
    Ok(())
}
