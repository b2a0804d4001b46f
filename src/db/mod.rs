//! SQLite access: the pool with per-connection PRAGMAs, migrations, the single writer,
//! and the query functions of each use case.

pub mod checkpoint;
pub mod comments;
pub mod migrate;
pub mod moderation;
pub mod writer;

use std::path::Path;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::config::Durability;
use crate::error::{ApiError, ApiResult};

pub use writer::Writer;

/// The read pool.
pub type Pool = r2d2::Pool<SqliteConnectionManager>;

/// PRAGMAs every connection needs, reader or writer.
pub fn configure(conn: &Connection, durability: Durability) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Opens one configured connection (the writer's, the CLI's).
pub fn open(path: &Path, durability: Durability) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn, durability)?;
    Ok(conn)
}

/// Builds the read pool; a short checkout timeout so an exhausted pool answers 503, not a hang.
pub fn pool(path: &Path, durability: Durability, size: u32) -> Result<Pool, r2d2::Error> {
    let manager = SqliteConnectionManager::file(path)
        .with_flags(
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
                | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .with_init(move |c| configure(c, durability));
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(3))
        .build(manager)
}

/// Runs a read off the async workers: `pool.get()` can block too, so it happens in here.
pub async fn read<T, F>(pool: &Pool, f: F) -> ApiResult<T>
where
    F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let conn = pool.get()?;
        f(&conn)
    })
    .await
    .map_err(ApiError::from)?
}
