//! Signed links for emails (moderation, opt-in, unsubscribe, erase): an HMAC with the
//! server key over a purpose, a subject and an expiry, so one link can't stand in for another.

use crate::domain::crypto::{ct_eq, ServerKey};
use crate::domain::Timestamp;

/// Why a link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Not made by this server for this purpose and subject.
    Forged,
    /// Past its expiry.
    Expired,
}

/// The `sig` value: `EXPIRES.HEX`.
pub fn sign(key: &ServerKey, purpose: &str, subject: &str, expires: Timestamp) -> String {
    let mac = key.mac_hex(purpose, format!("{subject}:{expires}").as_bytes());
    format!("{expires}.{mac}")
}

/// Checks a signature; on success returns its expiry.
pub fn verify(
    key: &ServerKey,
    purpose: &str,
    subject: &str,
    sig: &str,
    now: Timestamp,
) -> Result<Timestamp, LinkError> {
    let expires: Timestamp = sig
        .split_once('.')
        .and_then(|(e, _)| e.parse().ok())
        .ok_or(LinkError::Forged)?;
    if !ct_eq(sig, &sign(key, purpose, subject, expires)) {
        return Err(LinkError::Forged);
    }
    if now > expires {
        return Err(LinkError::Expired);
    }
    Ok(expires)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purpose_subject_and_expiry_are_all_bound() {
        let k = ServerKey::generate();
        let sig = sign(&k, "confirm", "7", 100);
        assert_eq!(verify(&k, "confirm", "7", &sig, 50), Ok(100));
        assert_eq!(
            verify(&k, "unsubscribe", "7", &sig, 50),
            Err(LinkError::Forged)
        );
        assert_eq!(verify(&k, "confirm", "8", &sig, 50), Err(LinkError::Forged));
        assert_eq!(
            verify(&k, "confirm", "7", &sig, 101),
            Err(LinkError::Expired)
        );
        assert_eq!(
            verify(&k, "confirm", "7", "100.00", 50),
            Err(LinkError::Forged)
        );
    }
}
