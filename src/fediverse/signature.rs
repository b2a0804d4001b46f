//! HTTP signatures as Mastodon and Fedify use them (draft-cavage-http-signatures-12):
//! reading and checking a `Signature` header, and signing Natter's own POSTs with
//! `(request-target) host date digest` and `rsa-sha256`.
//!
//! What a request must carry to be believed: a `Signature` (or `Authorization: Signature`)
//! header naming `keyId`, an algorithm of `rsa-sha256` or `hs2019` (or none), and a
//! signature over at least `(request-target)`, `host`, `date` and, when there is a body,
//! `digest`; a `Digest: SHA-256=` that matches the body; a `Date` within [`MAX_SKEW`] of
//! now. RFC 9421 (`Signature-Input`) is not read yet: such a request is refused.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use url::Url;

use super::keys::{self, Signer};

/// How far a request's `Date` may be from this server's clock, either way (1 hour).
pub const MAX_SKEW: i64 = 3600;

/// Why a request's signature is not believed. The messages are meant for the peer's
/// operator (they name nothing of this server).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// No `Signature` header.
    #[error("the request is not signed (no Signature header)")]
    Unsigned,
    /// A `Signature` header that can't be read.
    #[error("the Signature header is malformed: {0}")]
    Malformed(&'static str),
    /// An algorithm other than rsa-sha256 / hs2019.
    #[error("the signature algorithm {0:?} is not supported (rsa-sha256, hs2019)")]
    Algorithm(String),
    /// A header that must be signed is not, or is not in the request.
    #[error("the signature must cover {0}, and the request carry it")]
    Uncovered(&'static str),
    /// `Digest` missing, of another kind only, or not the body's.
    #[error("the Digest header does not match the body")]
    Digest,
    /// `Date` missing, unreadable, or too far from now.
    #[error("the Date header is missing or more than an hour away from now")]
    Date,
    /// The key could not be read.
    #[error("the signing key is not a usable RSA public key")]
    Key,
    /// The signature is not the key's over this request.
    #[error("the signature does not verify")]
    Bad,
}

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// The key's URL (an actor's `publicKey.id`).
    pub key_id: String,
    /// The algorithm named, lower-cased, if any.
    pub algorithm: Option<String>,
    /// The covered headers, lower-cased, in order.
    pub headers: Vec<String>,
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// `created`, when given (for `(created)`).
    pub created: Option<String>,
    /// `expires`, when given (for `(expires)`).
    pub expires: Option<String>,
}

/// A request as the signature sees it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `POST`, `GET`…
    pub method: &'a str,
    /// The path and query as received.
    pub target: &'a str,
    /// Every header, name lower-cased, in the order received.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

impl Request<'_> {
    /// Every value of header `name` (lower-case), joined by `", "` as the draft says.
    fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The `Signature` header, or one in `Authorization: Signature …`.
    pub fn signature_header(&self) -> Option<String> {
        self.header("signature").or_else(|| {
            self.header("authorization")
                .and_then(|a| a.strip_prefix("Signature ").map(str::to_string))
        })
    }
}

/// Reads `keyId="…",algorithm="…",headers="…",signature="…"`.
pub fn parse(value: &str) -> Result<SignatureHeader, SigError> {
    if value.len() > 8192 {
        return Err(SigError::Malformed("too long"));
    }
    let (mut key_id, mut algorithm, mut headers, mut signature) = (None, None, None, None);
    let (mut created, mut expires) = (None, None);
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or(SigError::Malformed("a parameter without a value"))?;
        let name = name.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (val, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or(SigError::Malformed("an unclosed quote"))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        let val = val.to_string();
        match name.as_str() {
            "keyid" => key_id = Some(val),
            "algorithm" => algorithm = Some(val.to_ascii_lowercase()),
            "headers" => headers = Some(val),
            "signature" => signature = Some(val),
            "created" => created = Some(val),
            "expires" => expires = Some(val),
            _ => {}
        }
        rest = tail.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    let key_id = key_id
        .filter(|k| !k.is_empty())
        .ok_or(SigError::Malformed("no keyId"))?;
    let signature = signature
        .and_then(|s| B64.decode(s.trim()).ok())
        .filter(|s| !s.is_empty())
        .ok_or(SigError::Malformed("no readable signature"))?;
    let headers = headers
        .unwrap_or_else(|| "date".into())
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    Ok(SignatureHeader {
        key_id,
        algorithm,
        headers,
        signature,
        created,
        expires,
    })
}

/// `SHA-256=<base64>` of a body, as the `Digest` header carries it.
pub fn digest(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(Sha256::digest(body)))
}

