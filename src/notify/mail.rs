//! The text of every email. Reader-supplied strings are plain text: escaped in the HTML
//! part (made in `render::email`), stripped of line breaks in the subject; a reader's
//! address is never shown to another.

use super::Notifier;
use crate::domain::comment::{Comment, Status};
use crate::domain::moderate::{self, Action};
use crate::render::email::{self as html, Quoted};
use crate::store::digests::DigestEntry;
use crate::store::outbox::Email;

/// One line of plain text, safe for a subject: control characters become spaces.
pub fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        flat.chars().take(max).collect::<String>() + "…"
    } else {
        flat
    }
}

fn name(c: &Comment) -> String {
    one_line(c.author.as_deref().unwrap_or("Anonymous"), 100)
}

fn page_name(c: &Comment, title: Option<&str>) -> String {
    one_line(title.unwrap_or(&c.page), 120)
}

fn link_to(c: &Comment, url: Option<&str>) -> Option<String> {
    url.map(|u| format!("{u}#natter-{}", c.id))
}

/// The one-click links for a new comment: approve (held ones only), reject, delete.
fn moderation_links(st: &Notifier<'_>, c: &Comment, held: bool) -> Vec<(&'static str, String)> {
    let now = crate::domain::now();
    let base = st.settings.public_url.trim_end_matches('/');
    [Action::Approve, Action::Reject, Action::Delete]
        .into_iter()
        .filter(|a| *a != Action::Approve || held)
        .map(|a| (a.as_str(), moderate::link(base, st.key, c.id, a, now)))
        .collect()
}

/// To moderators: a new comment, held ones marked as needing action, with one-click links.
pub fn moderation(st: &Notifier<'_>, c: &Comment, title: Option<&str>, url: Option<&str>) -> Email {
    let held = c.status == Status::Pending;
    let page = page_name(c, title);
    let subject = if held {
        format!("[{}] Comment awaiting approval on {page}", c.site)
    } else {
        format!("[{}] New comment on {page}", c.site)
    };
    let base = st.settings.public_url.trim_end_matches('/');
    let links = moderation_links(st, c, held);
    let mut text = format!(
        "{} wrote on {page}{}:\n\n{}\n\n",
        name(c),
        link_to(c, url)
            .map(|l| format!(" ({l})"))
            .unwrap_or_default(),
        c.text
    );
    if held {
        text.push_str("This comment is waiting for your approval.\n\n");
    }
    for (label, l) in &links {
        text.push_str(&format!("{label}: {l}\n"));
    }
    text.push_str(&format!("\nModerate everything: {base}/admin\n"));
    let (author, link) = (name(c), link_to(c, url));
    let quoted = Quoted {
        author: &author,
        page: &page,
        link: link.as_deref(),
    };
    let html = html::moderation(quoted, &c.html, held, &links, base);
    Email {
        purpose: "moderation".into(),
        subject,
        text,
        html,
        unsubscribe: None,
    }
}

/// How much of a comment's text a digest quotes.
const EXCERPT_CHARS: usize = 300;

/// A new comment as a digest lists it.
pub fn digest_entry(
    st: &Notifier<'_>,
    c: &Comment,
    title: Option<&str>,
    url: Option<&str>,
) -> DigestEntry {
    let held = c.status == Status::Pending;
    let page = page_name(c, title);
    let links = moderation_links(st, c, held);
    let status = if held {
        "awaiting your approval"
    } else {
        "published"
    };
    let excerpt = one_line(&c.text, EXCERPT_CHARS);
    let mut text = format!(
        "{} wrote on {page}{} ({status}):\n> {excerpt}\n",
        name(c),
        link_to(c, url)
            .map(|l| format!(" ({l})"))
            .unwrap_or_default(),
    );
    for (label, l) in &links {
        text.push_str(&format!("{label}: {l}\n"));
    }
    let (author, link) = (name(c), link_to(c, url));
    let quoted = Quoted {
        author: &author,
        page: &page,
        link: link.as_deref(),
    };
    let html = html::digest_entry(quoted, status, held, &excerpt, &links);
    DigestEntry { held, text, html }
}

