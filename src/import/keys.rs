//! Pure rules of imports: a source URL → a page key (path only, WordPress `?p=N` kept,
//! `--full-url`, `--rewrite`), and lenient date parsing.

use chrono::{DateTime, NaiveDateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::domain::Timestamp;

/// What a browser's URL parser percent-encodes in a path, so keys match `location.pathname`.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// One `--rewrite OLD=NEW` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// Prefix of the old key.
    pub from: String,
    /// What replaces it.
    pub to: String,
}

impl Rewrite {
    /// Parses `OLD=NEW`. NEW starts with `/` or a scheme, so the split is at the first `=`
    /// followed by one of those (`/?p=4=/hello/` rewrites `/?p=4`).
    pub fn parse(s: &str) -> Result<Rewrite, String> {
        let split = s
            .match_indices('=')
            .map(|(i, _)| i)
            .find(|&i| {
                let rest = &s[i + 1..];
                rest.starts_with('/') || rest.starts_with("http://") || rest.starts_with("https://")
            })
            .or_else(|| s.find('='));
        match split {
            Some(i) if i > 0 => Ok(Rewrite {
                from: s[..i].to_string(),
                to: s[i + 1..].to_string(),
            }),
            _ => Err(format!(
                "--rewrite takes OLD_PREFIX=NEW_PREFIX (like /blog/=/posts/), not {s:?}"
            )),
        }
    }

    /// The rewritten key if this rule applies: OLD must match whole path segments (so
    /// `/?p=4` does not rewrite `/?p=42`).
    fn apply(&self, key: &str) -> Option<String> {
        let rest = key.strip_prefix(self.from.as_str())?;
        let boundary = rest.is_empty()
            || self.from.ends_with(['/', '?', '&'])
            || rest.starts_with(['/', '?', '#']);
        if !boundary {
            return None;
        }
        if self.to.ends_with('/') && rest.starts_with('/') {
            return Some(format!("{}{}", self.to, &rest[1..]));
        }
        Some(format!("{}{rest}", self.to))
    }
}

/// How source URLs become page keys.
#[derive(Debug, Clone, Default)]
pub struct PageRules {
    /// Keep the whole URL as the key.
    pub full_url: bool,
    /// Applied in order; the first that matches wins.
    pub rewrites: Vec<Rewrite>,
}

impl PageRules {
    /// The page key of a source link, or `None` if it gives no usable key.
    pub fn key(&self, link: &str) -> Option<String> {
        let link = link.trim();
        if link.is_empty() {
            return None;
        }
        let mut key = if self.full_url {
            link.to_string()
        } else {
            path_of(link)
        };
        if let Some(k) = self.rewrites.iter().find_map(|r| r.apply(&key)) {
            key = k;
        }
        crate::domain::validate::page(&key).ok()
    }
}

/// The path of a link, as the widget's `data-page` default sees it: no scheme, host, query
/// or fragment, except a WordPress `?p=N` / `?page_id=N`, which is kept (alone).
pub fn path_of(link: &str) -> String {
    let link = link.trim();
    let no_fragment = link.split('#').next().unwrap_or("");
    let after_scheme = match no_fragment.find("://") {
        Some(i)
            if no_fragment[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            let rest = &no_fragment[i + 3..];
            &rest[rest.find(['/', '?']).unwrap_or(rest.len())..]
        }
        _ => no_fragment.strip_prefix("//").map_or(no_fragment, |rest| {
            &rest[rest.find(['/', '?']).unwrap_or(rest.len())..]
        }),
    };
    let (path, query) = match after_scheme.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (after_scheme, None),
    };
    let mut key = if path.starts_with('/') {
        utf8_percent_encode(path, PATH).to_string()
    } else {
        format!("/{}", utf8_percent_encode(path, PATH))
    };
    if let Some(wp) = query.and_then(wordpress_query) {
        key.push('?');
        key.push_str(wp);
    }
    key
}

