//! PostgreSQL statements for `stats` (SQLite's are in `store/stats.rs`).

use postgres::GenericClient;

use crate::error::ApiResult;

/// See the trait method in `store/tx.rs`.
///
/// The size is the whole database's (`pg_database_size`), the nearest thing to SQLite's
/// main file.
pub fn gauges(c: &mut impl GenericClient) -> ApiResult<(i64, i64, i64)> {
    const SQL: &str = "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending'),
                (SELECT count(*) FROM outbox WHERE status = 'failed'),
                pg_database_size(current_database())";
    let r = c.query_typed_one(SQL, &[])?;
    Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
}

/// See the trait method in `store/tx.rs`.
pub fn tables_answer(c: &mut impl GenericClient) -> ApiResult<()> {
    c.query_typed_one("SELECT count(*) FROM sites", &[])?;
    Ok(())
}
