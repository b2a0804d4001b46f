//! Importing comments from Disqus, WordPress, Isso and Natter's own JSON: the machinery
//! every importer shares (site check, batched idempotent writes, parent fix-ups, progress,
//! the summary). The formats live in their own files; page keys and dates in [`keys`].
//!
//! How an import writes: on its own connection (same PRAGMAs as the server, except
//! `synchronous = NORMAL` until a final sync: a lost batch is restored by re-running), in
//! `BEGIN IMMEDIATE` transactions of at most [`BATCH`] comments or [`BATCH_TIME`], so a
//! running server keeps answering between batches and sees each batch at once. Every
//! imported comment carries `source` and a `source_id` under the unique index, so a run
//! that failed half-way (or a second run) adds nothing twice. Foreign ids are never used
//! as Natter ids (except by `import json`, which restores Natter's own). Nothing but the
//! page list is kept in memory: parents are found through the same index.

pub mod disqus;
pub mod isso;
pub mod json;
pub mod keys;
mod progress;
mod report;
pub mod wordpress;
mod xml;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension};

use crate::config::Settings;
use crate::domain::comment::Status;
use crate::domain::crypto::ServerKey;
use crate::domain::ip::AnonIp;
use crate::domain::Timestamp;
use crate::render::markdown::{render, Format};

pub use keys::{PageRules, Rewrite};
use progress::Progress;
pub use progress::Unit;
pub use report::Report;

/// Most comments one transaction writes.
pub const BATCH: usize = 500;
/// Longest a transaction stays open, so the server's writes never wait long.
pub const BATCH_TIME: Duration = Duration::from_millis(250);

/// One comment as a source describes it, before it is written.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The source's id for it (already namespaced by the importer), or a content hash.
    pub source_id: String,
    /// The source id of its parent.
    pub parent: Option<String>,
    /// Display name.
    pub author: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Body as the source stores it.
    pub text: String,
    /// How the body is written.
    pub format: Format,
    /// Moderation state.
    pub status: Status,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last edit.
    pub edited_at: Option<Timestamp>,
    /// Starting like count.
    pub likes: i64,
    /// Starting dislike count.
    pub dislikes: i64,
    /// The source's IP (anonymized before it is stored).
    pub ip: Option<String>,
}

/// Which parent a comment waits for once everything is in.
#[derive(Debug, Clone)]
pub enum ParentRef {
    /// A source id of the same source.
    Source(String),
    /// A Natter id (`import json`).
    Id(i64),
}

/// The page a comment belongs to.
#[derive(Debug, Clone, Default)]
pub struct PageInfo {
    /// Page key.
    pub key: String,
    /// Title from the source.
    pub title: Option<String>,
    /// URL from the source.
    pub url: Option<String>,
    /// Closed for comments in the source.
    pub locked: bool,
}

/// The writing side of an import: batches, idempotency, parents and the report.
pub struct Importer {
    conn: Connection,
    path: std::path::PathBuf,
    site: String,
    images: bool,
    source: &'static str,
    key: ServerKey,
    pages: HashMap<String, i64>,
    first_at: HashMap<i64, Timestamp>,
    pending: Vec<(i64, i64, ParentRef)>,
    in_tx: usize,
    tx_since: Instant,
    progress: Progress,
    /// What happened, printed at the end.
    pub report: Report,
}

/// Opens the configured database (migrating it) and checks that `site` is configured.
pub fn open_db(settings: &Settings) -> anyhow::Result<Connection> {
    Ok(crate::store::open_migrated(&settings.database, settings.durability)?.0)
}

/// The site's config, or a clear error listing the configured ones.
pub fn configured_site(
    settings: &Settings,
    site: &str,
) -> anyhow::Result<crate::config::SiteConfig> {
    let sites = settings.effective_sites();
    match sites.get(site) {
        Some(s) => Ok(s.clone()),
        None => {
            let known: Vec<&str> = sites.keys().map(String::as_str).collect();
            bail!(
                "unknown site {site:?}: the config declares {} (add a [sites.{site}] table, or pass --site with one of those)",
                known.join(", ")
            )
        }
    }
}

