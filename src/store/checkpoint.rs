//! Checkpoints that don't stall the writer.
//!
//! SQLite's own auto-checkpoint runs inside the commit that takes the WAL past 1,000 pages:
//! that commit copies every page in the WAL into the database and syncs it, and every write
//! queued behind it waits (10–25 ms on a busy blog). Here the writer's connection reports its
//! WAL size through the WAL hook instead, and past the same size a thread of its own, on its
//! own connection, copies the bulk while the writer goes on committing. Then the writer
//! copies the few pages committed meanwhile itself, so the WAL is wholly in the database and
//! its next transaction starts the WAL file over from the beginning: it stays ~4 MB. (A
//! checkpoint from another connection alone never catches up with a writer that doesn't
//! pause, and the WAL would grow without end.)
//!
//! At shutdown [`Checkpoints::stop`] ends the thread (closing its connection) and the writer
//! runs [`truncate`] on its own connection: the whole WAL goes into the database and the
//! `-wal` file is cut to zero bytes, so nothing stale is left beside the database file.

use std::cell::Cell;
use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use rusqlite::Connection;

/// WAL size, in pages, at which a checkpoint starts: SQLite's default.
pub const CHECKPOINT_PAGES: i32 = 1000;

thread_local! {
    /// Pages in the WAL after the last commit on this thread's connection.
    static WAL_PAGES: Cell<i32> = const { Cell::new(0) };
}

fn note_wal_pages(_: &rusqlite::hooks::Wal, pages: c_int) -> rusqlite::Result<()> {
    WAL_PAGES.set(pages);
    Ok(())
}

/// Runs one checkpoint that copies what it can without waiting for anyone.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

/// Copies the whole WAL into the database and truncates the `-wal` file to zero bytes,
/// waiting (the connection's busy timeout) for readers and writers of other connections.
/// `Ok(false)`: it could not complete (another connection kept the WAL busy).
pub fn truncate(conn: &Connection) -> rusqlite::Result<bool> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    Ok(busy == 0)
}

/// The writer's side of the checkpoints; lives on the writer's thread.
pub struct Checkpoints {
    /// The bulk copy was asked for and its tail is still to do.
    asked: bool,
    /// Set by the checkpoint thread when the bulk copy is done.
    bulk_done: Arc<AtomicBool>,
    bulk: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Checkpoints {
    /// Takes over the checkpoints of `writer`, copying the bulk on `other`, a second connection
    /// to the same database. `writer` must commit on one thread, the one that calls
    /// [`Checkpoints::after_commit`]: the WAL hook notes the WAL's size in that thread.
    pub fn start(writer: &Connection, other: Connection) -> std::io::Result<Checkpoints> {
        let bulk_done = Arc::new(AtomicBool::new(false));
        let (bulk, asks) = mpsc::channel::<()>();
        let done = bulk_done.clone();
        let thread = std::thread::Builder::new()
            .name("natter-checkpoint".into())
            .spawn(move || {
                while asks.recv().is_ok() {
                    if let Err(e) = checkpoint(&other) {
                        tracing::warn!(error = %e, "a checkpoint failed");
                    }
                    done.store(true, Ordering::Release);
                }
            })?;
        // Replaces SQLite's auto-checkpoint on this connection.
        writer.wal_hook(Some(note_wal_pages));
        Ok(Checkpoints {
            asked: false,
            bulk_done,
            bulk,
            thread,
        })
    }

    /// Ends the checkpoint thread once its current copy (if any) is done; its connection is
    /// closed when this returns.
    pub fn stop(self) {
        drop(self.bulk);
        let _ = self.thread.join();
    }

    /// Called after each commit of the writer's connection, on its thread.
    pub fn after_commit(&mut self, writer: &Connection) {
        if WAL_PAGES.get() < CHECKPOINT_PAGES {
            return;
        }
        let tail = if self.asked {
            self.bulk_done.swap(false, Ordering::Acquire)
        } else {
            self.asked = self.bulk.send(()).is_ok();
            // Without the thread, the writer does it all, as SQLite would.
            !self.asked
        };
        if tail {
            if let Err(e) = checkpoint(writer) {
                tracing::warn!(error = %e, "a checkpoint failed");
            }
            // If a reader kept the WAL from starting over, the next commit asks again.
            self.asked = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wal_starts_over_while_a_writer_never_pauses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let open = || crate::store::open(&path, crate::config::Durability::Normal).unwrap();
        let writer = open();
        writer
            .execute_batch("CREATE TABLE t (x INTEGER, pad BLOB)")
            .unwrap();
        let mut ckpt = Checkpoints::start(&writer, open()).unwrap();
        let mut insert = writer
            .prepare("INSERT INTO t VALUES (?1, zeroblob(3000))")
            .unwrap();
        let mut bulk_copies = 0;
        // ~6 WAL pages a commit, 9,000 in all: without checkpoints a 36 MB WAL. With them it
        // peaks at 1,000 pages plus what is committed while the bulk is copied (a pause between
        // commits, as between a blog's batches, keeps that small even on a slow disk).
        for i in 0..1500 {
            writer.execute_batch("BEGIN IMMEDIATE").unwrap();
            for j in 0..5 {
                insert.execute([i * 5 + j]).unwrap();
            }
            writer.execute_batch("COMMIT").unwrap();
            let asked = ckpt.asked;
            ckpt.after_commit(&writer);
            bulk_copies += usize::from(!asked && ckpt.asked);
            std::thread::sleep(std::time::Duration::from_micros(500));
        }
        drop(insert);
        let wal = std::fs::metadata(dir.path().join("c.db-wal"))
            .unwrap()
            .len();
        assert!(wal < 16 << 20, "the WAL grew to {wal} bytes");
        assert!(bulk_copies >= 3, "{bulk_copies} bulk copies");
        let n: i64 = open()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 7_500);
    }
}
