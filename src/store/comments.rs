//! The SQL of the public use cases: pages, comments, votes, counts, feeds, secrets.

use std::collections::VecDeque;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::comment::FeedItem;
use crate::domain::comment::{Comment, Notify, Status};
use crate::domain::crypto::ServerKey;
use crate::domain::thread::{self, Cursor, Node, Sort};
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult};

/// [`COMMENT_COLUMNS`], for `concat!`.
macro_rules! comment_columns {
    () => {
        "c.id, p.site, p.key, c.page_id, c.parent, c.author, c.email, \
         c.website, c.text, c.format, c.html, c.status, c.created_at, c.edited_at, c.likes, \
         c.dislikes, c.ip, c.avatar, c.edit_token_hash, c.edit_until, c.notify"
    };
}

/// Columns of [`Comment`], in the order [`comment_from_row`] reads them.
pub const COMMENT_COLUMNS: &str = comment_columns!();

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

/// One page of a thread as stored: the top-level comments the sort and the cursor pick, each
/// with all its replies (any status: [`thread::order_comments`] decides what shows), and the
/// cursor for more.
#[derive(Debug, Clone)]
pub struct ThreadPage {
    /// The picked top-level comments and everything below them on the page.
    pub rows: Vec<Comment>,
    /// Continuation, when more top-level comments are shown after these.
    pub next: Option<Cursor>,
}

/// Loads one page of a thread without reading the rest: at most `limit` top-level comments
/// (those [`thread::order`] would show, in its order, after `after`) with their replies.
///
/// Top-level comments come from the roots index of migration 0009 in the sort's order,
/// merged with the page's orphans (replies whose parent is not on the page, kept in
/// `thread_orphans`); one that is not approved counts only when it has an approved reply
/// below it (it is then a tombstone). Each picked one's replies are read through the parent
/// index. The rows read are those comments, the top-level ones passed over on the way
/// (hidden ones without visible replies), and one more to know whether `next` is due; `top`
/// also reads the index entry of every top-level comment of the page, to sort them by score.
/// Run it inside one read transaction, so every query sees the same snapshot.
pub fn thread_page(
    conn: &Connection,
    page_id: i64,
    sort: Sort,
    after: Option<Cursor>,
    limit: usize,
) -> rusqlite::Result<ThreadPage> {
    let after = after.map(|c| c.key());
    let mut orphans: Vec<Node> = orphan_roots(conn, page_id)?
        .into_iter()
        .filter(|n| after.is_none_or(|k| thread::root_key(n, sort) > k))
        .collect();
    orphans.sort_by_key(|n| thread::root_key(n, sort));
    let mut orphans = orphans.into_iter().peekable();

    let mut batch: VecDeque<Node> = VecDeque::new();
    let mut batch_from = after;
    let mut batches_done = false;
    let mut batches = 0;
    let mut picked: Vec<Node> = Vec::new();
    let mut more = false;
    loop {
        if batch.is_empty() && !batches_done {
            // Twice as many each time: many hidden ones in a row cost few queries.
            let want = (limit.saturating_add(1) - picked.len()).max(ROOTS_BATCH_MIN) << batches;
            batches = (batches + 1).min(16);
            let got = regular_roots(conn, page_id, sort, batch_from, want)?;
            batches_done = got.len() < want;
            if let Some(last) = got.last() {
                batch_from = Some(thread::root_key(last, sort));
            }
            batch.extend(got);
        }
        let orphan_first = match (batch.front(), orphans.peek()) {
            (None, None) => break,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some(r), Some(o)) => thread::root_key(o, sort) < thread::root_key(r, sort),
        };
        let Some(root) = (if orphan_first {
            orphans.next()
        } else {
            batch.pop_front()
        }) else {
            break;
        };
        if !root.visible && !has_visible_reply(conn, page_id, root.id)? {
            continue;
        }
        if picked.len() == limit {
            more = true;
            break;
        }
        picked.push(root);
    }

    let next = match (more, picked.last()) {
        (true, Some(last)) => Some(Cursor::after(last, sort)),
        _ => None,
    };
    let mut rows = Vec::new();
    let mut stmt = conn.prepare_cached(SUBTREE_SQL)?;
    for root in &picked {
        let subtree = stmt.query_map(params![root.id, page_id], comment_from_row)?;
        for c in subtree {
            rows.push(c?);
        }
    }
    Ok(ThreadPage { rows, next })
}

