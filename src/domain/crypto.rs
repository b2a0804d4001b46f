//! Secrets, tokens and keyed hashes: everything that must be unguessable or constant-time.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The server's own secret, made on first start and kept in the database.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    /// A fresh random key.
    pub fn generate() -> ServerKey {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        ServerKey(k)
    }

    /// Rebuilds a stored key; `None` if the stored bytes are not a key.
    pub fn from_bytes(b: &[u8]) -> Option<ServerKey> {
        Some(ServerKey(b.try_into().ok()?))
    }

    /// The stored form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// HMAC-SHA256 of `data` under a purpose label, so one use's hash can't stand in for another's.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let mut m = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(purpose.as_bytes());
        m.update(&[0]);
        m.update(data);
        m.finalize().into_bytes().into()
    }

    /// Hex of [`ServerKey::mac`].
    pub fn mac_hex(&self, purpose: &str, data: &[u8]) -> String {
        hex::encode(self.mac(purpose, data))
    }
}

/// How long a [`random_token`] is: 32 bytes in unpadded base64url.
pub const TOKEN_LEN: usize = 43;

/// A random token of 256 bits, URL-safe.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A token in the form of [`random_token`] made from 32 secret bytes (a keyed hash).
pub fn token_from(bytes: &[u8; 32]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 hex of a high-entropy token (no key needed: the token itself is unguessable).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality of two strings.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// SHA-256 hex of bytes, for ETags.
pub fn digest_hex(b: &[u8]) -> String {
    hex::encode(&Sha256::digest(b)[..16])
}

/// The identicon seed of a comment: a keyed hash of its email (any case), or of its name
/// and network when it has none. The same person gets the same picture on every comment,
/// and the hash tells nobody the address.
pub fn avatar_hash(key: &ServerKey, email: Option<&str>, author: Option<&str>, ip: &str) -> String {
    let seed = match email {
        Some(e) => format!("e:{}", e.to_lowercase()),
        None => format!("n:{}\0{ip}", author.unwrap_or("")),
    };
    avatar_of(key, &seed)
}

/// The identicon seed of a signed-in commenter's comments: their identity's, the same on
/// every device and network.
pub fn identity_avatar(key: &ServerKey, identity_id: i64) -> String {
    avatar_of(key, &format!("i:{identity_id}"))
}

fn avatar_of(key: &ServerKey, seed: &str) -> String {
    hex::encode(&key.mac("avatar", seed.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_depend_on_purpose_and_key() {
        let k = ServerKey::generate();
        assert_ne!(k.mac("a", b"x"), k.mac("b", b"x"));
        assert_ne!(k.mac("a", b"x"), ServerKey::generate().mac("a", b"x"));
        // A known answer, computed outside Rust: HMAC-SHA256(key 00..1f, "a" NUL "x").
        let fixed = ServerKey::from_bytes(&(0u8..32).collect::<Vec<_>>()).unwrap();
        assert_eq!(
            fixed.mac_hex("a", b"x"),
            "a8f523075560cbd65468cdf2833c02767f18a8fc9771761f9ede434b5c59b807"
        );
        assert!(ServerKey::from_bytes(&[0u8; 31]).is_none());
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let t = random_token();
        assert_eq!(t.len(), TOKEN_LEN);
        assert_ne!(t, random_token());
        assert!(!t.contains(['+', '/', '=']), "URL-safe, unpadded: {t}");
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Equal contents in two distinct allocations, then each way of differing.
        assert!(ct_eq(&"ab".repeat(2), &String::from("abab")));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "ab"));
        assert!(!ct_eq("", "a"));
    }
}