/// What a digest row holds until it is sent: nothing about anyone.
pub fn digest_placeholder() -> Email {
    Email {
        purpose: "digest".into(),
        subject: String::new(),
        text: String::new(),
        html: String::new(),
        unsubscribe: None,
    }
}

/// To a moderator: the new comments on `site` gathered during a flood, held ones first.
pub fn digest(public_url: &str, site: &str, entries: &[DigestEntry]) -> Email {
    let base = public_url.trim_end_matches('/');
    let held = entries.iter().filter(|e| e.held).count();
    let n = entries.len();
    let comments = if n == 1 { "comment" } else { "comments" };
    let subject = if held > 0 {
        format!("[{site}] {n} new {comments}, {held} awaiting approval")
    } else {
        format!("[{site}] {n} new {comments}")
    };
    let summary = format!(
        "So many comments arrived on {site} that they are gathered here: {n} new {comments}, \
         {held} awaiting your approval."
    );
    let mut text = format!("{summary}\n\n");
    let ordered = entries
        .iter()
        .filter(|e| e.held)
        .chain(entries.iter().filter(|e| !e.held));
    for (i, e) in ordered.clone().enumerate() {
        text.push_str(&format!("{}. {}\n", i + 1, e.text));
    }
    text.push_str(&format!("Moderate everything: {base}/admin\n"));
    let html = html::digest(&summary, ordered.map(|e| e.html.as_str()), base);
    Email {
        purpose: "digest".into(),
        subject: one_line(&subject, 200),
        text,
        html,
        unsubscribe: None,
    }
}

/// To a subscriber: an approved reply to their comment.
pub fn reply(
    c: &Comment,
    parent: &Comment,
    title: Option<&str>,
    url: Option<&str>,
    unsubscribe: &str,
) -> Email {
    let page = page_name(c, title);
    let subject = format!("{} replied to your comment on {page}", name(c));
    let link = link_to(c, url);
    let text = format!(
        "{} replied to your comment on {page}:\n\n{}\n\n{}Your comment:\n{}\n\nStop these emails for this comment: {unsubscribe}\n",
        name(c),
        c.text,
        link.as_ref().map(|l| format!("Read it: {l}\n\n")).unwrap_or_default(),
        parent.text
    );
    let author = name(c);
    let quoted = Quoted {
        author: &author,
        page: &page,
        link: link.as_deref(),
    };
    let html = html::reply(quoted, &c.html, unsubscribe);
    Email {
        purpose: "reply".into(),
        subject,
        text,
        html,
        unsubscribe: Some(unsubscribe.to_string()),
    }
}

/// To a commenter who asked for reply mail: confirm first (double opt-in).
pub fn confirm(c: &Comment, title: Option<&str>, link: &str) -> Email {
    let page = page_name(c, title);
    let text = format!(
        "Someone (hopefully you) asked to be emailed about replies to a comment on {page}.\n\n\
         Confirm: {link}\n\nIf it wasn't you, ignore this email: nothing more will be sent.\n"
    );
    Email {
        purpose: "confirm".into(),
        subject: format!("Confirm reply notifications for {page}"),
        text,
        html: html::confirm(&page, link),
        unsubscribe: None,
    }
}

/// To someone who asked to erase their data on a site.
pub fn erase(site: &str, link: &str) -> Email {
    let text = format!(
        "Someone (hopefully you) asked to erase every comment and everything else stored about \
         this email address on {site}.\n\nErase it: {link}\n\nIf it wasn't you, ignore this email.\n"
    );
    Email {
        purpose: "erase".into(),
        subject: format!("Erase your comments on {}", one_line(site, 64)),
        text,
        html: html::erase(site, link),
        unsubscribe: None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn subjects_are_one_line() {
        assert_eq!(super::one_line("a\r\nBcc: x@y.z\tb", 100), "a Bcc: x@y.z b");
        assert_eq!(super::one_line("abcdef", 3), "abc…");
    }
}
