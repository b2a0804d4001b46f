//! The SQL of the public use cases: pages, comments, votes, counts, feeds, secrets.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::crypto::ServerKey;
use crate::domain::comment::{Comment, Status};
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult};

/// Columns of [`Comment`], in the order [`comment_from_row`] reads them.
pub const COMMENT_COLUMNS: &str = "c.id, p.site, p.key, c.page_id, c.parent, c.author, c.email, \
    c.website, c.text, c.format, c.html, c.status, c.created_at, c.edited_at, c.likes, \
    c.dislikes, c.ip, c.avatar, c.edit_token_hash, c.edit_until, c.notify";

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
        notify: r.get(20)?,
    })
}

/// Marks the configured sites active (creating new ones) and the others inactive.
pub fn sync_sites(conn: &Connection, ids: &[String], now: Timestamp) -> rusqlite::Result<()> {
    conn.execute("UPDATE sites SET active = 0", [])?;
    let mut stmt = conn.prepare(
        "INSERT INTO sites (id, active, created_at) VALUES (?1, 1, ?2)
         ON CONFLICT (id) DO UPDATE SET active = 1",
    )?;
    for id in ids {
        stmt.execute(params![id, now])?;
    }
    Ok(())
}

/// The server secret, made on first start.
pub fn server_key(conn: &Connection) -> rusqlite::Result<ServerKey> {
    let stored: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM secrets WHERE name = 'server'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(key) = stored.as_deref().and_then(ServerKey::from_bytes) {
        return Ok(key);
    }
    let key = ServerKey::generate();
    conn.execute(
        "INSERT OR REPLACE INTO secrets (name, value) VALUES ('server', ?1)",
        [key.as_bytes()],
    )?;
    Ok(key)
}

/// A page's row.
#[derive(Debug, Clone)]
pub struct Page {
    /// Row id.
    pub id: i64,
    /// Locked by a moderator.
    pub locked: bool,
    /// Time of its first comment.
    pub first_comment_at: Option<Timestamp>,
    /// Title from its first comment.
    pub title: Option<String>,
    /// URL from its first comment.
    pub url: Option<String>,
}

impl Page {
    /// Whether the page takes no more comments at `now`.
    pub fn is_locked(&self, lock_after_days: u32, now: Timestamp) -> bool {
        self.locked
            || (lock_after_days > 0
                && self
                    .first_comment_at
                    .is_some_and(|t| now >= t + i64::from(lock_after_days) * 86_400))
    }
}

/// Looks a page up by site and key.
pub fn find_page(conn: &Connection, site: &str, key: &str) -> rusqlite::Result<Option<Page>> {
    conn.prepare_cached(
        "SELECT id, locked, first_comment_at, title, url FROM pages WHERE site = ?1 AND key = ?2",
    )?
    .query_row(params![site, key], |r| {
        Ok(Page {
            id: r.get(0)?,
            locked: r.get(1)?,
            first_comment_at: r.get(2)?,
            title: r.get(3)?,
            url: r.get(4)?,
        })
    })
    .optional()
}

/// Finds or creates a page: one lookup when it exists, as it does for nearly every comment.
pub fn ensure_page(
    conn: &Connection,
    site: &str,
    key: &str,
    now: Timestamp,
) -> rusqlite::Result<Page> {
    if let Some(p) = find_page(conn, site, key)? {
        return Ok(p);
    }
    conn.prepare_cached(
        "INSERT INTO pages (site, key, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (site, key) DO NOTHING",
    )?
    .execute(params![site, key, now])?;
    find_page(conn, site, key)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

/// Every comment of a page, any status (the thread orderer decides what shows).
pub fn page_comments(conn: &Connection, page_id: i64) -> rusqlite::Result<Vec<Comment>> {
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.page_id = ?1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([page_id], comment_from_row)?;
    rows.collect()
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

/// A comment with its page's title and URL, for feeds.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// The comment.
    pub comment: Comment,
    /// Its page's title.
    pub title: Option<String>,
    /// Its page's URL.
    pub url: Option<String>,
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
            title: r.get(21)?,
            url: r.get(22)?,
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
            request_key_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'markdown', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
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
        c.request_key_hash
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
        notify: i64::from(c.notify),
    })
}

const DUPLICATE_SQL: &str = "SELECT EXISTS (SELECT 1 FROM comments
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
}

