//! Is the database file sound? `PRAGMA quick_check` reads every page and checks each
//! b-tree (not that indexes match their tables, which `integrity_check` adds at twice the
//! cost). It takes ~1.7 s on the 1,000,000-comment archive (930 MB), so a file up to
//! [`BEFORE_START`] is checked before the server starts, and a larger one right after, on
//! a thread of its own, with `/healthz` answering 503 from the moment damage is found.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rusqlite::{Connection, ErrorCode, OpenFlags};

/// Files (database plus WAL) up to this size are checked before start-up: ~0.5 s here.
pub const BEFORE_START: u64 = 256 << 20;

/// What `quick_check` says is wrong, or `None` for a sound file.
pub fn quick_check(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let rows: rusqlite::Result<Vec<String>> = conn
        .prepare("PRAGMA quick_check(5)")
        .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect());
    match rows {
        Ok(rows) if rows == ["ok"] => Ok(None),
        Ok(rows) => Ok(Some(rows.join("; "))),
        // Damage bad enough that the check itself cannot walk the file.
        Err(rusqlite::Error::SqliteFailure(e, msg))
            if matches!(e.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) =>
        {
            Ok(Some(msg.unwrap_or_else(|| e.to_string())))
        }
        Err(e) => Err(e),
    }
}

/// The bytes of the database file and its WAL.
pub fn size(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    [path, Path::new(&wal)]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Damage found after start-up, reported by `/healthz` (set once, never cleared: the file
/// needs a restore, not a retry).
#[derive(Debug, Default)]
pub struct Health(OnceLock<String>);

impl Health {
    /// What was found wrong, if anything.
    pub fn damaged(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }

    /// Records damage (the first report stays).
    pub fn mark(&self, problem: String) {
        let _ = self.0.set(problem);
    }
}

/// Checks the database on a thread of its own and a read-only connection of its own;
/// marks `health` and logs an error when the file is damaged.
pub fn spawn_background(path: PathBuf, health: Arc<Health>) {
    let _ = std::thread::Builder::new()
        .name("natter-check".into())
        .spawn(move || {
            let found = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .and_then(|c| quick_check(&c));
            match found {
                Ok(None) => tracing::info!("database check: ok"),
                Ok(Some(problem)) => {
                    tracing::error!(database = %path.display(), %problem, "the database is damaged: restore a backup");
                    health.mark(problem);
                }
                Err(e) => tracing::warn!(error = %e, "the database check could not run"),
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with one table of `rows` rows whose root page is then overwritten.
    fn damaged(dir: &Path, rows: usize) -> PathBuf {
        let path = dir.join("d.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)")
            .unwrap();
        for i in 0..rows {
            conn.execute("INSERT INTO t VALUES (?1)", [format!("row {i}")])
                .unwrap();
        }
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let (root, page_size): (i64, i64) = conn
            .query_row(
                "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_schema WHERE name = 't'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        drop(conn);
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(((root - 1) * page_size + 8) as u64))
            .unwrap();
        f.write_all(&[0xA5; 64]).unwrap();
        path
    }

    #[test]
    fn a_sound_file_is_ok_and_a_damaged_page_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let sound = dir.path().join("s.db");
        let conn = Connection::open(&sound).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
            .unwrap();
        assert_eq!(quick_check(&conn).unwrap(), None);
        let bad = Connection::open(damaged(dir.path(), 20)).unwrap();
        let found = quick_check(&bad).unwrap();
        assert!(found.is_some(), "{found:?}");
    }

    #[test]
    fn the_background_check_marks_a_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
        let health = Arc::new(Health::default());
        spawn_background(damaged(dir.path(), 20), health.clone());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while health.damaged().is_none() {
            assert!(std::time::Instant::now() < deadline, "no damage reported");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
