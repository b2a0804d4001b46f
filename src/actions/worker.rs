//! A node's worker over a leased job queue of the database (the Webmention verifier's, the
//! Fediverse deliveries'): a thread with a runtime of its own that claims due jobs, with
//! a lease so that several processes never take one twice and a restart loses none, and
//! works on up to [`Worker::at_once`] of them at a time. It ends when the app is dropped.

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::Core;
use crate::domain::{now, Timestamp};
use crate::error::ApiResult;
use crate::store::Tx;

/// How often an idle worker looks for work.
const POLL: Duration = Duration::from_millis(300);

/// A queue and how to take from it.
pub struct Worker<J> {
    /// The thread's name.
    pub thread: &'static str,
    /// What the logs call it.
    pub what: &'static str,
    /// Jobs under way at once, per process.
    pub at_once: usize,
    /// Whether this node has anything to do at all (a site that uses the queue).
    pub enabled: fn(&Core) -> bool,
    /// Whether a job is due: a read, since most polls find none and a write would count
    /// as a commit (and empty the thread cache).
    pub due: fn(&dyn Tx, Timestamp) -> ApiResult<bool>,
    /// Claims one due job for `owner`.
    pub claim: fn(&dyn Tx, &str, Timestamp) -> ApiResult<Option<J>>,
}

impl<J: Send + 'static> Worker<J> {
    /// Starts the worker: `work` is run on each claimed job, with the claim's owner.
    pub fn spawn<W, F>(self, core: Weak<Core>, work: W)
    where
        W: Fn(Arc<Core>, Arc<str>, J) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let what = self.what;
        let started = std::thread::Builder::new()
            .name(self.thread.into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(rt) => rt.block_on(self.run(core, work)),
                    Err(e) => tracing::error!(error = %e, "the {what} cannot start"),
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "the {what} cannot start");
        }
    }

    async fn run<W, F>(self, core: Weak<Core>, work: W)
    where
        W: Fn(Arc<Core>, Arc<str>, J) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        // Who holds a claim: this process, unique even across restarts with a reused pid.
        let owner: Arc<str> =
            format!("{}-{:016x}", std::process::id(), rand::random::<u64>()).into();
        let mut running = tokio::task::JoinSet::new();
        loop {
            let Some(c) = core.upgrade() else { break };
            while running.try_join_next().is_some() {}
            let mut claimed = false;
            if running.len() < self.at_once && (self.enabled)(&c) {
                match self.claim(&c, &owner).await {
                    Ok(Some(job)) => {
                        running.spawn(work(c.clone(), owner.clone(), job));
                        claimed = true;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "the {} could not claim a job", self.what),
                }
            }
            drop(c);
            if !claimed {
                tokio::time::sleep(POLL).await;
            }
        }
        running.shutdown().await;
    }

    async fn claim(&self, core: &Arc<Core>, owner: &Arc<str>) -> ApiResult<Option<J>> {
        let (due, claim) = (self.due, self.claim);
        if !core.store.read(move |tx| due(tx, now())).await? {
            return Ok(None);
        }
        let owner = owner.clone();
        core.store.write(move |tx| claim(tx, &owner, now())).await
    }
}
