//! "Parse, don't validate": the limits of the contract on every field a reader sends.

/// A field that failed its rule; becomes 422 `validation_failed` with `field` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The offending field, as named in the request (`None`: the body as a whole).
    pub field: Option<std::borrow::Cow<'static, str>>,
    /// A human sentence.
    pub message: String,
}

impl Invalid {
    /// Shorthand constructor.
    pub fn new(
        field: impl Into<std::borrow::Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Invalid {
        Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

/// Result of a field check.
pub type Checked<T> = Result<T, Invalid>;

/// The length limits of the contract, in characters; the OpenAPI document states these same
/// numbers, so it cannot drift from what the server enforces.
pub mod max {
    /// A page key.
    pub const PAGE: usize = 2048;
    /// A comment's markdown text (after trimming).
    pub const TEXT: usize = 10_000;
    /// A display name.
    pub const AUTHOR: usize = 100;
    /// An email address.
    pub const EMAIL: usize = 254;
    /// A commenter's website.
    pub const WEBSITE: usize = 500;
    /// A page title.
    pub const TITLE: usize = 300;
    /// A page URL.
    pub const URL: usize = 2048;
}

/// A site id: `[a-z0-9-]{1,64}`.
pub fn is_site_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A Fediverse handle (`fediverse_handle`): `[a-z0-9_]{1,30}`.
pub fn is_handle(s: &str) -> bool {
    (1..=30).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A DNS host name: dot-separated labels of letters, digits and `-` (not at either end of a
/// label), at most 253 characters.
pub fn is_host_name(s: &str) -> bool {
    (1..=253).contains(&s.len())
        && s.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// `scheme://host[:port]` with an http(s) scheme and nothing after the authority.
pub fn is_origin(s: &str) -> bool {
    let rest = match s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        Some(r) => r,
        None => return false,
    };
    !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', ' '])
        && rest.chars().all(|c| c.is_ascii_graphic())
}

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL, lower-cased.
pub fn origin_of(url: &str) -> Option<String> {
    let prefix = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let (scheme, skip) = if prefix.starts_with("https://") {
        ("https", 8)
    } else if prefix.starts_with("http://") {
        ("http", 7)
    } else {
        return None;
    };
    let rest = &url[skip..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains(['@', '\\']) {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// A page key: 1..2048 characters, no control characters.
pub fn page(s: &str) -> Checked<String> {
    let n = s.chars().count();
    if n == 0 || n > max::PAGE {
        return Err(Invalid::new(
            "page",
            format!("page must be 1 to {} characters", max::PAGE),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(Invalid::new(
            "page",
            "page must not contain control characters",
        ));
    }
    Ok(s.to_string())
}

/// Optional plain text: trimmed, empty means absent, at most `max` characters, no control characters
/// except none at all (names and titles are single-line).
pub fn optional_line(field: &'static str, v: Option<&str>, max: usize) -> Checked<Option<String>> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(Some(v.to_string()))
}

/// Comment text: 1..10000 Unicode scalar values after trimming, stored trimmed.
pub fn text(v: &str) -> Checked<String> {
    let t = v.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(Invalid::new("text", "text must not be empty"));
    }
    if n > max::TEXT {
        return Err(Invalid::new(
            "text",
            format!("text must be at most {} characters", max::TEXT),
        ));
    }
    Ok(t.to_string())
}

/// An absolute http(s) URL of at most `max` characters with a host.
pub fn http_url(field: &'static str, v: Option<&str>, max: usize) -> Checked<Option<String>> {
    let Some(v) = optional_line(field, v, max)? else {
        return Ok(None);
    };
    if origin_of(&v).is_none() || v.contains(char::is_whitespace) {
        return Err(Invalid::new(
            field,
            format!("{field} must be an http:// or https:// URL"),
        ));
    }
    Ok(Some(v))
}

/// An email address: at most 254 characters, `local@domain.tld`, no spaces.
pub fn email(v: Option<&str>) -> Checked<Option<String>> {
    let Some(v) = optional_line("email", v, max::EMAIL)? else {
        return Ok(None);
    };
    let bad = || Invalid::new("email", "email is not a valid address");
    let (local, domain) = v.rsplit_once('@').ok_or_else(bad)?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && !v
            .chars()
            .any(|c| c.is_whitespace() || "<>()[],;:\\\"".contains(c));
    if ok {
        Ok(Some(v))
    } else {
        Err(bad())
    }
}

/// The per-browser author key: 16..128 characters when present.
pub fn author_key(v: Option<&str>) -> Checked<Option<String>> {
    match v {
        None | Some("") => Ok(None),
        Some(k) => {
            let n = k.chars().count();
            if !(16..=128).contains(&n) || k.chars().any(char::is_control) {
                Err(Invalid::new(
                    "author_key",
                    "author_key must be 16 to 128 characters",
                ))
            } else {
                Ok(Some(k.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_ids_follow_the_slug_rule() {
        assert!(is_site_id("my-blog-2"));
        assert!(is_site_id(&"a".repeat(64)));
        assert!(!is_site_id(&"a".repeat(65)));
        assert!(!is_site_id(""));
        assert!(!is_site_id("My"));
        assert!(!is_site_id("a_b"));
    }

    #[test]
    fn origins_are_scheme_host_port_only() {
        assert!(is_origin("https://blog.example"));
        assert!(is_origin("http://localhost:4000"));
        assert!(!is_origin("https://blog.example/"));
        assert!(!is_origin("ftp://blog.example"));
        assert!(!is_origin("https://"));
    }

    #[test]
    fn origin_of_strips_path_and_lowercases() {
        assert_eq!(
            origin_of("https://Blog.Example:8443/a?b#c").unwrap(),
            "https://blog.example:8443"
        );
        assert_eq!(origin_of("HTTP://x.y/").unwrap(), "http://x.y");
        assert!(origin_of("javascript:alert(1)").is_none());
        assert!(origin_of("https://user@evil/").is_none());
        assert!(origin_of("//evil.example/").is_none());
    }

    #[test]
    fn text_limits_count_scalar_values_after_trimming() {
        assert_eq!(text("  hi  ").unwrap(), "hi");
        assert!(text("   ").is_err());
        assert!(text(&"é".repeat(10_000)).is_ok());
        assert!(text(&"é".repeat(10_001)).is_err());
    }

    #[test]
    fn page_limits() {
        assert!(page(&"p".repeat(2048)).is_ok());
        assert!(page(&"p".repeat(2049)).is_err());
        assert!(page("").is_err());
        assert!(page("/a\nb").is_err());
    }

    #[test]
    fn emails() {
        assert!(email(Some("a@b.co")).unwrap().is_some());
        assert!(email(Some("")).unwrap().is_none());
        assert!(email(Some("nope")).is_err());
        assert!(email(Some("a@b")).is_err());
        assert!(email(Some("a b@c.de")).is_err());
        assert!(email(Some("a@b.co\r\nBcc: x@y.z")).is_err());
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(185));
        assert_eq!(long.len(), 254);
        assert!(email(Some(&long)).is_ok());
        let longer = format!("{}@{}.com", "a".repeat(64), "b".repeat(186));
        assert!(email(Some(&longer)).is_err());
    }

    #[test]
    fn websites_must_be_http() {
        assert!(http_url("website", Some("https://x.y/p"), 500)
            .unwrap()
            .is_some());
        assert!(http_url("website", Some("javascript:alert(1)"), 500).is_err());
        assert!(http_url("website", Some("//x.y"), 500).is_err());
        assert!(http_url("website", Some("http://x.y/ a"), 500).is_err());
    }
}
