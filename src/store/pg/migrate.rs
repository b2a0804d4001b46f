//! Applies `migrations/postgres/*.sql` at start-up, each once, recorded in
//! `schema_migrations`, under an advisory lock: N nodes starting together migrate once.

use postgres::Client;

use crate::store::migrate::MigrateError;

/// Every PostgreSQL migration, embedded in the binary, in the order they apply.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        "0002_webmentions",
        include_str!("../../../migrations/postgres/0002_webmentions.sql"),
    ),
    (
        "0003_moderation_desk",
        include_str!("../../../migrations/postgres/0003_moderation_desk.sql"),
    ),
    (
        "0004_fediverse",
        include_str!("../../../migrations/postgres/0004_fediverse.sql"),
    ),
    (
        "0005_sign_in",
        include_str!("../../../migrations/postgres/0005_sign_in.sql"),
    ),
];

/// The advisory lock every node takes to migrate (any constant will do; this one spells
/// "natter" in ASCII).
const LOCK: i64 = 0x6e61_7474_6572;

/// Why the migrations could not run.
#[derive(Debug, thiserror::Error)]
pub enum PgMigrateError {
    /// A newer Natter wrote the schema.
    #[error(transparent)]
    Newer(MigrateError),
    /// PostgreSQL refused.
    #[error(transparent)]
    Sql(#[from] postgres::Error),
}

/// The newest migration recorded (`None`: not a Natter database yet), refused when this
/// binary does not know it.
pub fn check(client: &mut Client) -> Result<Option<String>, PgMigrateError> {
    let has_table: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?
        .get(0);
    if !has_table {
        return Ok(None);
    }
    let newest: Option<String> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])?
        .get(0);
    match newest {
        Some(found) if !MIGRATIONS.iter().any(|m| m.0 == found) => {
            Err(PgMigrateError::Newer(MigrateError::Newer {
                found,
                known: MIGRATIONS.last().map_or("", |m| m.0).to_string(),
                binary: env!("CARGO_PKG_VERSION"),
            }))
        }
        newest => Ok(newest),
    }
}

/// Applies the migrations not yet recorded, holding the advisory lock; returns how many ran.
pub fn run(client: &mut Client) -> Result<usize, PgMigrateError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK])?;
    let out = run_locked(client);
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK]);
    let applied = out?;
    unlocked?;
    Ok(applied)
}

fn run_locked(client: &mut Client) -> Result<usize, PgMigrateError> {
    client.batch_execute(
        "SET client_min_messages = warning;
         CREATE TABLE IF NOT EXISTS schema_migrations (
            version TEXT PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )",
    )?;
    check(client)?;
    let mut applied = 0;
    for (version, sql) in MIGRATIONS {
        let mut t = client.transaction()?;
        let done: bool = t
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
                &[version],
            )?
            .get(0);
        if !done {
            t.batch_execute(sql)?;
            t.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[version, &crate::domain::now()],
            )?;
            applied += 1;
        }
        t.commit()?;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_migrations_postgres_is_embedded_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .map(|n| n.trim_end_matches(".sql").to_string())
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS.iter().map(|(v, _)| v.to_string()).collect();
        assert_eq!(files, embedded);
    }
}
