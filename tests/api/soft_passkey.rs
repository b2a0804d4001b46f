//! A software passkey authenticator for the API tests: an ECDSA P-256 key (ring) that answers
//! Natter's WebAuthn options as a browser and a platform authenticator would, with the
//! attestation format `none`, and that can be told to lie (another origin, another RP ID)
//! to prove the server refuses it. The browser tests use Chromium's own virtual
//! authenticator instead (widget/test/signin.test.mjs).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// One credential on one authenticator.
pub struct SoftPasskey {
    key: EcdsaKeyPair,
    pub credential_id: Vec<u8>,
    pub user_handle: Vec<u8>,
    pub counter: u32,
}

/// What the authenticator and the browser put in an answer; a test may change any of it.
pub struct Claims {
    pub origin: String,
    pub rp_id: String,
    pub user_verified: bool,
}

impl Claims {
    pub fn honest(origin: &str) -> Claims {
        let host = url::Url::parse(origin)
            .unwrap()
            .host_str()
            .unwrap()
            .to_string();
        Claims {
            origin: origin.to_string(),
            rp_id: host,
            user_verified: true,
        }
    }
}

// The few CBOR items an attestation needs (RFC 8949): heads, byte and text strings, maps.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
    }
}
fn int(out: &mut Vec<u8>, v: i64) {
    if v >= 0 {
        head(out, 0, v as u64)
    } else {
        head(out, 1, (-1 - v) as u64)
    }
}
fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}
fn text(out: &mut Vec<u8>, s: &str) {
    head(out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

impl SoftPasskey {
    pub fn new() -> SoftPasskey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let mut credential_id = vec![0u8; 16];
        ring::rand::SecureRandom::fill(&rng, &mut credential_id).unwrap();
        SoftPasskey {
            key,
            credential_id,
            user_handle: Vec::new(),
            counter: 0,
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref(); // 0x04 || x || y
        let mut out = Vec::new();
        head(&mut out, 5, 5);
        int(&mut out, 1);
        int(&mut out, 2); // kty: EC2
        int(&mut out, 3);
        int(&mut out, -7); // alg: ES256
        int(&mut out, -1);
        int(&mut out, 1); // crv: P-256
        int(&mut out, -2);
        bytes(&mut out, &point[1..33]);
        int(&mut out, -3);
        bytes(&mut out, &point[33..65]);
        out
    }

    fn auth_data(&mut self, c: &Claims, attested: bool) -> Vec<u8> {
        self.counter += 1;
        let mut out = Sha256::digest(c.rp_id.as_bytes()).to_vec();
        let mut flags = 0x01; // user present
        if c.user_verified {
            flags |= 0x04;
        }
        if attested {
            flags |= 0x40;
        }
        out.push(flags);
        out.extend(self.counter.to_be_bytes());
        if attested {
            out.extend([0u8; 16]); // AAGUID
            out.extend((self.credential_id.len() as u16).to_be_bytes());
            out.extend(&self.credential_id);
            out.extend(self.cose_key());
        }
        out
    }

    fn client_data(kind: &str, challenge: &str, c: &Claims) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": c.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// Answers `navigator.credentials.create()` options (the `options` of Natter's
    /// registration start) as the browser's JSON form of the credential.
    pub fn register(&mut self, options: &Value, c: &Claims) -> Value {
        let pk = &options["publicKey"];
        assert_eq!(
            pk["authenticatorSelection"]["residentKey"], "required",
            "Natter asks for a discoverable credential: {options}"
        );
        self.user_handle = B64.decode(pk["user"]["id"].as_str().unwrap()).unwrap();
        let client_data =
            Self::client_data("webauthn.create", pk["challenge"].as_str().unwrap(), c);
        let auth_data = self.auth_data(c, true);
        let mut att = Vec::new();
        head(&mut att, 5, 3);
        text(&mut att, "fmt");
        text(&mut att, "none");
        text(&mut att, "attStmt");
        head(&mut att, 5, 0);
        text(&mut att, "authData");
        bytes(&mut att, &auth_data);
        let id = B64.encode(&self.credential_id);
        json!({
            "id": id, "rawId": id, "type": "public-key",
            "response": {
                "attestationObject": B64.encode(att),
                "clientDataJSON": B64.encode(client_data),
            },
            "extensions": {},
        })
    }

    /// Answers `navigator.credentials.get()` options as the browser's JSON form of the
    /// assertion.
    pub fn assert(&mut self, options: &Value, c: &Claims) -> Value {
        let pk = &options["publicKey"];
        let client_data = Self::client_data("webauthn.get", pk["challenge"].as_str().unwrap(), c);
        let auth_data = self.auth_data(c, false);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let sig = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        let id = B64.encode(&self.credential_id);
        json!({
            "id": id, "rawId": id, "type": "public-key",
            "response": {
                "authenticatorData": B64.encode(auth_data),
                "clientDataJSON": B64.encode(client_data),
                "signature": B64.encode(sig.as_ref()),
                "userHandle": B64.encode(&self.user_handle),
            },
            "extensions": {},
        })
    }
}
