//! The writes of `natter import`, on either engine: [`ImportTarget`], the idempotent
//! writes of imported pages, comments and votes in batch transactions, and the lookups
//! that make a second run add nothing. SQLite's statements are here ([`SqliteImport`]);
//! PostgreSQL's in [`super::pg::imports`]. The reads of `natter export` are in
//! [`super::exports`].

use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension};

use super::exports::{CommentRow, PageRow};
use crate::config::Settings;
use crate::domain::crypto::ServerKey;
use crate::domain::Timestamp;

/// The database an import writes into. Every write happens inside a batch: [`begin`]
/// opens one, [`commit`] ends it; the importer decides when.
///
/// [`begin`]: ImportTarget::begin
/// [`commit`]: ImportTarget::commit
pub trait ImportTarget {
    /// Whether a batch transaction is open.
    fn in_batch(&self) -> bool;
    /// Opens a write transaction (one batch).
    fn begin(&mut self) -> anyhow::Result<()>;
    /// Commits the open batch.
    fn commit(&mut self) -> anyhow::Result<()>;
    /// Makes everything committed durable (batches may commit without waiting for the disk).
    fn sync(&mut self) -> anyhow::Result<()>;
    /// Makes the site's row unless it exists (outside a batch).
    fn ensure_site(&mut self, site: &str, now: Timestamp) -> anyhow::Result<()>;
    /// The server secret (made if there is none), for avatar hashes (outside a batch).
    fn server_key(&mut self) -> anyhow::Result<ServerKey>;
    /// Moves a page's first-comment time back to `at` if it is earlier (or unset).
    fn first_comment_at(&mut self, page: i64, at: Timestamp) -> anyhow::Result<()>;
    /// The row id of a page, making a bare one if needed: `(id, made now)`.
    fn ensure_page(&mut self, site: &str, key: &str, now: Timestamp)
        -> anyhow::Result<(i64, bool)>;
    /// The row id of an existing page.
    fn page_id(&mut self, site: &str, key: &str) -> anyhow::Result<i64>;
    /// Fills a page's missing title and URL, and locks it if `locked`.
    fn merge_page(
        &mut self,
        id: i64,
        title: Option<&str>,
        url: Option<&str>,
        locked: bool,
    ) -> anyhow::Result<()>;
    /// Writes an exported page unless the site has it: whether it was written.
    fn insert_page(&mut self, site: &str, p: &PageRow) -> anyhow::Result<bool>;
    /// An imported comment of a source: `(id, page, parent)`.
    fn by_source(
        &mut self,
        source: &str,
        source_id: &str,
    ) -> anyhow::Result<Option<(i64, i64, Option<i64>)>>;
    /// The id of the comment imported from `source` as `source_id`.
    fn id_by_source(&mut self, source: &str, source_id: &str) -> anyhow::Result<Option<i64>>;
    /// The page of a comment, if the comment exists.
    fn page_of(&mut self, id: i64) -> anyhow::Result<Option<i64>>;
    /// Where a comment is: `(created_at, site, page key)`.
    fn comment_place(&mut self, id: i64) -> anyhow::Result<Option<(Timestamp, String, String)>>;
    /// Links a top-level comment to the parent that came after it.
    fn link_parent(&mut self, id: i64, parent: i64) -> anyhow::Result<()>;
    /// Writes an imported comment unless its source id is there: its new id, or `None`.
    fn insert_imported(&mut self, c: &Imported<'_>) -> anyhow::Result<Option<i64>>;
    /// Writes a comment of an export on `page_id` with its own id.
    fn insert_restored(&mut self, page_id: i64, c: &CommentRow) -> anyhow::Result<()>;
    /// Writes a vote of an export if its comment is on `site` and the voter has not voted.
    fn insert_vote(
        &mut self,
        comment_id: i64,
        voter: &str,
        value: i64,
        site: &str,
    ) -> anyhow::Result<()>;
}

/// Opens the configured database for an import (migrating it), on its engine.
pub fn open_target(settings: &Settings) -> anyhow::Result<Box<dyn ImportTarget>> {
    match settings.postgres_url() {
        Some(url) => Ok(Box::new(super::pg::imports::PgImport::open(url)?)),
        None => Ok(Box::new(SqliteImport::open(settings)?)),
    }
}

/// A comment from a foreign source, ready to write (Natter gives it its id).
#[derive(Debug, Clone)]
pub struct Imported<'a> {
    /// Page row id.
    pub page_id: i64,
    /// Parent id, when it is already in.
    pub parent: Option<i64>,
    /// Name.
    pub author: Option<&'a str>,
    /// Email.
    pub email: Option<&'a str>,
    /// Website.
    pub website: Option<&'a str>,
    /// Source text.
    pub text: &'a str,
    /// `markdown` or `html`.
    pub format: &'a str,
    /// Rendering.
    pub html: &'a str,
    /// Moderation state.
    pub status: &'a str,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last edit.
    pub edited_at: Option<Timestamp>,
    /// Likes.
    pub likes: i64,
    /// Dislikes.
    pub dislikes: i64,
    /// Anonymized IP.
    pub ip: Option<&'a str>,
    /// Identicon hash.
    pub avatar: Option<&'a str>,
    /// The importer's name.
    pub source: &'a str,
    /// Its id there.
    pub source_id: &'a str,
}

