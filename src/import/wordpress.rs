//! `natter import wordpress`: a WordPress WXR export, read as a stream. Each `<item>` is a
//! post; its `<wp:comment>`s are written as they are read (held back only in the rare
//! export where a comment comes before its item's `<link>`). The file is checked
//! well-formed in a first pass, so a broken file writes nothing.

use std::path::Path;

use super::xml::{Node, Record, XmlStream};
use super::{Importer, Incoming, PageInfo, PageRules, Report, Unit};
use crate::config::Settings;
use crate::domain::comment::Status;
use crate::render::markdown::Format;

/// Options of `natter import wordpress`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// How links become page keys.
    pub rules: PageRules,
    /// Keep pingbacks and trackbacks (skipped by default).
    pub include_pingbacks: bool,
}

#[derive(Default)]
struct Item {
    title: Option<String>,
    link: Option<String>,
    post_id: Option<String>,
    closed: bool,
    waiting: Vec<Record>,
    page_id: Option<i64>,
    no_page: bool,
}

impl Item {
    /// What identifies the post in source ids: its WordPress id, else its link.
    fn ident(&self) -> Option<&str> {
        self.post_id.as_deref().or(self.link.as_deref())
    }
}

/// Imports a WXR file into `site`.
pub fn import(
    settings: &Settings,
    site: &str,
    file: &Path,
    opts: &Options,
) -> anyhow::Result<Report> {
    let mut imp = Importer::new(settings, site, "wordpress")?;
    check(file, &mut imp)?;
    let mut xml = XmlStream::open(file)?;
    let size = xml.size();
    let mut item: Option<Item> = None;
    loop {
        imp.tick(size + xml.position());
        match xml.next_node()? {
            Node::Eof => break,
            Node::Open { name, .. } if xml.depth() == 3 && name == "item" => {
                item = Some(Item::default());
            }
            Node::Close { name } if xml.depth() == 2 && name == "item" => {
                if let Some(mut it) = item.take() {
                    for rec in std::mem::take(&mut it.waiting) {
                        comment(&mut imp, &mut it, rec, opts)?;
                    }
                }
            }
            Node::Open { name, attrs } if xml.depth() == 4 => {
                let rec = xml.read_record(attrs)?;
                let Some(it) = item.as_mut() else { continue };
                match name.as_str() {
                    // Only elements with text count: an `<atom:link href=…/>` is no link.
                    "title" if rec.text().is_some() => it.title = rec.text().map(str::to_string),
                    "link" if rec.text().is_some() => it.link = rec.text().map(str::to_string),
                    "post_id" if rec.text().is_some() => {
                        it.post_id = rec.text().map(str::to_string)
                    }
                    "comment_status" => it.closed = rec.text() == Some("closed"),
                    "comment" => {
                        if it.link.is_some() && it.post_id.is_some() {
                            comment(&mut imp, it, rec, opts)?;
                        } else {
                            it.waiting.push(rec);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    imp.finish()
}

/// Pass one: the file is a WXR document and well-formed to the end.
fn check(file: &Path, imp: &mut Importer) -> anyhow::Result<()> {
    let mut xml = XmlStream::open(file)?;
    imp.set_total(xml.size() * 2, Unit::Bytes);
    loop {
        imp.tick(xml.position());
        let node = xml.next_node()?;
        xml.expect_root(&node, "rss", "a WordPress export (WXR)")?;
        if node == Node::Eof {
            break;
        }
    }
    for n in xml.notes.drain(..) {
        imp.report.note(n);
    }
    Ok(())
}

fn comment(imp: &mut Importer, item: &mut Item, rec: Record, opts: &Options) -> anyhow::Result<()> {
    let site = imp.site().to_string();
    let id = rec.get("comment_id").unwrap_or("");
    let label = format!("line {}: comment {id}", rec.line);
    let Some(ident) = item.ident().map(str::to_string) else {
        imp.report
            .skip("its post has no <link> or <wp:post_id>", label);
        return Ok(());
    };
    if id.is_empty() {
        imp.report.skip("it has no <wp:comment_id>", label);
        return Ok(());
    }
    let kind = rec.get("comment_type").unwrap_or("comment");
    match kind {
        "comment" | "review" => {}
        "pingback" | "trackback" if opts.include_pingbacks => {}
        "pingback" | "trackback" => {
            imp.report.skip(
                "it is a pingback or trackback (--include-pingbacks keeps them)",
                label,
            );
            return Ok(());
        }
        other => {
            imp.report.skip(
                "its comment_type is not a comment",
                format!("{label} ({other})"),
            );
            return Ok(());
        }
    }
    let created = match rec
        .get("comment_date_gmt")
        .and_then(super::keys::parse_date)
    {
        Some(t) => Some(t),
        None => rec
            .get("comment_date")
            .and_then(super::keys::parse_date)
            .inspect(|_| {
                imp.report.note(format!(
                    "{label}: no usable comment_date_gmt; its local comment_date was read as UTC"
                ))
            }),
    };
    let Some(created_at) = created else {
        imp.report.skip(
            "its date cannot be read",
            format!(
                "{label}: comment_date_gmt {:?}",
                rec.get("comment_date_gmt").unwrap_or("")
            ),
        );
        return Ok(());
    };
    let status = match rec.get("comment_approved").unwrap_or("0") {
        "1" | "approve" => Status::Approved,
        "0" | "hold" => Status::Pending,
        "spam" => Status::Rejected,
        "trash" | "post-trashed" => Status::Deleted,
        other => {
            imp.report.note(format!(
                "{label}: comment_approved {other:?} is unknown; held as pending"
            ));
            Status::Pending
        }
    };
    let text = autop(rec.get("comment_content").unwrap_or(""));
    if status != Status::Deleted && text.is_empty() {
        imp.report.skip("it has no content", label);
        return Ok(());
    }
    if item.no_page {
        imp.report.skip("its post's <link> gives no page", label);
        return Ok(());
    }
    let page_id = match item.page_id {
        Some(id) => id,
        None => {
            let key = item.link.as_deref().and_then(|l| opts.rules.key(l));
            let Some(key) = key else {
                item.no_page = true;
                imp.report.skip("its post's <link> gives no page", label);
                return Ok(());
            };
            let page = PageInfo {
                key,
                title: super::clean_title(item.title.as_deref()),
                url: super::clean_website(item.link.as_deref()),
                locked: item.closed,
            };
            let id = imp.page(&page)?;
            item.page_id = Some(id);
            id
        }
    };
    let parent = rec
        .get("comment_parent")
        .filter(|p| *p != "0")
        .map(|p| format!("{site}:{ident}:{p}"));
    imp.add(
        page_id,
        Incoming {
            source_id: format!("{site}:{ident}:{id}"),
            parent,
            author: super::clean_author(rec.get("comment_author")),
            email: super::clean_email(rec.get("comment_author_email")),
            website: super::clean_website(rec.get("comment_author_url")),
            text,
            format: Format::Html,
            status,
            created_at,
            edited_at: None,
            likes: 0,
            dislikes: 0,
            ip: rec.get("comment_author_IP").map(str::to_string),
        },
    )
}

/// WordPress stores comments as typed, adding paragraphs only when it shows them
/// (`wpautop`): blank lines become paragraphs and single newlines line breaks, unless the
/// body already has its own paragraphs.
pub fn autop(s: &str) -> String {
    let s = s.replace("\r\n", "\n");
    let t = s.trim();
    if t.is_empty() {
        return String::new();
    }
    let lower = t.to_ascii_lowercase();
    if lower.contains("<p>") || lower.contains("<p ") {
        return t.to_string();
    }
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut String| {
        if !para.is_empty() {
            out.push_str("<p>");
            out.push_str(&para.join("<br>\n"));
            out.push_str("</p>\n");
            para.clear();
        }
    };
    for line in t.lines() {
        if line.trim().is_empty() {
            flush(&mut para, &mut out);
        } else {
            para.push(line.trim_end());
        }
    }
    flush(&mut para, &mut out);
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::autop;

    #[test]
    fn autop_makes_paragraphs_and_line_breaks() {
        assert_eq!(autop("one"), "<p>one</p>");
        assert_eq!(autop("a\nb\n\nc"), "<p>a<br>\nb</p>\n<p>c</p>");
        assert_eq!(autop("<p>x</p>\n\n<p>y</p>"), "<p>x</p>\n\n<p>y</p>");
        assert_eq!(autop("  \n "), "");
    }
}
