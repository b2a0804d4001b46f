//! Receiving Webmentions (W3C Recommendation): `POST /webmention` checks the pair and its
//! limits and records it; a verifier ([`super::verify`]) fetches the source later. What a
//! sender learns is only the id of its status, and that status.

use std::sync::Arc;

use url::Url;

use super::{Core, Origin};
use crate::config::SiteConfig;
use crate::domain::validate::max;
use crate::domain::webmention::{MentionStatus, NewMention};
use crate::domain::{now, Timestamp};
use crate::error::{ApiError, ApiResult};

/// The window the per-host and per-page limits count over, in seconds.
pub const WINDOW: Timestamp = 600;
/// New Webmentions one source host may send in [`WINDOW`].
pub const MAX_FROM_HOST: i64 = 20;
/// New Webmentions one page may receive in [`WINDOW`].
pub const MAX_FOR_PAGE: i64 = 60;
/// Webmentions waiting for verification at most, on the whole database.
pub const MAX_QUEUED: i64 = 1_000;

/// Where a Webmention's target lives: its site and page key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Site id.
    pub site: String,
    /// Page key: the target's path.
    pub page: String,
}

/// Parses an http(s) URL a sender gave; `what` names the field in the error.
pub fn parse_url(value: &str, what: &str) -> ApiResult<Url> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::Malformed(format!("`{what}` is required")));
    }
    if value.len() > max::URL {
        return Err(ApiError::Malformed(format!(
            "`{what}` is longer than {} bytes",
            max::URL
        )));
    }
    let url =
        Url::parse(value).map_err(|_| ApiError::Malformed(format!("`{what}` is not a URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ApiError::Malformed(format!(
            "`{what}` must be an http or https URL"
        )));
    }
    Ok(url)
}

/// The site taking Webmentions whose origins hold `target`, and the page it names. A site
/// that lists the target's origin wins over one open to every origin (`*`).
pub fn place_of<'a>(
    sites: impl Iterator<Item = (&'a String, &'a SiteConfig)> + Clone,
    target: &Url,
) -> Option<Place> {
    let origin = target.origin().ascii_serialization();
    let taking = sites.filter(|(_, s)| s.webmention);
    let exact = taking
        .clone()
        .find(|(_, s)| s.origins.iter().any(|o| o.eq_ignore_ascii_case(&origin)));
    let (id, _) = exact.or_else(|| {
        taking
            .clone()
            .find(|(_, s)| s.origins.iter().any(|o| o == "*"))
    })?;
    let page = page_key(target);
    (!page.is_empty() && page.len() <= max::PAGE).then(|| Place {
        site: id.clone(),
        page,
    })
}

/// The page key the widget uses for the page at `url` by default: its path, keeping a
/// WordPress `?p=N` or `?page_id=N` (as `pageKey` in `widget/embed.js` does).
pub fn page_key(url: &Url) -> String {
    let path = url.path();
    for name in ["p", "page_id"] {
        let n = url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v);
        if let Some(n) = n.filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())) {
            return format!("{path}?{name}={n}");
        }
    }
    path.to_string()
}

/// Records a Webmention after its checks; returns the id of its status.
pub async fn receive(
    core: &Arc<Core>,
    source: &str,
    target: &str,
    sender_ip: String,
    origin: Origin,
) -> ApiResult<String> {
    let source_url = parse_url(source, "source")?;
    let target_url = parse_url(target, "target")?;
    let mut bare_source = source_url.clone();
    bare_source.set_fragment(None);
    let mut bare_target = target_url.clone();
    bare_target.set_fragment(None);
    if bare_source == bare_target {
        return Err(ApiError::Malformed(
            "`source` and `target` must be different pages".into(),
        ));
    }
    let place = place_of(core.sites.iter(), &target_url).ok_or_else(|| {
        ApiError::Malformed("`target` is not a page of a site here that takes Webmentions".into())
    })?;
    origin.allow(core.site(&place.site)?)?;
    let host = source_url
        .host_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let m = NewMention {
        id: crate::domain::crypto::random_token(),
        site: place.site,
        page: place.page,
        source: source_url.to_string(),
        target: target_url.to_string(),
        source_host: host,
        sender_ip,
    };
    core.store
        .write(move |tx| {
            let at = now();
            let load = tx.webmention_load(&m, at - WINDOW)?;
            if !load.known && (load.from_host >= MAX_FROM_HOST || load.for_page >= MAX_FOR_PAGE) {
                return Err(ApiError::RateLimited(WINDOW as u64));
            }
            if load.queued >= MAX_QUEUED {
                return Err(ApiError::Unavailable(
                    "too many Webmentions are waiting for verification".into(),
                ));
            }
            tx.receive_webmention(&m, at)
        })
        .await
}

/// A Webmention's status and, when rejected (or waiting after a failed try), why.
pub async fn status(core: &Core, id: String) -> ApiResult<(MentionStatus, Option<String>)> {
    core.store
        .read(move |tx| tx.webmention_state(&id))
        .await?
        .ok_or_else(|| ApiError::NotFound("no such Webmention".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(u: &str) -> String {
        page_key(&Url::parse(u).unwrap())
    }

    #[test]
    fn the_page_key_is_the_widgets() {
        assert_eq!(key("https://b.example/posts/hello/"), "/posts/hello/");
        assert_eq!(
            key("https://b.example/posts/hello/?utm=x#c1"),
            "/posts/hello/"
        );
        assert_eq!(key("https://b.example/?p=12"), "/?p=12");
        assert_eq!(key("https://b.example/?page_id=7&x=1"), "/?page_id=7");
        assert_eq!(key("https://b.example/?p=12a"), "/");
        assert_eq!(key("https://b.example"), "/");
        assert_eq!(key("https://b.example/caf%C3%A9/"), "/caf%C3%A9/");
    }

    fn site(origins: &[&str], webmention: bool) -> SiteConfig {
        SiteConfig {
            origins: origins.iter().map(|o| o.to_string()).collect(),
            webmention,
            ..SiteConfig::open_default()
        }
    }

    #[test]
    fn a_listed_origin_wins_over_a_star_and_sites_without_webmention_take_none() {
        let sites: std::collections::BTreeMap<String, SiteConfig> = [
            ("a-any".to_string(), site(&["*"], true)),
            ("b-blog".to_string(), site(&["https://blog.example"], true)),
            ("c-off".to_string(), site(&["https://off.example"], false)),
        ]
        .into();
        let place = |u: &str| place_of(sites.iter(), &Url::parse(u).unwrap()).map(|p| p.site);
        assert_eq!(place("https://blog.example/x/").as_deref(), Some("b-blog"));
        assert_eq!(place("https://BLOG.example/x/").as_deref(), Some("b-blog"));
        assert_eq!(place("https://off.example/x/").as_deref(), Some("a-any"));
        let strict: std::collections::BTreeMap<String, SiteConfig> =
            [("c-off".to_string(), site(&["https://off.example"], false))].into();
        assert_eq!(
            place_of(
                strict.iter(),
                &Url::parse("https://off.example/x/").unwrap()
            ),
            None
        );
    }
}
