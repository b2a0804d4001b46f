//! `natter import isso`: an Isso SQLite database, opened read-only and read row by row.
//! Isso's text is Markdown; its vote counts become starting counts; its addresses are
//! anonymized again (IPv4 /24, IPv6 /48).

use std::path::Path;

use anyhow::{bail, Context};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{Importer, Incoming, PageInfo, PageRules, Report, Unit};
use crate::config::Settings;
use crate::domain::comment::Status;
use crate::render::markdown::Format;

/// Imports an Isso database into `site`.
pub fn import(
    settings: &Settings,
    site: &str,
    file: &Path,
    rules: &PageRules,
) -> anyhow::Result<Report> {
    if !file.is_file() {
        bail!("{} does not exist or is not a file", file.display());
    }
    let src = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {}", file.display()))?;
    let tables: i64 = src
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('threads', 'comments')",
            [],
            |r| r.get(0),
        )
        .with_context(|| format!("{} is not an SQLite database", file.display()))?;
    if tables != 2 {
        bail!(
            "{} is not an Isso database: it has no `threads` and `comments` tables",
            file.display()
        );
    }
    let mut imp = Importer::new(settings, site, "isso")?;
    let total: i64 = src.query_row("SELECT count(*) FROM comments", [], |r| r.get(0))?;
    imp.set_total(u64::try_from(total).unwrap_or(0), Unit::Rows);
    // Parents before replies (Isso ids grow), one row in memory at a time.
    let mut stmt = src
        .prepare(
            "SELECT c.id, c.tid, c.parent, c.created, c.modified, c.mode, c.remote_addr, c.text,
                    c.author, c.email, c.website, c.likes, c.dislikes, t.uri, t.title
             FROM comments c LEFT JOIN threads t ON t.id = c.tid ORDER BY c.id",
        )
        .with_context(|| format!("{} does not have Isso's columns", file.display()))?;
    let mut parent_created = src.prepare("SELECT created FROM comments WHERE id = ?1")?;
    let mut rows = stmt.query([])?;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        n += 1;
        imp.tick(n);
        let id: i64 = r.get(0)?;
        let label = format!("comment {id}");
        let uri: Option<String> = r.get(13)?;
        let Some(uri) = uri else {
            imp.report.skip("its thread is not in the database", label);
            continue;
        };
        let Some(key) = rules.key(&uri) else {
            imp.report.skip(
                "its thread's uri gives no page",
                format!("{label} ({uri:?})"),
            );
            continue;
        };
        let created: Option<f64> = r.get(3)?;
        let Some(created_at) = created.filter(|t| t.is_finite()).map(|t| t.floor() as i64) else {
            imp.report.skip("its date cannot be read", label);
            continue;
        };
        let modified: Option<f64> = r.get(4)?;
        let mode: Option<i64> = r.get(5)?;
        let status = match mode {
            Some(1) => Status::Approved,
            Some(2) => Status::Pending,
            Some(4) => Status::Deleted,
            other => {
                imp.report.note(format!(
                    "{label}: mode {other:?} is unknown; held as pending"
                ));
                Status::Pending
            }
        };
        let text: Option<String> = r.get(7)?;
        let text = text.unwrap_or_default().trim().to_string();
        if status != Status::Deleted && text.is_empty() {
            imp.report.skip("it has no text", label);
            continue;
        }
        let title: Option<String> = r.get(14)?;
        let page = PageInfo {
            url: super::clean_website(Some(&uri)),
            key,
            title: super::clean_title(title.as_deref()),
            locked: false,
        };
        let page_id = imp.page(&page)?;
        let site = imp.site().to_string();
        let parent: Option<i64> = r.get(2)?;
        // A source id names the row and its time, so two Isso databases never collide.
        let parent = match parent {
            Some(p) => {
                let at: Option<f64> = parent_created
                    .query_row([p], |r| r.get(0))
                    .optional()?
                    .flatten();
                Some(match at {
                    Some(t) => format!("{site}:{p}:{}", t.floor() as i64),
                    None => format!("{site}:{p}:missing"),
                })
            }
            None => None,
        };
        let author: Option<String> = r.get(8)?;
        let email: Option<String> = r.get(9)?;
        let website: Option<String> = r.get(10)?;
        let ip: Option<String> = r.get(6)?;
        let likes: Option<i64> = r.get(11)?;
        let dislikes: Option<i64> = r.get(12)?;
        imp.add(
            page_id,
            Incoming {
                source_id: format!("{site}:{id}:{created_at}"),
                parent,
                author: super::clean_author(author.as_deref()),
                email: super::clean_email(email.as_deref()),
                website: super::clean_website(website.as_deref()),
                text,
                format: Format::Markdown,
                status,
                created_at,
                edited_at: modified.filter(|t| t.is_finite()).map(|t| t.floor() as i64),
                likes: likes.unwrap_or(0),
                dislikes: dislikes.unwrap_or(0),
                ip,
            },
        )?;
    }
    imp.finish()
}