/// Replaces a comment's editable fields.
pub fn update_comment(conn: &Connection, id: i64, e: &CommentEdit<'_>) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE comments SET author = ?2, website = ?3, text = ?4, html = ?5, status = ?6, edited_at = ?7
         WHERE id = ?1",
        params![id, e.author, e.website, e.text, e.html, e.status.as_str(), e.edited_at],
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

/// Records (or withdraws, with 0) one voter's vote and returns the new counts.
pub fn vote(conn: &Connection, id: i64, voter: &str, value: i8) -> ApiResult<(i64, i64)> {
    let old: Option<i8> = conn
        .prepare_cached("SELECT value FROM votes WHERE comment_id = ?1 AND voter = ?2")?
        .query_row(params![id, voter], |r| r.get(0))
        .optional()?;
    let (mut dl, mut dd) = (0i64, 0i64);
    match old {
        Some(1) => dl -= 1,
        Some(-1) => dd -= 1,
        _ => {}
    }
    match value {
        1 => dl += 1,
        -1 => dd += 1,
        0 => {}
        _ => return Err(ApiError::invalid("value", "value must be 1, -1 or 0")),
    }
    if value == 0 {
        conn.execute(
            "DELETE FROM votes WHERE comment_id = ?1 AND voter = ?2",
            params![id, voter],
        )?;
    } else {
        conn.prepare_cached(
            "INSERT INTO votes (comment_id, voter, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (comment_id, voter) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![id, voter, value])?;
    }
    let counts = conn
        .prepare_cached(
            "UPDATE comments SET likes = max(0, likes + ?2), dislikes = max(0, dislikes + ?3)
             WHERE id = ?1 RETURNING likes, dislikes",
        )?
        .query_row(params![id, dl, dd], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan SQLite picks for a statement, one line per step (parameters left unbound).
    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let nulls = std::iter::repeat_n(rusqlite::types::Null, stmt.parameter_count());
        let rows = stmt
            .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }

    fn migrated() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("q.db")).unwrap();
        crate::db::migrate::run(&mut conn).unwrap();
        (dir, conn)
    }

    #[test]
    fn the_duplicate_check_reads_only_one_network_s_recent_comments_on_the_page() {
        let (_d, conn) = migrated();
        let p = plan(&conn, DUPLICATE_SQL);
        assert!(
            p.contains("comments_by_page (page_id=? AND status=? AND ip=? AND created_at>?)"),
            "{p}"
        );
    }

    #[test]
    fn a_page_s_comments_and_counts_use_the_page_index() {
        let (_d, conn) = migrated();
        let p = plan(
            &conn,
            "SELECT count(*) FROM comments WHERE page_id = ?1 AND status = 'approved'",
        );
        assert!(
            p.contains("comments_by_page (page_id=? AND status=?)"),
            "{p}"
        );
        let p = plan(&conn, "SELECT id FROM comments WHERE page_id = ?1");
        assert!(p.contains("comments_by_page (page_id=?)"), "{p}");
    }

    fn new_comment(text: &str, created_at: Timestamp) -> NewComment {
        NewComment {
            parent: None,
            author: Some("Ada".into()),
            email: Some("ada@example.com".into()),
            website: None,
            text: text.into(),
            html: format!("<p>{text}</p>"),
            status: Status::Pending,
            created_at,
            ip: "10.0.0.0".into(),
            avatar: "ab12".into(),
            author_key_hash: Some("k".into()),
            edit_token_hash: "t".into(),
            edit_until: created_at + 900,
            notify: true,
            request_key_hash: None,
        }
    }

    #[test]
    fn a_created_comment_is_answered_exactly_as_stored_and_the_first_one_names_the_page() {
        let (_d, conn) = migrated();
        sync_sites(&conn, &["blog".into()], 100).unwrap();
        let p = ensure_page(&conn, "blog", "/a/", 100).unwrap();
        assert_eq!(p.first_comment_at, None);
        let first = insert_comment(
            &conn,
            &p,
            "blog",
            "/a/",
            new_comment("one", 200),
            Some("A"),
            None,
        )
        .unwrap();
        assert_eq!(
            Some(&first),
            find_comment(&conn, first.id).unwrap().as_ref()
        );

        // A later comment keeps the first one's time, title and URL.
        let p = ensure_page(&conn, "blog", "/a/", 300).unwrap();
        assert_eq!(
            (p.first_comment_at, p.title.as_deref()),
            (Some(200), Some("A"))
        );
        let mut later = new_comment("two", 300);
        later.parent = Some(first.id);
        later.status = Status::Approved;
        later.notify = false;
        let second = insert_comment(
            &conn,
            &p,
            "blog",
            "/a/",
            later,
            Some("B"),
            Some("https://b/"),
        )
        .unwrap();
        assert_eq!(
            Some(&second),
            find_comment(&conn, second.id).unwrap().as_ref()
        );
        let p = find_page(&conn, "blog", "/a/").unwrap().unwrap();
        assert_eq!(
            (p.first_comment_at, p.title.as_deref(), p.url.as_deref()),
            (Some(200), Some("A"), None)
        );
    }
}
