//! The delivery worker: claims due deliveries (with a lease, as the Webmention verifier
//! claims its jobs, so several processes never send one twice and a restart loses none),
//! signs each with its site's key and POSTs it through the safe fetcher's rules (an inbox
//! someone else named is a URL from outside: refused addresses are never contacted). A
//! failure is tried again later, [`MAX_ATTEMPTS`] times in all over about four hours.

use std::sync::{Arc, Weak};

use url::Url;

use crate::actions::worker::Worker;
use crate::actions::Core;
use crate::domain::fediverse::Delivery;
use crate::domain::{now, Timestamp};
use crate::fediverse::{signature, ACTIVITY_JSON};
use crate::fetch::FetchError;

/// Deliveries under way at once, per process.
const AT_ONCE: usize = 4;
/// Tries before a delivery is given up: after 30 s, 1, 2, 4, 8, 16, 32, 64, 120 minutes.
pub const MAX_ATTEMPTS: i64 = 10;
/// How long sent and given-up deliveries are kept (for the operator to look at).
pub const KEEP: Timestamp = 7 * 86_400;

/// Starts the worker on a thread of its own; it ends when `core` (the app) is dropped.
pub fn spawn(core: Weak<Core>) {
    Worker {
        thread: "natter-fediverse",
        what: "Fediverse delivery worker",
        at_once: AT_ONCE,
        enabled: |c| !c.fedi.keys.is_empty(),
        due: |tx, at| tx.fedi_due(at),
        claim: |tx, owner, at| tx.fedi_claim(owner, at),
    }
    .spawn(core, deliver);
}

/// When a failed try is tried again.
fn retry_at(attempts: i64) -> Timestamp {
    now() + (30 * (1_i64 << attempts.clamp(1, 9).saturating_sub(1))).min(7200)
}

/// Sends one delivery and records how it went.
async fn deliver(core: Arc<Core>, owner: Arc<str>, d: Delivery) {
    let outcome = send(&core, &d).await;
    let label = match &outcome {
        Ok(()) => "delivered",
        Err((_, true)) if d.attempts < MAX_ATTEMPTS => "retried",
        Err(_) => "given_up",
    };
    core.metrics.event("fediverse", &d.site, label);
    let (id, attempts, inbox) = (d.id, d.attempts, d.inbox.clone());
    let result = core
        .store
        .write(move |tx| {
            let at = now();
            let outcome = match &outcome {
                Ok(()) => Ok(()),
                Err((why, true)) if attempts < MAX_ATTEMPTS => {
                    Err((why.as_str(), Some(retry_at(attempts))))
                }
                Err((why, _)) => Err((why.as_str(), None)),
            };
            tx.fedi_finish(id, &owner, outcome, at, at - KEEP)
        })
        .await;
    match result {
        Ok(true) => {}
        Ok(false) => tracing::info!(id, "a Fediverse delivery's claim ran out while it was sent"),
        Err(e) => tracing::warn!(id, %inbox, error = %e, "recording a Fediverse delivery failed"),
    }
}

/// POSTs it, signed; `Err((why, worth retrying))`.
async fn send(core: &Core, d: &Delivery) -> Result<(), (String, bool)> {
    let signer = core
        .fedi
        .keys
        .get(&d.site)
        .ok_or_else(|| ("the site is no longer a Fediverse actor".to_string(), false))?;
    let url = Url::parse(&d.inbox).map_err(|_| ("the inbox is not a URL".to_string(), false))?;
    let key_id = core.fedi.urls.key_id(&d.site);
    let body = d.body.as_bytes().to_vec();
    let mut headers =
        signature::sign_post(signer, &key_id, &url, &body, std::time::SystemTime::now())
            .map_err(|e| (e, true))?;
    headers.push(("content-type", ACTIVITY_JSON.to_string()));
    headers.push(("accept", ACTIVITY_JSON.to_string()));
    match core.fedi.fetcher.post(&d.inbox, &headers, body).await {
        Ok(answer) => match answer.status {
            200..=299 => Ok(()),
            s @ (401 | 408 | 429 | 500..=599) => Err((format!("the inbox answered {s}"), true)),
            s => Err((format!("the inbox answered {s}"), false)),
        },
        Err(e @ (FetchError::BadUrl | FetchError::Refused(_))) => Err((e.to_string(), false)),
        Err(e) => Err((e.to_string(), true)),
    }
}
