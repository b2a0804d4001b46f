//! What every handler shares: settings, sites, the pool, the writer and the server key.

use std::sync::Arc;

use actix_web::HttpRequest;

use crate::actions::{Core, Origin};
use crate::config::SiteConfig;
use crate::domain::ip::AnonIp;
use crate::error::ApiResult;

/// Shared, read-only application state: the use cases' [`Core`] (reached through `Deref`:
/// `state.settings`, `state.writer`…) plus what only the web needs.
pub struct AppState {
    /// Settings, sites, database handles, key and counters.
    pub core: Arc<Core>,
    /// Origin of `public_url`.
    pub public_origin: String,
    /// Parsed `trusted_proxies`.
    pub trusted_proxies: crate::domain::ip::TrustedProxies,
    /// Per-client rate limiters.
    pub limits: crate::http::limits::Limiters,
    /// Serialized, gzipped answers of `GET /api/comments`, until the database changes.
    pub threads: crate::http::cache::ThreadCache,
    /// Hash of `NATTER_ADMIN_TOKEN`, when set.
    pub admin_env_hash: Option<String>,
    /// Damage the start-up check of a large database found after the server started.
    pub health: Arc<crate::store::check::Health>,
}

impl std::ops::Deref for AppState {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

/// The state as handlers receive it.
pub type State = actix_web::web::Data<Arc<AppState>>;

impl AppState {
    /// Spends one unit of a rate-limit class for the request's client: in this process, and
    /// for the classes that hold cluster-wide, in the shared database too (PostgreSQL).
    pub async fn limit(
        &self,
        req: &HttpRequest,
        class: crate::http::limits::Class,
    ) -> ApiResult<()> {
        if !self.limits.applies(class) {
            return Ok(());
        }
        let client = self.client(req);
        let mut verdict = self.limits.check(class, &client);
        if let (Ok(()), Some(per_minute), true) = (
            &verdict,
            self.limits.cluster_quota(class),
            self.store.shared(),
        ) {
            let key = client.as_str().to_string();
            match self
                .store
                .cluster_hit(class.as_str(), key, per_minute)
                .await
            {
                Ok(Some(wait)) => verdict = Err(crate::error::ApiError::RateLimited(wait)),
                Ok(None) => {}
                // The limit fails open: the write itself answers 503 if the database is gone.
                Err(e) => tracing::warn!(error = %e, "the cluster rate limit could not be read"),
            }
        }
        if verdict.is_err() {
            let site = crate::http::extract::Query::parse(req.query_string())
                .ok()
                .and_then(|q| {
                    q.get("site")
                        .filter(|s| self.sites.contains_key(*s))
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            self.metrics.event("rate_limited", &site, class.as_str());
        }
        verdict
    }

    /// The anonymized client address of a request.
    pub fn client(&self, req: &HttpRequest) -> AnonIp {
        AnonIp::from_ip(crate::http::client_ip::client_ip(
            req,
            &self.trusted_proxies,
        ))
    }

    /// The request's origin, captured so the check can run later (e.g. in the writer).
    pub fn origin_check(&self, req: &HttpRequest) -> Origin {
        match origin_header(req) {
            None => Origin {
                origin: None,
                own: false,
            },
            Some(o) => Origin {
                origin: Some(o.to_string()),
                own: self.is_own_origin(req, o),
            },
        }
    }

    /// Whether a request's `Origin` is the server's own (public URL or the address it was sent to).
    pub fn is_own_origin(&self, req: &HttpRequest, origin: &str) -> bool {
        if origin.eq_ignore_ascii_case(&self.public_origin) {
            return true;
        }
        let info = req.connection_info();
        let addressed = format!("{}://{}", info.scheme(), info.host());
        origin.eq_ignore_ascii_case(&addressed)
    }

    /// CSRF rule for public writes: an `Origin`, when present, must be allowed for `site`.
    pub fn check_origin(&self, req: &HttpRequest, site: &SiteConfig) -> ApiResult<()> {
        self.origin_check(req).allow(site)
    }

    /// Whether any configured site (or the server itself) allows an origin.
    pub fn any_site_allows(&self, req: &HttpRequest, origin: &str) -> bool {
        self.sites.values().any(|s| s.allows_origin(origin)) || self.is_own_origin(req, origin)
    }
}

/// The request's `Origin` header, if readable.
pub fn origin_header(req: &HttpRequest) -> Option<&str> {
    req.headers().get("origin").and_then(|v| v.to_str().ok())
}
