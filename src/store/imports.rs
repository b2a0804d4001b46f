//! The SQL of `natter import`: the import connection's settings, its batch transactions,
//! the idempotent writes of imported pages, comments and votes, and the lookups that make
//! a second run add nothing. The reads of `natter export` are in [`super::exports`].

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension};

use super::exports::{CommentRow, PageRow};
use crate::domain::Timestamp;

/// Sets up a migrated connection for an import: no waiting for the disk per batch, and
/// no triggers.
pub fn prepare_connection(conn: &Connection) -> rusqlite::Result<()> {
    // Batches don't wait for the disk: a power cut mid-import loses at most the last
    // batches, which running the import again restores. The importer syncs at the end.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // No triggers on this connection. The only ones, migration 0009's, keep
    // `thread_orphans` (replies whose parent is not on their page), and an import never
    // makes such a reply: a parent on another page or never found is dropped and
    // reported. At worst an import brings the missing parent of a reply already there;
    // the list checks each entry of the table again as it reads it, so that entry just
    // stays unused. With the triggers, every insert would go through a statement journal:
    // an import took ~1.4 times as long.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    Ok(())
}

/// Opens a write transaction (one batch).
pub fn begin_write(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")
}

/// Commits the open transaction.
pub fn commit(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("COMMIT")
}

/// Makes the site's row unless it exists.
pub fn ensure_site(conn: &Connection, site: &str, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sites (id, active, created_at) VALUES (?1, 1, ?2) ON CONFLICT (id) DO NOTHING",
        params![site, now],
    )?;
    Ok(())
}

/// Moves a page's first-comment time back to `at` if it is earlier (or unset).
pub fn first_comment_at(conn: &Connection, page: i64, at: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE pages SET first_comment_at = min(coalesce(first_comment_at, ?2), ?2) WHERE id = ?1",
    )?
    .execute(params![page, at])?;
    Ok(())
}

/// The row id of a page, making a bare one if needed: `(id, made now)`.
pub fn ensure_page(
    conn: &Connection,
    site: &str,
    key: &str,
    now: Timestamp,
) -> rusqlite::Result<(i64, bool)> {
    let created = conn
        .prepare_cached(
            "INSERT INTO pages (site, key, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (site, key) DO NOTHING",
        )?
        .execute(params![site, key, now])?;
    Ok((page_id(conn, site, key)?, created > 0))
}

/// The row id of an existing page.
pub fn page_id(conn: &Connection, site: &str, key: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT id FROM pages WHERE site = ?1 AND key = ?2")?
        .query_row(params![site, key], |r| r.get(0))
}

/// Fills a page's missing title and URL, and locks it if `locked`.
pub fn merge_page(
    conn: &Connection,
    id: i64,
    title: Option<&str>,
    url: Option<&str>,
    locked: bool,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE pages SET title = coalesce(title, ?2), url = coalesce(url, ?3), locked = max(locked, ?4)
         WHERE id = ?1",
    )?
    .execute(params![id, title, url, locked])?;
    Ok(())
}

/// Writes an exported page unless the site has it: whether it was written.
pub fn insert_page(conn: &Connection, site: &str, p: &PageRow) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO pages (site, key, title, url, locked, first_comment_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (site, key) DO NOTHING",
        )?
        .execute(params![
            site,
            p.key,
            p.title,
            p.url,
            p.locked,
            p.first_comment_at,
            p.created_at
        ])?;
    Ok(n > 0)
}

