//! PostgreSQL, the engine for several nodes: its connections, migrations, the group-commit
//! writer, the commit listener for the thread cache, and the statements of every
//! operation of [`Tx`](super::Tx) (one file per table, as for SQLite).
//!
//! Each node keeps a read pool and one writer connection. The writer gathers the writes
//! waiting at that moment into one transaction, each inside its own savepoint, as the
//! SQLite writer does; several nodes' writers commit side by side (PostgreSQL locks rows,
//! not the database).

pub mod admin_tokens;
pub mod command;
pub mod comments;
pub mod copy;
pub mod desk;
pub mod digests;
pub mod exports;
pub mod fedi_queue;
pub mod fediverse;
pub mod imports;
pub mod limits;
pub mod migrate;
pub mod moderation;
pub mod outbox;
pub mod pages;
mod rows;
pub mod signin;
pub mod startup;
pub mod stats;
pub mod subscriptions;
pub mod threads;
pub mod tls;
pub mod votes;
pub mod watch;
pub mod webmentions;
pub mod writer;

#[cfg(test)]
mod tests;

use std::str::FromStr;
use std::time::{Duration, Instant};

use postgres::{Client, Config};
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{ApiError, ApiResult};

/// The read pool.
pub type Pool = r2d2::Pool<PostgresConnectionManager<MakeRustlsConnect>>;

/// A PostgreSQL database as Natter connects to it: the driver's settings and the TLS
/// connector its `sslmode` asks for (see `tls.rs`).
#[derive(Clone)]
pub struct Database {
    /// The driver's connection settings.
    pub config: Config,
    tls: MakeRustlsConnect,
}

impl Database {
    /// Opens one connection.
    pub fn connect(&self) -> Result<Client, postgres::Error> {
        self.config.connect(self.tls.clone())
    }

    /// Where it is, for messages: `host:port/db`, never the password.
    pub fn describe(&self) -> String {
        describe(&self.config)
    }

    /// The same database with `durability`'s meaning on PostgreSQL: `full` waits for the
    /// server's WAL flush at each commit (PostgreSQL's default), `normal` does not
    /// (`synchronous_commit = off`: a commit survives a crash of Natter, and of PostgreSQL
    /// itself but for its last fraction of a second; never a corrupt database).
    pub fn durability(mut self, durability: crate::config::Durability) -> Database {
        if durability == crate::config::Durability::Normal {
            let options = self.config.get_options().unwrap_or_default().to_string();
            self.config
                .options(format!("{options} -c synchronous_commit=off").trim());
        }
        self
    }

    /// The same database, its sessions naming the node `id` (`natter.node`), so that the
    /// commit notices of this node's writes say who wrote them (see `watch.rs`).
    pub fn for_node(mut self, id: &str) -> Database {
        let options = self.config.get_options().unwrap_or_default().to_string();
        self.config
            .options(format!("{options} -c natter.node={id}").trim());
        self
    }
}

/// The database a `postgres://` URL names, with Natter's deadlines: 5 s to connect, 15 s
/// for any statement, TCP keepalives so a peer that vanished is noticed, and no JIT
/// compilation (it made a thread read that missed the cache take ~270 ms instead of
/// ~15 ms: bench/README.md).
pub fn config(url: &str) -> Result<Database, String> {
    let (url, check, root) = tls::split(url)?;
    let mut config = Config::from_str(&url).map_err(|e| format!("invalid PostgreSQL URL: {e}"))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    let options = config.get_options().unwrap_or_default().to_string();
    config.options(format!("{options} -c statement_timeout=15000 -c jit=off").trim());
    config
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10));
    config.tcp_user_timeout(Duration::from_secs(15));
    config.application_name("natter");
    let tls = tls::connector(check, root.as_deref())
        .map_err(|e| format!("PostgreSQL at {}: {e}", describe(&config)))?;
    Ok(Database { config, tls })
}

/// Where a URL points, for messages: `host:port/db`, never the password.
pub fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("(default)");
    format!("{host}:{port}/{db}")
}

/// Connects, retrying with backoff until `patience` has passed: a node may start before
/// its database does (compose, a rolling restart). Each failure is logged with the host.
pub fn connect_patiently(db: &Database, patience: Duration) -> Result<Client, String> {
    let start = Instant::now();
    let mut wait = Duration::from_millis(250);
    loop {
        let e = match db.connect() {
            Ok(c) => return Ok(c),
            Err(e) => e,
        };
        let why = crate::error::pg_detail(&e);
        // A server that is not there yet (or starting, or full) is worth waiting for; one
        // that answered "no" (a wrong password, no such database) is not.
        if transient(&e) && start.elapsed() + wait < patience {
            tracing::warn!(
                database = %db.describe(),
                error = %why,
                "PostgreSQL is not answering yet; retrying in {} ms",
                wait.as_millis()
            );
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(4));
            continue;
        }
        let tried = if transient(&e) {
            format!(" (tried for {} s)", start.elapsed().as_secs())
        } else {
            String::new()
        };
        return Err(format!(
            "cannot connect to PostgreSQL at {}{tried}: {why}",
            db.describe()
        ));
    }
}

/// Whether connecting again may succeed by itself.
fn transient(e: &postgres::Error) -> bool {
    e.code().is_none_or(crate::error::pg_server_away)
}

/// Builds the read pool; a short checkout timeout so a database that went away answers
/// 503, not a hang. Broken connections are dropped when returned and made anew on demand.
pub fn pool(db: &Database, size: u32) -> Pool {
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(2))
        .build_unchecked(PostgresConnectionManager::new(
            db.config.clone(),
            db.tls.clone(),
        ))
}

/// Reads on the pool and writes through the writer, each over a [`PgTx`](super::pg_tx::PgTx).
pub struct PgStore {
    /// Always there but while dropping (see the `Drop`).
    pool: Option<Pool>,
    pub(super) writer: writer::Writer,
}

impl PgStore {
    /// A store over a read pool and this node's writer.
    pub fn new(pool: Pool, writer: writer::Writer) -> PgStore {
        PgStore {
            pool: Some(pool),
            writer,
        }
    }

    /// Runs `f` on a pooled connection in one transaction, off the async workers: read
    /// committed, or one repeatable-read snapshot when `snapshot`.
    pub(super) async fn read<T, F>(&self, snapshot: bool, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut postgres::Transaction<'_>) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self
            .pool
            .clone()
            .ok_or_else(|| ApiError::Unavailable("the database is closing".into()))?;
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            let mut builder = conn.build_transaction();
            if snapshot {
                builder = builder
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true);
            }
            let mut t = builder.start()?;
            let out = f(&mut t)?;
            t.commit()?;
            Ok(out)
        })
        .await
        .map_err(ApiError::from)?
    }
}

/// The blocking client closes its connections through a runtime of its own, which may not
/// run on a thread that runs one already (an actix worker, where the last handle to the
/// state may go): the pool is let go on a thread of its own.
impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::Builder::new()
                .name("natter-pg-close".into())
                .spawn(move || drop(pool));
        }
    }
}

/// Whether a PostgreSQL error means the database is out of reach (see [`crate::error`]).
pub fn unreachable(e: &postgres::Error) -> bool {
    crate::error::pg_unreachable(e)
}
