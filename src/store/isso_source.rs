//! Reading an Isso SQLite database (`natter import isso`): opened read-only, its comments
//! read one row at a time with their thread's URI and title.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// Isso's comments with their thread, parents before replies (Isso ids grow).
const ROWS: &str =
    "SELECT c.id, c.tid, c.parent, c.created, c.modified, c.mode, c.remote_addr, c.text,
                    c.author, c.email, c.website, c.likes, c.dislikes, t.uri, t.title
             FROM comments c LEFT JOIN threads t ON t.id = c.tid ORDER BY c.id";

/// One row of Isso's `comments` with its thread's `uri` and `title`, as Isso stores them.
#[derive(Debug, Clone)]
pub struct IssoComment {
    /// Isso id.
    pub id: i64,
    /// Parent's Isso id.
    pub parent: Option<i64>,
    /// Creation time (seconds, fractional).
    pub created: Option<f64>,
    /// Last edit.
    pub modified: Option<f64>,
    /// 1 approved, 2 pending, 4 deleted.
    pub mode: Option<i64>,
    /// Address as Isso stored it.
    pub remote_addr: Option<String>,
    /// Markdown text.
    pub text: Option<String>,
    /// Name.
    pub author: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Likes.
    pub likes: Option<i64>,
    /// Dislikes.
    pub dislikes: Option<i64>,
    /// The thread's URI (none when the thread row is missing).
    pub uri: Option<String>,
    /// The thread's title.
    pub title: Option<String>,
}

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
            f(IssoComment {
                id: r.get(0)?,
                parent: r.get(2)?,
                created: r.get(3)?,
                modified: r.get(4)?,
                mode: r.get(5)?,
                remote_addr: r.get(6)?,
                text: r.get(7)?,
                author: r.get(8)?,
                email: r.get(9)?,
                website: r.get(10)?,
                likes: r.get(11)?,
                dislikes: r.get(12)?,
                uri: r.get(13)?,
                title: r.get(14)?,
            })?;
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
