//! The actors' RSA keys: made once per site (`rsa`), kept as PEM in the database, used to
//! sign with `ring` (constant-time private-key arithmetic) and to check peers' signatures
//! with `rsa` (public-key work only, nothing secret to leak).

use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

/// The size of the keys Natter makes (what Mastodon makes and every peer reads).
pub const BITS: usize = 2048;

/// A key pair as stored: PKCS#8 private key and SPKI public key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// `-----BEGIN PRIVATE KEY-----` (never leaves the database and this process).
    pub private_pem: String,
    /// `-----BEGIN PUBLIC KEY-----`, as the actor document publishes it.
    pub public_pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

/// Makes a new RSA-2048 key pair from the system's random source.
pub fn generate() -> Result<KeyPair, String> {
    let mut rng = rsa::rand_core::OsRng;
    let key = RsaPrivateKey::new(&mut rng, BITS).map_err(|e| e.to_string())?;
    let private_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?
        .to_string();
    let public_pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    Ok(KeyPair {
        private_pem,
        public_pem,
    })
}

/// A site actor's signing key, ready to sign.
pub struct Signer {
    pair: RsaKeyPair,
    /// The public half, PEM.
    pub public_pem: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").finish_non_exhaustive()
    }
}

impl Signer {
    /// The signer of a stored pair.
    pub fn new(pair: &KeyPair) -> Result<Signer, String> {
        let key = RsaPrivateKey::from_pkcs8_pem(&pair.private_pem).map_err(|e| e.to_string())?;
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        let pair_ = RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| e.to_string())?;
        Ok(Signer {
            pair: pair_,
            public_pem: pair.public_pem.clone(),
        })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut out)
            .map_err(|_| "signing failed".to_string())?;
        Ok(out)
    }
}

/// A peer's public key from its PEM: SPKI (`BEGIN PUBLIC KEY`, what Mastodon and Fedify
/// publish) or PKCS#1 (`BEGIN RSA PUBLIC KEY`). Keys over 4096 bits are refused by `rsa`.
pub fn public_key(pem: &str) -> Option<RsaPublicKey> {
    let pem = pem.trim();
    RsaPublicKey::from_public_key_pem(pem)
        .ok()
        .or_else(|| RsaPublicKey::from_pkcs1_pem(pem).ok())
}

/// Whether `signature` is `message` signed (RSASSA-PKCS1-v1_5, SHA-256) by `key`.
pub fn verify(key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
    let hashed = Sha256::digest(message);
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, signature)
        .is_ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// Two fixed pairs for the tests (made once per test binary).
    pub(crate) fn fixed() -> &'static (KeyPair, KeyPair) {
        static PAIRS: OnceLock<(KeyPair, KeyPair)> = OnceLock::new();
        PAIRS.get_or_init(|| (generate().unwrap(), generate().unwrap()))
    }

    #[test]
    fn a_signature_made_by_ring_is_checked_by_rsa() {
        let (a, b) = fixed();
        let signer = Signer::new(a).unwrap();
        let sig = signer.sign(b"hello").unwrap();
        assert_eq!(sig.len(), 256);
        let public = public_key(&a.public_pem).unwrap();
        assert!(verify(&public, b"hello", &sig));
        assert!(!verify(&public, b"hellO", &sig));
        assert!(!verify(&public_key(&b.public_pem).unwrap(), b"hello", &sig));
        assert!(a.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(a.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!format!("{a:?}").contains("PRIVATE"));
    }

    #[test]
    fn a_pkcs1_public_key_is_read_too_and_garbage_is_not() {
        use rsa::pkcs1::EncodeRsaPublicKey;
        let (a, _) = fixed();
        let key = public_key(&a.public_pem).unwrap();
        let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).unwrap();
        assert_eq!(public_key(&pkcs1), Some(key));
        assert!(public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_none());
        assert!(public_key("").is_none());
    }
}
