//! `natter backup FILE`: a consistent copy of the live database through SQLite's online
//! backup API, safe while the server runs and writes.
//!
//! The copy is made in one step from one read transaction: in WAL mode a reader never
//! blocks the server's writer, and one step means the backup never restarts because of
//! a write from another process. It goes to a temporary file next to `FILE`, is checked
//! with `PRAGMA integrity_check`, and only then renamed over `FILE`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::config::Settings;

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    /// Where.
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: u64,
    /// Comments in the copy.
    pub comments: i64,
}

/// Copies the configured database to `dest`.
pub fn backup(settings: &Settings, dest: &Path) -> anyhow::Result<BackupSummary> {
    let src_path = &settings.database;
    if !src_path.is_file() {
        bail!("there is no database at {} to back up", src_path.display());
    }
    if same_file(src_path, dest) {
        bail!("the backup must not overwrite the database itself");
    }
    // Read-write flags even though it only reads: a read-only connection can't open a WAL
    // database whose shared-memory file is missing (the server is not running).
    let src = Connection::open_with_flags(
        src_path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open the database {}", src_path.display()))?;
    src.busy_timeout(Duration::from_secs(10))?;
    let file_name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "natter-backup.db".into());
    let tmp = dest.with_file_name(format!(".{file_name}.partial"));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| -> anyhow::Result<i64> {
        let mut dst =
            Connection::open(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        {
            let backup = Backup::new(&src, &mut dst)?;
            let mut tries = 0;
            loop {
                // -1: every page in one step, from one snapshot.
                match backup.step(-1).context("the backup failed")? {
                    StepResult::Done => break,
                    _ if tries < 200 => {
                        tries += 1;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    _ => bail!("the database stayed locked; the backup gave up after 10 s"),
                }
            }
        }
        // A single file, no -wal beside it: the copy is complete on its own.
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        let check: String = dst.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            bail!("the copy failed its integrity check: {check}");
        }
        let comments = dst.query_row("SELECT count(*) FROM comments", [], |r| r.get(0))?;
        dst.close().map_err(|(_, e)| e)?;
        Ok(comments)
    })();
    let comments = match result {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, dest).with_context(|| format!("cannot write {}", dest.display()))?;
    let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    Ok(BackupSummary {
        path: dest.to_path_buf(),
        bytes,
        comments,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
