//! PostgreSQL statements for `digests` (SQLite's are in `store/digests.rs`).

use postgres::GenericClient;

use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::digests::DigestEntry;

/// See the trait method in `store/tx.rs`.
pub fn open_digest(
    c: &mut impl GenericClient,
    to: &str,
    site: &str,
    now: Timestamp,
) -> ApiResult<Option<i64>> {
    todo!("postgres digests::open_digest")
}

/// See the trait method in `store/tx.rs`.
pub fn mailed_alone(c: &mut impl GenericClient, to: &str, since: Timestamp) -> ApiResult<i64> {
    todo!("postgres digests::mailed_alone")
}

/// See the trait method in `store/tx.rs`.
pub fn add_entry(
    c: &mut impl GenericClient,
    digest: i64,
    comment_id: i64,
    entry: &DigestEntry,
    now: Timestamp,
) -> ApiResult<()> {
    todo!("postgres digests::add_entry")
}

/// See the trait method in `store/tx.rs`.
pub fn contents(c: &mut impl GenericClient, id: i64) -> ApiResult<(String, Vec<DigestEntry>)> {
    todo!("postgres digests::contents")
}

/// See the trait method in `store/tx.rs`.
pub fn drop_claimed(c: &mut impl GenericClient, id: i64, owner: &str) -> ApiResult<bool> {
    todo!("postgres digests::drop_claimed")
}
