//! The single writer: SQLite takes one writer at a time, so every write is handed to one
//! thread that owns the write connection. It takes all the writes waiting at that moment
//! into one transaction (one fsync), each inside its own savepoint so one failing request
//! doesn't roll back its neighbours, and answers each request only once its batch is durable.
//!
//! With `durability = "full"` the fsync is pipelined: the writer commits without syncing
//! (`synchronous = NORMAL` on its connection) and hands the committed batch to a syncer
//! thread, which fsyncs the WAL file (covering every batch committed so far) and only then
//! answers. Meanwhile the writer already runs the next batch, so the disk's flush and the
//! next transaction's work overlap instead of taking turns. A crash before the fsync loses
//! only unanswered writes: WAL recovery keeps a consistent prefix of the commits, and every
//! answered one is in it. (SQLite still syncs the WAL itself before each checkpoint.)
//!
//! [`Writer::close`] (at shutdown) lets the writes already queued commit and be answered,
//! stops the syncer and checkpoint threads, folds the whole WAL into the database
//! (`wal_checkpoint(TRUNCATE)`) and closes the writer's connection. The same happens when
//! every handle is dropped.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::checkpoint::Checkpoints;
use crate::error::{ApiError, ApiResult};

/// Largest number of writes sharing one commit.
const MAX_BATCH: usize = 256;

trait Job: Send {
    /// Runs the write; `true` if it succeeded and its savepoint should be kept.
    fn run(&mut self, conn: &Connection) -> bool;
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
    F: FnOnce(&Connection) -> ApiResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // A bug in one request must not take the writer (and every later write) down.
        let result = catch_unwind(AssertUnwindSafe(|| work(conn)))
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

/// What the writer thread is sent.
enum Msg {
    /// A write.
    Job(Box<dyn Job>),
    /// Finish what is queued before this, then close; answered with the outcome.
    Close(mpsc::SyncSender<Result<(), String>>),
}

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Msg>,
}

impl Writer {
    /// Starts the writer thread on its own connection. With `sync_wal` (the database's
    /// `-wal` file, for `durability = "full"`), commits are made durable by the syncer thread
    /// (see the module documentation); without it, answers follow the commit. With
    /// `checkpointer`, a second connection to the database, checkpoints mostly run on a thread
    /// of their own (see [`Checkpoints`]); without it, SQLite runs them inside commits.
    /// `commits` counts the commits; it is bumped before anyone is answered.
    pub fn start(
        conn: Connection,
        sync_wal: Option<PathBuf>,
        checkpointer: Option<Connection>,
        commits: Arc<AtomicU64>,
    ) -> std::io::Result<Writer> {
        let (jobs, rx) = mpsc::channel::<Msg>();
        let checkpoints = match checkpointer {
            Some(other) => Some(Checkpoints::start(&conn, other)?),
            None => None,
        };
        let syncer = match sync_wal {
            Some(wal) => {
                conn.pragma_update(None, "synchronous", "NORMAL")
                    .map_err(std::io::Error::other)?;
                let (tx, batches) = mpsc::channel::<Vec<Box<dyn Job>>>();
                let thread = std::thread::Builder::new()
                    .name("natter-sync".into())
                    .spawn(move || sync_loop(&wal, batches))?;
                Some((tx, thread))
            }
            None => None,
        };
        std::thread::Builder::new()
            .name("natter-writer".into())
            .spawn(move || writer_loop(conn, rx, syncer, checkpoints, &commits))?;
        Ok(Writer { jobs })
    }

    /// Runs `work` in the writer's transaction and waits until it is committed.
    pub async fn write<T, F>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let task = Task {
            work: Some(work),
            result: None,
            reply,
        };
        self.jobs
            .send(Msg::Job(Box::new(task)))
            .map_err(|_| ApiError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| ApiError::Unavailable("the writer has stopped".into()))?
    }

    /// Lets the writes sent before this call commit and be answered (durably), then stops
    /// the syncer and checkpoint threads, checkpoints the whole WAL into the database
    /// (`TRUNCATE`: the `-wal` file is left empty) and closes the connection. Writes sent
    /// afterwards answer 503. Blocks until done; `Err` says what did not complete.
    pub fn close(&self) -> Result<(), String> {
        let (reply, done) = mpsc::sync_channel(1);
        if self.jobs.send(Msg::Close(reply)).is_err() {
            return Ok(()); // closed already
        }
        done.recv()
            .unwrap_or_else(|_| Err("the writer thread ended without closing".into()))
    }
}

