//! The connection of a command-line run on PostgreSQL (`natter import`, `export`, `db
//! copy`, `admin token`): one blocking client, connected with a short patience (a person
//! is waiting), the schema migrated as a node's start-up would.
//!
//! The blocking client runs a runtime of its own: call these on a thread that runs none
//! (the CLI's main thread).

use std::time::Duration;

use anyhow::Context;
use postgres::Client;

/// How long a command waits for PostgreSQL to answer.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// Connects to `url`.
pub fn connect(url: &str) -> anyhow::Result<Client> {
    let config = super::config(url).map_err(anyhow::Error::msg)?;
    super::connect_patiently(&config, PATIENCE).map_err(anyhow::Error::msg)
}

/// Connects to `url` and applies the pending migrations (refusing a newer schema).
pub fn open_migrated(url: &str) -> anyhow::Result<Client> {
    let mut client = connect(url)?;
    super::migrate::run(&mut client)
        .with_context(|| format!("cannot use the database {}", place(url)))?;
    Ok(client)
}

/// Where a URL points, for messages (`host:port/db`, never the password).
pub fn place(url: &str) -> String {
    super::config(url).map_or_else(|_| "(invalid URL)".into(), |c| c.describe())
}
