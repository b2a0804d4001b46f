//! PostgreSQL statements for `outbox` (SQLite's are in `store/outbox.rs`).

use postgres::GenericClient;

use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::outbox::{About, Email, Item};

/// See the trait method in `store/tx.rs`.
pub fn push_email(
    c: &mut impl GenericClient,
    to: &str,
    mail: &Email,
    about: About<'_>,
    now: Timestamp,
) -> ApiResult<()> {
    todo!("postgres outbox::push_email")
}

/// See the trait method in `store/tx.rs`.
pub fn push_email_due(
    c: &mut impl GenericClient,
    to: &str,
    mail: &Email,
    about: About<'_>,
    now: Timestamp,
    due: Timestamp,
) -> ApiResult<i64> {
    todo!("postgres outbox::push_email_due")
}

/// See the trait method in `store/tx.rs`.
pub fn push_webhook(
    c: &mut impl GenericClient,
    url: &str,
    body: &str,
    about: About<'_>,
    now: Timestamp,
) -> ApiResult<()> {
    todo!("postgres outbox::push_webhook")
}

/// See the trait method in `store/tx.rs`.
pub fn recently_mailed(
    c: &mut impl GenericClient,
    to: &str,
    purpose: &str,
    since: Timestamp,
) -> ApiResult<bool> {
    todo!("postgres outbox::recently_mailed")
}

/// See the trait method in `store/tx.rs`.
pub fn forget(
    c: &mut impl GenericClient,
    site: &str,
    email: &str,
    ids: &[i64],
) -> ApiResult<usize> {
    todo!("postgres outbox::forget")
}

/// See the trait method in `store/tx.rs`.
pub fn counts(c: &mut impl GenericClient) -> ApiResult<Vec<(String, i64)>> {
    todo!("postgres outbox::counts")
}

/// See the trait method in `store/tx.rs`.
pub fn undelivered(c: &mut impl GenericClient, limit: i64) -> ApiResult<Vec<Item>> {
    todo!("postgres outbox::undelivered")
}

/// See the trait method in `store/tx.rs`.
pub fn claim(
    c: &mut impl GenericClient,
    owner: &str,
    now: Timestamp,
    email_slots: i64,
) -> ApiResult<Option<Item>> {
    todo!("postgres outbox::claim")
}

/// See the trait method in `store/tx.rs`.
pub fn mark_sent(
    c: &mut impl GenericClient,
    id: i64,
    owner: &str,
    now: Timestamp,
) -> ApiResult<bool> {
    todo!("postgres outbox::mark_sent")
}

/// See the trait method in `store/tx.rs`.
pub fn mark_failed(
    c: &mut impl GenericClient,
    id: i64,
    owner: &str,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> ApiResult<bool> {
    todo!("postgres outbox::mark_failed")
}
