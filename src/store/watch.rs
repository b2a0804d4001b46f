//! How the thread cache learns of commits by any process on the database: the WAL-index
//! header in the `-shm` file, or `PRAGMA data_version` on a connection of its own.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

/// Bytes of the WAL-index header.
pub const HEADER: usize = 48;

/// How the cache learns of commits.
pub enum Watch {
    /// The `-shm` file: its first 48 bytes are the WAL-index header.
    Shm(File),
    /// A connection of the cache's own, asked for `PRAGMA data_version`.
    Pragma(Mutex<Connection>),
    /// PostgreSQL: the node's commit listener (see `pg/watch.rs`).
    Listen(std::sync::Arc<super::pg::watch::Listener>),
    /// Nothing could be opened: never cache.
    Blind,
}

impl Watch {
    /// What identifies the database's last commit by any process.
    pub fn version(&self) -> Option<[u8; HEADER]> {
        match self {
            Watch::Shm(f) => {
                let mut v = [0u8; HEADER];
                f.read_exact_at(&mut v, 0).ok()?;
                Some(v)
            }
            Watch::Pragma(conn) => {
                let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                let n: i64 = conn
                    .prepare_cached("PRAGMA data_version")
                    .and_then(|mut s| s.query_row([], |r| r.get(0)))
                    .ok()?;
                let mut v = [0u8; HEADER];
                v[..8].copy_from_slice(&n.to_le_bytes());
                Some(v)
            }
            Watch::Listen(l) => {
                let mut v = [0u8; HEADER];
                v[..8].copy_from_slice(&l.version()?.to_le_bytes());
                Some(v)
            }
            Watch::Blind => None,
        }
    }
}

impl Watch {
    /// A watch over the database at `path`: its `-shm` file when there is one, else a
    /// connection of its own; [`Watch::Blind`] when neither opens.
    pub fn open(path: &Path) -> Watch {
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        let mut header = [0u8; HEADER];
        match File::open(&shm) {
            Ok(f) if f.read_exact_at(&mut header, 0).is_ok() => Watch::Shm(f),
            _ => Self::pragma(path),
        }
    }

    fn pragma(path: &Path) -> Watch {
        // Read-write without create: it never writes, but a read-only connection to a WAL
        // database cannot always open the shared-memory index. No busy wait: it runs on an
        // async worker, and a busy database just means "don't trust the cache this time".
        Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|c| c.busy_timeout(std::time::Duration::ZERO).map(|()| c))
        .map(|c| Watch::Pragma(Mutex::new(c)))
        .unwrap_or(Watch::Blind)
    }
}
