//! Natter's own export format, and `natter export` / `natter import json`.
//!
//! The format is JSON Lines (one JSON object per line, UTF-8), so both sides stream: export
//! writes each row as it reads it, import reads one line at a time. Every line has a
//! `type`; a file is one header, then the site, its pages, its comments (by id) and its
//! votes:
//!
//! ```text
//! {"type":"header","format":"natter-export","version":1,"site":"blog","exported_at":"2026-11-22T10:00:00Z"}
//! {"type":"site","id":"blog","created_at":"…"}
//! {"type":"page","site":"blog","key":"/hello/","title":"Hello","url":"https://…","locked":false,"first_comment_at":"…","created_at":"…"}
//! {"type":"comment","id":7,"site":"blog","page":"/hello/","parent":null,"author":"Ann","email":"…","website":null,"text":"…","format":"markdown","html":"…","status":"approved","created_at":"…","edited_at":null,"likes":2,"dislikes":0,"ip":"203.0.113.0","avatar":"…","author_key_hash":"…","edit_token_hash":"…","edit_until":"…","notify":false,"source":null,"source_id":null}
//! {"type":"vote","comment_id":7,"voter":"203.0.113.0","value":1}
//! ```
//!
//! Times are RFC 3339 UTC (stored to the second, so they round-trip exactly). The file
//! holds private data (emails, anonymized IPs, token hashes): keep it like a backup.
//! `import json` keeps Natter's ids, re-renders every body through the sanitizer (the
//! exported `html` is informational), and is idempotent: a comment whose id is already
//! there with the same page and time is left alone; one whose id is taken by a different
//! comment is skipped and reported.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::{bail, Context};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{Importer, ParentRef, Report, Unit};
use crate::config::Settings;
use crate::domain::comment::Status;
use crate::domain::ip::AnonIp;
use crate::domain::{rfc3339, Timestamp};
use crate::render::markdown::{render, Format};

/// The header's `format` value.
pub const FORMAT: &str = "natter-export";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// One line of the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Line {
    /// First line: what the file is.
    Header {
        /// Always [`FORMAT`].
        format: String,
        /// [`VERSION`].
        version: u32,
        /// The exported site.
        site: String,
        /// When.
        exported_at: String,
    },
    /// The site.
    Site {
        /// Site id.
        id: String,
        /// When Natter first saw it.
        created_at: String,
    },
    /// A page.
    Page(PageLine),
    /// A comment with every field.
    Comment(Box<CommentLine>),
    /// One voter's vote.
    Vote {
        /// The comment.
        comment_id: i64,
        /// Anonymized voter IP.
        voter: String,
        /// 1 or -1.
        value: i64,
    },
}

/// A page line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageLine {
    /// Site id.
    pub site: String,
    /// Page key.
    pub key: String,
    /// Title.
    pub title: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Locked by a moderator.
    pub locked: bool,
    /// Time of its first comment.
    pub first_comment_at: Option<String>,
    /// When the row was made.
    pub created_at: String,
}

