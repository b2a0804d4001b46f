//! `natter db copy`: a whole database into an empty one, SQLite or PostgreSQL either way,
//! every table of the schema row by row with its ids and times.
//!
//! The source is read in one snapshot (a SQLite read transaction, a PostgreSQL
//! repeatable-read one) and must have this binary's schema; the target is migrated, must
//! hold no row, and is written in one transaction, in batches: a failure leaves it as
//! empty as it was. Tables go parents first; a comment whose parent comes later (a
//! reply linked after an import, a hand edit) is written without it and linked once every
//! comment is in. `thread_orphans` is copied as it is (the target's triggers, where they
//! run, are not asked to rebuild it). Identity sequences end past the highest id, or past
//! the highest id the source ever gave, so no id is handed out twice.
//!
//! SQLite's side is here; PostgreSQL's in [`super::pg::copy`].

use std::path::PathBuf;

use anyhow::{bail, Context};

use super::pg;

mod sqlite;

use sqlite::{SqliteSource, SqliteTarget};

/// Rows per batch (and per PostgreSQL `INSERT`).
pub const BATCH: usize = 500;

/// One end of a copy: a SQLite file or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Db {
    /// A SQLite path, `sqlite://PATH`, or a PostgreSQL URL.
    pub fn parse(s: &str) -> Db {
        if crate::config::is_postgres_url(s) {
            Db::Postgres(s.to_string())
        } else {
            Db::Sqlite(PathBuf::from(crate::config::sqlite_path(s)))
        }
    }

    /// For messages: the file, or `PostgreSQL host:port/db` (never a password).
    pub fn describe(&self) -> String {
        match self {
            Db::Sqlite(p) => p.display().to_string(),
            Db::Postgres(url) => format!("PostgreSQL {}", pg::command::place(url)),
        }
    }
}

/// How a column's values are stored: SQLite INTEGER / PostgreSQL BIGINT, TEXT, BLOB / BYTEA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer.
    Int,
    /// UTF-8 text.
    Text,
    /// Bytes.
    Blob,
}

impl Kind {
    /// For messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Int => "an integer",
            Kind::Text => "text",
            Kind::Blob => "a blob",
        }
    }
}

/// A table of the schema as the copy sees it.
#[derive(Debug)]
pub struct Table {
    /// Its name.
    pub name: &'static str,
    /// Its primary key (the copy's order, and how an error names a row).
    pub key: &'static [&'static str],
    /// Its columns, the same on both engines.
    pub columns: &'static [(&'static str, Kind)],
    /// Whether its `id` is handed out by the database (AUTOINCREMENT, an identity).
    pub identity: bool,
}

use Kind::{Blob, Int, Text};

