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
    remove_with_sidecars(&tmp);
    // Everything that writes runs in here; on any failure the temporary file (and SQLite's
    // journal beside it) is removed, so a failed backup leaves nothing behind.
    let result = (|| -> anyhow::Result<i64> {
        // Created here first, so a missing directory or a read-only disk is reported with the
        // OS's own words (SQLite would only say "unable to open database file").
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut dst =
            Connection::open(&tmp).with_context(|| format!("cannot open {}", tmp.display()))?;
        let stepped = {
            let backup = Backup::new(&src, &mut dst)?;
            let mut tries = 0;
            loop {
                // -1: every page in one step, from one snapshot.
                match backup.step(-1) {
                    Ok(StepResult::Done) => break Ok(true),
                    Ok(_) if tries < 200 => {
                        tries += 1;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Ok(_) => break Ok(false),
                    Err(e) => break Err(e),
                }
            }
        };
        match stepped {
            Ok(true) => {}
            Ok(false) => bail!("the database stayed locked; the backup gave up after 10 s"),
            Err(e) => {
                return Err(sqlite_error(errno(&dst), e))
                    .with_context(|| format!("cannot write the copy {}", tmp.display()))
            }
        }
        // A single file, no -wal beside it: the copy is complete on its own.
        dst.pragma_update(None, "journal_mode", "DELETE")
            .map_err(|e| sqlite_error(errno(&dst), e))
            .with_context(|| format!("cannot write the copy {}", tmp.display()))?;
        // Rebuilt from its live rows: the page copy also carried the database's free pages,
        // where an erased person's name, address and text may still lie.
        dst.execute_batch("VACUUM")
            .map_err(|e| sqlite_error(errno(&dst), e))
            .with_context(|| format!("cannot compact the copy {}", tmp.display()))?;
        let check: String = dst.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            bail!("the copy failed its integrity check: {check}");
        }
        let comments = dst.query_row("SELECT count(*) FROM comments", [], |r| r.get(0))?;
        dst.close()
            .map_err(|(c, e)| sqlite_error(errno(&c), e))
            .with_context(|| format!("cannot finish the copy {}", tmp.display()))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot sync {}", tmp.display()))?;
        std::fs::rename(&tmp, dest)
            .with_context(|| format!("cannot move {} to {}", tmp.display(), dest.display()))?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .with_context(|| format!("cannot sync the directory {}", dir.display()))?;
        }
        Ok(comments)
    })();
    let comments = match result {
        Ok(n) => n,
        Err(e) => {
            remove_with_sidecars(&tmp);
            return Err(e.context(format!("the backup to {} failed", dest.display())));
        }
    };
    let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    Ok(BackupSummary {
        path: dest.to_path_buf(),
        bytes,
        comments,
    })
}

/// Removes a database file and the journal files SQLite may have left beside it.
fn remove_with_sidecars(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// The OS error behind the last failure on a connection, if SQLite kept one
/// (`sqlite3_system_errno`): "disk I/O error" alone doesn't say the disk is full.
fn errno(conn: &Connection) -> Option<std::io::Error> {
    // SAFETY: the handle is valid while `conn` is borrowed, and this call only reads it.
    let n = unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) };
    (n != 0).then(|| std::io::Error::from_raw_os_error(n))
}

/// A SQLite error followed by its OS error, when there is one.
fn sqlite_error(os: Option<std::io::Error>, e: rusqlite::Error) -> anyhow::Error {
    match os {
        Some(os) => anyhow::Error::new(os).context(e.to_string()),
        None => anyhow::Error::new(e),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