impl Importer {
    /// Prepares an import of `source` into `site` (which must be configured).
    pub fn new(settings: &Settings, site: &str, source: &'static str) -> anyhow::Result<Importer> {
        let cfg = configured_site(settings, site)?;
        let conn = open_db(settings)?;
        // Batches don't wait for the disk: a power cut mid-import loses at most the last
        // batches, which running the import again restores. `finish` syncs at the end.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // No triggers on this connection. The only ones, migration 0009's, keep
        // `thread_orphans` (replies whose parent is not on their page), and an import never
        // makes such a reply: a parent on another page or never found is dropped and
        // reported. At worst an import brings the missing parent of a reply already there;
        // the list checks each entry of the table again as it reads it, so that entry just
        // stays unused. With the triggers, every insert would go through a statement journal:
        // an import took ~1.4 times as long.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        let now = crate::domain::now();
        conn.execute(
            "INSERT INTO sites (id, active, created_at) VALUES (?1, 1, ?2) ON CONFLICT (id) DO NOTHING",
            params![site, now],
        )?;
        let key = crate::store::comments::server_key(&conn)?;
        Ok(Importer {
            conn,
            path: settings.database.clone(),
            site: site.to_string(),
            images: cfg.images,
            source,
            key,
            pages: HashMap::new(),
            first_at: HashMap::new(),
            pending: Vec::new(),
            in_tx: 0,
            tx_since: Instant::now(),
            progress: Progress::new(source),
            report: Report::new(source, site),
        })
    }

    /// The site imported into.
    pub fn site(&self) -> &str {
        &self.site
    }

    /// Whether the site allows images (for rendering).
    pub fn images(&self) -> bool {
        self.images
    }

    /// Sets the progress total (bytes or rows).
    pub fn set_total(&mut self, total: u64, unit: Unit) {
        self.progress.start(total, unit);
    }

    /// Reports progress at `pos` of the total.
    pub fn tick(&mut self, pos: u64) {
        self.progress.set(pos, self.report.imported);
    }

    /// The connection inside the current batch's transaction (opening one if needed).
    pub fn tx(&mut self) -> anyhow::Result<&Connection> {
        if self.in_tx == 0 && self.conn.is_autocommit() {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .context("cannot start a write transaction")?;
            self.tx_since = Instant::now();
        }
        Ok(&self.conn)
    }

    /// Counts one written row; commits when the batch is full or old.
    pub fn wrote(&mut self) -> anyhow::Result<()> {
        self.in_tx += 1;
        if self.in_tx >= BATCH || self.tx_since.elapsed() >= BATCH_TIME {
            self.commit()?;
        }
        Ok(())
    }

