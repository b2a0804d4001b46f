//! PostgreSQL statements for `admin_tokens` (SQLite's are in `store/admin_tokens.rs`).

use postgres::GenericClient;

use crate::error::ApiResult;

/// See the trait method in `store/tx.rs`.
pub fn hashes(c: &mut impl GenericClient) -> ApiResult<Vec<(String, String)>> {
    c.query_typed("SELECT name, hash FROM admin_tokens", &[])?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}