/// The fewest top-level comments read at once (a page asks for `limit + 1`, when more): a
/// few spare ones save another query when some turn out hidden.
const ROOTS_BATCH_MIN: usize = 16;

/// A query for top-level comments of page `?1`, with the columns [`node_from_row`] reads.
macro_rules! roots_sql {
    ($tail:literal) => {
        concat!(
            "SELECT c.id, c.parent, c.created_at, c.likes, c.dislikes, c.status FROM comments c
             WHERE c.page_id = ?1 AND c.parent IS NULL ",
            $tail
        )
    };
}

const ROOTS_OLDEST: &str = roots_sql!("ORDER BY c.created_at, c.id LIMIT ?2");
const ROOTS_OLDEST_AFTER: &str =
    roots_sql!("AND (c.created_at, c.id) > (?3, ?4) ORDER BY c.created_at, c.id LIMIT ?2");
const ROOTS_NEWEST: &str = roots_sql!("ORDER BY c.created_at DESC, c.id DESC LIMIT ?2");
const ROOTS_NEWEST_AFTER: &str = roots_sql!(
    "AND (c.created_at, c.id) < (?3, ?4) ORDER BY c.created_at DESC, c.id DESC LIMIT ?2"
);

/// `top`: the votes are in the roots index, so the inner query sorts the page's top-level
/// comments from their index entries alone (no row is read) and keeps the first `?2`;
/// only those rows are read.
macro_rules! roots_top_sql {
    ($after:literal) => {
        concat!(
            "SELECT c.id, c.parent, c.created_at, c.likes, c.dislikes, c.status
             FROM (SELECT id FROM comments
                   WHERE page_id = ?1 AND parent IS NULL ",
            $after,
            "      ORDER BY dislikes - likes, created_at, id LIMIT ?2) r
             CROSS JOIN comments c ON c.id = r.id
             ORDER BY c.dislikes - c.likes, c.created_at, c.id"
        )
    };
}

const ROOTS_TOP: &str = roots_top_sql!("");
const ROOTS_TOP_AFTER: &str =
    roots_top_sql!("AND (dislikes - likes, created_at, id) > (?3, ?4, ?5)");

/// A page's comments with no parent, in `sort`'s order after the key `after`, at most `n`.
fn regular_roots(
    conn: &Connection,
    page_id: i64,
    sort: Sort,
    after: Option<(i64, i64, i64)>,
    n: usize,
) -> rusqlite::Result<Vec<Node>> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let read = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<Vec<Node>> {
        conn.prepare_cached(sql)?
            .query_map(args, node_from_row)?
            .collect()
    };
    match (sort, after) {
        (Sort::Oldest, None) => read(ROOTS_OLDEST, &[&page_id, &n]),
        (Sort::Oldest, Some((t, id, _))) => read(ROOTS_OLDEST_AFTER, &[&page_id, &n, &t, &id]),
        (Sort::Newest, None) => read(ROOTS_NEWEST, &[&page_id, &n]),
        // The key is (-created_at, -id): after it means before (created_at, id) (exactly,
        // for any time and id short of i64::MAX).
        (Sort::Newest, Some((t, id, _))) => read(
            ROOTS_NEWEST_AFTER,
            &[&page_id, &n, &t.saturating_neg(), &id.saturating_neg()],
        ),
        (Sort::Top, None) => read(ROOTS_TOP, &[&page_id, &n]),
        // The key is (-score, created_at, id).
        (Sort::Top, Some((s, t, id))) => read(ROOTS_TOP_AFTER, &[&page_id, &n, &s, &t, &id]),
    }
}

