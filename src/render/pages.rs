//! The small server-rendered pages: behind the signed links of moderation and notification
//! emails, and the demo page. Built with maud, which escapes every inserted value; the only
//! unescaped insertions are a comment's HTML, already sanitized by
//! [`markdown::render`](super::markdown::render), and this file's own constants.

use maud::{html, Markup, PreEscaped};

use crate::domain::comment::Comment;
use crate::domain::rfc3339;

/// Security headers of every server-rendered page: nothing runs, nothing frames it,
/// forms post only back here, and the URL (which may hold a signature) is never sent on.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages' one style sheet.
const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}\
.comment{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}\
.meta{color:#555;font-size:.9rem}button{font-size:1rem;padding:.5rem 1.5rem;cursor:pointer}\
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}.meta{color:#aaa}}";

/// A small self-contained HTML page: `title` as its title and heading, then `body`.
fn page(title: &str, body: Markup) -> String {
    html! {
        // maud's `DOCTYPE` is spelled `<!DOCTYPE html>`; the pages have always said this.
        (PreEscaped("<!doctype html>"))
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                // This file's own constant, not anyone's input.
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { (title) }
                (body)
            }
        }
    }
    .into_string()
}

/// A page that only says `text` (a refusal, a result, "try again later").
pub fn message(title: &str, text: &str) -> String {
    page(title, html! { p { (text) } })
}

/// A page that says `text` and has one button posting the form back to the same URL.
pub fn form(title: &str, text: &str, button: &str) -> String {
    page(title, confirm_form(text, button))
}

fn confirm_form(text: &str, button: &str) -> Markup {
    html! {
        p { (text) }
        form method="post" { button type="submit" { (button) } }
    }
}

/// A comment as the moderation pages show it: who, where, when, and its rendered body.
fn comment(c: &Comment) -> Markup {
    html! {
        div class="comment" {
            p class="meta" {
                (c.author.as_deref().unwrap_or("Anonymous"))
                " on " code { (c.page) } " (" (c.site) "), " (rfc3339(c.created_at))
            }
            // Sanitized when it was stored (markdown::render): inserted as it is.
            (PreEscaped(&c.html))
        }
    }
}

/// `verb` with its first letter in upper case ("approve" → "Approve").
fn capitalized(verb: &str) -> String {
    let mut chars = verb.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What a moderation link's `GET` shows: the comment, its status, and a button to `verb`
/// (`approve`, `reject`, `delete`) it.
pub fn moderation_confirm(c: &Comment, verb: &str) -> String {
    let verb = capitalized(verb);
    page(
        &format!("{verb} comment #{}", c.id),
        html! {
            (comment(c))
            p { "Status now: " strong { (c.status.as_str()) } }
            form method="post" { button type="submit" { (verb) " this comment" } }
        },
    )
}

/// What a moderation link's `POST` shows once it has acted: `done` and the comment as it was.
pub fn moderation_done(done: &str, c: &Comment) -> String {
    page(done, comment(c))
}

/// The demo page, `GET /`, embedding the widget for `site`.
pub fn demo(site: &str) -> String {
    // Site ids are [a-z0-9-], but escape anyway: the template puts it in an attribute.
    include_str!("../../widget/demo.html").replace("{{SITE}}", &html! { (site) }.into_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_in_the_title_heading_and_body() {
        let out = message("<b>&", r#"<a href="x">'&"#);
        assert!(out.starts_with("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"));
        assert!(out.contains("<title>&lt;b&gt;&amp;</title>"));
        assert!(out.contains("<h1>&lt;b&gt;&amp;</h1>"));
        assert!(out.contains("<p>&lt;a href=&quot;x&quot;&gt;'&amp;</p>"));
        assert!(out.ends_with("</body></html>"));
    }

    #[test]
    fn verbs_are_capitalized() {
        assert_eq!(capitalized("approve"), "Approve");
        assert_eq!(capitalized(""), "");
    }

    #[test]
    fn the_demo_site_is_escaped() {
        let out = demo("a\"b");
        assert!(out.contains("data-site=\"a&quot;b\"") && !out.contains("{{SITE}}"));
    }
}
