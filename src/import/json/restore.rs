//! `natter import json`: a Natter export read twice, line by line (checked, then written),
//! keeping Natter's ids.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{bail, Context};

use super::{CommentLine, Line, PageLine, FORMAT, VERSION};
use crate::config::Settings;
use crate::domain::comment::Status;
use crate::domain::ip::AnonIp;
use crate::domain::Timestamp;
use crate::import::{Importer, PageInfo, ParentRef, Report, Unit};
use crate::render::markdown::{render, Format};
use crate::store::exports::{CommentRow, PageRow};

/// Reads the file line by line, calling `f` with each parsed line and its number.
fn each_line(
    file: &Path,
    mut f: impl FnMut(u64, Line, u64) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let input = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut reader = BufReader::with_capacity(256 * 1024, input);
    let mut buf = String::new();
    let mut no = 0u64;
    let mut pos = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_line(&mut buf)
            .with_context(|| format!("{}: cannot read line {}", file.display(), no + 1))?;
        if n == 0 {
            break;
        }
        no += 1;
        pos += n as u64;
        if buf.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(&buf).map_err(|e| {
            anyhow::anyhow!(
                "{} line {no} is not a Natter export line: {e}",
                file.display()
            )
        })?;
        if no == 1 {
            match &parsed {
                Line::Header {
                    format, version, ..
                } if format == FORMAT && *version <= VERSION => {}
                Line::Header { version, .. } => bail!(
                    "{} is a version {version} export; this Natter reads version {VERSION} at most",
                    file.display()
                ),
                _ => bail!(
                    "{} is not a Natter export: line 1 is not its header",
                    file.display()
                ),
            }
        }
        f(no, parsed, pos)?;
    }
    if no == 0 {
        bail!("{} is empty", file.display());
    }
    Ok(())
}

fn parse_time(no: u64, field: &str, v: &str) -> anyhow::Result<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| t.timestamp())
        .map_err(|_| anyhow::anyhow!("line {no}: {field} {v:?} is not an RFC 3339 time"))
}

/// Checks one comment line's values (pass one; a bad value names its line).
fn check_comment(no: u64, c: &CommentLine) -> anyhow::Result<()> {
    if Status::parse(&c.status).is_none() {
        bail!("line {no}: comment {}: unknown status {:?}", c.id, c.status);
    }
    if Format::parse(&c.format).is_none() {
        bail!("line {no}: comment {}: unknown format {:?}", c.id, c.format);
    }
    if c.id <= 0 {
        bail!("line {no}: comment id {} is not positive", c.id);
    }
    parse_time(no, "created_at", &c.created_at)?;
    parse_time(no, "edit_until", &c.edit_until)?;
    if let Some(t) = &c.edited_at {
        parse_time(no, "edited_at", t)?;
    }
    crate::domain::validate::page(&c.page)
        .map_err(|_| anyhow::anyhow!("line {no}: comment {}: bad page key", c.id))?;
    Ok(())
}

/// `natter import json`: restores a Natter export (only `site`'s lines if given).
pub fn import(settings: &Settings, site: Option<&str>, file: &Path) -> anyhow::Result<Report> {
    // Pass one: the whole file parses and its values are sound, so a broken file writes nothing.
    let mut sites: Vec<String> = Vec::new();
    let mut size = 0u64;
    each_line(file, |no, l, pos| {
        size = pos;
        match &l {
            Line::Header { site, .. } | Line::Site { id: site, .. } => {
                if !sites.contains(site) {
                    sites.push(site.clone());
                }
            }
            Line::Comment(c) => check_comment(no, c)?,
            Line::Page(p) => {
                parse_time(no, "created_at", &p.created_at)?;
                if let Some(t) = &p.first_comment_at {
                    parse_time(no, "first_comment_at", t)?;
                }
            }
            Line::Vote { value, .. } if *value != 1 && *value != -1 => {
                bail!("line {no}: a vote is 1 or -1, not {value}")
            }
            Line::Vote { .. } => {}
        }
        Ok(())
    })?;
    let target = match site {
        Some(s) => s.to_string(),
        None => match sites.as_slice() {
            [one] => one.clone(),
            [] => bail!("{} names no site", file.display()),
            many => bail!(
                "{} holds several sites ({}): choose one with --site",
                file.display(),
                many.join(", ")
            ),
        },
    };
    let mut imp = Importer::new(settings, &target, "json")?;
    if !sites.contains(&target) {
        imp.report
            .note(format!("the file has nothing for the site {target:?}"));
    }
    imp.set_total(size, Unit::Bytes);
    let mut conflicts: HashSet<i64> = HashSet::new();
    each_line(file, |no, l, pos| {
        imp.tick(pos);
        match l {
            Line::Page(p) if p.site == target => page(&mut imp, no, &p),
            Line::Comment(c) if c.site == target => comment(&mut imp, no, *c, &mut conflicts),
            Line::Vote {
                comment_id,
                voter,
                value,
            } => {
                if conflicts.contains(&comment_id) {
                    return Ok(());
                }
                imp.tx()?.insert_vote(comment_id, &voter, value, &target)?;
                imp.wrote()
            }
            _ => Ok(()),
        }
    })?;
    imp.finish()
}