/// A page's replies whose parent is not one of its comments, as [`regular_roots`] reads
/// roots: the table the triggers keep, checked again against the comments themselves.
const ORPHAN_ROOTS_SQL: &str = "SELECT c.id, c.parent, c.created_at, c.likes, c.dislikes, c.status
     FROM thread_orphans o CROSS JOIN comments c ON c.id = o.id
     WHERE o.page_id = ?1 AND c.page_id = ?1 AND c.parent IS NOT NULL
       AND (c.parent = c.id
            OR NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent AND p.page_id = c.page_id))";

fn orphan_roots(conn: &Connection, page_id: i64) -> rusqlite::Result<Vec<Node>> {
    conn.prepare_cached(ORPHAN_ROOTS_SQL)?
        .query_map([page_id], node_from_row)?
        .collect()
}

fn node_from_row(r: &Row<'_>) -> rusqlite::Result<Node> {
    let likes: i64 = r.get(3)?;
    let dislikes: i64 = r.get(4)?;
    let status: String = r.get(5)?;
    Ok(Node {
        id: r.get(0)?,
        parent: r.get(1)?,
        created_at: r.get(2)?,
        score: likes - dislikes,
        visible: Status::parse(&status) == Some(Status::Approved),
    })
}

/// Whether an approved comment is anywhere below `?1` on page `?2`; stops at the first one.
/// (`CROSS JOIN` keeps the join order as written, and `INDEXED BY` the parent index: with
/// no statistics, SQLite would as soon walk the page's index for every step.)
const VISIBLE_REPLY_SQL: &str = "WITH RECURSIVE below(id, approved) AS (
         SELECT id, status = 'approved' FROM comments INDEXED BY comments_by_parent
         WHERE parent = ?1 AND page_id = ?2 AND id != ?1
         UNION
         SELECT c.id, c.status = 'approved'
         FROM below b CROSS JOIN comments c INDEXED BY comments_by_parent ON c.parent = b.id
         WHERE c.page_id = ?2
     )
     SELECT EXISTS (SELECT 1 FROM below WHERE approved)";

fn has_visible_reply(conn: &Connection, page_id: i64, id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(VISIBLE_REPLY_SQL)?
        .query_row(params![id, page_id], |r| r.get(0))
}

/// A comment `?1` and every comment below it on page `?2`, any status.
const SUBTREE_SQL: &str = concat!(
    "WITH RECURSIVE tree(id) AS (
         VALUES (?1)
         UNION
         SELECT c.id FROM tree t CROSS JOIN comments c INDEXED BY comments_by_parent
             ON c.parent = t.id
         WHERE c.page_id = ?2
     )
     SELECT ",
    comment_columns!(),
    " FROM tree t CROSS JOIN comments c ON c.id = t.id JOIN pages p ON p.id = c.page_id"
);

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
        notify: if c.notify { Notify::Asked } else { Notify::Off },
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

