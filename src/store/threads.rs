//! Threads as stored: one page of a thread (its top-level comments in a sort's order, each
//! with all its replies) read without reading the rest.

use rusqlite::{params, Connection, Row};

use super::comments::{comment_columns, comment_from_row, COMMENT_COLUMNS};
use super::roots::Picker;
use crate::domain::comment::{Comment, Status};
use crate::domain::thread::{Cursor, Node, Sort};

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
    let mut roots = Picker::new(sort, after, limit);
    roots.set_orphans(orphan_roots(conn, page_id)?);
    loop {
        if let Some((from, want)) = roots.wants() {
            roots.add_batch(regular_roots(conn, page_id, sort, from, want)?, want);
        }
        let Some(root) = roots.next_candidate() else {
            break;
        };
        if !root.visible && !has_visible_reply(conn, page_id, root.id)? {
            continue;
        }
        if !roots.keep(root) {
            break;
        }
    }
    let (picked, next) = roots.finish();
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

pub(super) const ROOTS_OLDEST: &str = roots_sql!("ORDER BY c.created_at, c.id LIMIT ?2");
pub(super) const ROOTS_OLDEST_AFTER: &str =
    roots_sql!("AND (c.created_at, c.id) > (?3, ?4) ORDER BY c.created_at, c.id LIMIT ?2");
pub(super) const ROOTS_NEWEST: &str = roots_sql!("ORDER BY c.created_at DESC, c.id DESC LIMIT ?2");
pub(super) const ROOTS_NEWEST_AFTER: &str = roots_sql!(
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

pub(super) const ROOTS_TOP: &str = roots_top_sql!("");
pub(super) const ROOTS_TOP_AFTER: &str =
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
pub(super) const ORPHAN_ROOTS_SQL: &str = "SELECT c.id, c.parent, c.created_at, c.likes, c.dislikes, c.status
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
pub(super) const VISIBLE_REPLY_SQL: &str = "WITH RECURSIVE below(id, approved) AS (
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
pub(super) const SUBTREE_SQL: &str = concat!(
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
