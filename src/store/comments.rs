//! Comments as stored: reading one, creating, editing, deleting, duplicates, trust,
//! counts and feeds. Pages, threads and votes have files of their own, re-exported here.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::comment::FeedItem;
use crate::domain::comment::{Comment, Notify, Status, Via};
use crate::domain::Timestamp;

/// [`COMMENT_COLUMNS`], for `concat!`.
macro_rules! comment_columns {
    () => {
        "c.id, p.site, p.key, c.page_id, c.parent, c.author, c.email, \
         c.website, c.text, c.format, c.html, c.status, c.created_at, c.edited_at, c.likes, \
         c.dislikes, c.ip, c.avatar, c.edit_token_hash, c.edit_until, c.notify, c.via_kind, c.via_url, \
         c.via_handle, c.held_reason, c.badge, c.identity_id, c.signed_in"
    };
}

pub(crate) use comment_columns;

pub use super::pages::{ensure_page, find_page, server_key, sync_sites, Page};
pub use super::threads::{page_comments, thread_page, ThreadPage};
pub use super::votes::vote;

/// Columns of [`Comment`], in the order [`comment_from_row`] reads them.
pub const COMMENT_COLUMNS: &str = comment_columns!();

/// How many columns [`COMMENT_COLUMNS`] has: the index of the first one a query adds after them.
pub const COMMENT_WIDTH: usize = 28;

/// Reads a [`Comment`] from a row selected with [`COMMENT_COLUMNS`].
pub fn comment_from_row(r: &Row<'_>) -> rusqlite::Result<Comment> {
    let status: String = r.get(11)?;
    Ok(Comment {
        id: r.get(0)?,
        site: r.get(1)?,
        page: r.get(2)?,
        page_id: r.get(3)?,
        parent: r.get(4)?,
        author: r.get(5)?,
        email: r.get(6)?,
        website: r.get(7)?,
        text: r.get(8)?,
        format: r.get(9)?,
        html: r.get(10)?,
        status: Status::parse(&status).unwrap_or(Status::Pending),
        created_at: r.get(12)?,
        edited_at: r.get(13)?,
        likes: r.get(14)?,
        dislikes: r.get(15)?,
        ip: r.get(16)?,
        avatar: r.get(17)?,
        edit_token_hash: r.get(18)?,
        edit_until: r.get(19)?,
        notify: Notify::from_i64(r.get(20)?),
        via: Via::from_columns(r.get(21)?, r.get(22)?, r.get(23)?),
        held_reason: r.get(24)?,
        badge: r.get(25)?,
        identity_id: r.get(26)?,
        signed_in: r.get(27)?,
    })
}

/// One comment by id, any status.
pub fn find_comment(conn: &Connection, id: i64) -> rusqlite::Result<Option<Comment>> {
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.id = ?1"
    );
    conn.prepare_cached(&sql)?
        .query_row([id], comment_from_row)
        .optional()
}

/// The comment a request with this `Idempotency-Key` hash made, unless it was deleted.
pub fn find_by_request_key(conn: &Connection, hash: &str) -> rusqlite::Result<Option<Comment>> {
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN pages p ON p.id = c.page_id
         WHERE c.request_key_hash = ?1 AND c.status != 'deleted'"
    );
    conn.prepare_cached(&sql)?
        .query_row([hash], comment_from_row)
        .optional()
}

/// Approved comments per page key.
pub fn approved_counts(
    conn: &Connection,
    site: &str,
    keys: &[String],
) -> rusqlite::Result<Vec<(String, i64)>> {
    let placeholders = vec!["?"; keys.len()].join(",");
    let sql = format!(
        "SELECT p.key, (SELECT count(*) FROM comments c WHERE c.page_id = p.id AND c.status = 'approved')
         FROM pages p WHERE p.site = ? AND p.key IN ({placeholders})"
    );
    let mut stmt = conn.prepare(&sql)?;
    let args = std::iter::once(site).chain(keys.iter().map(String::as_str));
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    rows.collect()
}

/// Approved comments of a page.
pub fn approved_total(conn: &Connection, page_id: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM comments WHERE page_id = ?1 AND status = 'approved'")?
        .query_row([page_id], |r| r.get(0))
}