/// An imported comment of a source: `(id, page, parent)`.
pub fn by_source(
    conn: &Connection,
    source: &str,
    source_id: &str,
) -> rusqlite::Result<Option<(i64, i64, Option<i64>)>> {
    conn.prepare_cached(
        "SELECT id, page_id, parent FROM comments WHERE source = ?1 AND source_id = ?2",
    )?
    .query_row(params![source, source_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .optional()
}

/// The id of the comment imported from `source` as `source_id`.
pub fn id_by_source(
    conn: &Connection,
    source: &str,
    source_id: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM comments WHERE source = ?1 AND source_id = ?2")?
        .query_row(params![source, source_id], |r| r.get(0))
        .optional()
}

/// The page of a comment, if the comment exists.
pub fn page_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT page_id FROM comments WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

/// Where a comment is: `(created_at, site, page key)`.
pub fn comment_place(
    conn: &Connection,
    id: i64,
) -> rusqlite::Result<Option<(Timestamp, String, String)>> {
    conn.prepare_cached(
        "SELECT c.created_at, p.site, p.key FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.id = ?1",
    )?
    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .optional()
}

/// Links a top-level comment to the parent that came after it.
pub fn link_parent(conn: &Connection, id: i64, parent: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE comments SET parent = ?2 WHERE id = ?1 AND parent IS NULL")?
        .execute(params![id, parent])?;
    Ok(())
}

/// A comment from a foreign source, ready to write (Natter gives it its id).
#[derive(Debug, Clone)]
pub struct Imported<'a> {
    /// Page row id.
    pub page_id: i64,
    /// Parent id, when it is already in.
    pub parent: Option<i64>,
    /// Name.
    pub author: Option<&'a str>,
    /// Email.
    pub email: Option<&'a str>,
    /// Website.
    pub website: Option<&'a str>,
    /// Source text.
    pub text: &'a str,
    /// `markdown` or `html`.
    pub format: &'a str,
    /// Rendering.
    pub html: &'a str,
    /// Moderation state.
    pub status: &'a str,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last edit.
    pub edited_at: Option<Timestamp>,
    /// Likes.
    pub likes: i64,
    /// Dislikes.
    pub dislikes: i64,
    /// Anonymized IP.
    pub ip: Option<&'a str>,
    /// Identicon hash.
    pub avatar: Option<&'a str>,
    /// The importer's name.
    pub source: &'a str,
    /// Its id there.
    pub source_id: &'a str,
}

/// Writes an imported comment unless its source id is there: its new id, or `None`.
pub fn insert_imported(conn: &Connection, c: &Imported<'_>) -> rusqlite::Result<Option<i64>> {
    let n = conn
        .prepare_cached(
            "INSERT INTO comments (page_id, parent, author, email, website, text, format, html,
                status, created_at, edited_at, likes, dislikes, ip, avatar, edit_until, notify,
                source, source_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, 0, ?16, ?17)
             ON CONFLICT (source, source_id) WHERE source IS NOT NULL DO NOTHING",
        )?
        .execute(params![
            c.page_id,
            c.parent,
            c.author,
            c.email,
            c.website,
            c.text,
            c.format,
            c.html,
            c.status,
            c.created_at,
            c.edited_at,
            c.likes,
            c.dislikes,
            c.ip,
            c.avatar,
            c.source,
            c.source_id
        ])?;
    Ok((n > 0).then(|| conn.last_insert_rowid()))
}

/// Writes a comment of an export on `page_id` with its own id.
pub fn insert_restored(conn: &Connection, page_id: i64, c: &CommentRow) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO comments (id, page_id, parent, author, email, website, text, format, html,
            status, created_at, edited_at, likes, dislikes, ip, avatar, author_key_hash,
            edit_token_hash, edit_until, notify, source, source_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22)",
    )?
    .execute(params![
        c.id,
        page_id,
        c.parent,
        c.author,
        c.email,
        c.website,
        c.text,
        c.format,
        c.html,
        c.status,
        c.created_at,
        c.edited_at,
        c.likes,
        c.dislikes,
        c.ip,
        c.avatar,
        c.author_key_hash,
        c.edit_token_hash,
        c.edit_until,
        c.notify,
        c.source,
        c.source_id
    ])?;
    Ok(())
}

/// Writes a vote of an export if its comment is on `site` and the voter has not voted.
pub fn insert_vote(
    conn: &Connection,
    comment_id: i64,
    voter: &str,
    value: i64,
    site: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO votes (comment_id, voter, value)
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
                                         WHERE c.id = ?1 AND p.site = ?4)
         ON CONFLICT (comment_id, voter) DO NOTHING",
    )?
    .execute(params![comment_id, voter, value, site])?;
    Ok(())
}