/// The syncer thread and the way to hand it batches.
type Syncer = (mpsc::Sender<Vec<Box<dyn Job>>>, JoinHandle<()>);

fn writer_loop(
    conn: Connection,
    rx: mpsc::Receiver<Msg>,
    syncer: Option<Syncer>,
    mut checkpoints: Option<Checkpoints>,
    commits: &AtomicU64,
) {
    let mut closing = None;
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
        if let Err(e) = run_cached(&conn, "BEGIN IMMEDIATE") {
            let msg = e.to_string();
            for job in batch {
                job.finish(Some(&msg));
            }
            continue;
        }
        for job in batch.iter_mut() {
            if let Err(e) = run_in_savepoint(&conn, job.as_mut()) {
                tracing::error!(error = %e, "a savepoint failed");
            }
        }
        let committed = run_cached(&conn, "COMMIT");
        let ok = committed.is_ok();
        if ok {
            commits.fetch_add(1, Ordering::Release);
        }
        match committed {
            Ok(()) => match &syncer {
                Some((s, _)) => {
                    if let Err(mpsc::SendError(batch)) = s.send(batch) {
                        batch
                            .into_iter()
                            .for_each(|j| j.finish(Some("the syncer has stopped")));
                    }
                }
                None => batch.into_iter().for_each(|j| j.finish(None)),
            },
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                let msg = e.to_string();
                batch.into_iter().for_each(|j| j.finish(Some(&msg)));
            }
        }
        // After the batch is on its way to its answers: the tail of a checkpoint syncs files.
        if let (true, Some(c)) = (ok, &mut checkpoints) {
            c.after_commit(&conn);
        }
        if closing.is_some() {
            break;
        }
    }
    // Asked to close, or every handle is gone. Writes sent after the close are dropped with
    // `rx`: their callers hear that the writer has stopped.
    drop(rx);
    let closed = close(conn, syncer, checkpoints);
    if let Err(e) = &closed {
        tracing::warn!(error = %e, "the database writer did not close cleanly");
    }
    if let Some(reply) = closing {
        let _ = reply.send(closed);
    }
}

/// The end of the writer: every committed batch synced and answered, the checkpoint thread
/// and its connection gone, the WAL folded into the database and emptied, the connection
/// closed.
fn close(
    conn: Connection,
    syncer: Option<Syncer>,
    checkpoints: Option<Checkpoints>,
) -> Result<(), String> {
    if let Some((batches, thread)) = syncer {
        drop(batches);
        let _ = thread.join();
    }
    if let Some(c) = checkpoints {
        c.stop();
    }
    let truncated = super::checkpoint::truncate(&conn);
    conn.close()
        .map_err(|(_, e)| format!("closing the connection: {e}"))?;
    match truncated {
        Ok(true) => Ok(()),
        Ok(false) => Err("the final checkpoint could not complete (a reader was busy)".into()),
        Err(e) => Err(format!("the final checkpoint failed: {e}")),
    }
}

/// Runs a statement without parameters, prepared once: these run for every batch or write.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Runs one job inside its own savepoint.
fn run_in_savepoint(conn: &Connection, job: &mut dyn Job) -> rusqlite::Result<()> {
    run_cached(conn, "SAVEPOINT w")?;
    if job.run(conn) {
        run_cached(conn, "RELEASE w")
    } else {
        run_cached(conn, "ROLLBACK TO w")?;
        run_cached(conn, "RELEASE w")
    }
}

/// Makes committed batches durable: one fsync of the WAL file for every batch committed by
/// the time it starts, then their answers.
fn sync_loop(wal: &std::path::Path, batches: mpsc::Receiver<Vec<Box<dyn Job>>>) {
    while let Ok(first) = batches.recv() {
        let mut done = first;
        while let Ok(more) = batches.try_recv() {
            done.extend(more);
        }
        // Opened each time: fsync flushes the file whatever descriptor asks, and a fresh
        // open never holds on to a WAL file that SQLite has replaced.
        let synced = std::fs::OpenOptions::new()
            .write(true)
            .open(wal)
            .and_then(|f| f.sync_data());
        let error = synced
            .err()
            .map(|e| format!("fsync of the WAL failed: {e}"));
        if let Some(e) = &error {
            tracing::error!(error = %e, "the commit is not durable");
        }
        done.into_iter().for_each(|j| j.finish(error.as_deref()));
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
