//! PostgreSQL statements for `pages` (SQLite's are in `store/pages.rs`).

use postgres::types::Type;
use postgres::{GenericClient, Row};

use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult};
use crate::store::pages::Page;

fn page_from_row(r: &Row) -> Result<Page, postgres::Error> {
    Ok(Page {
        id: r.try_get(0)?,
        locked: r.try_get::<_, i64>(1)? != 0,
        first_comment_at: r.try_get(2)?,
        title: r.try_get(3)?,
        url: r.try_get(4)?,
    })
}

/// See the trait method in `store/tx.rs`.
pub fn find_page(c: &mut impl GenericClient, site: &str, key: &str) -> ApiResult<Option<Page>> {
    const SQL: &str =
        "SELECT id, locked, first_comment_at, title, url FROM pages WHERE site = $1 AND key = $2";
    match c.query_typed_opt(SQL, &[(&site, Type::TEXT), (&key, Type::TEXT)])? {
        Some(r) => Ok(Some(page_from_row(&r)?)),
        None => Ok(None),
    }
}

/// See the trait method in `store/tx.rs`.
///
/// One statement finds the page or, when there is none, makes it (nothing is inserted, and
/// no id spent, for a page that exists). When another node made it after this statement's
/// snapshot was taken, the insert yields to it and answers nothing; a second lookup, with a
/// new snapshot, finds the row that node committed.
pub fn ensure_page(
    c: &mut impl GenericClient,
    site: &str,
    key: &str,
    now: Timestamp,
) -> ApiResult<Page> {
    const SQL: &str = "WITH found AS (
             SELECT id, locked, first_comment_at, title, url FROM pages
             WHERE site = $1 AND key = $2
         ),
         made AS (
             INSERT INTO pages (site, key, created_at)
             SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM found)
             ON CONFLICT (site, key) DO NOTHING
             RETURNING id, locked, first_comment_at, title, url
         )
         SELECT * FROM found UNION ALL SELECT * FROM made";
    let row = c.query_typed_opt(
        SQL,
        &[(&site, Type::TEXT), (&key, Type::TEXT), (&now, Type::INT8)],
    )?;
    if let Some(r) = row {
        return Ok(page_from_row(&r)?);
    }
    find_page(c, site, key)?
        .ok_or_else(|| ApiError::Internal(format!("page {site} {key} was neither found nor made")))
}
