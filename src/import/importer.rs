//! [`Importer`], the writing side every importer shares: batch transactions, idempotent
//! writes through `source`/`source_id`, parents linked once everything is in, the report.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;

use super::progress::{Progress, Unit};
use super::{
    avatar_hash, configured_site, Incoming, PageInfo, ParentRef, Report, BATCH, BATCH_TIME,
};
use crate::config::Settings;
use crate::domain::comment::Status;
use crate::domain::crypto::ServerKey;
use crate::domain::ip::AnonIp;
use crate::domain::Timestamp;
use crate::render::markdown::render;
use crate::store::imports::{self as q, ImportTarget};

/// The writing side of an import: batches, idempotency, parents and the report.
pub struct Importer {
    pub(super) target: Box<dyn ImportTarget>,
    pub(super) site: String,
    pub(super) images: bool,
    source: &'static str,
    key: ServerKey,
    pub(super) pages: HashMap<String, i64>,
    first_at: HashMap<i64, Timestamp>,
    pending: Vec<(i64, i64, ParentRef)>,
    in_tx: usize,
    tx_since: Instant,
    progress: Progress,
    /// What happened, printed at the end.
    pub report: Report,
}

impl Importer {
    /// Prepares an import of `source` into `site` (which must be configured).
    pub fn new(settings: &Settings, site: &str, source: &'static str) -> anyhow::Result<Importer> {
        let cfg = configured_site(settings, site)?;
        // On SQLite, batches that don't wait for the disk (`finish` syncs at the end) and
        // the `thread_orphans` triggers off: see `SqliteImport::open` for why.
        let mut target = q::open_target(settings)?;
        target.ensure_site(site, crate::domain::now())?;
        let key = target.server_key()?;
        Ok(Importer {
            target,
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

    /// The database inside the current batch's transaction (opening one if needed).
    pub fn tx(&mut self) -> anyhow::Result<&mut dyn ImportTarget> {
        if self.in_tx == 0 && !self.target.in_batch() {
            self.target
                .begin()
                .context("cannot start a write transaction")?;
            self.tx_since = Instant::now();
        }
        Ok(&mut *self.target)
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
        if !self.target.in_batch() {
            return Ok(());
        }
        for (page, at) in self.first_at.drain() {
            self.target.first_comment_at(page, at)?;
        }
        self.target.commit().context("cannot commit a batch")?;
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
        let t = self.tx()?;
        let (id, created) = t.ensure_page(&site, &page.key, now)?;
        t.merge_page(id, page.title.as_deref(), page.url.as_deref(), page.locked)?;
        self.report.pages += 1;
        self.report.pages_created += created as u64;
        if page.locked {
            self.report.pages_locked += 1;
        }
        self.pages.insert(page.key.clone(), id);
        Ok(id)
    }

    /// Looks up an imported comment of this source: its id and page.
    fn by_source(&mut self, source_id: &str) -> anyhow::Result<Option<(i64, i64, Option<i64>)>> {
        self.target.by_source(self.source, source_id)
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
        let written = self.target.insert_imported(&q::Imported {
            page_id,
            parent,
            author: author.as_deref(),
            email: email.as_deref(),
            website: website.as_deref(),
            text: &text,
            format: c.format.as_str(),
            html: &html,
            status: c.status.as_str(),
            created_at: c.created_at,
            edited_at: c.edited_at,
            likes,
            dislikes,
            ip: ip.as_deref(),
            avatar: avatar.as_deref(),
            source: self.source,
            source_id: &c.source_id,
        })?;
        let Some(id) = written else {
            self.report.already += 1;
            return Ok(());
        };
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
                ParentRef::Id(pid) => self.target.page_of(*pid)?.map(|ppage| (*pid, ppage)),
            };
            let what = match &parent {
                ParentRef::Source(s) => s.clone(),
                ParentRef::Id(i) => i.to_string(),
            };
            match found {
                Some((pid, ppage)) if ppage == page_id && pid != id => {
                    self.target.link_parent(id, pid)?;
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
        self.target.sync()?;
        self.progress.done();
        Ok(self.report)
    }
}