/// The string that was signed: one `name: value` line per covered header.
pub fn signing_string(sig: &SignatureHeader, req: &Request<'_>) -> Result<String, SigError> {
    let mut lines = Vec::with_capacity(sig.headers.len());
    for name in &sig.headers {
        let value = match name.as_str() {
            "(request-target)" => Some(format!(
                "{} {}",
                req.method.to_ascii_lowercase(),
                req.target
            )),
            "(created)" => sig.created.clone(),
            "(expires)" => sig.expires.clone(),
            other => req.header(other),
        };
        let value = value.ok_or(SigError::Malformed("a covered header is missing"))?;
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// Every check but the key's: the algorithm, the covered headers, the digest and the
/// date. Returns the string to verify.
pub fn check(sig: &SignatureHeader, req: &Request<'_>, now: i64) -> Result<String, SigError> {
    match sig.algorithm.as_deref() {
        None | Some("rsa-sha256" | "hs2019") => {}
        Some(other) => return Err(SigError::Algorithm(other.chars().take(40).collect())),
    }
    let covers = |h: &str| sig.headers.iter().any(|x| x == h);
    for h in ["(request-target)", "host"] {
        if !covers(h) || (h == "host" && req.header("host").is_none()) {
            return Err(SigError::Uncovered(if h == "host" {
                "host"
            } else {
                "(request-target)"
            }));
        }
    }
    if !covers("date") || req.header("date").is_none() {
        return Err(SigError::Uncovered("date"));
    }
    let date = req.header("date").unwrap_or_default();
    let at = httpdate::parse_http_date(&date)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .ok_or(SigError::Date)?;
    if (at - now).abs() > MAX_SKEW {
        return Err(SigError::Date);
    }
    if !req.body.is_empty() || covers("digest") {
        if !covers("digest") {
            return Err(SigError::Uncovered("digest"));
        }
        let want = digest(req.body);
        let given = req.header("digest").ok_or(SigError::Digest)?;
        // `Digest` may list several; the SHA-256 one must be there and match.
        let ok = given.split(',').any(|d| {
            d.trim().split_once('=').is_some_and(|(alg, v)| {
                alg.eq_ignore_ascii_case("sha-256")
                    && want.split_once('=').is_some_and(|(_, w)| w == v.trim())
            })
        });
        if !ok {
            return Err(SigError::Digest);
        }
    }
    signing_string(sig, req)
}

/// Whether `sig` is the key's (PEM) signature over `signing_string`.
pub fn verify(
    sig: &SignatureHeader,
    signing_string: &str,
    public_pem: &str,
) -> Result<(), SigError> {
    let key = keys::public_key(public_pem).ok_or(SigError::Key)?;
    if keys::verify(&key, signing_string.as_bytes(), &sig.signature) {
        Ok(())
    } else {
        Err(SigError::Bad)
    }
}

/// The `Host` header a client sends for `url` (the port only when it is not the default).
pub fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The headers that sign a POST of `body` to `url` by the key `key_id`: `Host`, `Date`,
/// `Digest` and `Signature` (Mastodon's form).
pub fn sign_post(
    signer: &Signer,
    key_id: &str,
    url: &Url,
    body: &[u8],
    now: std::time::SystemTime,
) -> Result<Vec<(&'static str, String)>, String> {
    let host = host_of(url);
    let date = httpdate::fmt_http_date(now);
    let digest = digest(body);
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let signed =
        format!("(request-target): post {target}\nhost: {host}\ndate: {date}\ndigest: {digest}");
    let signature = B64.encode(signer.sign(signed.as_bytes())?);
    let header = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{signature}\""
    );
    Ok(vec![
        ("host", host),
        ("date", date),
        ("digest", digest),
        ("signature", header),
    ])
}

#[cfg(test)]
mod tests;
