//! What the statements of `moderation`, `outbox` and `digests` share on PostgreSQL: a
//! [`Comment`] read from a row, and SQLite's rules for case and for `LIMIT`.

use postgres::Row;

use crate::domain::comment::{Comment, Notify, Status};

/// Reads a [`Comment`] from a row selected with
/// [`COMMENT_COLUMNS`](crate::store::comments::COMMENT_COLUMNS), as SQLite's
/// `comment_from_row` does (an unknown status reads as pending).
pub(super) fn comment_from_pg_row(r: &Row) -> Result<Comment, postgres::Error> {
    let status: String = r.try_get(11)?;
    Ok(Comment {
        id: r.try_get(0)?,
        site: r.try_get(1)?,
        page: r.try_get(2)?,
        page_id: r.try_get(3)?,
        parent: r.try_get(4)?,
        author: r.try_get(5)?,
        email: r.try_get(6)?,
        website: r.try_get(7)?,
        text: r.try_get(8)?,
        format: r.try_get(9)?,
        html: r.try_get(10)?,
        status: Status::parse(&status).unwrap_or(Status::Pending),
        created_at: r.try_get(12)?,
        edited_at: r.try_get(13)?,
        likes: r.try_get(14)?,
        dislikes: r.try_get(15)?,
        ip: r.try_get(16)?,
        avatar: r.try_get(17)?,
        edit_token_hash: r.try_get(18)?,
        edit_until: r.try_get(19)?,
        notify: Notify::from_i64(r.try_get(20)?),
    })
}

/// `lower(col) = lower(param)` as SQLite means it: ASCII letters only (SQLite's `lower()`
/// leaves every other character alone, PostgreSQL's folds `É` to `é` too, even in
/// `C.UTF-8`). The first half lets the `lower(…)` indexes of the schema find the rows;
/// the second, in the `C` collation (ASCII folding only), keeps those SQLite would match.
pub(super) fn same_lower(col: &str, param: &str) -> String {
    format!(
        "(lower({col}) = lower({param}::text) \
          AND lower({col} COLLATE \"C\") = lower({param}::text COLLATE \"C\"))"
    )
}

/// `col LIKE pattern` as SQLite means it: ASCII letters match in either case (PostgreSQL's
/// `ILIKE` folds the way `lower()` does, so in the `C` collation ASCII only), and the
/// escape character is the SQL literal `escape`: `NO_ESCAPE` for SQLite's plain `LIKE`
/// (PostgreSQL's default is `\`).
pub(super) fn like(col: &str, pattern: &str, escape: &str) -> String {
    format!("{col} ILIKE ({pattern})::text COLLATE \"C\" ESCAPE {escape}")
}

/// The `ESCAPE` of a `LIKE` without an escape character.
pub(super) const NO_ESCAPE: &str = "''";

/// The `ESCAPE` of a `LIKE … ESCAPE '\'` (written so that it reads the same whatever
/// `standard_conforming_strings` says).
pub(super) const BACKSLASH: &str = "E'\\\\'";

/// SQLite's `LIMIT n`: a negative `n` means no limit (PostgreSQL refuses one). Used as
/// `LIMIT {limit(p)}` for a BIGINT parameter `p`.
pub(super) fn limit(param: &str) -> String {
    format!("(CASE WHEN {param}::bigint >= 0 THEN {param}::bigint END)")
}

/// SQLite's `OFFSET n`: a negative `n` counts as 0.
pub(super) fn offset(param: &str) -> String {
    format!("greatest({param}::bigint, 0)")
}
