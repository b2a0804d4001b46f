//! PostgreSQL's side of `natter db copy` (see [`crate::store::copy`]): the source read
//! through cursors in one repeatable-read snapshot, the target written by multi-row
//! `INSERT`s in one transaction, its identities moved past the ids copied.

use std::collections::HashMap;

use anyhow::{bail, Context};
use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, Statement};

use crate::store::copy::{Kind, Row, RowsFn, Source, Summary, Table, Target, Value, BATCH, TABLES};

/// A PostgreSQL source: one repeatable-read, read-only transaction.
pub struct PgSource {
    client: Client,
}

impl PgSource {
    /// Connects to `url` (without migrating: the source is only read) and opens the snapshot.
    pub fn open(url: &str) -> anyhow::Result<PgSource> {
        let mut client = super::command::connect(url)?;
        client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        Ok(PgSource { client })
    }
}

impl Source for PgSource {
    fn schema(&mut self) -> anyhow::Result<Option<String>> {
        Ok(super::migrate::check(&mut self.client)?)
    }

    fn count(&mut self, t: &Table) -> anyhow::Result<u64> {
        let n: i64 = self
            .client
            .query_one(&format!("SELECT count(*) FROM {}", t.name), &[])?
            .get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn rows(&mut self, t: &Table, f: &mut RowsFn<'_>) -> anyhow::Result<()> {
        let query = format!(
            "SELECT {} FROM {} ORDER BY {}",
            t.column_list(),
            t.name,
            t.key.join(", ")
        );
        let mut batch = Vec::with_capacity(BATCH);
        super::exports::each_row(&mut self.client, &query, &[], &mut |r| {
            let mut row = Vec::with_capacity(t.columns.len());
            for (i, (name, kind)) in t.columns.iter().enumerate() {
                let v = match kind {
                    Kind::Int => r.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
                    Kind::Text => r
                        .try_get::<_, Option<String>>(i)
                        .map(|v| v.map(Value::Text)),
                    Kind::Blob => r
                        .try_get::<_, Option<Vec<u8>>>(i)
                        .map(|v| v.map(Value::Blob)),
                };
                let v = v.with_context(|| format!("{}, column {name}", t.describe_row(&row)))?;
                row.push(v.unwrap_or(Value::Null));
            }
            batch.push(row);
            if batch.len() == BATCH {
                f(std::mem::take(&mut batch))?;
            }
            Ok(())
        })?;
        if !batch.is_empty() {
            f(batch)?;
        }
        Ok(())
    }

    fn sequence(&mut self, t: &Table) -> anyhow::Result<i64> {
        let last: Option<i64> = self
            .client
            .query_one(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass)",
                &[&t.name],
            )?
            .get(0);
        Ok(last.unwrap_or(0))
    }
}

/// A PostgreSQL target: migrated, one transaction.
pub struct PgTarget {
    client: Client,
    /// Multi-row inserts by table and row count (all batches but a table's last have
    /// [`BATCH`] rows: one statement each).
    inserts: HashMap<(&'static str, usize), Statement>,
}

impl PgTarget {
    /// Connects to `url`, migrates the database and opens the copy's transaction.
    pub fn open(url: &str) -> anyhow::Result<PgTarget> {
        let mut client = super::command::open_migrated(url)?;
        client.batch_execute("BEGIN")?;
        Ok(PgTarget {
            client,
            inserts: HashMap::new(),
        })
    }

    /// Rows per table (`rate_hits`, transient, is not one of them).
    pub fn counts(&mut self) -> anyhow::Result<Summary> {
        TABLES
            .iter()
            .map(|t| {
                let sql = format!("SELECT count(*) FROM {}", t.name);
                let n: i64 = self.client.query_one(&sql, &[])?.get(0);
                Ok((t.name, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }

    fn insert_statement(&mut self, t: &Table, rows: usize) -> anyhow::Result<Statement> {
        if let Some(s) = self.inserts.get(&(t.name, rows)) {
            return Ok(s.clone());
        }
        let width = t.columns.len();
        let values: Vec<String> = (0..rows)
            .map(|r| {
                let marks: Vec<String> =
                    (1..=width).map(|c| format!("${}", r * width + c)).collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            t.name,
            t.column_list(),
            values.join(", ")
        );
        let s = self.client.prepare(&sql)?;
        self.inserts.insert((t.name, rows), s.clone());
        Ok(s)
    }
}

impl Target for PgTarget {
    fn insert(&mut self, t: &Table, rows: &[Row]) -> anyhow::Result<()> {
        for row in rows {
            for (v, (name, _)) in row.iter().zip(t.columns) {
                if matches!(v, Value::Text(s) if s.contains('\0')) {
                    bail!(
                        "{}, column {name}: the text holds a NUL character, which PostgreSQL \
                         cannot store (fix the row, then copy again)",
                        t.describe_row(row)
                    );
                }
            }
        }
        let s = self.insert_statement(t, rows.len())?;
        let params: Vec<&(dyn ToSql + Sync)> = rows
            .iter()
            .flat_map(|r| r.iter().map(|v| v as &(dyn ToSql + Sync)))
            .collect();
        self.client.execute(&s, &params).with_context(|| {
            let (first, last) = (&rows[0], &rows[rows.len() - 1]);
            format!(
                "writing the rows from {} to {}",
                t.describe_row(first),
                t.describe_row(last)
            )
        })?;
        Ok(())
    }

    fn link_parents(&mut self, links: &[(i64, i64)]) -> anyhow::Result<()> {
        let (ids, parents): (Vec<i64>, Vec<i64>) = links.iter().copied().unzip();
        self.client
            .execute(
                "UPDATE comments SET parent = v.parent
                 FROM unnest($1::BIGINT[], $2::BIGINT[]) AS v(id, parent) WHERE comments.id = v.id",
                &[&ids, &parents],
            )
            .context("linking replies to parents that come after them")?;
        Ok(())
    }

    fn clear(&mut self, t: &Table) -> anyhow::Result<()> {
        self.client
            .batch_execute(&format!("DELETE FROM {}", t.name))?;
        Ok(())
    }

    fn sequence(&mut self, t: &Table, at: i64) -> anyhow::Result<()> {
        if at > 0 {
            self.client.execute(
                "SELECT setval(pg_get_serial_sequence($1, 'id'), $2)",
                &[&t.name, &at],
            )?;
        }
        Ok(())
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        Ok(self.client.batch_execute("COMMIT")?)
    }
}

/// A value as the parameter of its column (the column's own type: BIGINT, TEXT, BYTEA).
impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => i.to_sql_checked(ty, out),
            Value::Text(s) => s.to_sql_checked(ty, out),
            Value::Blob(b) => b.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}
