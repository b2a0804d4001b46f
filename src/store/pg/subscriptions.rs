//! PostgreSQL statements for `subscriptions` (SQLite's are in `store/subscriptions.rs`).

use postgres::GenericClient;

use crate::domain::comment::Notify;
use crate::domain::Timestamp;
use crate::error::ApiResult;

/// See the trait method in `store/tx.rs`.
pub fn page_meta(
    c: &mut impl GenericClient,
    page_id: i64,
) -> ApiResult<(Option<String>, Option<String>)> {
    todo!("postgres subscriptions::page_meta")
}

/// See the trait method in `store/tx.rs`.
pub fn is_confirmed(c: &mut impl GenericClient, site: &str, email: &str) -> ApiResult<bool> {
    todo!("postgres subscriptions::is_confirmed")
}

/// See the trait method in `store/tx.rs`.
pub fn set_notify(c: &mut impl GenericClient, id: i64, notify: Notify) -> ApiResult<bool> {
    todo!("postgres subscriptions::set_notify")
}

/// See the trait method in `store/tx.rs`.
pub fn confirm_email(
    c: &mut impl GenericClient,
    site: &str,
    email: &str,
    now: Timestamp,
) -> ApiResult<()> {
    todo!("postgres subscriptions::confirm_email")
}

/// See the trait method in `store/tx.rs`.
pub fn forget_confirmation(c: &mut impl GenericClient, site: &str, email: &str) -> ApiResult<()> {
    todo!("postgres subscriptions::forget_confirmation")
}
