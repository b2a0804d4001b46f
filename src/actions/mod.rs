//! The use cases: one function per thing a reader, author or moderator can do. Each takes
//! domain values, runs as one transaction through the store (writing its outbox rows in
//! that same transaction), and returns domain results or an [`ApiError`]. No actix here:
//! `routes/` parses requests into the values these take and shapes their answers.

pub mod comments;
pub mod desk;
pub mod fediverse;
pub mod moderation;
pub mod reads;
pub mod sessions;
pub mod signin;
pub mod spam;
pub mod subscriptions;
pub mod verify;
pub mod webmention;
mod worker;

use std::collections::BTreeMap;

use crate::config::{Settings, SiteConfig};
use crate::domain::crypto::ServerKey;
use crate::error::{ApiError, ApiResult};
use crate::metrics::Metrics;
use crate::store::Store;

/// What every use case works with: the settings, the configured sites, the database and
/// the server key. One per process; `http::state::AppState` adds the web's own parts.
pub struct Core {
    /// The settings the server started with.
    pub settings: Settings,
    /// Configured sites (or the implicit `default`).
    pub sites: BTreeMap<String, SiteConfig>,
    /// The database.
    pub store: Store,
    /// Server secret for keyed hashes and signatures.
    pub key: ServerKey,
    /// Prometheus counters.
    pub metrics: Metrics,
    /// The sites' Fediverse actors: keys, URLs, the fetcher.
    pub fedi: fediverse::Federation,
    /// Passkeys and OpenID Connect providers.
    pub signin: crate::signin::SignIn,
}

impl Core {
    /// A configured site, or 404 `unknown_site`.
    pub fn site(&self, id: &str) -> ApiResult<&SiteConfig> {
        self.sites.get(id).ok_or(ApiError::UnknownSite)
    }

    /// What notifications need of the server.
    pub fn notifier(&self) -> crate::notify::Notifier<'_> {
        crate::notify::Notifier {
            settings: &self.settings,
            key: &self.key,
            metrics: &self.metrics,
        }
    }
}

/// A request's `Origin`, detached from the request so the check can run in the writer.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The `Origin` header, when the request had one.
    pub origin: Option<String>,
    /// Whether it is the server's own origin (always allowed).
    pub own: bool,
}

impl Origin {
    /// CSRF rule for public writes: an `Origin`, when present, must be allowed for `site`
    /// (the server's own origin always is).
    pub fn allow(&self, site: &SiteConfig) -> ApiResult<()> {
        match &self.origin {
            None => Ok(()),
            Some(o) if self.own || site.allows_origin(o) => Ok(()),
            Some(_) => Err(ApiError::OriginNotAllowed),
        }
    }
}
