//! `natter import isso`: an Isso SQLite database, opened read-only and read row by row.
//! Isso's text is Markdown; its vote counts become starting counts; its addresses are
//! anonymized again (IPv4 /24, IPv6 /48).

use std::path::Path;

use super::{Importer, Incoming, PageInfo, PageRules, Report, Unit};
use crate::config::Settings;
use crate::domain::comment::Status;
use crate::render::markdown::Format;
use crate::store::isso_source::IssoSource;
use anyhow::{bail, Context};

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
    let src = IssoSource::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let tables = src
        .has_tables()
        .with_context(|| format!("{} is not an SQLite database", file.display()))?;
    if !tables {
        bail!(
            "{} is not an Isso database: it has no `threads` and `comments` tables",
            file.display()
        );
    }
    let mut imp = Importer::new(settings, site, "isso")?;
    let total = src.count()?;
    imp.set_total(u64::try_from(total).unwrap_or(0), Unit::Rows);
    src.has_columns()
        .with_context(|| format!("{} does not have Isso's columns", file.display()))?;
    // Parents before replies (Isso ids grow), one row in memory at a time.
    let mut n = 0u64;
    src.each_comment(|r| -> anyhow::Result<()> {
        n += 1;
        imp.tick(n);
        let id = r.id;
        let label = format!("comment {id}");
        let Some(uri) = r.uri.clone() else {
            imp.report.skip("its thread is not in the database", label);
            return Ok(());
        };
        let Some(key) = rules.key(&uri) else {
            imp.report.skip(
                "its thread's uri gives no page",
                format!("{label} ({uri:?})"),
            );
            return Ok(());
        };
        let Some(created_at) = r
            .created()?
            .filter(|t| t.is_finite())
            .map(|t| t.floor() as i64)
        else {
            imp.report.skip("its date cannot be read", label);
            return Ok(());
        };
        let modified = r.modified()?;
        let status = match r.mode()? {
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
        let text = r.text()?.unwrap_or_default().trim().to_string();
        if status != Status::Deleted && text.is_empty() {
            imp.report.skip("it has no text", label);
            return Ok(());
        }
        let page = PageInfo {
            url: super::clean_website(Some(&uri)),
            key,
            title: super::clean_title(r.title()?.as_deref()),
            locked: false,
        };
        let page_id = imp.page(&page)?;
        let site = imp.site().to_string();
        // A source id names the row and its time, so two Isso databases never collide.
        let parent = match r.parent()? {
            Some(p) => {
                let at = src.created_of(p)?;
                Some(match at {
                    Some(t) => format!("{site}:{p}:{}", t.floor() as i64),
                    None => format!("{site}:{p}:missing"),
                })
            }
            None => None,
        };
        imp.add(
            page_id,
            Incoming {
                source_id: format!("{site}:{id}:{created_at}"),
                parent,
                author: super::clean_author(r.author()?.as_deref()),
                email: super::clean_email(r.email()?.as_deref()),
                website: super::clean_website(r.website()?.as_deref()),
                text,
                format: Format::Markdown,
                status,
                created_at,
                edited_at: modified.filter(|t| t.is_finite()).map(|t| t.floor() as i64),
                likes: r.likes()?.unwrap_or(0),
                dislikes: r.dislikes()?.unwrap_or(0),
                ip: r.remote_addr()?,
            },
        )
    })?;
    imp.finish()
}
