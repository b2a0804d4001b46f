//! Pure types and rules of the product: validation, identities, times. No actix, no rusqlite.

pub mod comment;
pub mod crypto;
pub mod desk;
pub mod fediverse;
pub mod input;
pub mod ip;
pub mod links;
pub mod moderate;
pub mod thread;
pub mod validate;
pub mod webmention;

pub use validate::{is_host_name, is_origin, is_site_id};

/// Seconds since the Unix epoch, the unit every stored time uses.
pub type Timestamp = i64;

/// The current time in stored units.
pub fn now() -> Timestamp {
    chrono::Utc::now().timestamp()
}

/// RFC 3339 UTC with a `Z`, as the contract spells times.
pub fn rfc3339(ts: Timestamp) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
