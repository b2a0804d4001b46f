//! PostgreSQL statements for `admin_tokens` (SQLite's are in `store/admin_tokens.rs`).

use postgres::GenericClient;

use crate::error::ApiResult;

/// See the trait method in `store/tx.rs`.
pub fn hashes(c: &mut impl GenericClient) -> ApiResult<Vec<String>> {
    todo!("postgres admin_tokens::hashes")
}
