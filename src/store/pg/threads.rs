//! PostgreSQL statements for `threads` (SQLite's are in `store/threads.rs`).
//!
//! The same walk as on SQLite, in fewer round trips: the first batch of top-level comments
//! comes with the page's orphans in one statement, and every picked comment's replies come
//! in one more.

use std::collections::{HashMap, VecDeque};

use postgres::types::{ToSql, Type};
use postgres::{GenericClient, Row};

use super::comments::comment_from_row;
use crate::domain::comment::{Comment, Status};
use crate::domain::thread::{Cursor, Node, Sort};
use crate::error::{ApiError, ApiResult};
use crate::store::comments::comment_columns;
use crate::store::roots::Picker;
use crate::store::threads::ThreadPage;

/// See the trait method in `store/tx.rs`.
///
/// In id order (SQLite's is whatever its index gives; every reader orders them itself).
pub fn page_comments(c: &mut impl GenericClient, page_id: i64) -> ApiResult<Vec<Comment>> {
    const SQL: &str = concat!(
        "SELECT ",
        comment_columns!(),
        " FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.page_id = $1 ORDER BY c.id"
    );
    c.query_typed(SQL, &[(&page_id, Type::INT8)])?
        .iter()
        .map(|r| Ok(comment_from_row(r)?))
        .collect()
}

/// See the trait method in `store/tx.rs`.
pub fn thread_page(
    c: &mut impl GenericClient,
    page_id: i64,
    sort: Sort,
    after: Option<Cursor>,
    limit: usize,
) -> ApiResult<ThreadPage> {
    let mut picker = Picker::new(sort, after, limit);
    loop {
        if let Some((from, want)) = picker.wants() {
            let with_orphans = picker.needs_orphans();
            let (got, found) = roots(c, page_id, sort, from, want, with_orphans)?;
            picker.add_batch(got, want);
            if with_orphans {
                picker.set_orphans(found);
            }
        }
        let Some(root) = picker.next_candidate() else {
            break;
        };
        if !root.visible && !has_visible_reply(c, page_id, root.id)? {
            continue;
        }
        if !picker.keep(root) {
            break;
        }
    }
    let (picked, next) = picker.finish();
    let rows = if picked.is_empty() {
        Vec::new()
    } else {
        subtrees(c, page_id, &picked)?
    };
    Ok(ThreadPage { rows, next })
}

/// A query for top-level comments of page `$1`, at most `$2`, after the key `$3…`: a first
/// column `false`, then the columns [`node_from_row`] reads.
macro_rules! time_roots {
    ($tail:literal) => {
        concat!(
            "SELECT false, c.id, c.parent, c.created_at, c.likes, c.dislikes, c.status
             FROM comments c WHERE c.page_id = $1 AND c.parent IS NULL ",
            $tail
        )
    };
}

/// `top`: the votes are in the roots index (as `INCLUDE` columns), so the inner query sorts
/// the page's top-level comments from its entries and keeps the first `$2`; only those
/// rows are read.
macro_rules! top_roots {
    ($after:literal) => {
        concat!(
            "SELECT false, c.id, c.parent, c.created_at, c.likes, c.dislikes, c.status
             FROM (SELECT id FROM comments
                   WHERE page_id = $1 AND parent IS NULL ",
            $after,
            "      ORDER BY dislikes - likes, created_at, id LIMIT $2) r
             JOIN comments c ON c.id = r.id
             ORDER BY c.dislikes - c.likes, c.created_at, c.id"
        )
    };
}

/// A page's replies whose parent is not one of its comments (the table the triggers keep,
/// checked again against the comments themselves): a first column `true`, then the
/// columns [`node_from_row`] reads.
macro_rules! orphan_roots {
    () => {
        "SELECT true, c.id, c.parent, c.created_at, c.likes, c.dislikes, c.status
         FROM thread_orphans o JOIN comments c ON c.id = o.id
         WHERE o.page_id = $1 AND c.page_id = $1 AND c.parent IS NOT NULL
           AND (c.parent = c.id
                OR NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent AND p.page_id = c.page_id))"
    };
}

/// Each roots query alone, and with the orphans after it (the first batch of a read).
macro_rules! roots_sql {
    ($alone:ident, $with_orphans:ident, $sql:expr) => {
        const $alone: &str = $sql;
        const $with_orphans: &str = concat!("(", $sql, ") UNION ALL (", orphan_roots!(), ")");
    };
}

