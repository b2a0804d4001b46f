//! What the statements of `moderation`, `outbox` and `digests` share on PostgreSQL:
//! SQLite's rules for case and for `LIMIT`.

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