/// Every table, parents before children.
#[rustfmt::skip]
pub const TABLES: &[Table] = &[
    Table { name: "sites", key: &["id"], identity: false,
        columns: &[("id", Text), ("active", Int), ("created_at", Int)] },
    Table { name: "pages", key: &["id"], identity: true,
        columns: &[("id", Int), ("site", Text), ("key", Text), ("title", Text), ("url", Text),
            ("locked", Int), ("first_comment_at", Int), ("created_at", Int)] },
    Table { name: "comments", key: &["id"], identity: true,
        columns: &[("id", Int), ("page_id", Int), ("parent", Int), ("author", Text),
            ("email", Text), ("website", Text), ("text", Text), ("format", Text), ("html", Text),
            ("status", Text), ("created_at", Int), ("edited_at", Int), ("likes", Int),
            ("dislikes", Int), ("ip", Text), ("avatar", Text), ("author_key_hash", Text),
            ("edit_token_hash", Text), ("edit_until", Int), ("notify", Int), ("source", Text),
            ("source_id", Text), ("request_key_hash", Text), ("via_kind", Text),
            ("via_url", Text), ("via_handle", Text), ("held_reason", Text), ("badge", Text),
            ("identity_id", Int), ("signed_in", Text)] },
    Table { name: "votes", key: &["comment_id", "voter"], identity: false,
        columns: &[("comment_id", Int), ("voter", Text), ("value", Int)] },
    Table { name: "admin_tokens", key: &["name"], identity: false,
        columns: &[("name", Text), ("hash", Text), ("created_at", Int)] },
    Table { name: "secrets", key: &["name"], identity: false,
        columns: &[("name", Text), ("value", Blob)] },
    Table { name: "used_links", key: &["sig_hash"], identity: false,
        columns: &[("sig_hash", Text), ("expires_at", Int)] },
    Table { name: "outbox", key: &["id"], identity: true,
        columns: &[("id", Int), ("kind", Text), ("target", Text), ("payload", Text),
            ("created_at", Int), ("next_attempt_at", Int), ("attempts", Int),
            ("last_error", Text), ("status", Text), ("done_at", Int), ("site", Text),
            ("comment_id", Int), ("claimed_by", Text), ("claimed_at", Int),
            ("claimed_until", Int)] },
    Table { name: "confirmed_emails", key: &["site", "email"], identity: false,
        columns: &[("site", Text), ("email", Text), ("confirmed_at", Int)] },
    Table { name: "digest_entries", key: &["id"], identity: true,
        columns: &[("id", Int), ("outbox_id", Int), ("comment_id", Int), ("held", Int),
            ("text", Text), ("html", Text), ("created_at", Int)] },
    Table { name: "thread_orphans", key: &["id"], identity: false,
        columns: &[("id", Int), ("page_id", Int)] },
    Table { name: "webmentions", key: &["id"], identity: false,
        columns: &[("id", Text), ("site", Text), ("page", Text), ("source", Text),
            ("target", Text), ("source_host", Text), ("sender_ip", Text), ("status", Text),
            ("reason", Text), ("kind", Text), ("comment_id", Int), ("author_name", Text),
            ("author_url", Text), ("attempts", Int), ("next_attempt_at", Int),
            ("claimed_by", Text), ("claimed_until", Int), ("created_at", Int),
            ("updated_at", Int)] },
    Table { name: "blocks", key: &["id"], identity: true,
        columns: &[("id", Int), ("site", Text), ("kind", Text), ("value", Text),
            ("match_key", Text), ("expires_at", Int), ("created_at", Int),
            ("created_by", Text)] },
    Table { name: "audit", key: &["id"], identity: true,
        columns: &[("id", Int), ("at", Int), ("actor", Text), ("action", Text), ("site", Text),
            ("comment_id", Int)] },
    Table { name: "fedi_keys", key: &["site"], identity: false,
        columns: &[("site", Text), ("private_pem", Text), ("public_pem", Text),
            ("created_at", Int)] },
    Table { name: "fedi_actors", key: &["id"], identity: false,
        columns: &[("id", Text), ("key_id", Text), ("public_pem", Text), ("inbox", Text),
            ("shared_inbox", Text), ("name", Text), ("username", Text), ("url", Text),
            ("fetched_at", Int)] },
    Table { name: "fedi_followers", key: &["site", "actor"], identity: false,
        columns: &[("site", Text), ("actor", Text), ("inbox", Text), ("shared_inbox", Text),
            ("created_at", Int)] },
    Table { name: "fedi_seen", key: &["id"], identity: false,
        columns: &[("id", Text), ("seen_at", Int)] },
    Table { name: "fedi_posts", key: &["id"], identity: true,
        columns: &[("id", Int), ("site", Text), ("page", Text), ("url", Text), ("title", Text),
            ("summary", Text), ("created_at", Int), ("updated_at", Int)] },
    Table { name: "fedi_notes", key: &["note_id"], identity: false,
        columns: &[("note_id", Text), ("comment_id", Int), ("site", Text), ("actor", Text),
            ("created_at", Int)] },
    Table { name: "fedi_reactions", key: &["post_id", "kind", "actor"], identity: false,
        columns: &[("post_id", Int), ("kind", Text), ("actor", Text), ("activity_id", Text),
            ("site", Text), ("page", Text), ("name", Text), ("url", Text),
            ("created_at", Int)] },
    Table { name: "fedi_published", key: &["comment_id"], identity: false,
        columns: &[("comment_id", Int), ("site", Text), ("inboxes", Text),
            ("created_at", Int)] },
    Table { name: "fedi_deliveries", key: &["id"], identity: true,
        columns: &[("id", Int), ("site", Text), ("inbox", Text), ("body", Text),
            ("status", Text), ("attempts", Int), ("last_error", Text),
            ("next_attempt_at", Int), ("claimed_by", Text), ("claimed_until", Int),
            ("created_at", Int), ("done_at", Int)] },
    Table { name: "identities", key: &["id"], identity: true,
        columns: &[("id", Int), ("site", Text), ("provider", Text), ("subject", Text),
            ("name", Text), ("created_at", Int)] },
    Table { name: "passkeys", key: &["id"], identity: true,
        columns: &[("id", Int), ("identity_id", Int), ("credential_id", Text),
            ("passkey", Text), ("created_at", Int), ("used_at", Int)] },
    Table { name: "sessions", key: &["id"], identity: true,
        columns: &[("id", Int), ("identity_id", Int), ("site", Text), ("created_at", Int),
            ("expires_at", Int), ("last_seen_at", Int), ("revoked_at", Int)] },
    Table { name: "auth_states", key: &["id_hash"], identity: false,
        columns: &[("id_hash", Text), ("kind", Text), ("site", Text), ("origin", Text),
            ("binding_hash", Text), ("data", Text), ("expires_at", Int)] },
];

