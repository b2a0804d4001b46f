//! The outbound fetcher: the one way Natter fetches a URL someone else gave it (a
//! Webmention's source, an ActivityPub actor or key) or POSTs to one (a signed delivery to
//! an inbox).
//!
//! Why it is strict. A server that fetches URLs chosen by strangers is a proxy into the
//! network it runs in (server-side request forgery). Comment servers have been that proxy:
//! Remark42's image proxy fetched whatever URL a comment named, and Artalk's 2026 CVE was
//! the same hole in another form. Behind them sit cloud metadata at `169.254.169.254`
//! (credentials), admin pages on `127.0.0.1`, databases on `10.x`. So every fetch obeys
//! these rules, and nothing else in Natter opens an outbound connection to a stranger's URL:
//!
//! - **Only `http` and `https`**, without `user:password@` (no `file:`, `gopher:` and the
//!   like, no credentials carried anywhere) → [`FetchError::BadUrl`].
//! - **Only public addresses** ([`refusal`]): loopback, private, link-local, CGNAT,
//!   multicast, reserved and documentation ranges of both families are refused, and IPv6
//!   forms of IPv4 addresses (`::ffff:127.0.0.1`) are judged by the IPv4 address. The
//!   operator may open exceptions (`fetch_allow`: names, addresses, CIDR ranges) and pin
//!   names (`fetch_hosts`, consulted before DNS, still checked) → [`FetchError::Refused`].
//! - **Resolve once, connect to what was checked.** Host names are resolved by our own
//!   resolver inside reqwest (`rules.rs`), which checks every address and hands reqwest only
//!   those; a host with any refused address is refused (DNS rebinding and mixed answers get
//!   nowhere). IP-literal hosts never reach a resolver and are checked before each request.
//! - **Redirects followed by hand**, at most [`MAX_REDIRECTS`], each hop checked like the
//!   first → [`FetchError::TooManyRedirects`].
//! - **Bounded in time and size**: one deadline for the whole fetch, redirects and body
//!   included (5 s; a server trickling bytes cannot hold a worker), and a body cap (1 MiB,
//!   by `Content-Length` or while streaming) → [`FetchError::Timeout`],
//!   [`FetchError::TooLarge`].
//! - **Polite and anonymous**: no proxy from the environment, no cookies, no `Referer`, no
//!   compression, an honest `User-Agent` naming this server; at most 30 requests a minute
//!   to one host (per node) → [`FetchError::RateLimited`].
//!
//! Non-2xx answers are not errors: a 404 or 410 comes back as a [`Fetched`] with its status,
//! as Webmention needs to tell a deleted source from a broken fetch.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, ACCEPT_ENCODING, CONTENT_TYPE, LOCATION};
use reqwest::redirect::Policy;
use url::{Host, Url};

use crate::config::Settings;

mod addr;
mod limit;
mod rules;

pub use addr::refusal;
use limit::HostLimiter;
use rules::{Resolver, Rules, Unusable};

/// Redirects followed before [`FetchError::TooManyRedirects`].
pub const MAX_REDIRECTS: usize = 3;
/// The whole fetch's deadline in production: resolution, redirects and body.
pub const DEADLINE: Duration = Duration::from_secs(5);
/// The largest body read in production (1 MiB).
pub const MAX_BYTES: usize = 1_048_576;
/// Requests to one host per minute (and burst) in production.
pub const PER_HOST_PER_MINUTE: u32 = 30;

/// An answer: where it came from and what it said.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The final URL, after redirects.
    pub url: Url,
    /// The HTTP status of the final answer (a 404 or 410 is an answer, not an error).
    pub status: u16,
    /// The `Content-Type` header, if it had a readable one.
    pub content_type: Option<String>,
    /// The body, at most the cap.
    pub body: Vec<u8>,
}

