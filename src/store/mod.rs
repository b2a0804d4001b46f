//! Every SQL statement of the program, on two engines. SQLite's machinery is here (the
//! pool with its per-connection PRAGMAs, migrations, the single writer, checkpoints,
//! backups); PostgreSQL's is in `pg/` (migrations under an advisory lock, the writers,
//! the commit listener, the cluster's rate limits, TLS). The use cases reach either only
//! through [`Store`] and the trait [`Tx`] (see `tx.rs`; answered by [`SqliteTx`] and
//! [`PgTx`]); importers and exports through `imports::ImportTarget` and
//! `exports::ExportSource`; the outbox workers through a [`session::Session`].

pub mod admin_tokens;
pub mod backup;
pub mod check;
pub mod checkpoint;
pub mod comments;
pub mod copy;
pub mod desk;
pub mod digests;
pub mod exports;
pub mod fedi_queue;
pub mod fedi_tx;
pub mod fediverse;
pub mod imports;
pub mod isso_source;
pub mod lock;
pub mod migrate;
pub mod moderation;
pub mod outbox;
pub mod pages;
pub mod pg;
pub mod pg_tx;
pub mod restore;
mod roots;
pub mod session;
pub mod signin;
pub mod signin_tx;
pub mod sqlite_tx;
pub mod stats;
pub mod subscriptions;
pub mod threads;
pub mod tx;
pub mod votes;
pub mod watch;
pub mod webmentions;
pub mod writer;

use std::path::Path;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::config::Durability;
use crate::error::{ApiError, ApiResult};

pub use fedi_tx::FediTx;
pub use pg_tx::PgTx;
pub use signin_tx::SignInTx;
pub use sqlite_tx::SqliteTx;
pub use tx::Tx;
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

/// Why the database could not be opened for use.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A zero-byte file, which SQLite would silently take as a new, empty database.
    #[error(
        "the database file {} is empty (0 bytes); natter starts a new database only where \
         no file exists: remove the empty file to start afresh, or put a backup in its place",
        .0.display()
    )]
    Empty(std::path::PathBuf),
    /// SQLite refused to open or migrate it.
    #[error("cannot open the database {}: {}", .0.display(), .1)]
    Sql(std::path::PathBuf, rusqlite::Error),
    /// Its schema is newer than this binary's.
    #[error("cannot use the database {}: {}", .0.display(), .1)]
    Newer(std::path::PathBuf, migrate::MigrateError),
}

/// Opens the database for use, creating it where no file exists, and applies the pending
/// migrations: `(connection, migrations applied)`. Refuses a zero-byte file and a schema
/// newer than this binary.
pub fn open_migrated(
    path: &Path,
    durability: Durability,
) -> Result<(Connection, usize), OpenError> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0) {
        return Err(OpenError::Empty(path.to_path_buf()));
    }
    let sql = |e| OpenError::Sql(path.to_path_buf(), e);
    let mut conn = open(path, durability).map_err(sql)?;
    match migrate::run(&mut conn) {
        Ok(applied) => Ok((conn, applied)),
        Err(migrate::MigrateError::Sql(e)) => Err(sql(e)),
        Err(newer) => Err(OpenError::Newer(path.to_path_buf(), newer)),
    }
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

/// The database as the use cases see it: reads on a pool, writes through the node's single
/// writer, each over a [`Tx`], on either engine.
pub enum Store {
    /// One SQLite file.
    Sqlite {
        /// Readers.
        pool: Pool,
        /// The single writer.
        writer: Writer,
    },
    /// A PostgreSQL database, possibly shared by several nodes.
    Postgres(pg::PgStore),
}

impl Store {
    /// A store over a SQLite read pool and the writer of the same file.
    pub fn new(pool: Pool, writer: Writer) -> Store {
        Store::Sqlite { pool, writer }
    }

    /// A store over a PostgreSQL read pool and this node's writer.
    pub fn postgres(pool: pg::Pool, writer: pg::writer::Writer) -> Store {
        Store::Postgres(pg::PgStore::new(pool, writer))
    }

    /// Runs `f` in the writer: one savepoint of a group commit, acknowledged after the
    /// group's commit (and, on SQLite with `durability = "full"`, its fsync).
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&dyn Tx) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match self {
            Store::Sqlite { writer, .. } => {
                writer.write(move |conn| f(&SqliteTx::over(conn))).await
            }
            Store::Postgres(pg) => pg.writer.write(move |t| f(&PgTx::over(t))).await,
        }
    }

    /// Runs `f` on a pooled reader, off the async workers; each statement sees the latest
    /// commit.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&dyn Tx) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match self {
            Store::Sqlite { pool, .. } => read(pool, move |conn| f(&SqliteTx::over(conn))).await,
            Store::Postgres(pg) => pg.read(false, move |t| f(&PgTx::over(t))).await,
        }
    }

    /// Like [`Store::read`], with every statement of `f` in one snapshot.
    pub async fn snapshot<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&dyn Tx) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match self {
            Store::Sqlite { pool, .. } => {
                read(pool, move |conn| {
                    let tx = conn.unchecked_transaction()?;
                    f(&SqliteTx::over(&tx))
                })
                .await
            }
            Store::Postgres(pg) => pg.read(true, move |t| f(&PgTx::over(t))).await,
        }
    }

    /// Spends one hit of a cluster-wide rate limit (`class` per client `key`, `limit` per
    /// minute): `None` when allowed, else the seconds to wait. Only PostgreSQL keeps such
    /// limits (a SQLite database has one server, whose own limiter is exact): `None` there.
    pub async fn cluster_hit(
        &self,
        class: &'static str,
        key: String,
        limit: u32,
    ) -> ApiResult<Option<u64>> {
        match self {
            Store::Sqlite { .. } => Ok(None),
            Store::Postgres(pg) => {
                let now_ms = chrono::Utc::now().timestamp_millis();
                pg.read(false, move |t| {
                    pg::limits::hit(t, class, &key, limit, now_ms)
                })
                .await
            }
        }
    }

    /// Whether several processes may serve this database at once (PostgreSQL).
    pub fn shared(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }

    /// Stops the writer after its last batch (see [`Writer::close`]).
    pub fn close(&self) -> Result<(), String> {
        match self {
            Store::Sqlite { writer, .. } => writer.close(),
            Store::Postgres(pg) => pg.writer.close(),
        }
    }
}

/// Runs a read off the async workers: `pool.get()` can block too, so it happens in here.
async fn read<T, F>(pool: &Pool, f: F) -> ApiResult<T>
where
    F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let conn = pool.get()?;
        f(&conn)
    })
    .await
    .map_err(ApiError::from)?
}
