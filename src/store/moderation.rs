//! The SQL of moderation: the queue, status changes, locks, erasure, per-site counts.

use rusqlite::{params, Connection};

use crate::domain::comment::{Comment, Status};
use crate::domain::Timestamp;
use crate::store::comments::{comment_from_row, delete_comment, COMMENT_COLUMNS};

/// Filters of the moderation queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// One site, or every active one.
    pub site: Option<String>,
    /// One status, or all.
    pub status: Option<Status>,
    /// One page.
    pub page: Option<String>,
    /// Substring of text, author or email.
    pub q: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

const QUEUE_WHERE: &str = "WHERE p.site IN (SELECT id FROM sites WHERE active = 1)
      AND (?1 IS NULL OR p.site = ?1)
      AND (?2 IS NULL OR c.status = ?2)
      AND (?3 IS NULL OR p.key = ?3)
      AND (?4 IS NULL OR c.text LIKE ?4 ESCAPE '\\' OR c.author LIKE ?4 ESCAPE '\\'
           OR c.email LIKE ?4 ESCAPE '\\')";

fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The queue, newest first, and how many match in all.
pub fn queue(conn: &Connection, f: &QueueFilter) -> rusqlite::Result<(Vec<Comment>, i64)> {
    let pattern = f.q.as_deref().map(like_pattern);
    let status = f.status.map(Status::as_str);
    let args = params![f.site, status, f.page, pattern];
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM comments c JOIN pages p ON p.id = c.page_id {QUEUE_WHERE}"),
        args,
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN pages p ON p.id = c.page_id {QUEUE_WHERE}
         ORDER BY c.created_at DESC, c.id DESC LIMIT ?5 OFFSET ?6"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(
        params![f.site, status, f.page, pattern, f.limit, f.offset],
        comment_from_row,
    )?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// Sets a comment's status.
pub fn set_status(conn: &Connection, id: i64, status: Status) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE comments SET status = ?2,
            held_reason = CASE WHEN ?2 = 'approved' THEN NULL ELSE held_reason END
         WHERE id = ?1",
        params![id, status.as_str()],
    )?;
    Ok(())
}

/// Locks or unlocks a page, creating it if it has no comments yet.
pub fn set_locked(
    conn: &Connection,
    site: &str,
    page: &str,
    locked: bool,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let p = crate::store::comments::ensure_page(conn, site, page, now)?;
    conn.execute(
        "UPDATE pages SET locked = ?2 WHERE id = ?1",
        params![p.id, locked],
    )?;
    Ok(())
}

/// Erases every comment of one email on a site: replies first, so a parent whose only
/// replies were the same person's disappears too. Returns the comments as they were.
pub fn erase_email(conn: &Connection, site: &str, email: &str) -> rusqlite::Result<Vec<Comment>> {
    let erased: Vec<Comment> = conn
        .prepare(&format!(
            "SELECT {COMMENT_COLUMNS} FROM comments c JOIN pages p ON p.id = c.page_id
             WHERE p.site = ?1 AND lower(c.email) = lower(?2) ORDER BY c.id DESC"
        ))?
        .query_map(params![site, email], comment_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    for c in &erased {
        delete_comment(conn, c.id)?;
    }
    Ok(erased)
}

/// Comments per status of every active site.
pub fn site_counts(conn: &Connection) -> rusqlite::Result<Vec<(String, String, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT p.site, c.status, count(*) FROM comments c JOIN pages p ON p.id = c.page_id
         GROUP BY p.site, c.status",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// Records a one-click link as used; `false` if it already was.
pub fn use_link(
    conn: &Connection,
    sig_hash: &str,
    expires: Timestamp,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    conn.execute("DELETE FROM used_links WHERE expires_at < ?1", [now])?;
    let n = conn.execute(
        "INSERT INTO used_links (sig_hash, expires_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![sig_hash, expires],
    )?;
    Ok(n == 1)
}

/// Whether a one-click link was used already.
pub fn link_used(conn: &Connection, sig_hash: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM used_links WHERE sig_hash = ?1)",
        [sig_hash],
        |r| r.get(0),
    )
}
