//! Importing comments from Disqus, WordPress, Isso and Natter's own JSON: the machinery
//! every importer shares (site check, batched idempotent writes, parent fix-ups, progress,
//! the summary). The formats live in their own files; page keys and dates in [`keys`].
//!
//! How an import writes: through [`ImportTarget`](crate::store::imports::ImportTarget), on
//! its own connection to the configured database, SQLite or PostgreSQL (which one is the
//! store's business), in transactions of at most [`BATCH`] comments or [`BATCH_TIME`], so a
//! running server keeps answering between batches and sees each batch at once (on SQLite
//! the batches don't wait for the disk; a final sync makes them durable, and a lost batch
//! is restored by re-running). Every imported comment carries `source` and a `source_id`
//! under the unique index, so a run that failed half-way (or a second run) adds nothing
//! twice. Foreign ids are never used as Natter ids (except by `import json`, which
//! restores Natter's own). Nothing but the page list is kept in memory: parents are found
//! through the same index.

mod clean;
pub mod disqus;
mod importer;
pub mod isso;
pub mod json;
pub mod keys;
mod progress;
mod report;
pub mod wordpress;
mod xml;

use std::time::Duration;

use anyhow::bail;

use crate::config::Settings;
use crate::domain::comment::Status;
use crate::domain::Timestamp;
use crate::render::markdown::Format;

pub use crate::domain::crypto::avatar_hash;
pub use clean::{clean_author, clean_email, clean_title, clean_website, content_hash};
pub use importer::Importer;
pub use keys::{PageRules, Rewrite};
pub use progress::Unit;
pub use report::Report;

/// Most comments one transaction writes.
pub const BATCH: usize = 500;
/// Longest a transaction stays open, so the server's writes never wait long.
pub const BATCH_TIME: Duration = Duration::from_millis(250);

/// One comment as a source describes it, before it is written.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The source's id for it (already namespaced by the importer), or a content hash.
    pub source_id: String,
    /// The source id of its parent.
    pub parent: Option<String>,
    /// Display name.
    pub author: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Body as the source stores it.
    pub text: String,
    /// How the body is written.
    pub format: Format,
    /// Moderation state.
    pub status: Status,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last edit.
    pub edited_at: Option<Timestamp>,
    /// Starting like count.
    pub likes: i64,
    /// Starting dislike count.
    pub dislikes: i64,
    /// The source's IP (anonymized before it is stored).
    pub ip: Option<String>,
}

/// Which parent a comment waits for once everything is in.
#[derive(Debug, Clone)]
pub enum ParentRef {
    /// A source id of the same source.
    Source(String),
    /// A Natter id (`import json`).
    Id(i64),
}

/// The page a comment belongs to.
#[derive(Debug, Clone, Default)]
pub struct PageInfo {
    /// Page key.
    pub key: String,
    /// Title from the source.
    pub title: Option<String>,
    /// URL from the source.
    pub url: Option<String>,
    /// Closed for comments in the source.
    pub locked: bool,
}

/// The site's config, or a clear error listing the configured ones.
pub fn configured_site(
    settings: &Settings,
    site: &str,
) -> anyhow::Result<crate::config::SiteConfig> {
    let sites = settings.effective_sites();
    match sites.get(site) {
        Some(s) => Ok(s.clone()),
        None => {
            let known: Vec<&str> = sites.keys().map(String::as_str).collect();
            bail!(
                "unknown site {site:?}: the config declares {} (add a [sites.{site}] table, or pass --site with one of those)",
                known.join(", ")
            )
        }
    }
}
