//! PostgreSQL statements for `moderation` (SQLite's are in `store/moderation.rs`).

use postgres::GenericClient;

use super::comments::comment_from_row;
use super::rows::{like, limit, offset, same_lower, BACKSLASH};
use crate::domain::comment::{Comment, Status};
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::comments::COMMENT_COLUMNS;
use crate::store::moderation::QueueFilter;

/// The queue's filters: `$1` site, `$2` status, `$3` page key, `$4` a `LIKE` pattern.
fn queue_where() -> String {
    format!(
        "WHERE p.site IN (SELECT id FROM sites WHERE active = 1)
           AND ($1::text IS NULL OR p.site = $1)
           AND ($2::text IS NULL OR c.status = $2)
           AND ($3::text IS NULL OR p.key = $3)
           AND ($4::text IS NULL OR {} OR {} OR {})",
        like("c.text", "$4", BACKSLASH),
        like("c.author", "$4", BACKSLASH),
        like("c.email", "$4", BACKSLASH),
    )
}

/// SQLite's pattern for a substring: `\`, `%` and `_` escaped with `\`.
fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// See the trait method in `store/tx.rs`.
pub fn queue(c: &mut impl GenericClient, f: &QueueFilter) -> ApiResult<(Vec<Comment>, i64)> {
    let pattern = f.q.as_deref().map(like_pattern);
    let status = f.status.map(Status::as_str);
    let filter = queue_where();
    let total: i64 = c
        .query_one(
            &format!("SELECT count(*) FROM comments c JOIN pages p ON p.id = c.page_id {filter}"),
            &[&f.site, &status, &f.page, &pattern],
        )?
        .try_get(0)?;
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN pages p ON p.id = c.page_id {filter}
         ORDER BY c.created_at DESC, c.id DESC LIMIT {} OFFSET {}",
        limit("$5"),
        offset("$6")
    );
    let rows = c.query(
        &sql,
        &[&f.site, &status, &f.page, &pattern, &f.limit, &f.offset],
    )?;
    let comments = rows
        .iter()
        .map(comment_from_row)
        .collect::<Result<_, _>>()?;
    Ok((comments, total))
}

/// See the trait method in `store/tx.rs`.
pub fn set_status(c: &mut impl GenericClient, id: i64, status: Status) -> ApiResult<()> {
    c.execute(
        "UPDATE comments SET status = $2::text,
            held_reason = CASE WHEN $2::text = 'approved' THEN NULL ELSE held_reason END
         WHERE id = $1",
        &[&id, &status.as_str()],
    )?;
    Ok(())
}

/// See the trait method in `store/tx.rs`.
pub fn set_locked(
    c: &mut impl GenericClient,
    site: &str,
    page: &str,
    locked: bool,
    now: Timestamp,
) -> ApiResult<()> {
    let p = super::pages::ensure_page(c, site, page, now)?;
    c.execute(
        "UPDATE pages SET locked = $2 WHERE id = $1",
        &[&p.id, &i64::from(locked)],
    )?;
    Ok(())
}

/// The comments [`erase_email`] erases, newest first (replies before their parents), as
/// they are: locked, so that an edit or an erase on another node waits for this one.
pub(super) fn erasable(
    c: &mut impl GenericClient,
    site: &str,
    email: &str,
) -> ApiResult<Vec<Comment>> {
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN pages p ON p.id = c.page_id
          WHERE p.site = $1 AND {} ORDER BY c.id DESC FOR UPDATE OF c",
        same_lower("c.email", "$2")
    );
    let rows = c.query(&sql, &[&site, &email])?;
    Ok(rows
        .iter()
        .map(comment_from_row)
        .collect::<Result<_, _>>()?)
}

/// See the trait method in `store/tx.rs`.
pub fn erase_email(c: &mut impl GenericClient, site: &str, email: &str) -> ApiResult<Vec<Comment>> {
    let erased = erasable(c, site, email)?;
    for e in &erased {
        super::comments::delete_comment(c, e.id)?;
    }
    Ok(erased)
}

/// See the trait method in `store/tx.rs`. In SQLite's order (its `GROUP BY` sorts, by
/// bytes).
pub fn site_counts(c: &mut impl GenericClient) -> ApiResult<Vec<(String, String, i64)>> {
    let rows = c.query(
        "SELECT p.site, c.status, count(*) FROM comments c JOIN pages p ON p.id = c.page_id
          GROUP BY p.site, c.status
          ORDER BY p.site COLLATE \"C\", c.status COLLATE \"C\"",
        &[],
    )?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// See the trait method in `store/tx.rs`. Two nodes using one link at once: the second
/// `INSERT` waits for the first's transaction, then inserts nothing (or, if that one rolled
/// back, inserts).
pub fn use_link(
    c: &mut impl GenericClient,
    sig_hash: &str,
    expires: Timestamp,
    now: Timestamp,
) -> ApiResult<bool> {
    // Rows another transaction is pruning already are left to it: no node's writer waits
    // for (or deadlocks with) another's over rows that are going anyway.
    c.execute(
        "DELETE FROM used_links WHERE sig_hash IN (
           SELECT sig_hash FROM used_links WHERE expires_at < $1 FOR UPDATE SKIP LOCKED)",
        &[&now],
    )?;
    let n = c.execute(
        "INSERT INTO used_links (sig_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&sig_hash, &expires],
    )?;
    Ok(n == 1)
}

/// See the trait method in `store/tx.rs`.
pub fn link_used(c: &mut impl GenericClient, sig_hash: &str) -> ApiResult<bool> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM used_links WHERE sig_hash = $1)",
        &[&sig_hash],
    )?
    .try_get(0)?)
}
