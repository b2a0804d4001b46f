//! ActivityPub's pure parts for Natter's sites (no I/O, no database): where each object
//! lives ([`Urls`]), the actors' keys, HTTP signatures, the JSON Natter serves and sends
//! (`objects.rs`) and the reading of what peers send (`inbound.rs`). The use cases that
//! fetch, store and deliver are in `actions/fediverse/`.

pub mod inbound;
pub mod keys;
pub mod objects;
pub mod signature;

use url::Url;

/// The audience "everyone" of ActivityStreams.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The ActivityStreams JSON-LD context.
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
/// The security vocabulary (`publicKey`).
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";
/// The content type of every ActivityPub answer and delivery.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// What Natter asks for when it fetches an actor or a key.
pub const ACCEPT: &str = "application/activity+json, application/ld+json; \
                          profile=\"https://www.w3.org/ns/activitystreams\";q=0.9";

/// Whether a request's `Content-Type` is one an inbox takes: `application/activity+json`,
/// `application/ld+json` (with any profile) or plain `application/json`.
pub fn is_activity_type(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    [
        "application/activity+json",
        "application/ld+json",
        "application/json",
    ]
    .iter()
    .any(|m| media.eq_ignore_ascii_case(m))
}

/// Whether an `Accept` header asks for ActivityPub JSON (else a browser: send it to HTML).
pub fn wants_activity(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let media = part.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("application/activity+json")
            || media.eq_ignore_ascii_case("application/ld+json")
            || media.eq_ignore_ascii_case("application/json")
    })
}

/// Where every object of this server lives, under its `public_url`.
#[derive(Debug, Clone)]
pub struct Urls {
    base: String,
}

impl Urls {
    /// The URLs under `public_url` (a trailing slash is dropped).
    pub fn new(public_url: &str) -> Urls {
        Urls {
            base: public_url.trim_end_matches('/').to_string(),
        }
    }

    /// `public_url` without its trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The host people put after the handle: `public_url`'s host, with its port if it has one.
    pub fn domain(&self) -> String {
        Url::parse(&self.base)
            .map(|u| signature::host_of(&u))
            .unwrap_or_default()
    }

    /// The site's actor: `<public_url>/ap/sites/{site}`.
    pub fn actor(&self, site: &str) -> String {
        format!("{}/ap/sites/{site}", self.base)
    }

    /// Its key's id.
    pub fn key_id(&self, site: &str) -> String {
        format!("{}#main-key", self.actor(site))
    }

    /// Its inbox.
    pub fn inbox(&self, site: &str) -> String {
        format!("{}/inbox", self.actor(site))
    }

    /// Its outbox.
    pub fn outbox(&self, site: &str) -> String {
        format!("{}/outbox", self.actor(site))
    }

    /// Its followers collection.
    pub fn followers(&self, site: &str) -> String {
        format!("{}/followers", self.actor(site))
    }

    /// The server's shared inbox.
    pub fn shared_inbox(&self) -> String {
        format!("{}/ap/inbox", self.base)
    }

    /// An announced post's object.
    pub fn post(&self, site: &str, id: i64) -> String {
        format!("{}/posts/{id}", self.actor(site))
    }

    /// A local comment's `Note`.
    pub fn comment(&self, id: i64) -> String {
        format!("{}/ap/comments/{id}", self.base)
    }

    /// The site whose actor `url` is.
    pub fn site_of_actor<'a>(&self, url: &'a str) -> Option<&'a str> {
        let rest = url.strip_prefix(&self.base)?.strip_prefix("/ap/sites/")?;
        (!rest.is_empty() && !rest.contains(['/', '#', '?'])).then_some(rest)
    }

    /// The site and id of an announced post's object URL.
    pub fn post_of(&self, url: &str) -> Option<(String, i64)> {
        let rest = url.strip_prefix(&self.base)?.strip_prefix("/ap/sites/")?;
        let (site, id) = rest.split_once("/posts/")?;
        let id = id.parse().ok().filter(|n: &i64| *n > 0)?;
        (!site.contains('/')).then(|| (site.to_string(), id))
    }

    /// The id of a local comment's `Note` URL.
    pub fn comment_of(&self, url: &str) -> Option<i64> {
        url.strip_prefix(&self.base)?
            .strip_prefix("/ap/comments/")?
            .parse()
            .ok()
            .filter(|n: &i64| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_and_read_back() {
        let u = Urls::new("https://c.example:8443/");
        assert_eq!(u.actor("blog"), "https://c.example:8443/ap/sites/blog");
        assert_eq!(u.domain(), "c.example:8443");
        assert_eq!(Urls::new("https://c.example").domain(), "c.example");
        assert_eq!(u.site_of_actor(&u.actor("blog")), Some("blog"));
        assert_eq!(u.site_of_actor(&u.inbox("blog")), None);
        assert_eq!(u.post_of(&u.post("blog", 7)), Some(("blog".into(), 7)));
        assert_eq!(
            u.post_of("https://c.example:8443/ap/sites/blog/posts/x"),
            None
        );
        assert_eq!(u.comment_of(&u.comment(12)), Some(12));
        assert_eq!(u.comment_of("https://other.example/ap/comments/12"), None);
    }

    #[test]
    fn handles_and_types() {
        use crate::domain::validate::is_handle;
        assert!(is_handle("blog_1"));
        assert!(!is_handle("Blog") && !is_handle("") && !is_handle(&"a".repeat(31)));
        assert!(is_activity_type("application/activity+json"));
        assert!(is_activity_type(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
        assert!(is_activity_type("application/json; charset=utf-8"));
        assert!(!is_activity_type("text/plain"));
        assert!(wants_activity("application/activity+json"));
        assert!(!wants_activity("text/html"));
    }
}