/// The newest approved comments of a site (or one page), with their page's title and URL.
pub fn newest_approved(
    conn: &Connection,
    site: &str,
    page: Option<&str>,
    limit: u32,
) -> rusqlite::Result<Vec<FeedItem>> {
    let sql = format!(
        "SELECT {COMMENT_COLUMNS}, p.title, p.url FROM comments c JOIN pages p ON p.id = c.page_id
         WHERE p.site = ?1 AND (?2 IS NULL OR p.key = ?2) AND c.status = 'approved'
         ORDER BY c.created_at DESC, c.id DESC LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![site, page, limit], |r| {
        Ok(FeedItem {
            comment: comment_from_row(r)?,
            title: r.get(COMMENT_WIDTH)?,
            url: r.get(COMMENT_WIDTH + 1)?,
        })
    })?;
    rows.collect()
}

/// What a create stores.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// Parent comment.
    pub parent: Option<i64>,
    /// Name.
    pub author: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Markdown source.
    pub text: String,
    /// Rendered HTML.
    pub html: String,
    /// Initial status.
    pub status: Status,
    /// Time.
    pub created_at: Timestamp,
    /// Anonymized IP.
    pub ip: String,
    /// Identicon hash.
    pub avatar: String,
    /// Keyed hash of the author key.
    pub author_key_hash: Option<String>,
    /// Hash of the edit token.
    pub edit_token_hash: String,
    /// End of the edit window.
    pub edit_until: Timestamp,
    /// Wants reply emails.
    pub notify: bool,
    /// Keyed hash of the request's `Idempotency-Key`, when it had one.
    pub request_key_hash: Option<String>,
    /// Where it came from, when not written through Natter.
    pub via: Option<Via>,
    /// The rule that held it, when one did.
    pub held_reason: Option<&'static str>,
    /// `owner` for a comment posted with an admin token.
    pub badge: Option<&'static str>,
    /// The signed-in commenter's identity and its provider, when signed in.
    pub identity: Option<(i64, String)>,
}

/// Stores a new comment on `page` (as [`ensure_page`] found it) and returns it as stored.
/// The page's first comment also gives the page its time, title and URL.
pub fn insert_comment(
    conn: &Connection,
    page: &Page,
    site: &str,
    key: &str,
    c: NewComment,
    title: Option<&str>,
    url: Option<&str>,
) -> rusqlite::Result<Comment> {
    conn.prepare_cached(
        "INSERT INTO comments (page_id, parent, author, email, website, text, format, html, status,
            created_at, ip, avatar, author_key_hash, edit_token_hash, edit_until, notify,
            request_key_hash, via_kind, via_url, via_handle, held_reason, badge, identity_id, signed_in)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'markdown', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
            ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
    )?
    .execute(params![
        page.id,
        c.parent,
        c.author,
        c.email,
        c.website,
        c.text,
        c.html,
        c.status.as_str(),
        c.created_at,
        c.ip,
        c.avatar,
        c.author_key_hash,
        c.edit_token_hash,
        c.edit_until,
        c.notify,
        c.request_key_hash,
        c.via.as_ref().map(|v| &v.kind),
        c.via.as_ref().map(|v| &v.url),
        c.via.as_ref().and_then(|v| v.handle.as_ref()),
        c.held_reason,
        c.badge,
        c.identity.as_ref().map(|i| i.0),
        c.identity.as_ref().map(|i| &i.1),
    ])?;
    let id = conn.last_insert_rowid();
    if page.first_comment_at.is_none() {
        conn.prepare_cached(
            "UPDATE pages SET first_comment_at = ?2, title = coalesce(title, ?3), url = coalesce(url, ?4)
             WHERE id = ?1 AND first_comment_at IS NULL",
        )?
        .execute(params![page.id, c.created_at, title, url])?;
    }
    // The row as the INSERT wrote it: the columns it leaves out keep their defaults.
    Ok(Comment {
        id,
        site: site.to_string(),
        page: key.to_string(),
        page_id: page.id,
        parent: c.parent,
        author: c.author,
        email: c.email,
        website: c.website,
        text: c.text,
        format: "markdown".to_string(),
        html: c.html,
        status: c.status,
        created_at: c.created_at,
        edited_at: None,
        likes: 0,
        dislikes: 0,
        ip: Some(c.ip),
        avatar: Some(c.avatar),
        edit_token_hash: Some(c.edit_token_hash),
        edit_until: c.edit_until,
        notify: if c.notify { Notify::Asked } else { Notify::Off },
        via: c.via,
        held_reason: c.held_reason.map(str::to_string),
        badge: c.badge.map(str::to_string),
        identity_id: c.identity.as_ref().map(|i| i.0),
        signed_in: c.identity.map(|i| i.1),
    })
}

