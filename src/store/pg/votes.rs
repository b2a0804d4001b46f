//! PostgreSQL statements for `votes` (SQLite's are in `store/votes.rs`).

use postgres::GenericClient;

use crate::error::ApiResult;

/// See the trait method in `store/tx.rs`.
pub fn vote(c: &mut impl GenericClient, id: i64, voter: &str, value: i8) -> ApiResult<(i64, i64)> {
    todo!("postgres votes::vote")
}
