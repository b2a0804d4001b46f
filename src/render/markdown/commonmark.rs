//! Markdown to HTML with pulldown-cmark: CommonMark plus tables and strikethrough, headings
//! demoted on the event stream (and in raw HTML written inside the Markdown), bare URLs
//! linked on it too ([`autolink`](super::autolink)).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, TextMergeStream};

use super::autolink::Autolinks;
use super::headings::{demote, demote_html_headings};

/// Markdown source to (unsanitized) HTML.
pub(super) fn markdown_to_html(source: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Text comes in pieces (at entities, escapes, unused delimiters): merged, a URL is whole.
    let events = TextMergeStream::new(Parser::new_ext(source, options)).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        // Raw `<h1>` written inside Markdown is demoted like `# heading` would be, instead
        // of being stripped by the sanitizer's allow-list.
        Event::Html(html) => Event::Html(demote_html_headings(html)),
        Event::InlineHtml(html) => Event::InlineHtml(demote_html_headings(html)),
        other => other,
    });
    let mut html = String::with_capacity(source.len() + source.len() / 2);
    pulldown_cmark::html::push_html(&mut html, Autolinks::new(events));
    html
}
