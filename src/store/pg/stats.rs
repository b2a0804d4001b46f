//! PostgreSQL statements for `stats` (SQLite's are in `store/stats.rs`).

use postgres::GenericClient;

use crate::error::ApiResult;

/// See the trait method in `store/tx.rs`.
pub fn gauges(c: &mut impl GenericClient) -> ApiResult<(i64, i64, i64)> {
    todo!("postgres stats::gauges")
}

/// See the trait method in `store/tx.rs`.
pub fn tables_answer(c: &mut impl GenericClient) -> ApiResult<()> {
    todo!("postgres stats::tables_answer")
}
