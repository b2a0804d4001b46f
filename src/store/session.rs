//! A connection of a background thread's own (the outbox workers'), on either engine,
//! whose statements each commit on their own: a claim must be seen by every other
//! process at once. On PostgreSQL a lost connection is made again at the next use.

use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::{PgTx, SqliteTx, Tx};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult};

/// How often a session without a PostgreSQL connection tries again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// A background thread's own connection.
pub enum Session {
    /// SQLite: a connection to the file.
    Sqlite(Connection),
    /// PostgreSQL: a client (when connected) and how to connect again.
    Postgres {
        /// The connection, while there is one.
        client: Option<postgres::Client>,
        /// How to connect.
        config: Box<super::pg::Database>,
        /// The last attempt to connect.
        tried: Option<Instant>,
    },
}

impl Session {
    /// Opens a session on the configured database. Claims and marks need no fsync of their
    /// own on SQLite (`Normal`): lost in a power cut, a claim runs out and a mark means one
    /// delivery is made again, which a receiver must expect anyway.
    pub fn open(settings: &Settings) -> Result<Session, String> {
        match settings.postgres_url() {
            Some(url) => Ok(Session::Postgres {
                client: None,
                config: Box::new(super::pg::config(url)?),
                tried: None,
            }),
            None => super::open(&settings.database, crate::config::Durability::Normal)
                .map(Session::Sqlite)
                .map_err(|e| e.to_string()),
        }
    }

    /// Runs `f` over the session, each statement committing on its own.
    pub fn run<T>(&mut self, f: impl FnOnce(&dyn Tx) -> ApiResult<T>) -> ApiResult<T> {
        match self {
            Session::Sqlite(conn) => f(&SqliteTx::over(conn)),
            Session::Postgres {
                client,
                config,
                tried,
            } => {
                if client.as_ref().is_none_or(postgres::Client::is_closed) {
                    *client = None;
                    if tried.is_some_and(|t| t.elapsed() < RETRY_EVERY) {
                        return Err(ApiError::Unavailable("PostgreSQL is out of reach".into()));
                    }
                    *tried = Some(Instant::now());
                    *client = Some(config.connect()?);
                }
                match client.as_mut() {
                    Some(c) => f(&PgTx::autocommit(c)),
                    None => Err(ApiError::Unavailable("PostgreSQL is out of reach".into())),
                }
            }
        }
    }
}
