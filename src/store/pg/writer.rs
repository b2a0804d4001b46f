//! The node's writer on PostgreSQL: one thread with one connection takes every write
//! waiting at that moment into one transaction (one commit, one WAL flush on the server),
//! each inside its own savepoint so one failing request doesn't roll back its neighbours,
//! and answers each request only once the transaction has committed.
//!
//! When the connection is lost (PostgreSQL restarted, the network cut), the batch in hand
//! answers 503 and nothing of it is acknowledged; the next batch connects again. While
//! PostgreSQL stays out of reach, a connection is tried at most once per [`RETRY_EVERY`]
//! and the writes in between answer 503 at once, so requests never pile up behind it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use postgres::{Client, Transaction};

use super::Database;
use tokio::sync::oneshot;

use crate::error::{ApiError, ApiResult};

/// Largest number of writes sharing one commit.
const MAX_BATCH: usize = 256;

/// How often a writer without a connection tries to connect again.
const RETRY_EVERY: Duration = Duration::from_millis(500);

trait Job: Send {
    /// Runs the write; `true` if it succeeded and its savepoint should be kept.
    fn run(&mut self, t: &mut Transaction<'_>) -> bool;
    /// Answers the request: with its own result, or with the commit's failure.
    fn finish(self: Box<Self>, commit_error: Option<&str>);
}

struct Task<T, F> {
    work: Option<F>,
    result: Option<ApiResult<T>>,
    reply: oneshot::Sender<ApiResult<T>>,
}

impl<T, F> Job for Task<T, F>
where
    T: Send,
    F: FnOnce(&mut Transaction<'_>) -> ApiResult<T> + Send,
{
    fn run(&mut self, t: &mut Transaction<'_>) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = catch_unwind(AssertUnwindSafe(|| work(t)))
            .unwrap_or_else(|_| Err(ApiError::Internal("a write panicked".into())));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit_error: Option<&str>) {
        let answer = match (self.result, commit_error) {
            (Some(Err(e)), _) => Err(e),
            (_, Some(e)) => Err(ApiError::Unavailable(format!("commit failed: {e}"))),
            (Some(ok), None) => ok,
            (None, None) => Err(ApiError::Internal("write was not run".into())),
        };
        let _ = self.reply.send(answer);
    }
}

enum Msg {
    Job(Box<dyn Job>),
    Close(mpsc::SyncSender<Result<(), String>>),
}

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Msg>,
}

impl Writer {
    /// Starts the writer thread on `client` (reconnecting with `config` when it is lost).
    /// `commits` counts the commits; it is bumped before anyone is answered.
    pub fn start(
        client: Client,
        config: Database,
        commits: Arc<AtomicU64>,
    ) -> std::io::Result<Writer> {
        let (jobs, rx) = mpsc::channel::<Msg>();
        std::thread::Builder::new()
            .name("natter-pg-writer".into())
            .spawn(move || writer_loop(Some(client), &config, rx, &commits))?;
        Ok(Writer { jobs })
    }

    /// Runs `work` in the writer's transaction and waits until it is committed.
    pub async fn write<T, F>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce(&mut Transaction<'_>) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let task = Task {
            work: Some(work),
            result: None,
            reply,
        };
        let stopped = || ApiError::Unavailable("the writer has stopped".into());
        self.jobs
            .send(Msg::Job(Box::new(task)))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Lets the writes sent before this call commit and be answered, then closes the
    /// connection. Writes sent afterwards answer 503.
    pub fn close(&self) -> Result<(), String> {
        let (reply, done) = mpsc::sync_channel(1);
        if self.jobs.send(Msg::Close(reply)).is_err() {
            return Ok(());
        }
        done.recv()
            .unwrap_or_else(|_| Err("the writer thread ended without closing".into()))
    }
}

fn writer_loop(
    mut client: Option<Client>,
    config: &Database,
    rx: mpsc::Receiver<Msg>,
    commits: &AtomicU64,
) {
    let mut closing = None;
    let mut last_try: Option<Instant> = None;
    while let Ok(msg) = rx.recv() {
        let first = match msg {
            Msg::Job(job) => job,
            Msg::Close(reply) => {
                closing = Some(reply);
                break;
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(job)) => batch.push(job),
                Ok(Msg::Close(reply)) => {
                    closing = Some(reply);
                    break;
                }
                Err(_) => break,
            }
        }
        if client.as_ref().is_none_or(Client::is_closed) {
            client = None;
            if last_try.is_none_or(|t| t.elapsed() >= RETRY_EVERY) {
                last_try = Some(Instant::now());
                match config.connect() {
                    Ok(c) => {
                        tracing::info!("the database writer is connected again");
                        client = Some(c);
                    }
                    Err(e) => tracing::warn!(error = %e, "the database writer cannot connect"),
                }
            }
        }
        match client.as_mut() {
            Some(c) => match run_batch(c, &mut batch) {
                Ok(()) => {
                    commits.fetch_add(1, Ordering::Release);
                    batch.into_iter().for_each(|j| j.finish(None));
                }
                Err(e) => {
                    let msg = e.to_string();
                    tracing::warn!(error = %msg, "a write batch did not commit");
                    batch.into_iter().for_each(|j| j.finish(Some(&msg)));
                }
            },
            None => batch
                .into_iter()
                .for_each(|j| j.finish(Some("PostgreSQL is out of reach"))),
        }
        if closing.is_some() {
            break;
        }
    }
    drop(rx);
    let closed = match client {
        Some(c) => c
            .close()
            .map_err(|e| format!("closing the connection: {e}")),
        None => Ok(()),
    };
    if let Some(reply) = closing {
        let _ = reply.send(closed);
    }
}

/// One transaction: each job in its own savepoint, then the commit.
fn run_batch(client: &mut Client, batch: &mut [Box<dyn Job>]) -> Result<(), postgres::Error> {
    let mut t = client.transaction()?;
    for job in batch.iter_mut() {
        let mut sp = t.savepoint("w")?;
        if job.run(&mut sp) {
            sp.commit()?;
        } else {
            sp.rollback()?;
        }
    }
    t.commit()
}
