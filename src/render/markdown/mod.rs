//! Turns a comment's source (Markdown or legacy HTML) into safe HTML, and counts its links.
//!
//! Pipeline: Markdown goes through pulldown-cmark (headings demoted and bare URLs linked on
//! the event stream), HTML skips that step; both then pass a structural pre-pass
//! ([`prepare`](prepass::prepare)) and finally the ammonia allow-list sanitizer, which is
//! the only security boundary.
//!
//! One file per stage: [`commonmark`] (Markdown to HTML), [`autolink`] (bare URLs to
//! links), [`headings`] (demotion), [`prepass`] (the structural pre-pass, on the model of
//! the parser's stack in [`open_elements`] and the tokenizer in [`lexer`]) and
//! [`sanitize`] (the allow-list).
//!
//! # Nesting cap
//!
//! ammonia and html5ever are iterative (no stack overflow at any depth, measured with a
//! 2 MiB thread stack), but html5ever's tree builder walks the stack of open elements on
//! most start tags ("is there a `<p>` in button scope?"), so N nested block elements cost
//! O(N²): in a release build 50,000 nested `<div>` took 11 s, 50,000 `>` quote markers
//! 33 s and 50,000 list markers 245 s. The pre-pass therefore keeps a model of the parser's
//! stack of open elements and drops any start tag that would take it past
//! [`MAX_DEPTH`](open_elements::MAX_DEPTH) (64) elements; the content is kept, flattened
//! into the deepest allowed element.
//!
//! The model may over-estimate but never under-estimate: it only forgets an element when
//! the parser certainly pops it too, which is when the element is the current node. Where
//! an end tag would close further elements implicitly, the pre-pass writes their end tags
//! out, because the parser ignores the original tag if its element is not really open.
//! Tests check the depth html5ever actually builds from the pre-pass output, for
//! pathological and fuzzed inputs; the whole render is linear in the input size.

mod autolink;
#[cfg(test)]
mod autolink_tests;
mod commonmark;
mod headings;
mod lexer;
mod open_elements;
mod prepass;
mod sanitize;
#[cfg(test)]
mod tests;

use lexer::{Lexer, Token};

/// Source format of a comment body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CommonMark with tables, strikethrough, `<…>` autolinks and bare `http(s)://` URLs
    /// linked; the default for new comments.
    Markdown,
    /// Raw HTML, as found in imported Disqus/WordPress bodies; only sanitized, never parsed as Markdown.
    Html,
}

impl Format {
    /// The stable name stored in the database and used in the API: `"markdown"` or `"html"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }

    /// Inverse of [`Format::as_str`]; ASCII case is ignored, anything else is `None`.
    pub fn parse(s: &str) -> Option<Format> {
        if s.eq_ignore_ascii_case("markdown") {
            Some(Format::Markdown)
        } else if s.eq_ignore_ascii_case("html") {
            Some(Format::Html)
        } else {
            None
        }
    }
}

/// Renders a comment's source into safe HTML. `images` = the site allows `<img>`.
pub fn render(source: &str, format: Format, images: bool) -> String {
    let prepared = match format {
        // Headings were already demoted on the event stream; demoting again would skip levels.
        Format::Markdown => prepass::prepare(&commonmark::markdown_to_html(source), false),
        Format::Html => prepass::prepare(source, true),
    };
    sanitize::clean(&prepared, images)
}

/// Number of links (`<a>` elements) in already-rendered HTML (used by the "more than 3 links
/// holds the comment" rule).
pub fn count_links(html: &str) -> usize {
    let mut lexer = Lexer::new(html);
    let mut links = 0;
    while let Some((token, _, _)) = lexer.next_token() {
        if let Token::Tag {
            end: false, name, ..
        } = token
        {
            if html[name.0..name.1].eq_ignore_ascii_case("a") {
                links += 1;
            }
        }
    }
    links
}
