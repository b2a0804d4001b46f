//! The HTML part of every email (the plain-text part is written beside it, in
//! `notify::mail`). Built with maud, which escapes every inserted value; the only
//! unescaped insertions are a comment's HTML, already sanitized by
//! [`markdown::render`](super::markdown::render), digest entries made by
//! [`digest_entry`], and this file's own constants.

use maud::{html, Markup, PreEscaped};

/// A comment as an email quotes it.
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a> {
    /// Its author's display name, on one line.
    pub author: &'a str,
    /// The page's title or key, on one line.
    pub page: &'a str,
    /// Link to the comment on its page, when the page's URL is known.
    pub link: Option<&'a str>,
}

/// The space between two one-click links.
const GAP: PreEscaped<&str> = PreEscaped(" &nbsp; ");

/// The whole email document around `body`.
fn document(body: Markup) -> String {
    html! {
        (PreEscaped("<!doctype html>"))
        html { body style="font-family:sans-serif;line-height:1.5" { (body) } }
    }
    .into_string()
}

/// The page's name, a link to the comment when there is one.
fn page_link(q: Quoted<'_>) -> Markup {
    html! {
        @match q.link {
            Some(l) => a href=(l) { (q.page) },
            None => (q.page),
        }
    }
}

/// One-click links, each `(label, url)`.
fn actions(links: &[(&str, String)]) -> Markup {
    html! {
        @for (label, url) in links { a href=(url) { (label) } (GAP) }
    }
}

fn moderation_page(base: &str) -> Markup {
    html! { p { a href={ (base) "/admin" } { "Moderation page" } } }
}

/// To moderators: a new comment (`comment_html`, sanitized), held ones marked, with
/// one-click `links` and a link to the moderation page under `base`.
pub fn moderation(
    q: Quoted<'_>,
    comment_html: &str,
    held: bool,
    links: &[(&str, String)],
    base: &str,
) -> String {
    document(html! {
        p { strong { (q.author) } " wrote on " (page_link(q)) ":" }
        // Sanitized when it was stored (markdown::render): inserted as it is.
        blockquote { (PreEscaped(comment_html)) }
        @if held {
            p { strong { "This comment is waiting for your approval." } }
        }
        p { (actions(links)) }
        (moderation_page(base))
    })
}

/// One comment's list item in a moderators' digest: who wrote on which page, its `status`
/// (in bold when `held`), a plain-text `excerpt` and the one-click `links`.
pub fn digest_entry(
    q: Quoted<'_>,
    status: &str,
    held: bool,
    excerpt: &str,
    links: &[(&str, String)],
) -> String {
    html! {
        li {
            p {
                strong { (q.author) } " wrote on " (page_link(q)) " ("
                @if held { strong { (status) } } @else { (status) }
                "):"
            }
            blockquote { (excerpt) }
            p { (actions(links)) }
        }
    }
    .into_string()
}

/// A moderators' digest: the `summary` line, then the `entries` made by [`digest_entry`].
pub fn digest<'e>(summary: &str, entries: impl IntoIterator<Item = &'e str>, base: &str) -> String {
    document(html! {
        p { (summary) }
        ol {
            // Made by digest_entry above, where every value was escaped.
            @for entry in entries { (PreEscaped(entry)) }
        }
        (moderation_page(base))
    })
}

/// To a subscriber: an approved reply (`reply_html`, sanitized) to their comment.
pub fn reply(q: Quoted<'_>, reply_html: &str, unsubscribe: &str) -> String {
    document(html! {
        p { strong { (q.author) } " replied to your comment on " (q.page) ":" }
        // Sanitized when it was stored (markdown::render): inserted as it is.
        blockquote { (PreEscaped(reply_html)) }
        @if let Some(l) = q.link {
            p { a href=(l) { "Read it on the page" } }
        }
        p { a href=(unsubscribe) { "Stop these emails for this comment" } }
    })
}

/// To a commenter who asked for reply mail on `page`: the opt-in `link`.
pub fn confirm(page: &str, link: &str) -> String {
    document(html! {
        p { "Someone (hopefully you) asked to be emailed about replies to a comment on " (page) "." }
        p { a href=(link) { "Yes, email me about replies" } }
        p { "If it wasn't you, ignore this email: nothing more will be sent." }
    })
}

/// To someone who asked to erase their data on `site`: the erase `link`.
pub fn erase(site: &str, link: &str) -> String {
    document(html! {
        p {
            "Someone (hopefully you) asked to erase every comment and everything else stored \
             about this email address on " (site) "."
        }
        p { a href=(link) { "Erase my data" } }
        p { "If it wasn't you, ignore this email." }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_text_is_escaped_and_links_kept() {
        let q = Quoted {
            author: "<b>eve</b>",
            page: "a & b",
            link: Some("https://x.example/?a=1&b=\"2\""),
        };
        let out = moderation(
            q,
            "<p>ok</p>",
            true,
            &[("approve", "https://n/m?s=<".into())],
            "https://n",
        );
        assert_eq!(
            out,
            "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\">\
             <p><strong>&lt;b&gt;eve&lt;/b&gt;</strong> wrote on \
             <a href=\"https://x.example/?a=1&amp;b=&quot;2&quot;\">a &amp; b</a>:</p>\
             <blockquote><p>ok</p></blockquote>\
             <p><strong>This comment is waiting for your approval.</strong></p>\
             <p><a href=\"https://n/m?s=&lt;\">approve</a> &nbsp; </p>\
             <p><a href=\"https://n/admin\">Moderation page</a></p></body></html>"
        );
    }
}
