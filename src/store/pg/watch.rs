//! How a node's thread cache learns of commits made through other nodes (or `natter
//! import`, or a hand edit): a connection of its own LISTENs on `natter_threads`, which the
//! triggers of the schema notify at each commit that changes comments, pages or sites. Each
//! notification bumps a counter; the cache keys its entries by that counter.
//!
//! While the listener has no connection it cannot know what changed, so the cache is off
//! ([`Listener::version`] is `None`) until it is connected again; the counter is bumped at
//! every (re)connection, since notifications sent meanwhile were lost.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::Database;
use postgres::fallible_iterator::FallibleIterator;

/// The channel the schema's triggers notify.
pub const CHANNEL: &str = "natter_threads";

/// How long the listener waits for a notification before it checks it is still wanted.
const TICK: Duration = Duration::from_millis(500);

/// The commit counter shared with the cache.
#[derive(Debug, Default)]
pub struct Listener {
    version: AtomicU64,
    live: AtomicBool,
}

impl Listener {
    /// Starts listening on a thread of its own; it ends when the returned handle is dropped.
    /// The first connection is made here, so a node serves its first reads with the cache
    /// on (when it fails, the thread keeps trying). Call it off any async runtime.
    pub fn start(config: Database, node: String) -> Arc<Listener> {
        let listener = Arc::new(Listener::default());
        let first = listen(&config).ok();
        if first.is_some() {
            listener.live.store(true, Ordering::Release);
        }
        let weak = Arc::downgrade(&listener);
        let _ = std::thread::Builder::new()
            .name("natter-pg-listen".into())
            .spawn(move || listen_loop(&config, &node, &weak, first));
        listener
    }

    /// What identifies the last commit seen, or `None` while not listening.
    pub fn version(&self) -> Option<u64> {
        self.live
            .load(Ordering::Acquire)
            .then(|| self.version.load(Ordering::Acquire))
    }
}

/// A connection that listens on [`CHANNEL`].
fn listen(config: &Database) -> Result<postgres::Client, postgres::Error> {
    let mut c = config.connect()?;
    c.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(c)
}

fn listen_loop(
    config: &Database,
    node: &str,
    weak: &Weak<Listener>,
    mut first: Option<postgres::Client>,
) {
    let mut wait = Duration::from_millis(100);
    loop {
        if weak.strong_count() == 0 {
            return;
        }
        // The first connection was made (and counted) at start; any later one follows a
        // loss, during which notifications went missing.
        let fresh = first.is_none();
        let client = match first.take() {
            Some(c) => Ok(c),
            None => listen(config),
        };
        let mut client = match client {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %crate::error::pg_detail(&e), "the commit listener cannot connect");
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        wait = Duration::from_millis(100);
        match weak.upgrade() {
            Some(l) => {
                if fresh {
                    l.version.fetch_add(1, Ordering::AcqRel);
                }
                l.live.store(true, Ordering::Release);
            }
            None => return,
        }
        loop {
            let outcome = {
                let mut notes = client.notifications();
                let mut iter = notes.timeout_iter(TICK);
                loop {
                    match iter.next() {
                        // This node's own commits: counted by the cache before they were
                        // answered; counting them again would only empty it once more.
                        Ok(Some(n)) if n.payload() == node => continue,
                        Ok(Some(_)) => {}
                        Ok(None) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                    // Bump as they come: a burst must not wait for the tick.
                    if let Some(l) = weak.upgrade() {
                        l.version.fetch_add(1, Ordering::AcqRel);
                    }
                }
            };
            let Some(l) = weak.upgrade() else { return };
            if outcome.is_err() || client.is_closed() {
                l.live.store(false, Ordering::Release);
                tracing::warn!("the commit listener lost its connection; the thread cache is off until it is back");
                break;
            }
        }
    }
}
