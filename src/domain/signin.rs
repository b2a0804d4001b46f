//! Signed-in commenters: identities, sessions and the tokens that carry them, and the
//! ceremonies under way. No I/O here: `signin/` runs the ceremonies, `store/` keeps these.

use crate::domain::crypto::{self, ServerKey};
use crate::domain::Timestamp;

/// How long a session lasts.
pub const SESSION_TTL: i64 = 30 * 86_400;

/// How long a ceremony (a passkey prompt, a provider's login page) may take.
pub const STATE_TTL: i64 = 600;

/// Longest display name kept for an identity.
pub const MAX_NAME: usize = 64;

/// One person as one provider knows them, on one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Id.
    pub id: i64,
    /// The site.
    pub site: String,
    /// `passkey` or `oidc:<name>`.
    pub provider: String,
    /// The provider's stable id for them.
    pub subject: String,
    /// Display name.
    pub name: String,
    /// First sign-in.
    pub created_at: Timestamp,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Id, named in the token.
    pub id: i64,
    /// Who.
    pub identity_id: i64,
    /// The site.
    pub site: String,
    /// Made.
    pub created_at: Timestamp,
    /// Ends.
    pub expires_at: Timestamp,
    /// Last used to write.
    pub last_seen_at: Timestamp,
}

/// A ceremony under way, as stored (single use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthState {
    /// Hash of the id the browser holds.
    pub id_hash: String,
    /// `passkey-register`, `passkey-login` or `oidc`.
    pub kind: String,
    /// The site.
    pub site: String,
    /// The embedding page's origin, where the session goes.
    pub origin: String,
    /// Keyed hash of the browser's binding cookie.
    pub binding_hash: String,
    /// The ceremony's own state (JSON).
    pub data: String,
    /// Unusable after.
    pub expires_at: Timestamp,
}

/// The name of the cookie that binds a ceremony to the browser that started it.
pub const BINDING_COOKIE: &str = "natter_signin";

/// The prefix of session tokens: told apart from edit and admin tokens at a glance.
pub const TOKEN_PREFIX: &str = "ns1.";

fn subject(id: i64, expires: Timestamp) -> String {
    format!("{id}.{expires}")
}

/// The token a session's holder keeps: `ns1.<id>.<expiry>.<signature>`.
pub fn session_token(key: &ServerKey, id: i64, expires: Timestamp) -> String {
    let s = subject(id, expires);
    let sig = crypto::token_from(&key.mac("session", s.as_bytes()));
    format!("{TOKEN_PREFIX}{s}.{sig}")
}

/// Whether a bearer token is a session token (by its form only).
pub fn is_session_token(token: &str) -> bool {
    token.starts_with(TOKEN_PREFIX)
}

/// The session id a token names, when its signature is good and it has not expired. The
/// store still has the last word (a revoked session's token stays well signed).
pub fn read_session_token(key: &ServerKey, token: &str, now: Timestamp) -> Option<i64> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let mut parts = rest.splitn(3, '.');
    let id: i64 = parts.next()?.parse().ok()?;
    let expires: Timestamp = parts.next()?.parse().ok()?;
    let sig = parts.next()?;
    let want = crypto::token_from(&key.mac("session", subject(id, expires).as_bytes()));
    (crypto::ct_eq(&want, sig) && now < expires && id > 0).then_some(id)
}

/// The keyed hash a ceremony's id or a binding cookie is stored as.
pub fn state_hash(key: &ServerKey, purpose: &str, value: &str) -> String {
    key.mac_hex(purpose, value.as_bytes())
}

/// A display name as kept: one line, trimmed, at most [`MAX_NAME`] characters; `None` when
/// nothing is left.
pub fn clean_name(raw: &str) -> Option<String> {
    let name = crate::domain::one_line(raw, MAX_NAME);
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_session_until_it_expires() {
        let k = ServerKey::generate();
        let t = session_token(&k, 7, 1000);
        assert!(is_session_token(&t));
        assert_eq!(read_session_token(&k, &t, 999), Some(7));
        assert_eq!(read_session_token(&k, &t, 1000), None, "expired");
        assert_eq!(read_session_token(&ServerKey::generate(), &t, 999), None);
        let stretched = t.replacen(".1000.", ".9999.", 1);
        assert_eq!(read_session_token(&k, &stretched, 999), None);
        let other = t.replacen("ns1.7.", "ns1.8.", 1);
        assert_eq!(read_session_token(&k, &other, 999), None);
        assert_eq!(read_session_token(&k, "ns1.", 0), None);
        assert_eq!(read_session_token(&k, "garbage", 0), None);
        assert!(!is_session_token(&crypto::random_token()));
    }

    #[test]
    fn names_are_one_trimmed_line() {
        assert_eq!(
            clean_name("  Ada \n Lovelace "),
            Some("Ada Lovelace".into())
        );
        assert_eq!(clean_name(" \n "), None);
        assert_eq!(
            clean_name(&"é".repeat(100)).unwrap().chars().count(),
            MAX_NAME
        );
    }
}