/// Whether `email` wrote any comment on `site` (any status).
pub fn has_comments_from(conn: &Connection, site: &str, email: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
          WHERE p.site = ?1 AND lower(c.email) = lower(?2))",
    )?
    .query_row(params![site, email], |r| r.get(0))
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
        crate::store::migrate::run(&mut conn).unwrap();
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

    #[test]
    fn a_thread_page_reads_top_level_comments_from_the_roots_index() {
        let (_d, conn) = migrated();
        for (sql, wanted) in [
            (ROOTS_OLDEST, "comments_roots (page_id=?)"),
            (
                ROOTS_OLDEST_AFTER,
                "comments_roots (page_id=? AND created_at>?)",
            ),
            (ROOTS_NEWEST, "comments_roots (page_id=?)"),
            (
                ROOTS_NEWEST_AFTER,
                "comments_roots (page_id=? AND created_at<?)",
            ),
        ] {
            let p = plan(&conn, sql);
            // In the index's order: no sort of the page's comments before the LIMIT.
            assert!(
                p.contains(&format!("SEARCH c USING INDEX {wanted}")) && !p.contains("TEMP B-TREE"),
                "{sql}\n{p}"
            );
        }
        for sql in [ROOTS_TOP, ROOTS_TOP_AFTER] {
            let p = plan(&conn, sql);
            // Sorted by score from the index entries alone; rows only for the ones kept.
            assert!(
                p.contains("SEARCH comments USING COVERING INDEX comments_roots (page_id=?)"),
                "{sql}\n{p}"
            );
            assert!(
                p.contains("SEARCH c USING INTEGER PRIMARY KEY"),
                "{sql}\n{p}"
            );
            assert!(
                !p.contains("SCAN c") && !p.contains("SCAN comments"),
                "{sql}\n{p}"
            );
        }
    }

    #[test]
    fn a_thread_page_reads_orphans_and_replies_through_their_indexes() {
        let (_d, conn) = migrated();
        let p = plan(&conn, ORPHAN_ROOTS_SQL);
        assert!(
            p.contains("SEARCH o USING COVERING INDEX thread_orphans_by_page (page_id=?)"),
            "{p}"
        );
        for sql in [VISIBLE_REPLY_SQL, SUBTREE_SQL] {
            let p = plan(&conn, sql);
            assert!(
                p.contains("SEARCH c USING INDEX comments_by_parent (parent=?)"),
                "{sql}\n{p}"
            );
            // Every read of `comments` goes by parent or by id, never over the page.
            for line in p
                .lines()
                .filter(|l| l.contains("comments") || l.contains(" c "))
            {
                assert!(
                    line.contains("comments_by_parent") || line.contains("PRIMARY KEY"),
                    "{sql}\n{p}"
                );
            }
        }
    }

    /// A small deterministic generator (xorshift64*), so the random threads are the same in
    /// every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
        }

        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[self.below(items.len() as u64) as usize]
        }
    }

    /// A comment row as a hand-edited database may hold it (the connection has no foreign
    /// keys: parents may be missing, on another page, the comment itself).
    #[allow(clippy::too_many_arguments)]
    fn raw_insert(
        conn: &Connection,
        id: i64,
        page_id: i64,
        parent: Option<i64>,
        status: &str,
        created_at: i64,
        likes: i64,
        dislikes: i64,
    ) {
        conn.execute(
            "INSERT INTO comments (id, page_id, parent, text, html, status, created_at, likes, dislikes)
             VALUES (?1, ?2, ?3, 't', '<p>t</p>', ?4, ?5, ?6, ?7)",
            params![id, page_id, parent, status, created_at, likes, dislikes],
        )
        .unwrap();
    }

    /// What `thread_orphans` must hold, worked out from the comments alone.
    fn orphans_from_scratch(conn: &Connection) -> Vec<(i64, i64)> {
        conn.prepare(
            "SELECT c.id, c.page_id FROM comments c WHERE c.parent IS NOT NULL
               AND (c.parent = c.id OR NOT EXISTS
                    (SELECT 1 FROM comments p WHERE p.id = c.parent AND p.page_id = c.page_id))
             ORDER BY c.id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    fn orphans_kept(conn: &Connection) -> Vec<(i64, i64)> {
        conn.prepare("SELECT id, page_id FROM thread_orphans ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Pages `/p0/`… of a site `s`, on a connection that from now on enforces no foreign
    /// keys, as the `sqlite3` shell doesn't.
    fn pages(conn: &Connection, n: usize) -> Vec<i64> {
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        sync_sites(conn, &["s".into()], 0).unwrap();
        (0..n)
            .map(|i| ensure_page(conn, "s", &format!("/p{i}/"), 0).unwrap().id)
            .collect()
    }

    #[test]
    fn the_orphans_table_follows_every_change_to_ids_parents_and_pages() {
        let (_d, conn) = migrated();
        let pages = pages(&conn, 3);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut next_id = 1;
        for step in 0..3000 {
            let ids: Vec<i64> = conn
                .prepare("SELECT id FROM comments")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let any_id = |rng: &mut Rng| {
                if ids.is_empty() || rng.below(5) == 0 {
                    rng.below(next_id as u64 + 3) as i64 // maybe missing, maybe not
                } else {
                    rng.pick(&ids)
                }
            };
            let parent = |rng: &mut Rng| (rng.below(4) > 0).then(|| any_id(rng));
            let what = if ids.len() < 10 { 0 } else { rng.below(9) };
            let page = rng.pick(&pages);
            match what {
                0..=2 => {
                    // Often an id that replies are already waiting for.
                    let waiting: Vec<i64> = conn
                        .prepare(
                            "SELECT DISTINCT parent FROM comments
                             WHERE parent NOT IN (SELECT id FROM comments)",
                        )
                        .unwrap()
                        .query_map([], |r| r.get(0))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect();
                    let id = match rng.below(3) {
                        0 if !waiting.is_empty() => rng.pick(&waiting),
                        1 => any_id(&mut rng),
                        _ => next_id,
                    };
                    if !ids.contains(&id) {
                        let parent = if rng.below(20) == 0 {
                            Some(id)
                        } else {
                            parent(&mut rng)
                        };
                        raw_insert(&conn, id, page, parent, "approved", 0, 0, 0);
                        next_id = next_id.max(id + 1);
                    }
                }
                3 => {
                    let id = any_id(&mut rng);
                    conn.execute("DELETE FROM comments WHERE id = ?1", [id])
                        .unwrap();
                }
                4 => {
                    let (id, p) = (any_id(&mut rng), parent(&mut rng));
                    conn.execute(
                        "UPDATE comments SET parent = ?2 WHERE id = ?1",
                        params![id, p],
                    )
                    .unwrap();
                }
                5 => {
                    let id = any_id(&mut rng);
                    conn.execute(
                        "UPDATE comments SET page_id = ?2 WHERE id = ?1",
                        params![id, page],
                    )
                    .unwrap();
                }
                6 => {
                    let id = any_id(&mut rng);
                    conn.execute(
                        "UPDATE comments SET id = ?2 WHERE id = ?1",
                        params![id, next_id],
                    )
                    .unwrap();
                    next_id += 1;
                }
                7 => {
                    // Several rows at once: a thread moved, or half of one.
                    let from = rng.pick(&pages);
                    let m = rng.below(3) as i64 + 2;
                    conn.execute(
                        "UPDATE comments SET page_id = ?2 WHERE page_id = ?1 AND id % ?3 != 0",
                        params![from, page, m],
                    )
                    .unwrap();
                }
                _ => {
                    let m = rng.below(4) as i64 + 3;
                    conn.execute("DELETE FROM comments WHERE id % ?1 = 0", [m])
                        .unwrap();
                }
            }
            assert_eq!(
                orphans_kept(&conn),
                orphans_from_scratch(&conn),
                "after step {step} ({what})"
            );
        }
    }

    #[test]
    fn the_migration_finds_the_orphans_already_there() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )
        .unwrap();
        let before = crate::store::migrate::MIGRATIONS
            .iter()
            .position(|(v, _)| *v == "0009_thread_roots")
            .unwrap();
        for (version, sql) in &crate::store::migrate::MIGRATIONS[..before] {
            conn.execute_batch(sql).unwrap();
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)",
                [version],
            )
            .unwrap();
        }
        let pages = pages(&conn, 2);
        raw_insert(&conn, 1, pages[0], None, "approved", 0, 0, 0);
        raw_insert(&conn, 2, pages[0], Some(1), "approved", 0, 0, 0);
        raw_insert(&conn, 3, pages[0], Some(99), "approved", 0, 0, 0);
        raw_insert(&conn, 4, pages[1], Some(1), "approved", 0, 0, 0);
        raw_insert(&conn, 5, pages[1], Some(5), "approved", 0, 0, 0);
        crate::store::migrate::run(&mut conn).unwrap();
        assert_eq!(
            orphans_kept(&conn),
            vec![(3, pages[0]), (4, pages[1]), (5, pages[1])]
        );
    }

    /// Pages through a thread both ways, the whole thread ordered at once (what a read did
    /// before) and [`thread_page`], and compares every page: ids, tombstones, cursors.
    fn assert_pages_match(conn: &Connection, page_id: i64, sort: Sort, limit: usize) {
        let all = page_comments(conn, page_id).unwrap();
        let mut after = None;
        for n in 0.. {
            let expected = thread::order_comments(&all, sort, after, limit);
            let got = thread_page(conn, page_id, sort, after, limit).unwrap();
            let ordered = thread::order_comments(&got.rows, sort, None, limit);
            let shown = |rows: &[Comment], o: &thread::Ordered| {
                o.items
                    .iter()
                    .map(|p| (rows[p.index].id, p.tombstone))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                shown(&got.rows, &ordered),
                shown(&all, &expected),
                "{sort:?}, limit {limit}, page {n}"
            );
            // Nothing loaded that the page does not show, hidden comments below it aside.
            let shown_ids: Vec<i64> = ordered.items.iter().map(|p| got.rows[p.index].id).collect();
            assert!(
                got.rows
                    .iter()
                    .all(|c| shown_ids.contains(&c.id) || c.status != Status::Approved),
                "{sort:?}, limit {limit}, page {n}"
            );
            assert_eq!(got.next, expected.next, "{sort:?}, limit {limit}, page {n}");
            after = expected.next;
            if after.is_none() {
                break;
            }
        }
    }

    #[test]
    fn a_thread_page_is_the_same_slice_of_the_thread_in_every_sort() {
        for seed in 1..=60u64 {
            let (_d, conn) = migrated();
            let pages = pages(&conn, 2);
            let (page, other) = (pages[0], pages[1]);
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            raw_insert(&conn, 1000, other, None, "approved", 5, 0, 0);
            let n = 20 + rng.below(60) as i64;
            for id in 1..=n {
                let parent = match rng.below(20) {
                    0..=7 => None,
                    8..=15 if id > 1 => Some(1 + rng.below(id as u64 - 1) as i64),
                    16 => Some(1 + rng.below(n as u64) as i64), // maybe a later comment
                    17 => Some(1000),                           // on another page
                    18 => Some(id),                             // itself
                    _ => Some(5000 + id),                       // gone
                };
                let status = rng.pick(&[
                    "approved", "approved", "approved", "approved", "approved", "pending",
                    "rejected", "deleted",
                ]);
                // Few distinct times and scores: ties everywhere.
                let (t, likes, dislikes) = (
                    rng.below(12) as i64,
                    rng.below(4) as i64,
                    rng.below(3) as i64,
                );
                raw_insert(&conn, id, page, parent, status, t, likes, dislikes);
            }
            // Replies on the other page to comments of this one: not part of this thread.
            for id in 2000..2004 {
                let parent = 1 + rng.below(n as u64) as i64;
                raw_insert(&conn, id, other, Some(parent), "approved", 3, 0, 0);
            }
            // A cycle, which no top-level comment reaches.
            if n > 10 {
                conn.execute("UPDATE comments SET parent = 10 WHERE id = 9", [])
                    .unwrap();
                conn.execute("UPDATE comments SET parent = 9 WHERE id = 10", [])
                    .unwrap();
            }
            for sort in [Sort::Oldest, Sort::Newest, Sort::Top] {
                for limit in [1, 2, 3, 7, 200] {
                    assert_pages_match(&conn, page, sort, limit);
                }
            }
        }
    }

    /// SQLite's virtual machine steps spent by `f` on `conn`: the work of the queries,
    /// whatever the machine's speed.
    fn vm_steps<T>(conn: &Connection, f: impl FnOnce() -> T) -> (T, u64) {
        let steps = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = steps.clone();
        conn.progress_handler(
            1,
            Some(move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                false
            }),
        )
        .unwrap();
        let out = f();
        conn.progress_handler(0, None::<fn() -> bool>).unwrap();
        (out, steps.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// A page with `n` top-level comments (one in ten held, without replies), each other one
    /// with a reply and a reply to that, and one reply whose parent is gone; ids from `first`.
    fn big_thread(conn: &Connection, page: i64, first: i64, n: i64) {
        conn.execute_batch("BEGIN").unwrap();
        for i in 0..n {
            let id = first + i * 3;
            let status = if i % 10 == 5 { "pending" } else { "approved" };
            raw_insert(conn, id, page, None, status, 1000 + i, i % 7, i % 3);
            if status == "approved" {
                raw_insert(conn, id + 1, page, Some(id), "approved", 5000 + i, 0, 0);
                raw_insert(conn, id + 2, page, Some(id + 1), "approved", 9000 + i, 0, 0);
            }
        }
        let orphan = first + 3 * n;
        raw_insert(
            conn,
            orphan,
            page,
            Some(orphan + 1),
            "approved",
            1000 + n / 2,
            2,
            0,
        );
        conn.execute_batch("COMMIT").unwrap();
    }

    #[test]
    fn a_thread_page_reads_no_more_of_a_big_thread_than_of_a_small_one() {
        let (_d, conn) = migrated();
        let pages = pages(&conn, 2);
        let (small, big) = (pages[0], pages[1]);
        big_thread(&conn, small, 1, 100);
        big_thread(&conn, big, 1_000_000, 5_000);
        // What reading the big thread whole costs (as every read did before).
        let (_, whole) = vm_steps(&conn, || page_comments(&conn, big).unwrap());

        for sort in [Sort::Oldest, Sort::Newest, Sort::Top] {
            let work = |page: i64| {
                // The first page, then the one after it.
                let (first, a) =
                    vm_steps(&conn, || thread_page(&conn, page, sort, None, 10).unwrap());
                let (second, b) = vm_steps(&conn, || {
                    thread_page(&conn, page, sort, first.next, 10).unwrap()
                });
                assert!(first.next.is_some() && second.next.is_some());
                (first.rows.len() + second.rows.len(), a.max(b))
            };
            let (small_rows, small_steps) = work(small);
            let (big_rows, big_steps) = work(big);
            // 20 top-level comments with two replies each, give or take the held ones and
            // the orphan: no more rows from a thread 50 times the size.
            assert!((50..=62).contains(&small_rows), "{sort:?}: {small_rows}");
            assert!((50..=62).contains(&big_rows), "{sort:?}: {big_rows}");
            let said = format!(
                "{sort:?}: {big_steps} steps for the big thread, {small_steps} for the small \
                 one, {whole} to read the big one whole"
            );
            if sort == Sort::Top {
                // `top` sorts the index entries of all 5,000 top-level comments, but reads
                // no more rows (about a quarter of the steps here, and far less of the time:
                // no text is read or copied).
                assert!(big_steps * 3 < whole, "{said}");
            } else {
                // The same work, give or take a deeper b-tree.
                assert!(big_steps * 10 < small_steps * 13, "{said}");
            }
        }
    }

    #[test]
    fn the_orphan_triggers_cost_a_create_the_same_on_a_big_database() {
        let (_d, conn) = migrated();
        let pages = pages(&conn, 2);
        big_thread(&conn, pages[1], 1, 100);
        let p = find_page(&conn, "s", "/p0/").unwrap().unwrap();
        let create = |parent: Option<i64>, text: &str| {
            let mut c = new_comment(text, 100);
            c.parent = parent;
            vm_steps(&conn, || {
                insert_comment(&conn, &p, "s", "/p0/", c, None, None)
                    .unwrap()
                    .id
            })
        };
        let (root, small_top) = create(None, "a");
        let (_, small_reply) = create(Some(root), "b");
        big_thread(&conn, pages[1], 10_000, 5_000);
        let (root, big_top) = create(None, "c");
        let (_, big_reply) = create(Some(root), "d");
        for (small, big) in [(small_top, big_top), (small_reply, big_reply)] {
            assert!(
                big * 10 < small * 13,
                "{big} steps, {small} on the small database"
            );
        }
    }
}
