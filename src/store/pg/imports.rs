//! [`ImportTarget`] on PostgreSQL: the same writes as SQLite's (`store/imports.rs`), each
//! batch one transaction on the command's own connection, statements prepared once.
//! The triggers stay on (the thread cache's notification, `thread_orphans`): another
//! node may be serving the database meanwhile.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

use crate::domain::crypto::ServerKey;
use crate::domain::Timestamp;
use crate::store::exports::{CommentRow, PageRow};
use crate::store::imports::{ImportTarget, Imported};

/// An import into a PostgreSQL database.
pub struct PgImport {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    in_batch: bool,
    /// The highest id given by `insert_restored` in this batch.
    restored: Option<i64>,
}

type Params<'a> = [&'a (dyn ToSql + Sync)];

impl PgImport {
    /// Connects to `url` and migrates the database.
    pub fn open(url: &str) -> anyhow::Result<PgImport> {
        Ok(PgImport {
            client: super::command::open_migrated(url)?,
            statements: HashMap::new(),
            in_batch: false,
            restored: None,
        })
    }

    /// `sql` prepared once for the whole import.
    fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn execute(&mut self, sql: &'static str, params: &Params<'_>) -> anyhow::Result<u64> {
        let s = self.prepared(sql)?;
        Ok(self.client.execute(&s, params)?)
    }

    fn query_opt(&mut self, sql: &'static str, params: &Params<'_>) -> anyhow::Result<Option<Row>> {
        let s = self.prepared(sql)?;
        Ok(self.client.query_opt(&s, params)?)
    }
}

impl ImportTarget for PgImport {
    fn in_batch(&self) -> bool {
        self.in_batch
    }

    fn begin(&mut self) -> anyhow::Result<()> {
        self.client.batch_execute("BEGIN")?;
        self.in_batch = true;
        Ok(())
    }

    /// Moves the comments' identity past the ids `insert_restored` gave (SQLite's
    /// AUTOINCREMENT does that by itself), so that the next new comment gets a new id.
    fn commit(&mut self) -> anyhow::Result<()> {
        if let Some(max) = self.restored.take() {
            self.query_opt(
                "SELECT setval(seq, $1) FROM (SELECT pg_get_serial_sequence('comments', 'id')::regclass AS seq) s
                 WHERE $1 > coalesce(pg_sequence_last_value(seq), 0)",
                &[&max],
            )?;
        }
        self.client.batch_execute("COMMIT")?;
        self.in_batch = false;
        Ok(())
    }

    /// A PostgreSQL commit is durable when it returns.
    fn sync(&mut self) -> anyhow::Result<()> {
        Ok(())
    }

    fn ensure_site(&mut self, site: &str, now: Timestamp) -> anyhow::Result<()> {
        self.execute(
            "INSERT INTO sites (id, active, created_at) VALUES ($1, 1, $2) ON CONFLICT (id) DO NOTHING",
            &[&site, &now],
        )?;
        Ok(())
    }

    /// As a node's start-up reads it (`startup.rs`), so that every node and this import
    /// agree on it: one made here only where there is none (a node starting meanwhile
    /// keeps its own), an unreadable one replaced.
    fn server_key(&mut self) -> anyhow::Result<ServerKey> {
        let read = "SELECT value FROM secrets WHERE name = 'server'";
        for replace in [false, true] {
            let stored: Option<Vec<u8>> = self.query_opt(read, &[])?.map(|r| r.get(0));
            if let Some(key) = stored.as_deref().and_then(ServerKey::from_bytes) {
                return Ok(key);
            }
            let key = ServerKey::generate();
            let sql = if replace || stored.is_some() {
                "INSERT INTO secrets (name, value) VALUES ('server', $1)
                 ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
            } else {
                "INSERT INTO secrets (name, value) VALUES ('server', $1) ON CONFLICT (name) DO NOTHING"
            };
            if self.execute(sql, &[&key.as_bytes()])? == 1 {
                return Ok(key);
            }
        }
        anyhow::bail!("cannot store the server secret")
    }

    fn first_comment_at(&mut self, page: i64, at: Timestamp) -> anyhow::Result<()> {
        self.execute(
            "UPDATE pages SET first_comment_at = LEAST(coalesce(first_comment_at, $2), $2) WHERE id = $1",
            &[&page, &at],
        )?;
        Ok(())
    }

    fn ensure_page(
        &mut self,
        site: &str,
        key: &str,
        now: Timestamp,
    ) -> anyhow::Result<(i64, bool)> {
        let created = self.execute(
            "INSERT INTO pages (site, key, created_at) VALUES ($1, $2, $3) ON CONFLICT (site, key) DO NOTHING",
            &[&site, &key, &now],
        )?;
        Ok((self.page_id(site, key)?, created > 0))
    }

    fn page_id(&mut self, site: &str, key: &str) -> anyhow::Result<i64> {
        let row = self.query_opt(
            "SELECT id FROM pages WHERE site = $1 AND key = $2",
            &[&site, &key],
        )?;
        row.map(|r| r.get(0))
            .ok_or_else(|| anyhow::anyhow!("no page {key:?} on the site {site:?}"))
    }

