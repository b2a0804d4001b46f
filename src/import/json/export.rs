//! `natter export`: the site's rows written as they are read, in one read transaction.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

use super::{CommentLine, Line, PageLine, FORMAT, VERSION};
use crate::config::Settings;
use crate::domain::{rfc3339, Timestamp};
use crate::store::exports::{self as q, ExportSource};

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exported {
    /// Pages.
    pub pages: u64,
    /// Comments.
    pub comments: u64,
    /// Votes.
    pub votes: u64,
}

/// `natter export`: writes `site` to `out` (standard output when `None`) as the rows are
/// read, inside one read transaction (a consistent snapshot while the server writes).
pub fn export(settings: &Settings, site: &str, out: Option<&Path>) -> anyhow::Result<Exported> {
    let mut db = q::open_source(settings)?;
    let known = db.site_known(site)?;
    if !known && !settings.effective_sites().contains_key(site) {
        crate::import::configured_site(settings, site)?;
    }
    match out {
        Some(path) => {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let tmp = path.with_file_name(format!(".{}.partial", name.unwrap_or_default()));
            let file =
                File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut w = BufWriter::new(file);
            let n = write_export(&mut *db, site, &mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(n)
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            let n = write_export(&mut *db, site, &mut w)?;
            w.flush()?;
            Ok(n)
        }
    }
}

fn line(w: &mut impl Write, l: &Line) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *w, l)?;
    w.write_all(b"\n")?;
    Ok(())
}

fn opt_time(t: Option<Timestamp>) -> Option<String> {
    t.map(rfc3339)
}

fn write_export(
    db: &mut dyn ExportSource,
    site: &str,
    w: &mut impl Write,
) -> anyhow::Result<Exported> {
    let mut n = Exported::default();
    db.begin_read()?;
    line(
        w,
        &Line::Header {
            format: FORMAT.into(),
            version: VERSION,
            site: site.into(),
            exported_at: rfc3339(crate::domain::now()),
        },
    )?;
    let created = db.site_created(site)?;
    line(
        w,
        &Line::Site {
            id: site.into(),
            created_at: rfc3339(created.unwrap_or_else(crate::domain::now)),
        },
    )?;
    db.each_page(site, &mut |p| -> anyhow::Result<()> {
        line(
            w,
            &Line::Page(PageLine {
                site: site.into(),
                key: p.key,
                title: p.title,
                url: p.url,
                locked: p.locked,
                first_comment_at: opt_time(p.first_comment_at),
                created_at: rfc3339(p.created_at),
            }),
        )?;
        n.pages += 1;
        Ok(())
    })?;
    db.each_comment(site, &mut |page, c| -> anyhow::Result<()> {
        line(
            w,
            &Line::Comment(Box::new(CommentLine {
                id: c.id,
                site: site.into(),
                page,
                parent: c.parent,
                author: c.author,
                email: c.email,
                website: c.website,
                text: c.text,
                format: c.format,
                html: c.html,
                status: c.status,
                created_at: rfc3339(c.created_at),
                edited_at: opt_time(c.edited_at),
                likes: c.likes,
                dislikes: c.dislikes,
                ip: c.ip,
                avatar: c.avatar,
                author_key_hash: c.author_key_hash,
                edit_token_hash: c.edit_token_hash,
                edit_until: rfc3339(c.edit_until),
                notify: c.notify,
                source: c.source,
                source_id: c.source_id,
                via: c.via,
                held_reason: c.held_reason,
                badge: c.badge,
            })),
        )?;
        n.comments += 1;
        Ok(())
    })?;
    db.each_vote(site, &mut |comment_id,
                             voter,
                             value|
     -> anyhow::Result<()> {
        line(
            w,
            &Line::Vote {
                comment_id,
                voter,
                value,
            },
        )?;
        n.votes += 1;
        Ok(())
    })?;
    db.end_read()?;
    Ok(n)
}
