//! The Fediverse's use cases: each site with `fediverse = true` is an ActivityPub actor.
//! Receiving (`inbox.rs`: signature, then each activity in `apply.rs`), announcing posts
//! (`announce.rs`), delivering signed activities (`deliver.rs`, a worker per process), and
//! what peers are (`remote.rs`: actors and keys fetched through the safe fetcher, cached).
//! The protocol's pure parts (URLs, keys, signatures, JSON) are in `crate::fediverse`.

use std::collections::BTreeMap;

use crate::config::{Settings, SiteConfig};
use crate::error::{ApiError, ApiResult};
use crate::fediverse::keys::{KeyPair, Signer};
use crate::fediverse::Urls;
use crate::fetch::Fetcher;

mod announce;
mod apply;
pub mod deliver;
pub mod documents;
mod inbox;
mod remote;

pub use announce::{announce, erase_actor, Announced};
pub use inbox::{receive, Inbound};

use super::Core;

/// What the Fediverse needs of the running server: the sites' signing keys, where objects
/// live, and the fetcher for peers' documents.
pub struct Federation {
    /// Each Fediverse site's key (made at start, kept in the database).
    pub keys: BTreeMap<String, Signer>,
    /// This server's ActivityPub URLs.
    pub urls: Urls,
    /// The one safe fetcher (actors, keys).
    pub fetcher: Fetcher,
}

impl Federation {
    /// The federation of these settings with the stored key pairs (`site` → pair). A pair
    /// that can't be read is logged and its site has no actor.
    pub fn new(settings: &Settings, pairs: Vec<(String, KeyPair)>) -> Federation {
        let keys = pairs
            .into_iter()
            .filter_map(|(site, pair)| match Signer::new(&pair) {
                Ok(s) => Some((site, s)),
                Err(e) => {
                    tracing::error!(%site, error = %e, "the site's Fediverse key is unusable");
                    None
                }
            })
            .collect();
        Federation {
            keys,
            urls: Urls::new(&settings.public_url),
            fetcher: Fetcher::new(settings),
        }
    }
}

/// The sites that are Fediverse actors (those that need a key).
pub fn fediverse_sites(sites: &BTreeMap<String, SiteConfig>) -> Vec<String> {
    sites
        .iter()
        .filter(|(_, s)| s.fediverse)
        .map(|(id, _)| id.clone())
        .collect()
}

impl Core {
    /// A site that is a Fediverse actor (with its key), or 404 for everything else.
    pub fn actor_site(&self, id: &str) -> ApiResult<&SiteConfig> {
        self.sites
            .get(id)
            .filter(|s| s.fediverse && self.fedi.keys.contains_key(id))
            .ok_or_else(|| ApiError::NotFound("no such actor".into()))
    }

    /// The Fediverse site whose handle is `handle`.
    pub fn site_of_handle(&self, handle: &str) -> Option<&str> {
        self.sites
            .iter()
            .find(|(id, s)| {
                s.fediverse
                    && s.fediverse_handle.as_deref() == Some(handle)
                    && self.fedi.keys.contains_key(id.as_str())
            })
            .map(|(id, _)| id.as_str())
    }
}
