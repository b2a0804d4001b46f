//! Applies `migrations/*.sql` in order at start-up, each once, recorded in `schema_migrations`.

use rusqlite::Connection;

/// Every migration, embedded in the binary, in the order they apply.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/0001_init.sql")),
    (
        "0002_moderation",
        include_str!("../../migrations/0002_moderation.sql"),
    ),
    (
        "0003_notifications",
        include_str!("../../migrations/0003_notifications.sql"),
    ),
    (
        "0004_page_time_index",
        include_str!("../../migrations/0004_page_time_index.sql"),
    ),
    (
        "0005_outbox_about",
        include_str!("../../migrations/0005_outbox_about.sql"),
    ),
    (
        "0006_outbox_claims",
        include_str!("../../migrations/0006_outbox_claims.sql"),
    ),
    (
        "0007_request_keys",
        include_str!("../../migrations/0007_request_keys.sql"),
    ),
    (
        "0008_digests",
        include_str!("../../migrations/0008_digests.sql"),
    ),
    (
        "0009_thread_roots",
        include_str!("../../migrations/0009_thread_roots.sql"),
    ),
    (
        "0010_webmentions",
        include_str!("../../migrations/0010_webmentions.sql"),
    ),
    (
        "0011_moderation_desk",
        include_str!("../../migrations/0011_moderation_desk.sql"),
    ),
    (
        "0012_fediverse",
        include_str!("../../migrations/0012_fediverse.sql"),
    ),
    (
        "0013_sign_in",
        include_str!("../../migrations/0013_sign_in.sql"),
    ),
];

/// Why the migrations could not run.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database has a migration this binary does not know: a newer Natter wrote it.
    #[error(
        "the database's schema ({found}) is newer than this natter {binary} knows (schema \
         {known}); run the newer natter, or restore a backup taken before the upgrade"
    )]
    Newer {
        /// The newest migration recorded in the database.
        found: String,
        /// The newest migration this binary has.
        known: String,
        /// This binary's version.
        binary: &'static str,
    },
    /// SQLite refused.
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    /// The schema is not what Natter made.
    #[error("{0}")]
    Schema(String),
}

/// The newest migration recorded in a database (`None`: no `schema_migrations` table, or an
/// empty one: not a Natter database yet), refused when this binary does not know it. Reads only.
pub fn check(conn: &Connection) -> Result<Option<String>, MigrateError> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master \
         WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(None);
    }
    let newest: Option<String> =
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })?;
    match newest {
        Some(found) if !MIGRATIONS.iter().any(|m| m.0 == found) => Err(MigrateError::Newer {
            found,
            known: MIGRATIONS.last().map_or("", |m| m.0).to_string(),
            binary: env!("CARGO_PKG_VERSION"),
        }),
        newest => Ok(newest),
    }
}

/// Applies the migrations not yet recorded; returns how many ran. A database with a
/// migration this binary does not know is refused before anything is written.
pub fn run(conn: &mut Connection) -> Result<usize, MigrateError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version TEXT PRIMARY KEY,
            applied_at INTEGER NOT NULL
        )",
    )?;
    check(conn)?;
    let mut applied = 0;
    for (version, sql) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [version],
            |r| r.get(0),
        )?;
        if !done {
            tx.execute_batch(sql)?;
            if *version == "0011_moderation_desk" {
                allow_spam_status(&tx)?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                rusqlite::params![version, crate::domain::now()],
            )?;
            applied += 1;
        }
        tx.commit()?;
    }
    Ok(applied)
}

/// The `status` rule of `comments` as 0001 wrote it, and as it is with `spam`.
const STATUS_RULE: &str = "CHECK (status IN ('approved', 'pending', 'rejected', 'deleted'))";
const STATUS_RULE_SPAM: &str =
    "CHECK (status IN ('approved', 'pending', 'rejected', 'deleted', 'spam'))";

/// Lets `comments.status` be `spam`. SQLite cannot alter a CHECK constraint; its documented
/// procedure for loosening one (<https://sqlite.org/lang_altertable.html#otheralter>), which
/// leaves every stored row as it is, edits the table's stored `CREATE TABLE` in the
/// migration's transaction and bumps the schema version so every connection reads it again.
fn allow_spam_status(tx: &rusqlite::Transaction<'_>) -> Result<(), MigrateError> {
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'comments'",
        [],
        |r| r.get(0),
    )?;
    if sql.contains(STATUS_RULE_SPAM) {
        return Ok(());
    }
    if !sql.contains(STATUS_RULE) {
        return Err(MigrateError::Schema(
            "the comments table's status rule is not the one Natter made; \
             restore a backup of an unmodified database"
                .into(),
        ));
    }
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.execute_batch("PRAGMA writable_schema = ON")?;
    tx.execute(
        "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = 'comments'",
        [sql.replace(STATUS_RULE, STATUS_RULE_SPAM)],
    )?;
    tx.execute_batch(&format!(
        "PRAGMA schema_version = {}; PRAGMA writable_schema = OFF",
        version + 1
    ))?;
    let check: String = tx.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(MigrateError::Schema(format!(
            "the database failed its check after the schema change: {check}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_migrations_is_embedded_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
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

    #[test]
    fn a_second_run_applies_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
        assert_eq!(run(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(run(&mut conn).unwrap(), 0);
    }
}
