//! PostgreSQL statements for `subscriptions` (SQLite's are in `store/subscriptions.rs`).
//!
//! Addresses are folded as SQLite's `lower()` folds them, ASCII only (see `comments.rs`):
//! what is stored here is what SQLite would store, so `natter db copy` keeps them equal.

use postgres::types::Type;
use postgres::GenericClient;

use crate::domain::comment::Notify;
use crate::domain::Timestamp;
use crate::error::ApiResult;

/// See the trait method in `store/tx.rs`.
pub fn page_meta(
    c: &mut impl GenericClient,
    page_id: i64,
) -> ApiResult<(Option<String>, Option<String>)> {
    const SQL: &str = "SELECT title, url FROM pages WHERE id = $1";
    match c.query_typed_opt(SQL, &[(&page_id, Type::INT8)])? {
        Some(r) => Ok((r.try_get(0)?, r.try_get(1)?)),
        None => Ok((None, None)),
    }
}

/// See the trait method in `store/tx.rs`.
pub fn is_confirmed(c: &mut impl GenericClient, site: &str, email: &str) -> ApiResult<bool> {
    const SQL: &str =
        "SELECT EXISTS (SELECT 1 FROM confirmed_emails WHERE site = $1 AND email = $2)";
    let email = email.to_ascii_lowercase();
    Ok(
        c.query_typed_one(SQL, &[(&site, Type::TEXT), (&email, Type::TEXT)])?
            .try_get(0)?,
    )
}

/// See the trait method in `store/tx.rs`.
pub fn set_notify(c: &mut impl GenericClient, id: i64, notify: Notify) -> ApiResult<bool> {
    const SQL: &str = "UPDATE comments SET notify = $2 WHERE id = $1 RETURNING 1";
    let n = notify.as_i64();
    Ok(c.query_typed(SQL, &[(&id, Type::INT8), (&n, Type::INT8)])?
        .len()
        == 1)
}

/// See the trait method in `store/tx.rs`.
pub fn confirm_email(
    c: &mut impl GenericClient,
    site: &str,
    email: &str,
    now: Timestamp,
) -> ApiResult<()> {
    const SQL: &str = r#"WITH confirmed AS (
             INSERT INTO confirmed_emails (site, email, confirmed_at) VALUES ($1, $3, $4)
             ON CONFLICT DO NOTHING
         )
         UPDATE comments SET notify = 2
         WHERE notify = 1 AND lower(email) = lower($2) AND lower(email COLLATE "C") = $3
           AND page_id IN (SELECT id FROM pages WHERE site = $1)"#;
    let folded = email.to_ascii_lowercase();
    c.query_typed(
        SQL,
        &[
            (&site, Type::TEXT),
            (&email, Type::TEXT),
            (&folded, Type::TEXT),
            (&now, Type::INT8),
        ],
    )?;
    Ok(())
}

/// See the trait method in `store/tx.rs`.
pub fn forget_confirmation(c: &mut impl GenericClient, site: &str, email: &str) -> ApiResult<()> {
    const SQL: &str = "DELETE FROM confirmed_emails WHERE site = $1 AND email = $2";
    let email = email.to_ascii_lowercase();
    c.query_typed(SQL, &[(&site, Type::TEXT), (&email, Type::TEXT)])?;
    Ok(())
}