/// A comment line: every stored field, private ones included.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommentLine {
    /// Natter id (kept on import).
    pub id: i64,
    /// Site id.
    pub site: String,
    /// Page key.
    pub page: String,
    /// Parent id.
    pub parent: Option<i64>,
    /// Name.
    pub author: Option<String>,
    /// Email (private).
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Source text (private).
    pub text: String,
    /// `markdown` or `html`.
    pub format: String,
    /// Rendering at export time (re-rendered on import).
    pub html: String,
    /// Moderation state.
    pub status: String,
    /// Creation time.
    pub created_at: String,
    /// Last edit.
    pub edited_at: Option<String>,
    /// Likes.
    pub likes: i64,
    /// Dislikes.
    pub dislikes: i64,
    /// Anonymized IP (private).
    pub ip: Option<String>,
    /// Identicon hash.
    pub avatar: Option<String>,
    /// Keyed hash of the author key (private; keyed by the exporting server's secret).
    pub author_key_hash: Option<String>,
    /// Hash of the edit token (private).
    pub edit_token_hash: Option<String>,
    /// End of the edit window.
    pub edit_until: String,
    /// Wants reply emails.
    pub notify: bool,
    /// Where it was imported from, if it was.
    pub source: Option<String>,
    /// Its id there.
    pub source_id: Option<String>,
}

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
    let conn = super::open_db(settings)?;
    let known: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sites WHERE id = ?1)",
        [site],
        |r| r.get(0),
    )?;
    if !known && !settings.effective_sites().contains_key(site) {
        super::configured_site(settings, site)?;
    }
    match out {
        Some(path) => {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let tmp = path.with_file_name(format!(".{}.partial", name.unwrap_or_default()));
            let file =
                File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut w = BufWriter::new(file);
            let n = write_export(&conn, site, &mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(n)
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            let n = write_export(&conn, site, &mut w)?;
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
    conn: &rusqlite::Connection,
    site: &str,
    w: &mut impl Write,
) -> anyhow::Result<Exported> {
    let mut n = Exported::default();
    conn.execute_batch("BEGIN")?;
    line(
        w,
        &Line::Header {
            format: FORMAT.into(),
            version: VERSION,
            site: site.into(),
            exported_at: rfc3339(crate::domain::now()),
        },
    )?;
    let created: Option<Timestamp> = conn
        .query_row("SELECT created_at FROM sites WHERE id = ?1", [site], |r| {
            r.get(0)
        })
        .optional()?;
    line(
        w,
        &Line::Site {
            id: site.into(),
            created_at: rfc3339(created.unwrap_or_else(crate::domain::now)),
        },
    )?;
    let mut stmt = conn.prepare(
        "SELECT key, title, url, locked, first_comment_at, created_at FROM pages WHERE site = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([site])?;
    while let Some(r) = rows.next()? {
        line(
            w,
            &Line::Page(PageLine {
                site: site.into(),
                key: r.get(0)?,
                title: r.get(1)?,
                url: r.get(2)?,
                locked: r.get(3)?,
                first_comment_at: opt_time(r.get(4)?),
                created_at: rfc3339(r.get(5)?),
            }),
        )?;
        n.pages += 1;
    }
    let mut stmt = conn.prepare(
        "SELECT c.id, p.key, c.parent, c.author, c.email, c.website, c.text, c.format, c.html,
                c.status, c.created_at, c.edited_at, c.likes, c.dislikes, c.ip, c.avatar,
                c.author_key_hash, c.edit_token_hash, c.edit_until, c.notify, c.source, c.source_id
         FROM comments c JOIN pages p ON p.id = c.page_id WHERE p.site = ?1 ORDER BY c.id",
    )?;
    let mut rows = stmt.query([site])?;
    while let Some(r) = rows.next()? {
        line(
            w,
            &Line::Comment(Box::new(CommentLine {
                id: r.get(0)?,
                site: site.into(),
                page: r.get(1)?,
                parent: r.get(2)?,
                author: r.get(3)?,
                email: r.get(4)?,
                website: r.get(5)?,
                text: r.get(6)?,
                format: r.get(7)?,
                html: r.get(8)?,
                status: r.get(9)?,
                created_at: rfc3339(r.get(10)?),
                edited_at: opt_time(r.get(11)?),
                likes: r.get(12)?,
                dislikes: r.get(13)?,
                ip: r.get(14)?,
                avatar: r.get(15)?,
                author_key_hash: r.get(16)?,
                edit_token_hash: r.get(17)?,
                edit_until: rfc3339(r.get(18)?),
                notify: r.get(19)?,
                source: r.get(20)?,
                source_id: r.get(21)?,
            })),
        )?;
        n.comments += 1;
    }
    let mut stmt = conn.prepare(
        "SELECT v.comment_id, v.voter, v.value FROM votes v JOIN comments c ON c.id = v.comment_id
         JOIN pages p ON p.id = c.page_id WHERE p.site = ?1 ORDER BY v.comment_id, v.voter",
    )?;
    let mut rows = stmt.query([site])?;
    while let Some(r) = rows.next()? {
        line(
            w,
            &Line::Vote {
                comment_id: r.get(0)?,
                voter: r.get(1)?,
                value: r.get(2)?,
            },
        )?;
        n.votes += 1;
    }
    conn.execute_batch("COMMIT")?;
    Ok(n)
}

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
                let conn = imp.tx()?;
                conn.prepare_cached(
                    "INSERT INTO votes (comment_id, voter, value)
                     SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
                                                     WHERE c.id = ?1 AND p.site = ?4)
                     ON CONFLICT (comment_id, voter) DO NOTHING",
                )?
                .execute(params![comment_id, voter, value, target])?;
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
    let conn = imp.tx()?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO pages (site, key, title, url, locked, first_comment_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (site, key) DO NOTHING",
        )?
        .execute(params![
            site, p.key, p.title, p.url, p.locked, first, created
        ])?;
    let id: i64 = conn
        .prepare_cached("SELECT id FROM pages WHERE site = ?1 AND key = ?2")?
        .query_row(params![site, p.key], |r| r.get(0))?;
    if inserted == 0 {
        conn.prepare_cached(
            "UPDATE pages SET title = coalesce(title, ?2), url = coalesce(url, ?3), locked = max(locked, ?4)
             WHERE id = ?1",
        )?
        .execute(params![id, p.title, p.url, p.locked])?;
    }
    imp.report.pages += 1;
    imp.report.pages_created += inserted as u64;
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
        None => imp.page(&super::PageInfo {
            key: c.page.clone(),
            ..Default::default()
        })?,
    };
    let site = imp.site.clone();
    imp.tx()?;
    let conn = &imp.conn;
    let existing: Option<(Timestamp, String, String)> = conn
        .prepare_cached(
            "SELECT c.created_at, p.site, p.key FROM comments c JOIN pages p ON p.id = c.page_id WHERE c.id = ?1",
        )?
        .query_row([c.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
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
    let same_source: Option<i64> = conn
        .prepare_cached("SELECT id FROM comments WHERE source = ?1 AND source_id = ?2")?
        .query_row(params![source, source_id], |r| r.get(0))
        .optional()?;
    if let Some(other) = same_source {
        conflicts.insert(c.id);
        imp.report.skip(
            "it is already in this database under another id",
            format!("{label} (as comment {other})"),
        );
        return Ok(());
    }
    let parent = match c.parent {
        Some(p) => conn
            .prepare_cached("SELECT page_id FROM comments WHERE id = ?1")?
            .query_row([p], |r| r.get::<_, i64>(0))
            .optional()?
            .filter(|pp| *pp == page_id)
            .map(|_| p),
        None => None,
    };
    let ip = c.ip.as_deref().map(|s| {
        s.parse::<std::net::IpAddr>()
            .map(|ip| AnonIp::from_ip(ip).as_str().to_string())
            .unwrap_or_default()
    });
    let html = render(&c.text, format, imp.images);
    conn.prepare_cached(
        "INSERT INTO comments (id, page_id, parent, author, email, website, text, format, html,
            status, created_at, edited_at, likes, dislikes, ip, avatar, author_key_hash,
            edit_token_hash, edit_until, notify, source, source_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22)",
    )?
    .execute(params![
        c.id,
        page_id,
        parent,
        c.author,
        c.email,
        c.website,
        c.text,
        format.as_str(),
        html,
        status.as_str(),
        created_at,
        edited_at,
        c.likes.max(0),
        c.dislikes.max(0),
        ip.filter(|s| !s.is_empty()),
        c.avatar,
        c.author_key_hash,
        c.edit_token_hash,
        edit_until,
        c.notify,
        source,
        source_id
    ])?;
    if let (Some(p), None) = (c.parent, parent) {
        imp.wait_for_parent(c.id, page_id, ParentRef::Id(p));
    }
    imp.first_comment(page_id, created_at);
    imp.report.count(status);
    imp.wrote()
}