pub(super) const DUPLICATE_SQL: &str = "SELECT EXISTS (SELECT 1 FROM comments
     WHERE page_id = ?1 AND status IN ('approved', 'pending', 'rejected') AND ip = ?2
       AND created_at >= ?4 AND text = ?3)";

/// Whether the same text came from the same network on this page in the last `window` seconds.
pub fn is_duplicate(
    conn: &Connection,
    page_id: i64,
    ip: &str,
    text: &str,
    since: Timestamp,
) -> rusqlite::Result<bool> {
    // Deleted comments have no text left to match; naming the other statuses lets the
    // (page_id, status, ip, created_at) index read only this network's recent comments.
    conn.prepare_cached(DUPLICATE_SQL)?
        .query_row(params![page_id, ip, text, since], |r| r.get(0))
}

/// Whether the site has an approved comment with this email (any case) and author key.
pub fn is_trusted(
    conn: &Connection,
    site: &str,
    email: &str,
    author_key_hash: &str,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
          WHERE p.site = ?1 AND lower(c.email) = lower(?2) AND c.author_key_hash = ?3 AND c.status = 'approved')",
    )?
    .query_row(params![site, email, author_key_hash], |r| r.get(0))
}

/// New values of a comment's editable fields.
#[derive(Debug, Clone)]
pub struct CommentEdit<'a> {
    /// Name.
    pub author: Option<&'a str>,
    /// Website.
    pub website: Option<&'a str>,
    /// Source text.
    pub text: &'a str,
    /// Its rendering.
    pub html: &'a str,
    /// Status after the edit.
    pub status: Status,
    /// When.
    pub edited_at: Timestamp,
    /// The rule that holds it after the edit, if the edit sent it back to moderation (else
    /// the stored reason stays).
    pub held_reason: Option<&'a str>,
}

/// Replaces a comment's editable fields.
pub fn update_comment(conn: &Connection, id: i64, e: &CommentEdit<'_>) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE comments SET author = ?2, website = ?3, text = ?4, html = ?5, status = ?6, edited_at = ?7,
            held_reason = coalesce(?8, held_reason)
         WHERE id = ?1",
        params![id, e.author, e.website, e.text, e.html, e.status.as_str(), e.edited_at, e.held_reason],
    )?;
    Ok(())
}

/// Deletes a comment: a scrubbed tombstone if anything replies to it, gone otherwise.
/// Returns whether a tombstone was kept.
pub fn delete_comment(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    let has_replies: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM comments WHERE parent = ?1)",
        [id],
        |r| r.get(0),
    )?;
    if has_replies {
        conn.execute(
            "UPDATE comments SET status = 'deleted', text = '', html = '', author = NULL, email = NULL,
                website = NULL, ip = NULL, avatar = NULL, author_key_hash = NULL, edit_token_hash = NULL,
                notify = 0, likes = 0, dislikes = 0, request_key_hash = NULL
             WHERE id = ?1",
            [id],
        )?;
        conn.execute("DELETE FROM votes WHERE comment_id = ?1", [id])?;
    } else {
        conn.execute("DELETE FROM comments WHERE id = ?1", [id])?;
    }
    Ok(has_replies)
}

/// Whether `email` wrote any comment on `site` (any status).
pub fn has_comments_from(conn: &Connection, site: &str, email: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
          WHERE p.site = ?1 AND lower(c.email) = lower(?2))",
    )?
    .query_row(params![site, email], |r| r.get(0))
}

#[cfg(test)]
#[path = "comments_tests.rs"]
mod tests;