roots_sql!(
    OLDEST,
    OLDEST_O,
    time_roots!("ORDER BY c.created_at, c.id LIMIT $2")
);
roots_sql!(
    OLDEST_AFTER,
    OLDEST_AFTER_O,
    time_roots!("AND (c.created_at, c.id) > ($3, $4) ORDER BY c.created_at, c.id LIMIT $2")
);
roots_sql!(
    NEWEST,
    NEWEST_O,
    time_roots!("ORDER BY c.created_at DESC, c.id DESC LIMIT $2")
);
roots_sql!(
    NEWEST_AFTER,
    NEWEST_AFTER_O,
    time_roots!(
        "AND (c.created_at, c.id) < ($3, $4) ORDER BY c.created_at DESC, c.id DESC LIMIT $2"
    )
);
roots_sql!(TOP, TOP_O, top_roots!(""));
roots_sql!(
    TOP_AFTER,
    TOP_AFTER_O,
    top_roots!("AND (dislikes - likes, created_at, id) > ($3, $4, $5)")
);

/// A page's comments with no parent, in `sort`'s order after the key `after`, at most `n`;
/// and, when `with_orphans`, the page's orphans (in no order).
fn roots(
    c: &mut impl GenericClient,
    page_id: i64,
    sort: Sort,
    after: Option<(i64, i64, i64)>,
    n: usize,
    with_orphans: bool,
) -> ApiResult<(Vec<Node>, Vec<Node>)> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let pick = |alone: &'static str, with: &'static str| if with_orphans { with } else { alone };
    // The statement and the values of its `$3…`.
    let (sql, key): (&str, &[i64]) = match (sort, after) {
        (Sort::Oldest, None) => (pick(OLDEST, OLDEST_O), &[]),
        (Sort::Oldest, Some((t, id, _))) => (pick(OLDEST_AFTER, OLDEST_AFTER_O), &[t, id]),
        (Sort::Newest, None) => (pick(NEWEST, NEWEST_O), &[]),
        // The key is (-created_at, -id): after it means before (created_at, id) (exactly,
        // for any time and id short of i64::MAX).
        (Sort::Newest, Some((t, id, _))) => (
            pick(NEWEST_AFTER, NEWEST_AFTER_O),
            &[t.saturating_neg(), id.saturating_neg()],
        ),
        (Sort::Top, None) => (pick(TOP, TOP_O), &[]),
        // The key is (-score, created_at, id).
        (Sort::Top, Some((s, t, id))) => (pick(TOP_AFTER, TOP_AFTER_O), &[s, t, id]),
    };
    let mut params: Vec<(&(dyn ToSql + Sync), Type)> =
        vec![(&page_id, Type::INT8), (&n, Type::INT8)];
    params.extend(key.iter().map(|k| (k as &(dyn ToSql + Sync), Type::INT8)));
    let (mut regular, mut orphans) = (Vec::new(), Vec::new());
    for r in c.query_typed(sql, &params)? {
        let orphan: bool = r.try_get(0)?;
        let node = node_from_row(&r)?;
        if orphan {
            orphans.push(node);
        } else {
            regular.push(node);
        }
    }
    Ok((regular, orphans))
}

fn node_from_row(r: &Row) -> Result<Node, postgres::Error> {
    let likes: i64 = r.try_get(4)?;
    let dislikes: i64 = r.try_get(5)?;
    let status: String = r.try_get(6)?;
    Ok(Node {
        id: r.try_get(1)?,
        parent: r.try_get(2)?,
        created_at: r.try_get(3)?,
        score: likes - dislikes,
        visible: Status::parse(&status) == Some(Status::Approved),
    })
}

