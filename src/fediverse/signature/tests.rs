//! Signatures made by [`sign_post`] and read back by [`parse`], [`check`] and [`verify`],
//! with the fixed test keys: the good one is believed; each change that should not be is not.

use super::*;
use crate::fediverse::keys::tests::fixed;

const URL: &str = "https://natter.example/ap/sites/blog/inbox";
const KEY_ID: &str = "https://peer.example/users/ann#main-key";

/// A signed POST as a peer would send it: the headers, lower-cased, and the body.
fn signed(body: &[u8], at: std::time::SystemTime) -> Vec<(String, String)> {
    let signer = Signer::new(&fixed().0).unwrap();
    let url = Url::parse(URL).unwrap();
    let mut h: Vec<(String, String)> = sign_post(&signer, KEY_ID, &url, body, at)
        .unwrap()
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    h.push(("content-type".into(), "application/activity+json".into()));
    h
}

fn now() -> i64 {
    crate::domain::now()
}

/// The whole check as the inbox runs it, with `pem` as the signer's key.
fn run(headers: &[(String, String)], body: &[u8], pem: &str) -> Result<(), SigError> {
    let req = Request {
        method: "POST",
        target: "/ap/sites/blog/inbox",
        headers,
        body,
    };
    let sig = parse(&req.signature_header().ok_or(SigError::Unsigned)?)?;
    assert_eq!(sig.key_id, KEY_ID);
    let s = check(&sig, &req, now())?;
    verify(&sig, &s, pem)
}

fn set(headers: &mut [(String, String)], name: &str, value: &str) {
    headers.iter_mut().find(|(n, _)| n == name).unwrap().1 = value.to_string();
}

const BODY: &[u8] = br#"{"type":"Create"}"#;

#[test]
fn a_good_signature_is_believed() {
    let h = signed(BODY, std::time::SystemTime::now());
    assert_eq!(run(&h, BODY, &fixed().0.public_pem), Ok(()));
}

#[test]
fn a_tampered_body_is_refused() {
    let h = signed(BODY, std::time::SystemTime::now());
    assert_eq!(
        run(&h, br#"{"type":"Delete"}"#, &fixed().0.public_pem),
        Err(SigError::Digest)
    );
}

#[test]
fn a_wrong_digest_is_refused_even_when_it_is_signed() {
    // The digest header changed to match another body: the signature no longer covers it.
    let mut h = signed(BODY, std::time::SystemTime::now());
    let other = br#"{"type":"Delete"}"#;
    set(&mut h, "digest", &digest(other));
    assert_eq!(run(&h, other, &fixed().0.public_pem), Err(SigError::Bad));
    // A digest of another kind only.
    let mut h = signed(BODY, std::time::SystemTime::now());
    set(&mut h, "digest", "SHA-512=abcd");
    assert_eq!(run(&h, BODY, &fixed().0.public_pem), Err(SigError::Digest));
}

#[test]
fn a_missing_header_is_refused() {
    let pem = &fixed().0.public_pem;
    for name in ["date", "host", "digest"] {
        let mut h = signed(BODY, std::time::SystemTime::now());
        h.retain(|(n, _)| n != name);
        assert!(run(&h, BODY, pem).is_err(), "without {name}");
    }
    let mut h = signed(BODY, std::time::SystemTime::now());
    h.retain(|(n, _)| n != "signature");
    assert_eq!(run(&h, BODY, pem), Err(SigError::Unsigned));
    // A signature that does not cover the digest (or the target) is not enough.
    let mut h = signed(BODY, std::time::SystemTime::now());
    let sig = h.iter().find(|(n, _)| n == "signature").unwrap().1.clone();
    set(
        &mut h,
        "signature",
        &sig.replace(
            "(request-target) host date digest",
            "(request-target) host date",
        ),
    );
    assert_eq!(run(&h, BODY, pem), Err(SigError::Uncovered("digest")));
    set(
        &mut h,
        "signature",
        &sig.replace("(request-target) host date digest", "host date digest"),
    );
    assert_eq!(
        run(&h, BODY, pem),
        Err(SigError::Uncovered("(request-target)"))
    );
}

#[test]
fn an_old_or_future_date_is_refused() {
    let pem = &fixed().0.public_pem;
    let hour = std::time::Duration::from_secs(3600 + 60);
    let h = signed(BODY, std::time::SystemTime::now() - hour);
    assert_eq!(run(&h, BODY, pem), Err(SigError::Date));
    let h = signed(BODY, std::time::SystemTime::now() + hour);
    assert_eq!(run(&h, BODY, pem), Err(SigError::Date));
    let h = signed(
        BODY,
        std::time::SystemTime::now() - std::time::Duration::from_secs(3000),
    );
    assert_eq!(run(&h, BODY, pem), Ok(()));
}

#[test]
fn another_key_is_refused() {
    let h = signed(BODY, std::time::SystemTime::now());
    assert_eq!(run(&h, BODY, &fixed().1.public_pem), Err(SigError::Bad));
    assert_eq!(run(&h, BODY, "not a key"), Err(SigError::Key));
}

#[test]
fn an_unknown_algorithm_is_refused_and_hs2019_is_read_as_rsa_sha256() {
    let pem = &fixed().0.public_pem;
    let mut h = signed(BODY, std::time::SystemTime::now());
    let sig = h.iter().find(|(n, _)| n == "signature").unwrap().1.clone();
    set(
        &mut h,
        "signature",
        &sig.replace("rsa-sha256", "hmac-sha256"),
    );
    assert_eq!(
        run(&h, BODY, pem),
        Err(SigError::Algorithm("hmac-sha256".into()))
    );
    set(&mut h, "signature", &sig.replace("rsa-sha256", "hs2019"));
    assert_eq!(run(&h, BODY, pem), Ok(()));
    let no_alg = sig.replace("algorithm=\"rsa-sha256\",", "");
    set(&mut h, "signature", &no_alg);
    assert_eq!(run(&h, BODY, pem), Ok(()));
}

#[test]
fn another_path_or_host_is_refused() {
    let pem = &fixed().0.public_pem;
    let mut h = signed(BODY, std::time::SystemTime::now());
    set(&mut h, "host", "other.example");
    assert_eq!(run(&h, BODY, pem), Err(SigError::Bad));
    let h = signed(BODY, std::time::SystemTime::now());
    let req = Request {
        method: "POST",
        target: "/ap/inbox",
        headers: &h,
        body: BODY,
    };
    let sig = parse(&req.signature_header().unwrap()).unwrap();
    let s = check(&sig, &req, now()).unwrap();
    assert_eq!(verify(&sig, &s, pem), Err(SigError::Bad));
}

#[test]
fn malformed_headers_are_refused_without_panic() {
    for bad in [
        "",
        "keyId",
        "keyId=\"x",
        "signature=\"AAAA\"",
        "keyId=\"k\",signature=\"!!!\"",
        "keyId=\"k\"",
        &"a=".repeat(5000),
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    let p = parse("keyId=\"k\", signature=\"AAAA\"").unwrap();
    assert_eq!(p.headers, vec!["date".to_string()]);
}
