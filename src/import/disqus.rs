//! `natter import disqus`: a Disqus XML export, read as a stream in two passes. The first
//! keeps only the threads (id → page), which also proves the file well-formed before
//! anything is written; the second writes the posts one by one.

use std::collections::HashMap;
use std::path::Path;

use super::xml::{Node, XmlStream};
use super::{content_hash, Importer, Incoming, PageInfo, PageRules, Report, Unit};
use crate::config::Settings;
use crate::domain::comment::Status;
use crate::render::markdown::Format;

/// A thread of the export: where its posts go (`None`: it has no usable link).
#[derive(Debug, Clone)]
struct Thread {
    page: Option<PageInfo>,
}

/// Imports a Disqus export into `site`.
pub fn import(
    settings: &Settings,
    site: &str,
    file: &Path,
    rules: &PageRules,
) -> anyhow::Result<Report> {
    let mut imp = Importer::new(settings, site, "disqus")?;
    let threads = scan_threads(file, rules, &mut imp)?;
    let mut xml = XmlStream::open(file)?;
    let size = xml.size();
    loop {
        imp.tick(size + xml.position());
        match xml.next_node()? {
            Node::Eof => break,
            Node::Open { name, attrs } if xml.depth() == 2 && name == "post" => {
                let rec = xml.read_record(attrs)?;
                post(&mut imp, &threads, rec)?;
            }
            Node::Open { .. } if xml.depth() == 2 => xml.skip_element()?,
            _ => {}
        }
    }
    imp.finish()
}

/// Pass one: every thread's page, and a check that the whole file is well-formed.
fn scan_threads(
    file: &Path,
    rules: &PageRules,
    imp: &mut Importer,
) -> anyhow::Result<HashMap<String, Thread>> {
    let mut xml = XmlStream::open(file)?;
    imp.set_total(xml.size() * 2, Unit::Bytes);
    let mut threads = HashMap::new();
    let mut posts = 0u64;
    loop {
        imp.tick(xml.position());
        let node = xml.next_node()?;
        xml.expect_root(&node, "disqus", "a Disqus export")?;
        match node {
            Node::Eof => break,
            Node::Open { name, attrs } if xml.depth() == 2 && name == "thread" => {
                let rec = xml.read_record(attrs)?;
                let Some(id) = rec.attr("id") else {
                    imp.report
                        .note(format!("line {}: a <thread> without dsq:id", rec.line));
                    continue;
                };
                let page = rec.get("link").and_then(|link| {
                    rules.key(link).map(|key| PageInfo {
                        key,
                        title: super::clean_title(rec.get("title")),
                        url: super::clean_website(Some(link)),
                        locked: rec.get("isClosed") == Some("true"),
                    })
                });
                threads.insert(id.to_string(), Thread { page });
            }
            Node::Open { name, .. } if xml.depth() == 2 => {
                if name == "post" {
                    posts += 1;
                }
                xml.skip_element()?;
            }
            _ => {}
        }
    }
    for n in xml.notes.drain(..) {
        imp.report.note(n);
    }
    if threads.is_empty() && posts == 0 {
        imp.report
            .note("the export has no threads and no posts".into());
    }
    Ok(threads)
}

/// A Disqus boolean: `true`/`false` (or 1/0); anything else is `None`.
fn flag(v: Option<&str>) -> Option<bool> {
    match v.map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Some(false),
        Some("true") | Some("1") => Some(true),
        Some(_) => None,
    }
}

fn post(
    imp: &mut Importer,
    threads: &HashMap<String, Thread>,
    rec: super::xml::Record,
) -> anyhow::Result<()> {
    let site = imp.site().to_string();
    let line = rec.line;
    let message = rec.get("message").unwrap_or("").to_string();
    let created = rec.get("createdAt").unwrap_or("");
    let author = rec.get("author/name");
    let email = rec.get("author/email");
    let thread_id = rec.get("thread@id").unwrap_or("");
    let (source_id, label) = match rec.attr("id") {
        Some(id) => (format!("{site}:{id}"), format!("line {line}: post {id}")),
        None => {
            let h = content_hash(&[thread_id, created, author.unwrap_or(""), &message]);
            imp.report.note(format!(
                "line {line}: a post without dsq:id, identified by its content ({h})"
            ));
            (
                format!("{site}:{h}"),
                format!("line {line}: post without id"),
            )
        }
    };
    let Some(thread) = threads.get(thread_id) else {
        imp.report.skip(
            "its thread is not in the export",
            format!("{label} (thread {thread_id:?})"),
        );
        return Ok(());
    };
    let Some(page) = &thread.page else {
        imp.report.skip(
            "its thread has no usable <link>",
            format!("{label} (thread {thread_id})"),
        );
        return Ok(());
    };
    let Some(created_at) = super::keys::parse_date(created) else {
        imp.report.skip(
            "its date cannot be read",
            format!("{label}: createdAt {created:?}"),
        );
        return Ok(());
    };
    let deleted = flag(rec.get("isDeleted"));
    let spam = flag(rec.get("isSpam"));
    let status = match (deleted, spam) {
        (Some(true), _) => Status::Deleted,
        (_, Some(true)) => Status::Rejected,
        (Some(false), Some(false)) => Status::Approved,
        _ => {
            imp.report.note(format!(
                "{label}: isDeleted/isSpam is not true or false; held as pending"
            ));
            Status::Pending
        }
    };
    if status != Status::Deleted && message.trim().is_empty() {
        imp.report.skip("it has no message", label);
        return Ok(());
    }
    let page_id = imp.page(page)?;
    imp.add(
        page_id,
        Incoming {
            source_id,
            parent: rec.get("parent@id").map(|p| format!("{site}:{}", p.trim())),
            author: super::clean_author(author),
            email: super::clean_email(email),
            website: None,
            text: message.trim().to_string(),
            format: Format::Html,
            status,
            created_at,
            edited_at: None,
            likes: 0,
            dislikes: 0,
            ip: rec.get("ipAddress").map(str::to_string),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::flag;

    #[test]
    fn disqus_booleans() {
        assert_eq!(flag(Some("true")), Some(true));
        assert_eq!(flag(Some(" false ")), Some(false));
        assert_eq!(flag(None), Some(false));
        assert_eq!(flag(Some("123")), None);
    }
}
