//! PostgreSQL statements for `moderation` (SQLite's are in `store/moderation.rs`).

use postgres::GenericClient;

use crate::domain::comment::{Comment, Status};
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::moderation::QueueFilter;

/// See the trait method in `store/tx.rs`.
pub fn queue(c: &mut impl GenericClient, f: &QueueFilter) -> ApiResult<(Vec<Comment>, i64)> {
    todo!("postgres moderation::queue")
}

/// See the trait method in `store/tx.rs`.
pub fn set_status(c: &mut impl GenericClient, id: i64, status: Status) -> ApiResult<()> {
    todo!("postgres moderation::set_status")
}

/// See the trait method in `store/tx.rs`.
pub fn set_locked(
    c: &mut impl GenericClient,
    site: &str,
    page: &str,
    locked: bool,
    now: Timestamp,
) -> ApiResult<()> {
    todo!("postgres moderation::set_locked")
}

/// See the trait method in `store/tx.rs`.
pub fn erase_email(c: &mut impl GenericClient, site: &str, email: &str) -> ApiResult<Vec<Comment>> {
    todo!("postgres moderation::erase_email")
}

/// See the trait method in `store/tx.rs`.
pub fn site_counts(c: &mut impl GenericClient) -> ApiResult<Vec<(String, String, i64)>> {
    todo!("postgres moderation::site_counts")
}

/// See the trait method in `store/tx.rs`.
pub fn use_link(
    c: &mut impl GenericClient,
    sig_hash: &str,
    expires: Timestamp,
    now: Timestamp,
) -> ApiResult<bool> {
    todo!("postgres moderation::use_link")
}

/// See the trait method in `store/tx.rs`.
pub fn link_used(c: &mut impl GenericClient, sig_hash: &str) -> ApiResult<bool> {
    todo!("postgres moderation::link_used")
}
