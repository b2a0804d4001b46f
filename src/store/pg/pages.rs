//! PostgreSQL statements for `pages` (SQLite's are in `store/pages.rs`).

use postgres::GenericClient;

use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::pages::Page;

/// See the trait method in `store/tx.rs`.
pub fn find_page(c: &mut impl GenericClient, site: &str, key: &str) -> ApiResult<Option<Page>> {
    todo!("postgres pages::find_page")
}

/// See the trait method in `store/tx.rs`.
pub fn ensure_page(
    c: &mut impl GenericClient,
    site: &str,
    key: &str,
    now: Timestamp,
) -> ApiResult<Page> {
    todo!("postgres pages::ensure_page")
}