/// The `p=N` or `page_id=N` parameter of a query, if it has one.
fn wordpress_query(query: &str) -> Option<&str> {
    query.split('&').find(|kv| {
        kv.split_once('=').is_some_and(|(k, v)| {
            (k == "p" || k == "page_id") && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// Parses a source's date leniently: RFC 3339 (with or without a zone, `T` or space,
/// fractions), WordPress `YYYY-MM-DD HH:MM:SS` (UTC), RFC 2822, or Unix seconds.
pub fn parse_date(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0000-00-00") {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.timestamp());
    }
    let naive = s.trim_end_matches('Z').trim_end_matches(" UTC");
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(t.and_utc().timestamp());
        }
    }
    if let Ok(t) = chrono::NaiveDate::parse_from_str(naive, "%Y-%m-%d") {
        return t.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s.parse().ok()?;
        return DateTime::<Utc>::from_timestamp(secs, 0).map(|t| t.timestamp());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_its_path() {
        assert_eq!(path_of("http://example.org/"), "/");
        assert_eq!(path_of("http://example.org"), "/");
        assert_eq!(path_of("https://example.org/a/b/"), "/a/b/");
        assert_eq!(
            path_of("https://example.org/a/b/?utm_source=x&utm_medium=y#comments"),
            "/a/b/"
        );
        assert_eq!(path_of("HTTP://Example.org:8080/a"), "/a");
        assert_eq!(path_of("//cdn.example/a"), "/a");
        assert_eq!(path_of("/already/a/path?x=1"), "/already/a/path");
        assert_eq!(path_of("relative/x"), "/relative/x");
    }

    #[test]
    fn wordpress_permalinks_keep_their_query_alone() {
        assert_eq!(path_of("http://example.tld/?p=4"), "/?p=4");
        assert_eq!(path_of("http://example.tld/?page_id=12"), "/?page_id=12");
        assert_eq!(path_of("http://example.tld/?utm=x&p=4#c"), "/?p=4");
        assert_eq!(path_of("http://example.tld/?p=abc"), "/");
        assert_eq!(path_of("http://example.tld/?pp=4"), "/");
    }

    #[test]
    fn non_ascii_paths_are_percent_encoded_like_a_browser_does() {
        assert_eq!(
            path_of("https://example.org/блог/a b"),
            "/%D0%B1%D0%BB%D0%BE%D0%B3/a%20b"
        );
        assert_eq!(path_of("https://example.org/%D0%B1/"), "/%D0%B1/");
    }

    #[test]
    fn full_url_keeps_everything() {
        let rules = PageRules {
            full_url: true,
            rewrites: vec![],
        };
        assert_eq!(
            rules.key("https://a.example/x?y=1").as_deref(),
            Some("https://a.example/x?y=1")
        );
    }

    #[test]
    fn rewrites_replace_a_prefix_on_segment_boundaries() {
        let rules = PageRules {
            full_url: false,
            rewrites: vec![
                Rewrite::parse("/?p=4=/hello/").unwrap(),
                Rewrite::parse("/blog/=/posts/").unwrap(),
                Rewrite::parse("/old=/new").unwrap(),
            ],
        };
        assert_eq!(rules.key("http://x/?p=4").as_deref(), Some("/hello/"));
        assert_eq!(rules.key("http://x/?p=42").as_deref(), Some("/?p=42"));
        assert_eq!(rules.key("http://x/blog/a/").as_deref(), Some("/posts/a/"));
        assert_eq!(rules.key("http://x/old/a").as_deref(), Some("/new/a"));
        assert_eq!(rules.key("http://x/older/a").as_deref(), Some("/older/a"));
        assert!(Rewrite::parse("nothing").is_err());
        assert!(Rewrite::parse("=/x").is_err());
    }

    #[test]
    fn an_empty_link_gives_no_key() {
        assert_eq!(PageRules::default().key("  "), None);
    }

    #[test]
    fn dates_are_parsed_leniently() {
        let t = 1_381_432_829; // 2013-10-10T19:20:29Z
        assert_eq!(parse_date("2013-10-10T19:20:29Z"), Some(t));
        assert_eq!(parse_date("2013-10-10T21:20:29+02:00"), Some(t));
        assert_eq!(parse_date("2013-10-10T19:20:29.123Z"), Some(t));
        assert_eq!(parse_date("2013-10-10 19:20:29"), Some(t));
        assert_eq!(parse_date("2013-10-10T19:20:29"), Some(t));
        assert_eq!(parse_date("Thu, 10 Oct 2013 19:20:29 +0000"), Some(t));
        assert_eq!(parse_date(" 1381432829 "), Some(t));
        assert_eq!(parse_date("2011-x09-30T22:48:43Z"), None);
        assert_eq!(parse_date("0000-00-00 00:00:00"), None);
        assert_eq!(parse_date(""), None);
    }
}