    /// Commits the current batch (pages' first-comment times included).
    pub fn commit(&mut self) -> anyhow::Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "UPDATE pages SET first_comment_at = min(coalesce(first_comment_at, ?2), ?2) WHERE id = ?1",
            )?;
            for (page, at) in self.first_at.drain() {
                stmt.execute(params![page, at])?;
            }
        }
        self.conn
            .execute_batch("COMMIT")
            .context("cannot commit a batch")?;
        self.in_tx = 0;
        Ok(())
    }

    /// The row id of a page of the site, creating it with the source's title, URL and lock.
    pub fn page(&mut self, page: &PageInfo) -> anyhow::Result<i64> {
        if let Some(id) = self.pages.get(&page.key) {
            return Ok(*id);
        }
        let now = crate::domain::now();
        let site = self.site.clone();
        let conn = self.tx()?;
        let created = conn
            .prepare_cached(
                "INSERT INTO pages (site, key, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (site, key) DO NOTHING",
            )?
            .execute(params![site, page.key, now])?;
        let id: i64 = conn
            .prepare_cached("SELECT id FROM pages WHERE site = ?1 AND key = ?2")?
            .query_row(params![site, page.key], |r| r.get(0))?;
        conn.prepare_cached(
            "UPDATE pages SET title = coalesce(title, ?2), url = coalesce(url, ?3), locked = max(locked, ?4)
             WHERE id = ?1",
        )?
        .execute(params![id, page.title, page.url, page.locked])?;
        self.report.pages += 1;
        self.report.pages_created += created as u64;
        if page.locked {
            self.report.pages_locked += 1;
        }
        self.pages.insert(page.key.clone(), id);
        Ok(id)
    }

    /// Looks up an imported comment of this source: its id and page.
    fn by_source(&self, source_id: &str) -> rusqlite::Result<Option<(i64, i64, Option<i64>)>> {
        self.conn
            .prepare_cached(
                "SELECT id, page_id, parent FROM comments WHERE source = ?1 AND source_id = ?2",
            )?
            .query_row(params![self.source, source_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
    }

    /// Writes one comment unless it was imported before; its parent is linked now if it is
    /// already in, or once everything is in.
    pub fn add(&mut self, page_id: i64, c: Incoming) -> anyhow::Result<()> {
        self.tx()?;
        if let Some((id, _, parent)) = self.by_source(&c.source_id)? {
            self.report.already += 1;
            if let (Some(p), None) = (c.parent, parent) {
                self.pending.push((id, page_id, ParentRef::Source(p)));
            }
            return Ok(());
        }
        let mut parent = None;
        let mut wait_for = None;
        if let Some(p) = c.parent {
            match self.by_source(&p)? {
                Some((pid, ppage, _)) if ppage == page_id => parent = Some(pid),
                Some(_) => self
                    .report
                    .orphan(format!("{}: parent {p} is on another page", c.source_id)),
                None => wait_for = Some(p),
            }
        }
        let deleted = c.status == Status::Deleted;
        let ip =
            c.ip.as_deref()
                .and_then(|s| s.trim().parse::<std::net::IpAddr>().ok())
                .map(|ip| AnonIp::from_ip(ip).as_str().to_string());
        let (author, email, website, text, ip, likes, dislikes) = if deleted {
            // Scrubbed like a tombstone: nothing personal survives a deletion.
            (None, None, None, String::new(), None, 0, 0)
        } else {
            (
                c.author,
                c.email,
                c.website,
                c.text,
                ip,
                c.likes.max(0),
                c.dislikes.max(0),
            )
        };
        let html = render(&text, c.format, self.images);
        let avatar = (!deleted).then(|| {
            avatar_hash(
                &self.key,
                email.as_deref(),
                author.as_deref(),
                ip.as_deref().unwrap_or(""),
            )
        });
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO comments (page_id, parent, author, email, website, text, format, html,
                    status, created_at, edited_at, likes, dislikes, ip, avatar, edit_until, notify,
                    source, source_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, 0, ?16, ?17)
                 ON CONFLICT (source, source_id) WHERE source IS NOT NULL DO NOTHING",
            )?
            .execute(params![
                page_id,
                parent,
                author,
                email,
                website,
                text,
                c.format.as_str(),
                html,
                c.status.as_str(),
                c.created_at,
                c.edited_at,
                likes,
                dislikes,
                ip,
                avatar,
                self.source,
                c.source_id
            ])?;
        if n == 0 {
            self.report.already += 1;
            return Ok(());
        }
        let id = self.conn.last_insert_rowid();
        if let Some(p) = wait_for {
            self.pending.push((id, page_id, ParentRef::Source(p)));
        }
        self.first_comment(page_id, c.created_at);
        self.report.count(c.status);
        self.wrote()
    }

    /// Remembers a page's earliest comment time (written at commit).
    pub fn first_comment(&mut self, page_id: i64, at: Timestamp) {
        let e = self.first_at.entry(page_id).or_insert(at);
        *e = (*e).min(at);
    }

    /// A comment whose parent may come later (`import json`).
    pub fn wait_for_parent(&mut self, id: i64, page_id: i64, parent: ParentRef) {
        self.pending.push((id, page_id, parent));
    }

    /// Links the replies whose parent came later; a reply whose parent never came stays
    /// top-level and is reported. Then the last batch is committed.
    pub fn finish(mut self) -> anyhow::Result<Report> {
        self.commit()?;
        let pending = std::mem::take(&mut self.pending);
        for (id, page_id, parent) in pending {
            self.tx()?;
            let found = match &parent {
                ParentRef::Source(s) => self.by_source(s)?.map(|(pid, ppage, _)| (pid, ppage)),
                ParentRef::Id(pid) => self
                    .conn
                    .prepare_cached("SELECT id, page_id FROM comments WHERE id = ?1")?
                    .query_row([pid], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?,
            };
            let what = match &parent {
                ParentRef::Source(s) => s.clone(),
                ParentRef::Id(i) => i.to_string(),
            };
            match found {
                Some((pid, ppage)) if ppage == page_id && pid != id => {
                    self.conn
                        .prepare_cached(
                            "UPDATE comments SET parent = ?2 WHERE id = ?1 AND parent IS NULL",
                        )?
                        .execute(params![id, pid])?;
                    self.wrote()?;
                }
                Some(_) => self
                    .report
                    .orphan(format!("comment {id}: parent {what} is on another page")),
                None => self
                    .report
                    .orphan(format!("comment {id}: parent {what} is not in the export")),
            }
        }
        self.commit()?;
        self.sync_to_disk()?;
        self.progress.done();
        Ok(self.report)
    }
}

impl Importer {
    /// Makes everything committed durable (the batches ran with `synchronous = NORMAL`):
    /// committed pages are in the WAL file or, once checkpointed, in the database file.
    fn sync_to_disk(&self) -> anyhow::Result<()> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        for file in [std::path::PathBuf::from(wal), self.path.clone()] {
            match std::fs::File::open(&file) {
                Ok(f) => f
                    .sync_all()
                    .with_context(|| format!("cannot sync {}", file.display()))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot open {}", file.display())),
            }
        }
        Ok(())
    }
}