/// Whether an approved comment is anywhere below `$1` on page `$2`; stops at the first one.
///
/// Each step reads replies through the parent index, whatever the planner thinks of the
/// table (as SQLite's `INDEXED BY` makes it): the replies are a `LATERAL` subquery it may
/// not flatten (`OFFSET 0`), and `page_id + 0` keeps the page index out of it. Without
/// statistics (a table just filled) it would as soon scan the page's index at every step:
/// seconds for a deep thread.
const VISIBLE_REPLY_SQL: &str = "WITH RECURSIVE below(id, approved) AS (
         SELECT id, status = 'approved' FROM comments
         WHERE parent = $1 AND page_id + 0 = $2 AND id <> $1
         UNION
         SELECT c.id, c.approved FROM below b CROSS JOIN LATERAL (
             SELECT id, status = 'approved' AS approved FROM comments
             WHERE parent = b.id AND page_id + 0 = $2 OFFSET 0
         ) c
     )
     SELECT EXISTS (SELECT 1 FROM below WHERE approved)";

fn has_visible_reply(c: &mut impl GenericClient, page_id: i64, id: i64) -> ApiResult<bool> {
    Ok(c.query_typed_one(
        VISIBLE_REPLY_SQL,
        &[(&id, Type::INT8), (&page_id, Type::INT8)],
    )?
    .try_get(0)?)
}

/// The comments `$1` and every comment below each of them on page `$2`, any status, with
/// the position in `$1` of the one each is below (last column). The walk stops at the
/// comment it started from (a reply to itself): a cycle below a comment must pass through
/// it, since every comment has one parent, so no other guard is needed. Replies are read
/// through the parent index at every step, as in [`VISIBLE_REPLY_SQL`].
const SUBTREES_SQL: &str = concat!(
    "WITH RECURSIVE tree(ord, top, id) AS (
         SELECT r.ord, r.id, r.id FROM unnest($1::bigint[]) WITH ORDINALITY AS r(id, ord)
         UNION ALL
         SELECT t.ord, t.top, c.id FROM tree t CROSS JOIN LATERAL (
             SELECT id FROM comments WHERE parent = t.id AND page_id + 0 = $2 AND id <> t.top
             OFFSET 0
         ) c
     )
     SELECT ",
    comment_columns!(),
    ", t.ord FROM tree t JOIN comments c ON c.id = t.id JOIN pages p ON p.id = c.page_id
     ORDER BY t.ord, c.id"
);

/// Each picked comment's subtree, in the order SQLite's walk gives (picked order; within
/// each, breadth first, each comment's replies by id), put in that order here rather than
/// by carrying every row's path in the query (a 10,000-deep chain would carry 50 million).
fn subtrees(c: &mut impl GenericClient, page_id: i64, picked: &[Node]) -> ApiResult<Vec<Comment>> {
    let ids: Vec<i64> = picked.iter().map(|n| n.id).collect();
    let found = c.query_typed(
        SUBTREES_SQL,
        &[(&ids, Type::INT8_ARRAY), (&page_id, Type::INT8)],
    )?;
    let mut groups: Vec<Vec<Comment>> = picked.iter().map(|_| Vec::new()).collect();
    for r in &found {
        let ord: i64 = r.try_get(crate::store::comments::COMMENT_WIDTH)?;
        let group = usize::try_from(ord - 1)
            .ok()
            .and_then(|i| groups.get_mut(i))
            .ok_or_else(|| ApiError::Internal(format!("a subtree numbered {ord}")))?;
        group.push(comment_from_row(r)?);
    }
    let mut rows = Vec::with_capacity(found.len());
    for (root, group) in picked.iter().zip(groups) {
        breadth_first(root.id, group, &mut rows);
    }
    Ok(rows)
}

/// Appends `group` (the subtree of `root`, by id) breadth first from `root`, each comment's
/// replies by id; anything the walk would not reach (nothing, in one snapshot) after it.
fn breadth_first(root: i64, group: Vec<Comment>, out: &mut Vec<Comment>) {
    let mut replies: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, c) in group.iter().enumerate() {
        if let Some(parent) = c.parent.filter(|_| c.id != root) {
            replies.entry(parent).or_default().push(i);
        }
    }
    let mut slots: Vec<Option<Comment>> = group.into_iter().map(Some).collect();
    let mut queue: VecDeque<usize> = slots
        .iter()
        .position(|c| c.as_ref().is_some_and(|c| c.id == root))
        .into_iter()
        .collect();
    while let Some(i) = queue.pop_front() {
        let Some(c) = slots.get_mut(i).and_then(Option::take) else {
            continue;
        };
        if let Some(below) = replies.get(&c.id) {
            queue.extend(below.iter().copied());
        }
        out.push(c);
    }
    out.extend(slots.into_iter().flatten());
}