fn page(imp: &mut Importer, no: u64, p: &PageLine) -> anyhow::Result<()> {
    let created = parse_time(no, "created_at", &p.created_at)?;
    let first = p
        .first_comment_at
        .as_deref()
        .map(|t| parse_time(no, "first_comment_at", t))
        .transpose()?;
    let site = imp.site.clone();
    let t = imp.tx()?;
    let inserted = t.insert_page(
        &site,
        &PageRow {
            key: p.key.clone(),
            title: p.title.clone(),
            url: p.url.clone(),
            locked: p.locked,
            first_comment_at: first,
            created_at: created,
        },
    )?;
    let id = t.page_id(&site, &p.key)?;
    if !inserted {
        t.merge_page(id, p.title.as_deref(), p.url.as_deref(), p.locked)?;
    }
    imp.report.pages += 1;
    imp.report.pages_created += u64::from(inserted);
    imp.pages.insert(p.key.clone(), id);
    if let Some(t) = first {
        imp.first_comment(id, t);
    }
    imp.wrote()
}

fn comment(
    imp: &mut Importer,
    no: u64,
    c: CommentLine,
    conflicts: &mut HashSet<i64>,
) -> anyhow::Result<()> {
    let status = Status::parse(&c.status).unwrap_or(Status::Pending);
    let format = Format::parse(&c.format).unwrap_or(Format::Markdown);
    let created_at = parse_time(no, "created_at", &c.created_at)?;
    let edit_until = parse_time(no, "edit_until", &c.edit_until)?;
    let edited_at = c
        .edited_at
        .as_deref()
        .map(|t| parse_time(no, "edited_at", t))
        .transpose()?;
    let label = format!("line {no}: comment {}", c.id);
    let page_id = match imp.pages.get(&c.page) {
        Some(id) => *id,
        None => imp.page(&PageInfo {
            key: c.page.clone(),
            ..Default::default()
        })?,
    };
    let site = imp.site.clone();
    imp.tx()?;
    // The target alone, so that the report can be written meanwhile.
    let t = &mut *imp.target;
    let existing = t.comment_place(c.id)?;
    if let Some((at, s, key)) = existing {
        if at == created_at && s == site && key == c.page {
            imp.report.already += 1;
        } else {
            conflicts.insert(c.id);
            imp.report.skip(
                "its id is taken by a different comment in this database",
                label,
            );
        }
        return Ok(());
    }
    let (source, source_id) = match (c.source, c.source_id) {
        (Some(s), Some(id)) => (s, id),
        _ => ("json".to_string(), c.id.to_string()),
    };
    let same_source = t.id_by_source(&source, &source_id)?;
    if let Some(other) = same_source {
        conflicts.insert(c.id);
        imp.report.skip(
            "it is already in this database under another id",
            format!("{label} (as comment {other})"),
        );
        return Ok(());
    }
    let parent = match c.parent {
        Some(p) => t.page_of(p)?.filter(|pp| *pp == page_id).map(|_| p),
        None => None,
    };
    let ip = c.ip.as_deref().map(|s| {
        s.parse::<std::net::IpAddr>()
            .map(|ip| AnonIp::from_ip(ip).as_str().to_string())
            .unwrap_or_default()
    });
    let html = render(&c.text, format, imp.images);
    t.insert_restored(
        page_id,
        &CommentRow {
            id: c.id,
            parent,
            author: c.author,
            email: c.email,
            website: c.website,
            text: c.text,
            format: format.as_str().to_string(),
            html,
            status: status.as_str().to_string(),
            created_at,
            edited_at,
            likes: c.likes.max(0),
            dislikes: c.dislikes.max(0),
            ip: ip.filter(|s| !s.is_empty()),
            avatar: c.avatar,
            author_key_hash: c.author_key_hash,
            edit_token_hash: c.edit_token_hash,
            edit_until,
            notify: c.notify,
            source: Some(source),
            source_id: Some(source_id),
            via: c.via.filter(|v| v.is_plausible()),
            // Codes are short words; anything else in a file is not Natter's.
            held_reason: c.held_reason.filter(|r| {
                r.len() <= 32 && r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            }),
            badge: c.badge.filter(|b| b == "owner"),
        },
    )?;
    if let (Some(p), None) = (c.parent, parent) {
        imp.wait_for_parent(c.id, page_id, ParentRef::Id(p));
    }
    imp.first_comment(page_id, created_at);
    imp.report.count(status);
    imp.wrote()
}