/// An import into a SQLite file: its own migrated connection, `synchronous = NORMAL` until
/// [`ImportTarget::sync`], and no triggers.
pub struct SqliteImport {
    conn: Connection,
    path: PathBuf,
}

impl SqliteImport {
    /// Opens (and migrates) the configured SQLite database and sets it up for an import.
    pub fn open(settings: &Settings) -> anyhow::Result<SqliteImport> {
        let conn = super::open_migrated(&settings.database, settings.durability)?.0;
        // Batches don't wait for the disk: a power cut mid-import loses at most the last
        // batches, which running the import again restores. `sync` runs at the end.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // No triggers on this connection. The only ones, migration 0009's, keep
        // `thread_orphans` (replies whose parent is not on their page), and an import never
        // makes such a reply: a parent on another page or never found is dropped and
        // reported. At worst an import brings the missing parent of a reply already there;
        // the list checks each entry of the table again as it reads it, so that entry just
        // stays unused. With the triggers, every insert would go through a statement
        // journal: an import took ~1.4 times as long.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        Ok(SqliteImport {
            conn,
            path: settings.database.clone(),
        })
    }
}

/// Syncs `file` to the disk if it exists.
fn sync_file(file: &Path) -> anyhow::Result<()> {
    match std::fs::File::open(file) {
        Ok(f) => f
            .sync_all()
            .with_context(|| format!("cannot sync {}", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot open {}", file.display())),
    }
}

impl ImportTarget for SqliteImport {
    fn in_batch(&self) -> bool {
        !self.conn.is_autocommit()
    }

    fn begin(&mut self) -> anyhow::Result<()> {
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    /// Committed pages are in the WAL file or, once checkpointed, in the database file.
    fn sync(&mut self) -> anyhow::Result<()> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        sync_file(Path::new(&wal))?;
        sync_file(&self.path)
    }

    fn ensure_site(&mut self, site: &str, now: Timestamp) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO sites (id, active, created_at) VALUES (?1, 1, ?2) ON CONFLICT (id) DO NOTHING",
            params![site, now],
        )?;
        Ok(())
    }

    fn server_key(&mut self) -> anyhow::Result<ServerKey> {
        Ok(super::pages::server_key(&self.conn)?)
    }

    fn first_comment_at(&mut self, page: i64, at: Timestamp) -> anyhow::Result<()> {
        self.conn.prepare_cached(
            "UPDATE pages SET first_comment_at = min(coalesce(first_comment_at, ?2), ?2) WHERE id = ?1",
        )?
        .execute(params![page, at])?;
        Ok(())
    }

    fn ensure_page(
        &mut self,
        site: &str,
        key: &str,
        now: Timestamp,
    ) -> anyhow::Result<(i64, bool)> {
        let created = self.conn
            .prepare_cached(
                "INSERT INTO pages (site, key, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (site, key) DO NOTHING",
            )?
            .execute(params![site, key, now])?;
        Ok((self.page_id(site, key)?, created > 0))
    }

    fn page_id(&mut self, site: &str, key: &str) -> anyhow::Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM pages WHERE site = ?1 AND key = ?2")?
            .query_row(params![site, key], |r| r.get(0))?)
    }

    fn merge_page(
        &mut self,
        id: i64,
        title: Option<&str>,
        url: Option<&str>,
        locked: bool,
    ) -> anyhow::Result<()> {
        self.conn.prepare_cached(
            "UPDATE pages SET title = coalesce(title, ?2), url = coalesce(url, ?3), locked = max(locked, ?4)
             WHERE id = ?1",
        )?
        .execute(params![id, title, url, locked])?;
        Ok(())
    }

    fn insert_page(&mut self, site: &str, p: &PageRow) -> anyhow::Result<bool> {
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO pages (site, key, title, url, locked, first_comment_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (site, key) DO NOTHING",
            )?
            .execute(params![
                site,
                p.key,
                p.title,
                p.url,
                p.locked,
                p.first_comment_at,
                p.created_at
            ])?;
        Ok(n > 0)
    }

    fn by_source(
        &mut self,
        source: &str,
        source_id: &str,
    ) -> anyhow::Result<Option<(i64, i64, Option<i64>)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, page_id, parent FROM comments WHERE source = ?1 AND source_id = ?2",
            )?
            .query_row(params![source, source_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?)
    }

    fn id_by_source(&mut self, source: &str, source_id: &str) -> anyhow::Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM comments WHERE source = ?1 AND source_id = ?2")?
            .query_row(params![source, source_id], |r| r.get(0))
            .optional()?)
    }

    fn page_of(&mut self, id: i64) -> anyhow::Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT page_id FROM comments WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    fn comment_place(&mut self, id: i64) -> anyhow::Result<Option<(Timestamp, String, String)>> {
        Ok(self.conn.prepare_cached(
            "SELECT c.created_at, p.site, p.key FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
    }

    fn link_parent(&mut self, id: i64, parent: i64) -> anyhow::Result<()> {
        self.conn
            .prepare_cached("UPDATE comments SET parent = ?2 WHERE id = ?1 AND parent IS NULL")?
            .execute(params![id, parent])?;
        Ok(())
    }

    fn insert_imported(&mut self, c: &Imported<'_>) -> anyhow::Result<Option<i64>> {
        let n = self.conn
            .prepare_cached(
                "INSERT INTO comments (page_id, parent, author, email, website, text, format, html,
                    status, created_at, edited_at, likes, dislikes, ip, avatar, edit_until, notify,
                    source, source_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, 0, ?16, ?17)
                 ON CONFLICT (source, source_id) WHERE source IS NOT NULL DO NOTHING",
            )?
            .execute(params![
                c.page_id,
                c.parent,
                c.author,
                c.email,
                c.website,
                c.text,
                c.format,
                c.html,
                c.status,
                c.created_at,
                c.edited_at,
                c.likes,
                c.dislikes,
                c.ip,
                c.avatar,
                c.source,
                c.source_id
            ])?;
        Ok((n > 0).then(|| self.conn.last_insert_rowid()))
    }

    fn insert_restored(&mut self, page_id: i64, c: &CommentRow) -> anyhow::Result<()> {
        self.conn.prepare_cached(
            "INSERT INTO comments (id, page_id, parent, author, email, website, text, format, html,
                status, created_at, edited_at, likes, dislikes, ip, avatar, author_key_hash,
                edit_token_hash, edit_until, notify, source, source_id, via_kind, via_url,
                via_handle, held_reason, badge)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
        )?
        .execute(params![
            c.id,
            page_id,
            c.parent,
            c.author,
            c.email,
            c.website,
            c.text,
            c.format,
            c.html,
            c.status,
            c.created_at,
            c.edited_at,
            c.likes,
            c.dislikes,
            c.ip,
            c.avatar,
            c.author_key_hash,
            c.edit_token_hash,
            c.edit_until,
            c.notify,
            c.source,
            c.source_id,
            c.via.as_ref().map(|v| &v.kind),
            c.via.as_ref().map(|v| &v.url),
            c.via.as_ref().and_then(|v| v.handle.as_ref()),
            c.held_reason,
            c.badge,
        ])?;
        Ok(())
    }

    fn insert_vote(
        &mut self,
        comment_id: i64,
        voter: &str,
        value: i64,
        site: &str,
    ) -> anyhow::Result<()> {
        self.conn.prepare_cached(
            "INSERT INTO votes (comment_id, voter, value)
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
                                             WHERE c.id = ?1 AND p.site = ?4)
             ON CONFLICT (comment_id, voter) DO NOTHING",
        )?
        .execute(params![comment_id, voter, value, site])?;
        Ok(())
    }
}
