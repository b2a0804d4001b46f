//! Pure types and rules of the product: validation, identities, times. No actix, no rusqlite.

pub mod comment;
pub mod crypto;
pub mod desk;
pub mod fediverse;
pub mod input;
pub mod ip;
pub mod links;
pub mod moderate;
pub mod signin;
pub mod thread;
pub mod validate;
pub mod webmention;

pub use validate::{is_host_name, is_origin, is_site_id};

/// Seconds since the Unix epoch, the unit every stored time uses.
pub type Timestamp = i64;

/// The current time in stored units.
pub fn now() -> Timestamp {
    chrono::Utc::now().timestamp()
}

/// RFC 3339 UTC with a `Z`, as the contract spells times.
pub fn rfc3339(ts: Timestamp) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Text as HTML text (for an element's content or a quoted attribute).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut.
pub fn cap(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// One line of at most `max` characters: control characters and runs of white space
/// become one space.
pub fn one_line(s: &str, max: usize) -> String {
    let joined = s
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    cap(&joined, max)
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped() {
        assert_eq!(super::escape_html("<b>&\"'x"), "&lt;b&gt;&amp;&quot;&#39;x");
    }

    #[test]
    fn names_are_one_short_line() {
        assert_eq!(super::one_line("  Ann\n\t Lee\u{7} ", 100), "Ann Lee");
        assert_eq!(super::one_line(&"x".repeat(101), 100).chars().count(), 100);
        assert!(super::one_line(&"x".repeat(101), 100).ends_with('…'));
        assert_eq!(super::one_line(&"x".repeat(100), 100), "x".repeat(100));
    }
}