/// Why a fetch gave no answer. Each message is a short sentence fit to show to whoever
/// gave the URL: it names their URL's host or address, never this server's internals.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// Unparseable, not `http`/`https`, or carrying a user name or password.
    #[error("the address is not a usable http or https URL")]
    BadUrl,
    /// The host or an address it resolves to is not public (e.g. "127.0.0.1 is a loopback
    /// address").
    #[error("refused to fetch: {0}")]
    Refused(String),
    /// More than [`MAX_REDIRECTS`] redirects, or a redirect loop.
    #[error("the source redirected too many times")]
    TooManyRedirects,
    /// The body is over the cap.
    #[error("the source is too large")]
    TooLarge,
    /// The deadline passed (connecting, waiting, or reading).
    #[error("the source took too long to answer")]
    Timeout,
    /// Too many fetches from this host lately.
    #[error("too many fetches from this host; try again in a minute")]
    RateLimited,
    /// The host could not be resolved or reached, or the connection broke.
    #[error("{0}")]
    Network(String),
}

/// The fetcher. Cheap to clone (the client, the rules and the limiter are shared), safe to
/// use from any tokio runtime, actix's current-thread ones included.
#[derive(Clone)]
pub struct Fetcher {
    /// `None` if reqwest could not build a client (TLS set-up failed): every fetch fails.
    client: Option<reqwest::Client>,
    rules: Arc<Rules>,
    limiter: Arc<HostLimiter>,
    deadline: Duration,
    max_bytes: usize,
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher")
            .field("rules", &self.rules)
            .field("deadline", &self.deadline)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher with the production limits and the settings' `fetch_allow`, `fetch_hosts`
    /// and `public_url` (named in the `User-Agent`). Never panics: a client that cannot be
    /// built is logged, and its fetches fail with [`FetchError::Network`].
    pub fn new(settings: &Settings) -> Fetcher {
        let rules = Arc::new(Rules::new(settings));
        let version = env!("CARGO_PKG_VERSION");
        let agent = HeaderValue::from_str(&format!(
            "natter/{version} (comment server; +{})",
            settings.public_url
        ))
        .unwrap_or_else(|_| {
            HeaderValue::from_static(concat!("natter/", env!("CARGO_PKG_VERSION")))
        });
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(Resolver(rules.clone())))
            .no_proxy()
            .redirect(Policy::none())
            .referer(false)
            .user_agent(agent)
            .connect_timeout(DEADLINE)
            // No connection is kept: hosts are strangers, and a pooled connection would
            // belong to the runtime that opened it (actix runs one per worker).
            .pool_max_idle_per_host(0)
            .build()
            .inspect_err(|e| tracing::error!(error = %e, "the outbound fetcher is off"))
            .ok();
        Fetcher {
            client,
            rules,
            limiter: Arc::new(HostLimiter::new(PER_HOST_PER_MINUTE)),
            deadline: DEADLINE,
            max_bytes: MAX_BYTES,
        }
    }

    /// The same fetcher with another deadline and body cap (for tests; production keeps
    /// [`DEADLINE`] and [`MAX_BYTES`]).
    pub fn with_limits(mut self, deadline: Duration, max_bytes: usize) -> Self {
        self.deadline = deadline;
        self.max_bytes = max_bytes;
        self
    }

    /// The same fetcher with its own rate limiter allowing `per_minute` requests to a host
    /// (at least 1; production keeps [`PER_HOST_PER_MINUTE`]).
    pub fn with_rate(mut self, per_minute: u32) -> Self {
        self.limiter = Arc::new(HostLimiter::new(per_minute));
        self
    }

    /// GET `url` with this `Accept` header, following at most [`MAX_REDIRECTS`] redirects,
    /// each hop checked again. The whole of it, body included, ends within the deadline.
    ///
    /// Each request (each hop) takes one from its host's quota, [`PER_HOST_PER_MINUTE`] a
    /// minute. The quota is kept in this process's memory: it is per node, and a cluster of
    /// N nodes may send N times as many.
    pub async fn get(&self, url: &str, accept: &str) -> Result<Fetched, FetchError> {
        let url = Url::parse(url).map_err(|_| FetchError::BadUrl)?;
        tokio::time::timeout(self.deadline, self.follow(url, accept))
            .await
            .unwrap_or(Err(FetchError::Timeout))
    }

    /// POSTs `body` to `url` with these headers (a signed ActivityPub delivery): the same
    /// address rules, rate and deadline as [`Fetcher::get`]; a redirect is not followed (it
    /// comes back as its status, as any other answer does). The answer's body is read up to
    /// the cap and kept.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Fetched, FetchError> {
        let url = Url::parse(url).map_err(|_| FetchError::BadUrl)?;
        tokio::time::timeout(self.deadline, self.send_post(url, headers, body))
            .await
            .unwrap_or(Err(FetchError::Timeout))
    }

    async fn send_post(
        &self,
        url: Url,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Fetched, FetchError> {
        let client = self.client()?;
        self.admit(&url)?;
        let mut request = client
            .post(url.clone())
            .header(ACCEPT_ENCODING, "identity")
            .body(body);
        for (name, value) in headers {
            // reqwest sets `Host` from the URL, the same value the signature covers.
            if !name.eq_ignore_ascii_case("host") {
                request = request.header(*name, value.as_str());
            }
        }
        let answer = request.send().await.map_err(|e| send_error(&e, &url))?;
        self.take(url, answer, true).await
    }

    /// The redirect loop.
    async fn follow(&self, mut url: Url, accept: &str) -> Result<Fetched, FetchError> {
        let client = self.client()?;
        let mut redirects = 0;
        loop {
            self.admit(&url)?;
            let answer = client
                .get(url.clone())
                .header(ACCEPT, accept)
                .header(ACCEPT_ENCODING, "identity")
                .send()
                .await
                .map_err(|e| send_error(&e, &url))?;
            let status = answer.status().as_u16();
            let location = answer.headers().get(LOCATION);
            if let (301 | 302 | 303 | 307 | 308, Some(to)) = (status, location) {
                if redirects == MAX_REDIRECTS {
                    return Err(FetchError::TooManyRedirects);
                }
                redirects += 1;
                let to = to.to_str().map_err(|_| FetchError::BadUrl)?;
                url = url.join(to).map_err(|_| FetchError::BadUrl)?;
                continue;
            }
            return self.take(url, answer, false).await;
        }
    }

    /// The HTTP client, unless it could not be built.
    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        self.client.as_ref().ok_or_else(|| {
            FetchError::Network("this server cannot fetch URLs at the moment".into())
        })
    }

    /// An answer as [`Fetched`], its body at most the cap: past it, [`FetchError::TooLarge`],
    /// or with `cut` only the body's first bytes are kept.
    async fn take(
        &self,
        url: Url,
        mut answer: reqwest::Response,
        cut: bool,
    ) -> Result<Fetched, FetchError> {
        let status = answer.status().as_u16();
        let content_type = answer
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if !cut
            && answer
                .content_length()
                .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = answer.chunk().await.map_err(|e| send_error(&e, &url))? {
            if body.len() + chunk.len() > self.max_bytes {
                if cut {
                    break;
                }
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            url,
            status,
            content_type,
            body,
        })
    }

    /// The checks before each request: the URL's form, an IP-literal host's address (host
    /// names are checked by the resolver), and the host's rate.
    fn admit(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(FetchError::BadUrl);
        }
        let literal: Option<IpAddr> = match url.host() {
            None => return Err(FetchError::BadUrl),
            Some(Host::Domain(_)) => None,
            Some(Host::Ipv4(a)) => Some(a.into()),
            Some(Host::Ipv6(a)) => Some(a.into()),
        };
        if let Some(ip) = literal {
            if let Some(why) = self.rules.refused(ip) {
                return Err(FetchError::Refused(format!("{ip} is {why}")));
            }
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if !self.limiter.admit(host) {
            return Err(FetchError::RateLimited);
        }
        Ok(())
    }
}

/// A reqwest error as a [`FetchError`]: our resolver's verdict if it is inside, else a
/// sentence naming the host (the details go to the log, not to the sender).
fn send_error(e: &reqwest::Error, url: &Url) -> FetchError {
    let host = url.host_str().unwrap_or_default();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        match c.downcast_ref::<Unusable>() {
            Some(Unusable::Refused(why)) => return FetchError::Refused(why.clone()),
            Some(Unusable::Unresolved) => {
                return FetchError::Network(format!("{host} could not be resolved"))
            }
            None => cause = c.source(),
        }
    }
    tracing::debug!(error = %e, %url, "fetch failed");
    if e.is_timeout() {
        FetchError::Timeout
    } else if e.is_connect() {
        FetchError::Network(format!("could not connect to {host}"))
    } else {
        FetchError::Network(format!("the connection to {host} failed"))
    }
}

#[cfg(test)]
mod tests;
