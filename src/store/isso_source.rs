//! Reading an Isso SQLite database (`natter import isso`): opened read-only, its comments
//! read one row at a time with their thread's URI and title.

use std::path::Path;

use rusqlite::types::{FromSql, FromSqlError, Value, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// Isso's comments with their thread, parents before replies (Isso ids grow).
const ROWS: &str =
    "SELECT c.id, c.tid, c.parent, c.created, c.modified, c.mode, c.remote_addr, c.text,
                    c.author, c.email, c.website, c.likes, c.dislikes, t.uri, t.title
             FROM comments c LEFT JOIN threads t ON t.id = c.tid ORDER BY c.id";

/// One row of Isso's `comments` with its thread's `uri` and `title`, as Isso stores them.
/// Each column is converted when it is asked for, as a reader of the row would: a value of
/// the wrong type in a column the import never reaches (a row skipped for its thread, say)
/// stops nothing.
#[derive(Debug, Clone)]
pub struct IssoComment {
    /// Isso id.
    pub id: i64,
    /// The thread's URI (none when the thread row is missing).
    pub uri: Option<String>,
    values: Vec<Value>,
}

impl IssoComment {
    fn col<T: FromSql>(&self, i: usize) -> rusqlite::Result<T> {
        T::column_result(ValueRef::from(&self.values[i])).map_err(|e| {
            let kind = self.values[i].data_type();
            match e {
                FromSqlError::InvalidType => {
                    rusqlite::Error::InvalidColumnType(i, COLUMNS[i].to_string(), kind)
                }
                other => rusqlite::Error::FromSqlConversionFailure(i, kind, Box::new(other)),
            }
        })
    }

    /// Parent's Isso id.
    pub fn parent(&self) -> rusqlite::Result<Option<i64>> {
        self.col(2)
    }

    /// Creation time (seconds, fractional).
    pub fn created(&self) -> rusqlite::Result<Option<f64>> {
        self.col(3)
    }

    /// Last edit.
    pub fn modified(&self) -> rusqlite::Result<Option<f64>> {
        self.col(4)
    }

    /// 1 approved, 2 pending, 4 deleted.
    pub fn mode(&self) -> rusqlite::Result<Option<i64>> {
        self.col(5)
    }

    /// Address as Isso stored it.
    pub fn remote_addr(&self) -> rusqlite::Result<Option<String>> {
        self.col(6)
    }

    /// Markdown text.
    pub fn text(&self) -> rusqlite::Result<Option<String>> {
        self.col(7)
    }

    /// Name.
    pub fn author(&self) -> rusqlite::Result<Option<String>> {
        self.col(8)
    }

    /// Email.
    pub fn email(&self) -> rusqlite::Result<Option<String>> {
        self.col(9)
    }

    /// Website.
    pub fn website(&self) -> rusqlite::Result<Option<String>> {
        self.col(10)
    }

    /// Likes.
    pub fn likes(&self) -> rusqlite::Result<Option<i64>> {
        self.col(11)
    }

    /// Dislikes.
    pub fn dislikes(&self) -> rusqlite::Result<Option<i64>> {
        self.col(12)
    }

    /// The thread's title.
    pub fn title(&self) -> rusqlite::Result<Option<String>> {
        self.col(14)
    }
}

/// The names of [`ROWS`]' columns, for errors.
const COLUMNS: [&str; 15] = [
    "id",
    "tid",
    "parent",
    "created",
    "modified",
    "mode",
    "remote_addr",
    "text",
    "author",
    "email",
    "website",
    "likes",
    "dislikes",
    "uri",
    "title",
];

/// An Isso database opened read-only.
pub struct IssoSource {
    conn: Connection,
}

impl IssoSource {
    /// Opens `file` read-only (no check that it is Isso's yet: see [`Self::has_tables`]).
    pub fn open(file: &Path) -> rusqlite::Result<IssoSource> {
        let conn = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Ok(IssoSource { conn })
    }

    /// Whether it has Isso's `threads` and `comments` tables (an error: not SQLite).
    pub fn has_tables(&self) -> rusqlite::Result<bool> {
        let tables: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('threads', 'comments')",
            [],
            |r| r.get(0),
        )?;
        Ok(tables == 2)
    }

    /// How many comments it has.
    pub fn count(&self) -> rusqlite::Result<i64> {
        self.conn
            .query_row("SELECT count(*) FROM comments", [], |r| r.get(0))
    }

    /// Checks that the tables have the columns [`Self::each_comment`] reads.
    pub fn has_columns(&self) -> rusqlite::Result<()> {
        self.conn.prepare_cached(ROWS).map(drop)
    }

    /// Calls `f` with each comment, parents before replies, one row in memory at a time.
    pub fn each_comment<E: From<rusqlite::Error>>(
        &self,
        mut f: impl FnMut(IssoComment) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self.conn.prepare_cached(ROWS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id = r.get(0)?;
            let uri = r.get(13)?;
            let values = (0..COLUMNS.len())
                .map(|i| r.get::<_, Value>(i))
                .collect::<rusqlite::Result<_>>()?;
            f(IssoComment { id, uri, values })?;
        }
        Ok(())
    }

    /// The creation time of a comment (to name a parent), if it exists and has one.
    pub fn created_of(&self, id: i64) -> rusqlite::Result<Option<f64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT created FROM comments WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten())
    }
}
