//! Values as imports store them: names, titles, emails and websites cleaned, and the
//! content hash of a comment its source gives no id. (The identicon hash is
//! `domain::crypto::avatar_hash`, the same for imported and posted comments.)

/// A display name as imports store it: trimmed, single-line, at most 100 characters.
pub fn clean_author(v: Option<&str>) -> Option<String> {
    clean_line(v, 100)
}

/// A page title as imports store it: trimmed, single-line, at most 300 characters.
pub fn clean_title(v: Option<&str>) -> Option<String> {
    clean_line(v, 300)
}

fn clean_line(v: Option<&str>, max: usize) -> Option<String> {
    let v: String = v?
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    let v = v.trim().to_string();
    (!v.is_empty()).then_some(v)
}

/// An email if it is a valid address, else nothing.
pub fn clean_email(v: Option<&str>) -> Option<String> {
    crate::domain::validate::email(v.map(str::trim))
        .ok()
        .flatten()
}

/// A website if it is an http(s) URL, else nothing.
pub fn clean_website(v: Option<&str>) -> Option<String> {
    crate::domain::validate::http_url("website", v.map(str::trim), 500)
        .ok()
        .flatten()
}

/// A short content hash, the identity of a comment whose source gives it no id.
pub fn content_hash(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!("h:{}", hex::encode(&h.finalize()[..16]))
}
