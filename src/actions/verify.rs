//! The Webmention verifier: claims due Webmentions (with a lease, as the outbox's
//! deliveries are claimed, so several processes never verify one twice and a restart loses
//! none), fetches each source through the one safe fetcher, and turns what the source says
//! into a comment, a reaction, or a rejection, in one transaction with the comment's
//! notifications. Several verifications run at once; each ends within the fetcher's
//! deadline, so one slow source holds up nobody else.

use std::sync::{Arc, Weak};

use url::Url;

use super::worker::Worker;
use super::Core;
use crate::domain::now;
use crate::domain::webmention::{Mention, Outcome};
use crate::fetch::{FetchError, Fetched, Fetcher};
use crate::mf2::{self, Kind};

mod apply;

/// Verifications under way at once, per process.
const AT_ONCE: usize = 4;
/// Tries before a source that does not answer is given up.
pub const MAX_ATTEMPTS: i64 = 5;
/// What the fetch asks for.
const ACCEPT: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1";

/// Starts the verifier on a thread of its own; it ends when `core` (the app) is dropped.
pub fn spawn(core: Weak<Core>) {
    let Some(fetcher) = core.upgrade().map(|c| Fetcher::new(&c.settings)) else {
        return;
    };
    Worker {
        thread: "natter-webmention",
        what: "Webmention verifier",
        at_once: AT_ONCE,
        enabled: |c| c.sites.values().any(|s| s.webmention),
        due: |tx, at| tx.webmention_due(at),
        claim: |tx, owner, at| tx.claim_webmention(owner, at),
    }
    .spawn(core, move |core, owner, m| {
        verify(core, fetcher.clone(), owner, m)
    });
}

/// Verifies one Webmention and stores what came of it.
async fn verify(core: Arc<Core>, fetcher: Fetcher, owner: Arc<str>, m: Mention) {
    let found = look(&fetcher, &m).await;
    let id = m.id.clone();
    let result = core
        .store
        .write({
            let core = core.clone();
            move |tx| apply::store(&core, tx, &owner, &m, found)
        })
        .await;
    match result {
        Ok(true) => {}
        Ok(false) => tracing::info!(id = %id, "a Webmention was sent again while it was verified"),
        Err(e) => {
            tracing::warn!(id = %id, error = %e, "storing a Webmention's verification failed")
        }
    }
}

/// What the source turned out to be.
#[derive(Debug)]
pub enum Found {
    /// It says something about the target.
    Source(Box<mf2::Source>),
    /// It is gone (404, 410) or does not link to the target (any more): what it made goes.
    Gone(String),
    /// It can't be taken, for good.
    Refused(String),
    /// It did not answer this time.
    Failed(String),
}

/// Fetches the source and reads it.
async fn look(fetcher: &Fetcher, m: &Mention) -> Found {
    let Ok(target) = Url::parse(&m.target) else {
        return Found::Refused("the target is not a URL".into());
    };
    match fetcher.get(&m.source, ACCEPT).await {
        // Parsing a page is work for a blocking thread, not for the runtime the other
        // verifications share.
        Ok(page) => tokio::task::spawn_blocking(move || read(page, &target))
            .await
            .unwrap_or_else(|_| Found::Refused("the source could not be read".into())),
        Err(e @ (FetchError::Timeout | FetchError::Network(_) | FetchError::RateLimited)) => {
            Found::Failed(format!("the source could not be fetched: {e}"))
        }
        Err(e) => Found::Refused(format!("the source could not be fetched: {e}")),
    }
}

fn read(page: Fetched, target: &Url) -> Found {
    match page.status {
        200..=299 => {}
        404 | 410 => return Found::Gone(format!("the source answered {}", page.status)),
        429 | 500..=599 => return Found::Failed(format!("the source answered {}", page.status)),
        s => return Found::Refused(format!("the source answered {s}")),
    }
    let html_type = page
        .content_type
        .as_deref()
        .map(|t| t.to_ascii_lowercase())
        .is_some_and(|t| t.contains("text/html") || t.contains("application/xhtml+xml"));
    if !html_type {
        return Found::Refused("the source is not an HTML page".into());
    }
    let html = String::from_utf8_lossy(&page.body);
    let source = mf2::read(&html, &page.url, target);
    if !source.links_to_target {
        return Found::Gone("the source does not link to the target".into());
    }
    Found::Source(Box::new(source))
}

/// When a failed try is tried again: 30 s, 1, 2, 4 minutes.
fn retry_at(attempts: i64) -> i64 {
    now() + 30 * (1_i64 << attempts.clamp(1, 5).saturating_sub(1))
}

/// How a failure ends: another try later, or given up.
fn failed(m: &Mention, reason: String) -> Outcome {
    if m.attempts >= MAX_ATTEMPTS {
        Outcome::Rejected { reason }
    } else {
        Outcome::Retry {
            reason,
            at: retry_at(m.attempts),
        }
    }
}

/// Whether an entry of this kind is a comment (else a reaction).
fn is_comment(kind: Kind) -> bool {
    matches!(kind, Kind::Reply | Kind::Mention)
}