/// Keyed hash behind the identicon, for imported comments and for those posted through the
/// API alike: the email if given, else name and network.
pub fn avatar_hash(key: &ServerKey, email: Option<&str>, author: Option<&str>, ip: &str) -> String {
    let seed = match email {
        Some(e) => format!("e:{}", e.to_lowercase()),
        None => format!("n:{}\0{ip}", author.unwrap_or("")),
    };
    hex::encode(&key.mac("avatar", seed.as_bytes())[..16])
}

/// A display name as imports store it: trimmed, single-line, at most 100 characters.
pub fn clean_author(v: Option<&str>) -> Option<String> {
    clean_line(v, 100)
}

/// A page title as imports store it: trimmed, single-line, at most 300 characters.
pub fn clean_title(v: Option<&str>) -> Option<String> {
    clean_line(v, 300)
}

fn clean_line(v: Option<&str>, max: usize) -> Option<String> {
    let v: String = v?
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    let v = v.trim().to_string();
    (!v.is_empty()).then_some(v)
}

/// An email if it is a valid address, else nothing.
pub fn clean_email(v: Option<&str>) -> Option<String> {
    crate::domain::validate::email(v.map(str::trim))
        .ok()
        .flatten()
}

/// A website if it is an http(s) URL, else nothing.
pub fn clean_website(v: Option<&str>) -> Option<String> {
    crate::domain::validate::http_url("website", v.map(str::trim), 500)
        .ok()
        .flatten()
}

/// A short content hash, the identity of a comment whose source gives it no id.
pub fn content_hash(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!("h:{}", hex::encode(&h.finalize()[..16]))
}
