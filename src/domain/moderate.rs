//! Signed one-click moderation links: an HMAC over id, action and expiry with the server
//! key, valid for 7 days, usable once.

use crate::domain::crypto::ServerKey;
use crate::domain::links;
use crate::domain::Timestamp;

/// How long a link works.
pub const LINK_TTL: i64 = 7 * 86_400;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Action {
    /// Publish the comment.
    Approve,
    /// Hide the comment.
    Reject,
    /// Delete the comment.
    Delete,
}

impl Action {
    /// Reads the path segment.
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "approve" => Some(Action::Approve),
            "reject" => Some(Action::Reject),
            "delete" => Some(Action::Delete),
            _ => None,
        }
    }

    /// The path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Delete => "delete",
        }
    }
}

pub use crate::domain::links::LinkError;

fn subject(id: i64, action: Action) -> String {
    format!("{id}:{}", action.as_str())
}

/// The `sig` value for a link that expires at `expires`.
pub fn sign(key: &ServerKey, id: i64, action: Action, expires: Timestamp) -> String {
    links::sign(key, "moderate", &subject(id, action), expires)
}

/// The full link for a moderation email.
pub fn link(public_url: &str, key: &ServerKey, id: i64, action: Action, now: Timestamp) -> String {
    format!(
        "{}/moderate/{id}/{}?sig={}",
        public_url.trim_end_matches('/'),
        action.as_str(),
        sign(key, id, action, now + LINK_TTL)
    )
}

/// Checks a link's signature; on success returns its expiry.
pub fn verify(
    key: &ServerKey,
    id: i64,
    action: Action,
    sig: &str,
    now: Timestamp,
) -> Result<Timestamp, LinkError> {
    links::verify(key, "moderate", &subject(id, action), sig, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_bound_to_its_comment_action_and_time() {
        let k = ServerKey::generate();
        let sig = sign(&k, 7, Action::Approve, 1000);
        assert_eq!(verify(&k, 7, Action::Approve, &sig, 999), Ok(1000));
        assert_eq!(verify(&k, 7, Action::Approve, &sig, 1000), Ok(1000));
        assert_eq!(
            verify(&k, 7, Action::Approve, &sig, 1001),
            Err(LinkError::Expired)
        );
        assert_eq!(
            verify(&k, 7, Action::Reject, &sig, 999),
            Err(LinkError::Forged)
        );
        assert_eq!(
            verify(&k, 8, Action::Approve, &sig, 999),
            Err(LinkError::Forged)
        );
        assert_eq!(
            verify(&ServerKey::generate(), 7, Action::Approve, &sig, 999),
            Err(LinkError::Forged)
        );
        let stretched = sig.replacen("1000.", "9999.", 1);
        assert_eq!(
            verify(&k, 7, Action::Approve, &stretched, 999),
            Err(LinkError::Forged)
        );
        assert_eq!(
            verify(&k, 7, Action::Approve, "garbage", 999),
            Err(LinkError::Forged)
        );
    }
}
