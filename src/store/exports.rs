//! The reads of `natter export`, on either engine ([`ExportSource`]): the site, then its
//! pages, comments and votes streamed one row at a time inside one read transaction.
//! SQLite's statements are here ([`SqliteExport`]); PostgreSQL's in
//! [`super::pg::exports`]. `import json` writes the same rows back (see [`super::imports`]).

use rusqlite::{Connection, OptionalExtension};

use crate::config::Settings;
use crate::domain::comment::Via;
use crate::domain::Timestamp;

/// The database an export reads: one consistent snapshot between [`begin_read`] and
/// [`end_read`], rows handed over one at a time, in id order.
///
/// [`begin_read`]: ExportSource::begin_read
/// [`end_read`]: ExportSource::end_read
pub trait ExportSource {
    /// Opens the read transaction (the export's snapshot).
    fn begin_read(&mut self) -> anyhow::Result<()>;
    /// Ends it.
    fn end_read(&mut self) -> anyhow::Result<()>;
    /// Whether the database has a row for the site.
    fn site_known(&mut self, site: &str) -> anyhow::Result<bool>;
    /// When the site's row was made.
    fn site_created(&mut self, site: &str) -> anyhow::Result<Option<Timestamp>>;
    /// Calls `f` with each page of the site, by id.
    fn each_page(&mut self, site: &str, f: &mut PageFn<'_>) -> anyhow::Result<()>;
    /// Calls `f` with each comment of the site and its page key, by id.
    fn each_comment(&mut self, site: &str, f: &mut CommentFn<'_>) -> anyhow::Result<()>;
    /// Calls `f` with each vote on the site's comments: `(comment, voter, value)`, by
    /// comment and voter (bytewise).
    fn each_vote(&mut self, site: &str, f: &mut VoteFn<'_>) -> anyhow::Result<()>;
}

/// What [`ExportSource::each_page`] calls.
pub type PageFn<'a> = dyn FnMut(PageRow) -> anyhow::Result<()> + 'a;
/// What [`ExportSource::each_comment`] calls: page key and comment.
pub type CommentFn<'a> = dyn FnMut(String, CommentRow) -> anyhow::Result<()> + 'a;
/// What [`ExportSource::each_vote`] calls: comment, voter, value.
pub type VoteFn<'a> = dyn FnMut(i64, String, i64) -> anyhow::Result<()> + 'a;

/// Opens the configured database for an export (migrating it), on its engine.
pub fn open_source(settings: &Settings) -> anyhow::Result<Box<dyn ExportSource>> {
    match settings.postgres_url() {
        Some(url) => Ok(Box::new(super::pg::exports::PgExport::open(url)?)),
        None => Ok(Box::new(SqliteExport {
            conn: super::open_migrated(&settings.database, settings.durability)?.0,
        })),
    }
}

/// A page as an export holds it.
#[derive(Debug, Clone)]
pub struct PageRow {
    /// Page key.
    pub key: String,
    /// Title.
    pub title: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Locked.
    pub locked: bool,
    /// Time of its first comment.
    pub first_comment_at: Option<Timestamp>,
    /// When the row was made.
    pub created_at: Timestamp,
}

/// Every stored field of a comment but its page, as an export reads it and `import json`
/// writes it back.
#[derive(Debug, Clone)]
pub struct CommentRow {
    /// Natter id.
    pub id: i64,
    /// Parent id.
    pub parent: Option<i64>,
    /// Name.
    pub author: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Source text.
    pub text: String,
    /// `markdown` or `html`.
    pub format: String,
    /// Rendering.
    pub html: String,
    /// Moderation state.
    pub status: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last edit.
    pub edited_at: Option<Timestamp>,
    /// Likes.
    pub likes: i64,
    /// Dislikes.
    pub dislikes: i64,
    /// Anonymized IP.
    pub ip: Option<String>,
    /// Identicon hash.
    pub avatar: Option<String>,
    /// Keyed hash of the author key.
    pub author_key_hash: Option<String>,
    /// Hash of the edit token.
    pub edit_token_hash: Option<String>,
    /// End of the edit window.
    pub edit_until: Timestamp,
    /// Wants reply emails.
    pub notify: bool,
    /// Where it was imported from.
    pub source: Option<String>,
    /// Its id there.
    pub source_id: Option<String>,
    /// Where it came from (a Webmention, the Fediverse), if not written here.
    pub via: Option<crate::domain::comment::Via>,
    /// The rule that held it.
    pub held_reason: Option<String>,
    /// `owner` for the site owner's comments.
    pub badge: Option<String>,
}

/// An export from a SQLite file.
pub struct SqliteExport {
    conn: Connection,
}

impl ExportSource for SqliteExport {
    fn begin_read(&mut self) -> anyhow::Result<()> {
        Ok(self.conn.execute_batch("BEGIN")?)
    }

    fn end_read(&mut self) -> anyhow::Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    fn site_known(&mut self, site: &str) -> anyhow::Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sites WHERE id = ?1)",
            [site],
            |r| r.get(0),
        )?)
    }

    fn site_created(&mut self, site: &str) -> anyhow::Result<Option<Timestamp>> {
        Ok(self
            .conn
            .query_row("SELECT created_at FROM sites WHERE id = ?1", [site], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn each_page(&mut self, site: &str, f: &mut PageFn<'_>) -> anyhow::Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT key, title, url, locked, first_comment_at, created_at FROM pages WHERE site = ?1 ORDER BY id",
        )?;
        let mut rows = stmt.query([site])?;
        while let Some(r) = rows.next()? {
            f(PageRow {
                key: r.get(0)?,
                title: r.get(1)?,
                url: r.get(2)?,
                locked: r.get(3)?,
                first_comment_at: r.get(4)?,
                created_at: r.get(5)?,
            })?;
        }
        Ok(())
    }

    fn each_comment(&mut self, site: &str, f: &mut CommentFn<'_>) -> anyhow::Result<()> {
        let mut stmt = self.conn.prepare(COMMENTS)?;
        let mut rows = stmt.query([site])?;
        while let Some(r) = rows.next()? {
            let page: String = r.get(1)?;
            f(
                page,
                CommentRow {
                    id: r.get(0)?,
                    parent: r.get(2)?,
                    author: r.get(3)?,
                    email: r.get(4)?,
                    website: r.get(5)?,
                    text: r.get(6)?,
                    format: r.get(7)?,
                    html: r.get(8)?,
                    status: r.get(9)?,
                    created_at: r.get(10)?,
                    edited_at: r.get(11)?,
                    likes: r.get(12)?,
                    dislikes: r.get(13)?,
                    ip: r.get(14)?,
                    avatar: r.get(15)?,
                    author_key_hash: r.get(16)?,
                    edit_token_hash: r.get(17)?,
                    edit_until: r.get(18)?,
                    notify: r.get(19)?,
                    source: r.get(20)?,
                    source_id: r.get(21)?,
                    via: Via::from_columns(r.get(22)?, r.get(23)?, r.get(24)?),
                    held_reason: r.get(25)?,
                    badge: r.get(26)?,
                },
            )?;
        }
        Ok(())
    }

    fn each_vote(&mut self, site: &str, f: &mut VoteFn<'_>) -> anyhow::Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT v.comment_id, v.voter, v.value FROM votes v JOIN comments c ON c.id = v.comment_id
             JOIN pages p ON p.id = c.page_id WHERE p.site = ?1 ORDER BY v.comment_id, v.voter",
        )?;
        let mut rows = stmt.query([site])?;
        while let Some(r) = rows.next()? {
            f(r.get(0)?, r.get(1)?, r.get(2)?)?;
        }
        Ok(())
    }
}

/// Every comment of a site with its page key, by id.
const COMMENTS: &str =
    "SELECT c.id, p.key, c.parent, c.author, c.email, c.website, c.text, c.format, c.html,
            c.status, c.created_at, c.edited_at, c.likes, c.dislikes, c.ip, c.avatar,
            c.author_key_hash, c.edit_token_hash, c.edit_until, c.notify, c.source, c.source_id,
            c.via_kind, c.via_url, c.via_handle, c.held_reason, c.badge
     FROM comments c JOIN pages p ON p.id = c.page_id WHERE p.site = ?1 ORDER BY c.id";