impl Table {
    /// `a, b, c`.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.0)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// How a message names a row: `comments id 12`, `votes comment_id 3, voter "…"`.
    pub fn describe_row(&self, row: &[Value]) -> String {
        let key: Vec<String> = self
            .key
            .iter()
            .filter_map(|k| self.columns.iter().position(|c| c.0 == *k).map(|i| (k, i)))
            .map(|(k, i)| match row.get(i) {
                Some(Value::Int(n)) => format!("{k} {n}"),
                Some(Value::Text(s)) => format!("{k} {s:?}"),
                _ => format!("{k} ?"),
            })
            .collect();
        format!("{} {}", self.name, key.join(", "))
    }
}

/// One stored value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// One row, in [`Table::columns`] order.
pub type Row = Vec<Value>;

/// Called with each batch of rows read.
pub type RowsFn<'a> = dyn FnMut(Vec<Row>) -> anyhow::Result<()> + 'a;

/// The database copied from, inside its snapshot.
pub trait Source {
    /// The newest migration recorded (`None`: not a Natter database).
    fn schema(&mut self) -> anyhow::Result<Option<String>>;
    /// How many rows `t` has.
    fn count(&mut self, t: &Table) -> anyhow::Result<u64>;
    /// Calls `f` with the rows of `t` in key order, [`BATCH`] at a time.
    fn rows(&mut self, t: &Table, f: &mut RowsFn<'_>) -> anyhow::Result<()>;
    /// The highest id the table's identity has handed out (0: none, or not known).
    fn sequence(&mut self, t: &Table) -> anyhow::Result<i64>;
}

/// The database copied into, inside its transaction.
pub trait Target {
    /// Writes a batch of rows of `t`.
    fn insert(&mut self, t: &Table, rows: &[Row]) -> anyhow::Result<()>;
    /// Sets comments' parents: `(comment, parent)`.
    fn link_parents(&mut self, links: &[(i64, i64)]) -> anyhow::Result<()>;
    /// Removes every row of `t` (what the target's triggers wrote during this copy).
    fn clear(&mut self, t: &Table) -> anyhow::Result<()>;
    /// Makes the identity of `t` hand out ids above `at`.
    fn sequence(&mut self, t: &Table, at: i64) -> anyhow::Result<()>;
    /// Commits the copy.
    fn commit(&mut self) -> anyhow::Result<()>;
}

/// What the copy reports as it goes (a progress bar).
pub trait Progress {
    /// Copying `table`, of `rows` rows, begins.
    fn table(&mut self, table: &str, rows: u64);
    /// `n` more rows copied.
    fn advance(&mut self, n: u64);
    /// The table is done.
    fn done(&mut self);
}

/// Rows copied per table, in [`TABLES`] order.
pub type Summary = Vec<(&'static str, u64)>;

/// Copies `from` into the empty `to` (migrated first).
pub fn copy(from: &Db, to: &Db, progress: &mut dyn Progress) -> anyhow::Result<Summary> {
    if from == to {
        bail!(
            "--from and --to are the same database ({})",
            from.describe()
        );
    }
    let mut source: Box<dyn Source> = match from {
        Db::Sqlite(path) => Box::new(SqliteSource::open(path)?),
        Db::Postgres(url) => Box::new(pg::copy::PgSource::open(url)?),
    };
    check_schema(from, source.schema()?)?;
    let (mut target, held): (Box<dyn Target>, Summary) = match to {
        Db::Sqlite(path) => {
            let mut t = SqliteTarget::open(path)?;
            let held = t.counts()?;
            (Box::new(t), held)
        }
        Db::Postgres(url) => {
            let mut t = pg::copy::PgTarget::open(url)?;
            let held = t.counts()?;
            (Box::new(t), held)
        }
    };
    let held: Vec<String> = held
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("{t} ({n})"))
        .collect();
    if !held.is_empty() {
        bail!(
            "the target {} is not empty: it holds rows in {}. `natter db copy` writes only into an \
             empty database (a server started on it makes its sites, secret and first token): \
             copy into a new database or file",
            to.describe(),
            held.join(", ")
        );
    }
    let mut summary = Summary::new();
    for t in TABLES {
        let total = source.count(t)?;
        progress.table(t.name, total);
        let copied = copy_table(&mut *source, &mut *target, t, progress)
            .with_context(|| format!("copying the table {}", t.name))?;
        progress.done();
        summary.push((t.name, copied));
    }
    target.commit().context("committing the copy")?;
    Ok(summary)
}

fn check_schema(from: &Db, found: Option<String>) -> anyhow::Result<()> {
    let current = super::migrate::MIGRATIONS.last().map_or("", |m| m.0);
    let current_pg = pg::migrate::MIGRATIONS.last().map_or("", |m| m.0);
    let want = match from {
        Db::Sqlite(_) => current,
        Db::Postgres(_) => current_pg,
    };
    match found {
        None => bail!(
            "the source {} is not a Natter database (it has no schema_migrations)",
            from.describe()
        ),
        Some(v) if v == want => Ok(()),
        Some(v) => bail!(
            "the source {} has the schema {v}, older than this natter's ({want}): start this \
             natter on it once (it migrates the database as it starts), stop it, then copy",
            from.describe()
        ),
    }
}

/// Copies one table in batches; comments' parents that are not in yet are linked at the end.
fn copy_table(
    source: &mut dyn Source,
    target: &mut dyn Target,
    t: &Table,
    progress: &mut dyn Progress,
) -> anyhow::Result<u64> {
    if t.name == "thread_orphans" {
        target.clear(t)?;
    }
    let (mut copied, mut max_id, mut links) = (0u64, 0i64, Vec::new());
    source.rows(t, &mut |mut rows| {
        if t.identity {
            if let Some(Value::Int(id)) = rows.last().and_then(|r| r.first()) {
                max_id = max_id.max(*id);
            }
        }
        if t.name == "comments" {
            for r in &mut rows {
                // Columns 0 and 2: id and parent. A parent at or after the comment is not
                // in yet (rows come in id order).
                if let (Value::Int(id), Value::Int(parent)) = (&r[0], &r[2]) {
                    if parent >= id {
                        links.push((*id, *parent));
                        r[2] = Value::Null;
                    }
                }
            }
        }
        target.insert(t, &rows)?;
        copied += rows.len() as u64;
        progress.advance(rows.len() as u64);
        Ok(())
    })?;
    for chunk in links.chunks(BATCH) {
        target.link_parents(chunk)?;
    }
    if t.identity {
        target.sequence(t, max_id.max(source.sequence(t)?))?;
    }
    Ok(copied)
}
