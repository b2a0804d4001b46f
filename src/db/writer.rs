//! The single writer: SQLite takes one writer at a time, so every write is handed to one
//! thread that owns the write connection. It takes all the writes waiting at that moment
//! into one transaction (one fsync), each inside its own savepoint so one failing request
//! doesn't roll back its neighbours, and answers each request only once its batch is durable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

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

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread on its own connection.
    pub fn start(conn: Connection) -> Writer {
        let (jobs, rx) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("natter-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .expect("spawning the writer thread");
        Writer { jobs }
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
            .send(Box::new(task))
            .map_err(|_| ApiError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| ApiError::Unavailable("the writer has stopped".into()))?
    }
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let msg = e.to_string();
            for job in batch {
                job.finish(Some(&msg));
            }
            continue;
        }
        for job in batch.iter_mut() {
            if let Err(e) = conn.execute_batch("SAVEPOINT w") {
                tracing::error!(error = %e, "savepoint failed");
                continue;
            }
            let keep = job.run(&conn);
            let end = if keep {
                "RELEASE w"
            } else {
                "ROLLBACK TO w; RELEASE w"
            };
            if let Err(e) = conn.execute_batch(end) {
                tracing::error!(error = %e, "ending a savepoint failed");
            }
        }
        match conn.execute_batch("COMMIT") {
            Ok(()) => batch.into_iter().for_each(|j| j.finish(None)),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                let msg = e.to_string();
                batch.into_iter().for_each(|j| j.finish(Some(&msg)));
            }
        }
    }
}