    fn merge_page(
        &mut self,
        id: i64,
        title: Option<&str>,
        url: Option<&str>,
        locked: bool,
    ) -> anyhow::Result<()> {
        self.execute(
            "UPDATE pages SET title = coalesce(title, $2), url = coalesce(url, $3),
                locked = GREATEST(locked, $4) WHERE id = $1",
            &[&id, &title, &url, &i64::from(locked)],
        )?;
        Ok(())
    }

    fn insert_page(&mut self, site: &str, p: &PageRow) -> anyhow::Result<bool> {
        let n = self.execute(
            "INSERT INTO pages (site, key, title, url, locked, first_comment_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (site, key) DO NOTHING",
            &[
                &site,
                &p.key,
                &p.title,
                &p.url,
                &i64::from(p.locked),
                &p.first_comment_at,
                &p.created_at,
            ],
        )?;
        Ok(n > 0)
    }

    fn by_source(
        &mut self,
        source: &str,
        source_id: &str,
    ) -> anyhow::Result<Option<(i64, i64, Option<i64>)>> {
        let row = self.query_opt(
            "SELECT id, page_id, parent FROM comments WHERE source = $1 AND source_id = $2",
            &[&source, &source_id],
        )?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    fn id_by_source(&mut self, source: &str, source_id: &str) -> anyhow::Result<Option<i64>> {
        let row = self.query_opt(
            "SELECT id FROM comments WHERE source = $1 AND source_id = $2",
            &[&source, &source_id],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn page_of(&mut self, id: i64) -> anyhow::Result<Option<i64>> {
        let row = self.query_opt("SELECT page_id FROM comments WHERE id = $1", &[&id])?;
        Ok(row.map(|r| r.get(0)))
    }

    fn comment_place(&mut self, id: i64) -> anyhow::Result<Option<(Timestamp, String, String)>> {
        let row = self.query_opt(
            "SELECT c.created_at, p.site, p.key FROM comments c JOIN pages p ON p.id = c.page_id
             WHERE c.id = $1",
            &[&id],
        )?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    fn link_parent(&mut self, id: i64, parent: i64) -> anyhow::Result<()> {
        self.execute(
            "UPDATE comments SET parent = $2 WHERE id = $1 AND parent IS NULL",
            &[&id, &parent],
        )?;
        Ok(())
    }

    fn insert_imported(&mut self, c: &Imported<'_>) -> anyhow::Result<Option<i64>> {
        let row = self.query_opt(
            "INSERT INTO comments (page_id, parent, author, email, website, text, format, html,
                status, created_at, edited_at, likes, dislikes, ip, avatar, edit_until, notify,
                source, source_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, 0, $16, $17)
             ON CONFLICT (source, source_id) WHERE source IS NOT NULL DO NOTHING
             RETURNING id",
            &[
                &c.page_id,
                &c.parent,
                &c.author,
                &c.email,
                &c.website,
                &c.text,
                &c.format,
                &c.html,
                &c.status,
                &c.created_at,
                &c.edited_at,
                &c.likes,
                &c.dislikes,
                &c.ip,
                &c.avatar,
                &c.source,
                &c.source_id,
            ],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn insert_restored(&mut self, page_id: i64, c: &CommentRow) -> anyhow::Result<()> {
        self.restored = self.restored.max(Some(c.id));
        self.execute(
            "INSERT INTO comments (id, page_id, parent, author, email, website, text, format, html,
                status, created_at, edited_at, likes, dislikes, ip, avatar, author_key_hash,
                edit_token_hash, edit_until, notify, source, source_id, via_kind, via_url,
                via_handle, held_reason, badge)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)",
            &[
                &c.id,
                &page_id,
                &c.parent,
                &c.author,
                &c.email,
                &c.website,
                &c.text,
                &c.format,
                &c.html,
                &c.status,
                &c.created_at,
                &c.edited_at,
                &c.likes,
                &c.dislikes,
                &c.ip,
                &c.avatar,
                &c.author_key_hash,
                &c.edit_token_hash,
                &c.edit_until,
                &i64::from(c.notify),
                &c.source,
                &c.source_id,
                &c.via.as_ref().map(|v| v.kind.as_str()),
                &c.via.as_ref().map(|v| v.url.as_str()),
                &c.via.as_ref().and_then(|v| v.handle.as_deref()),
                &c.held_reason,
                &c.badge,
            ],
        )?;
        Ok(())
    }

    fn insert_vote(
        &mut self,
        comment_id: i64,
        voter: &str,
        value: i64,
        site: &str,
    ) -> anyhow::Result<()> {
        self.execute(
            "INSERT INTO votes (comment_id, voter, value)
             SELECT $1::BIGINT, $2::TEXT, $3::BIGINT
             WHERE EXISTS (SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
                           WHERE c.id = $1 AND p.site = $4)
             ON CONFLICT (comment_id, voter) DO NOTHING",
            &[&comment_id, &voter, &value, &site],
        )?;
        Ok(())
    }
}
