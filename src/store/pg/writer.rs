//! The node's writers on PostgreSQL: [`WRITERS`] threads, each with a connection of its
//! own; a free one takes every write waiting at that moment into one transaction (one
//! commit, one WAL flush on the server), each inside its own savepoint so one failing
//! request doesn't roll back its neighbours, and answers each request only once the
//! transaction has committed.
//!
//! When the connection is lost (PostgreSQL restarted, the network cut), the batch in hand
//! answers 503 and nothing of it is acknowledged; the next batch connects again. While
//! PostgreSQL stays out of reach, a connection is tried at most once per [`RETRY_EVERY`]
//! and the writes in between answer 503 at once, so requests never pile up behind it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
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
    /// Writer threads started.
    threads: usize,
}

/// Writer threads of a node, each with a connection of its own: while one waits for its
/// statements' round trips, another's batch runs (bench/: one writer left PostgreSQL and
/// Natter mostly idle, waiting on each other). Each takes the writes waiting when it is
/// free, as one batch.
pub const WRITERS: usize = 4;

/// The queue of writes, shared by the writer threads.
type Queue = Arc<Mutex<mpsc::Receiver<Msg>>>;

impl Writer {
    /// Starts the writer thread on `client` (reconnecting with `config` when it is lost).
    /// `commits` counts the commits; it is bumped before anyone is answered.
    pub fn start(
        client: Client,
        config: Database,
        commits: Arc<AtomicU64>,
    ) -> std::io::Result<Writer> {
        let (jobs, rx) = mpsc::channel::<Msg>();
        let queue: Queue = Arc::new(Mutex::new(rx));
        // The first thread has the connection made at start; the others connect at their
        // first batch.
        let mut first = Some(client);
        for n in 0..WRITERS {
            let (queue, config, commits, client) =
                (queue.clone(), config.clone(), commits.clone(), first.take());
            std::thread::Builder::new()
                .name(format!("natter-pg-writer-{n}"))
                .spawn(move || writer_loop(client, &config, &queue, &commits))?;
        }
        Ok(Writer {
            jobs,
            threads: WRITERS,
        })
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
        // One close for each thread: each takes one and then no more.
        let mut answers = Vec::new();
        for _ in 0..self.threads {
            let (reply, done) = mpsc::sync_channel(1);
            if self.jobs.send(Msg::Close(reply)).is_err() {
                return Ok(());
            }
            answers.push(done);
        }
        answers.into_iter().try_for_each(|done| {
            done.recv()
                .unwrap_or_else(|_| Err("a writer thread ended without closing".into()))
        })
    }
}

/// The writes waiting now, up to [`MAX_BATCH`] (waiting for the first), and a close
/// request if one came; `None` when every handle is gone.
fn take_batch(queue: &Queue) -> Option<(Batch, Option<Closing>)> {
    let rx = queue.lock().unwrap_or_else(|p| p.into_inner());
    let mut batch = Vec::new();
    match rx.recv().ok()? {
        Msg::Job(job) => batch.push(job),
        Msg::Close(reply) => return Some((batch, Some(reply))),
    }
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(Msg::Job(job)) => batch.push(job),
            Ok(Msg::Close(reply)) => return Some((batch, Some(reply))),
            Err(_) => break,
        }
    }
    Some((batch, None))
}

/// The writes of one transaction.
type Batch = Vec<Box<dyn Job>>;

/// Where a writer thread answers that it has closed.
type Closing = mpsc::SyncSender<Result<(), String>>;

fn writer_loop(mut client: Option<Client>, config: &Database, queue: &Queue, commits: &AtomicU64) {
    let mut closing = None;
    let mut last_try: Option<Instant> = None;
    while let Some((mut batch, close)) = take_batch(queue) {
        closing = close;
        if batch.is_empty() {
            break;
        }
        if client.as_ref().is_none_or(Client::is_closed) {
            client = None;
            if last_try.is_none_or(|t| t.elapsed() >= RETRY_EVERY) {
                last_try = Some(Instant::now());
                match config.connect() {
                    Ok(c) => {
                        tracing::info!("a database writer connected");
                        client = Some(c);
                    }
                    Err(e) => tracing::warn!(
                        error = %crate::error::pg_detail(&e),
                        "a database writer cannot connect"
                    ),
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
                    let msg = crate::error::pg_detail(&e);
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
