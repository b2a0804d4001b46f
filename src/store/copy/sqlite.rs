//! SQLite's side of `natter db copy` (see [`super`]).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rusqlite::config::DbConfig;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::Kind::{Blob, Int, Text};
use super::{Kind, Row, RowsFn, Source, Summary, Table, Target, Value, BATCH, TABLES};
use crate::config::Durability;

/// A SQLite source: opened read-only, one read transaction.
pub(super) struct SqliteSource {
    conn: Connection,
    path: PathBuf,
}

impl SqliteSource {
    pub(super) fn open(path: &Path) -> anyhow::Result<SqliteSource> {
        if !path.is_file() {
            bail!("there is no SQLite database at {}", path.display());
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // The snapshot begins at the first read, which is the schema's.
        conn.execute_batch("BEGIN")?;
        Ok(SqliteSource {
            conn,
            path: path.to_path_buf(),
        })
    }
}

impl Source for SqliteSource {
    fn schema(&mut self) -> anyhow::Result<Option<String>> {
        crate::store::migrate::check(&self.conn)
            .with_context(|| format!("cannot read the source {}", self.path.display()))
    }

    fn count(&mut self, t: &Table) -> anyhow::Result<u64> {
        let sql = format!("SELECT count(*) FROM {}", t.name);
        let n: i64 = self.conn.query_row(&sql, [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn rows(&mut self, t: &Table, f: &mut RowsFn<'_>) -> anyhow::Result<()> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            t.column_list(),
            t.name,
            t.key.join(", ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(t.columns.len());
            let mut bad = None;
            for (i, (name, kind)) in t.columns.iter().enumerate() {
                match strict(r.get_ref(i)?, *kind) {
                    Ok(v) => row.push(v),
                    Err(found) => {
                        bad.get_or_insert((name, *kind, found));
                        row.push(Value::Null);
                    }
                }
            }
            if let Some((name, kind, found)) = bad {
                bail!(
                    "{}, column {name}: {found} where {} belongs (this copy converts nothing: \
                     fix the row, then copy again)",
                    t.describe_row(&row),
                    kind.noun()
                );
            }
            batch.push(row);
            if batch.len() == BATCH {
                f(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            f(batch)?;
        }
        Ok(())
    }

    fn sequence(&mut self, t: &Table) -> anyhow::Result<i64> {
        let seq: Option<Option<i64>> = self
            .conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                [t.name],
                |r| r.get(0),
            )
            .optional()
            // No AUTOINCREMENT table at all: no sqlite_sequence.
            .or_else(|e| match e {
                rusqlite::Error::SqliteFailure(..) => Ok(None),
                e => Err(e),
            })?;
        Ok(seq.flatten().unwrap_or(0))
    }
}

/// A SQLite value as the column's kind wants it, or what it is instead.
fn strict(v: ValueRef<'_>, kind: Kind) -> Result<Value, String> {
    match (v, kind) {
        (ValueRef::Null, _) => Ok(Value::Null),
        (ValueRef::Integer(i), Int) => Ok(Value::Int(i)),
        (ValueRef::Text(b), Text) => match std::str::from_utf8(b) {
            Ok(s) => Ok(Value::Text(s.to_string())),
            Err(_) => Err("text that is not UTF-8".into()),
        },
        (ValueRef::Blob(b), Blob) => Ok(Value::Blob(b.to_vec())),
        (ValueRef::Integer(i), _) => Err(format!("the integer {i}")),
        (ValueRef::Real(x), _) => Err(format!("the real number {x}")),
        (ValueRef::Text(b), _) => Err(format!("the text {:?}", String::from_utf8_lossy(b))),
        (ValueRef::Blob(b), _) => Err(format!("a blob of {} bytes", b.len())),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A SQLite target: migrated, triggers off (`thread_orphans` is copied as it is), one
/// `BEGIN IMMEDIATE` transaction.
pub(super) struct SqliteTarget {
    conn: Connection,
}

impl SqliteTarget {
    pub(super) fn open(path: &Path) -> anyhow::Result<SqliteTarget> {
        let conn = crate::store::open_migrated(path, Durability::Full)?.0;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(SqliteTarget { conn })
    }

    pub(super) fn counts(&mut self) -> anyhow::Result<Summary> {
        TABLES
            .iter()
            .map(|t| {
                let sql = format!("SELECT count(*) FROM {}", t.name);
                let n: i64 = self.conn.query_row(&sql, [], |r| r.get(0))?;
                Ok((t.name, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }
}

impl Target for SqliteTarget {
    fn insert(&mut self, t: &Table, rows: &[Row]) -> anyhow::Result<()> {
        let marks: Vec<String> = (1..=t.columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            t.name,
            t.column_list(),
            marks.join(", ")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        for row in rows {
            stmt.execute(rusqlite::params_from_iter(row))
                .with_context(|| t.describe_row(row))?;
        }
        Ok(())
    }

    fn link_parents(&mut self, links: &[(i64, i64)]) -> anyhow::Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE comments SET parent = ?2 WHERE id = ?1")?;
        for (id, parent) in links {
            stmt.execute([id, parent])
                .with_context(|| format!("comments id {id}: its parent {parent}"))?;
        }
        Ok(())
    }

    fn clear(&mut self, t: &Table) -> anyhow::Result<()> {
        self.conn.execute(&format!("DELETE FROM {}", t.name), [])?;
        Ok(())
    }

    /// Explicit ids have moved `sqlite_sequence` to the highest one already; a source that
    /// handed out higher ids (rows since removed) moves it further.
    fn sequence(&mut self, t: &Table, at: i64) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?2) WHERE name = ?1",
            rusqlite::params![t.name, at],
        )?;
        self.conn.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT ?1, ?2
             WHERE ?2 > 0 AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?1)
               AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1
                           AND sql LIKE '%AUTOINCREMENT%')",
            rusqlite::params![t.name, at],
        )?;
        Ok(())
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }
}
