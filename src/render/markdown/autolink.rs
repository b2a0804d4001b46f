//! Bare `http://` and `https://` URLs in Markdown text become links, on GFM's rules for
//! extended autolinks, and only those two schemes (no `www.`, no other scheme, no e-mail).
//!
//! The links are made on pulldown-cmark's event stream, as the same `Start(Link)`,
//! `Text`, `End(Link)` events a Markdown link to the URL produces, so they get the same
//! `href` escaping, the same sanitizer (`rel`, scheme check, canonical URL) and are counted
//! by [`count_links`](super::count_links) like any other link.
//!
//! Where a URL may start: after the start of a line, whitespace or one of `*`, `_`, `~`,
//! `(`, with `http://` or `https://` in any case, followed by a valid domain (letters,
//! digits, `-`, `_` and `.`, no `_` in its last two labels). Where it ends: at whitespace
//! or `<`, less trailing `?`, `!`, `.`, `,`, `:`, `*`, `_`, `~`, less a trailing `)` while
//! the URL has more `)` than `(`, less a trailing entity-like `&name;`. A URL the URL
//! parser rejects stays text.
//!
//! Never linked: text in a code span or code block (not `Text` events at all, or skipped),
//! in a link's or an image's text, inside raw HTML tags (tags are `Html` events, never
//! text) or between raw `<a>`, `<code>` or `<pre>` tags and their end tags.
//!
//! The scan is linear in the text: every byte is looked at a bounded number of times.

use std::collections::VecDeque;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, LinkType, Tag, TagEnd};

use super::lexer::{Lexer, Token};
use super::open_elements::is_any;
use super::sanitize::is_allowed_link;

/// Raw HTML elements whose text is never linked: a link would nest in a link, or show
/// inside code.
const RAW_NO_LINK: &[&str] = &["a", "code", "pre"];

/// Wraps a Markdown event stream whose consecutive `Text` events are merged (pulldown-cmark's
/// `TextMergeStream`), turning the bare URLs in its text into link events.
pub(super) struct Autolinks<'a, I> {
    events: I,
    queue: VecDeque<Event<'a>>,
    /// Markdown links, images and code blocks open: their text is left alone.
    skipped: usize,
    /// Raw `<a>`, `<code>` and `<pre>` elements open, counted from the raw HTML seen so far.
    raw_open: usize,
    /// Raw HTML of consecutive `Html`/`InlineHtml` events, lexed once the run ends (a tag
    /// may span several events of an HTML block).
    raw_run: String,
    /// The next text starts where a URL may start (start of a line, or just after an
    /// emphasis or strikethrough delimiter).
    at_boundary: bool,
}

impl<'a, I: Iterator<Item = Event<'a>>> Autolinks<'a, I> {
    /// Wraps `events`, which must have consecutive `Text` events merged.
    pub(super) fn new(events: I) -> Self {
        Autolinks {
            events,
            queue: VecDeque::new(),
            skipped: 0,
            raw_open: 0,
            raw_run: String::new(),
            at_boundary: true,
        }
    }

    /// Updates the count of open raw no-link elements from the pending run of raw HTML.
    fn lex_raw_run(&mut self) {
        let mut lexer = Lexer::new(&self.raw_run);
        while let Some((token, _, _)) = lexer.next_token() {
            if let Token::Tag { end, name, .. } = token {
                if is_any(&self.raw_run[name.0..name.1], RAW_NO_LINK) {
                    self.raw_open = if end {
                        self.raw_open.saturating_sub(1)
                    } else {
                        self.raw_open + 1
                    };
                }
            }
        }
        self.raw_run.clear();
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for Autolinks<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(event) = self.queue.pop_front() {
            return Some(event);
        }
        let event = self.events.next()?;
        if let Event::Html(html) | Event::InlineHtml(html) = &event {
            self.raw_run.push_str(html);
            self.at_boundary = false;
            return Some(event);
        }
        if !self.raw_run.is_empty() {
            self.lex_raw_run();
        }
        let at_boundary = std::mem::replace(&mut self.at_boundary, boundary_after(&event));
        match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_)) => {
                self.skipped += 1;
            }
            Event::End(TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => {
                self.skipped = self.skipped.saturating_sub(1);
            }
            Event::Text(text) if self.skipped == 0 && self.raw_open == 0 => {
                let urls = find_urls(&text, at_boundary);
                if urls.is_empty() {
                    return Some(Event::Text(text));
                }
                push_linked(&mut self.queue, &text, &urls);
                return self.queue.pop_front();
            }
            _ => {}
        }
        Some(event)
    }
}

/// Whether text right after `event` starts where a URL may: at the start of a line or of
/// a block, after a hard or soft break, or after the `*`, `_` or `~` of emphasis, strong
/// emphasis or strikethrough. Not after a link, an image (`)` or `>`), code or raw HTML.
fn boundary_after(event: &Event<'_>) -> bool {
    match event {
        Event::End(TagEnd::Link | TagEnd::Image) => false,
        Event::Start(_) | Event::End(_) | Event::SoftBreak | Event::HardBreak | Event::Rule => true,
        _ => false,
    }
}

/// Queues `text` as text and link events, `urls` being the byte ranges of its URLs.
fn push_linked<'a>(queue: &mut VecDeque<Event<'a>>, text: &str, urls: &[Range<usize>]) {
    let mut copied = 0;
    for range in urls {
        if range.start > copied {
            queue.push_back(Event::Text(owned(&text[copied..range.start])));
        }
        let url = &text[range.clone()];
        // The very events `[url](url)` produces (the link type changes nothing in HTML).
        queue.push_back(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: owned(url),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        queue.push_back(Event::Text(owned(url)));
        queue.push_back(Event::End(TagEnd::Link));
        copied = range.end;
    }
    if copied < text.len() {
        queue.push_back(Event::Text(owned(&text[copied..])));
    }
}

fn owned(s: &str) -> CowStr<'static> {
    CowStr::from(s.to_string())
}

/// Byte ranges of the bare URLs in `text`, in order. `at_boundary`: the text starts where
/// a URL may start (see [`boundary_after`]).
pub(super) fn find_urls(text: &str, at_boundary: bool) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut urls = Vec::new();
    // Where the search for the next `:` resumes; never moves backwards.
    let mut search = 0;
    while let Some(offset) = bytes[search..].iter().position(|&b| b == b':') {
        let colon = search + offset;
        search = colon + 1;
        let Some(start) = scheme_start(bytes, colon) else {
            continue;
        };
        let copied = urls.last().map_or(0, |url: &Range<usize>| url.end);
        if start < copied || !may_start_after(&text[..start], at_boundary) {
            continue;
        }
        let host = colon + 3;
        if !valid_domain(&text[host..]) {
            continue;
        }
        // Runs to whitespace or `<`; nothing in it can start another URL.
        let extent = text[host..]
            .find(|c: char| c.is_whitespace() || c == '<')
            .map_or(text.len(), |i| host + i);
        search = extent;
        let end = trim_end(bytes, start, extent);
        if end > host && is_allowed_link(&text[start..end]) {
            urls.push(start..end);
        }
    }
    urls
}

/// Start of `http` or `https` (any case) right before the `:` at `colon`, if `//` follows it.
fn scheme_start(bytes: &[u8], colon: usize) -> Option<usize> {
    if bytes.get(colon + 1..colon + 3) != Some(b"//") {
        return None;
    }
    let ends_with = |scheme: &[u8]| {
        colon >= scheme.len() && bytes[colon - scheme.len()..colon].eq_ignore_ascii_case(scheme)
    };
    if ends_with(b"https") {
        Some(colon - 5)
    } else if ends_with(b"http") {
        Some(colon - 4)
    } else {
        None
    }
}

/// GFM: an extended autolink comes at the start of a line, after whitespace or after one
/// of `*`, `_`, `~` and `(`. `before` is the text before the scheme.
fn may_start_after(before: &str, at_boundary: bool) -> bool {
    match before.chars().next_back() {
        None => at_boundary,
        Some(c) => c.is_whitespace() || matches!(c, '*' | '_' | '~' | '('),
    }
}

/// Whether `rest` starts with a valid domain: one or more labels of letters, digits, `-`
/// and `_` separated by `.`, with no `_` in the last two labels (GFM; `http://localhost`
/// needs no dot).
fn valid_domain(rest: &str) -> bool {
    let mut len = 0;
    // Whether the last label, and the one before it, hold an `_`.
    let (mut underscore_last, mut underscore_before) = (false, false);
    for c in rest.chars() {
        match c {
            '.' => (underscore_before, underscore_last) = (underscore_last, false),
            '_' => underscore_last = true,
            '-' => {}
            c if c.is_alphanumeric() => {}
            _ => break,
        }
        len += 1;
    }
    len > 0 && !underscore_last && !underscore_before
}

/// GFM's extended autolink path validation: where the URL `bytes[start..extent]` really
/// ends once trailing punctuation, unbalanced `)` and an entity-like `&name;` are left out.
fn trim_end(bytes: &[u8], start: usize, extent: usize) -> usize {
    let url = &bytes[start..extent];
    let opening = url.iter().filter(|&&b| b == b'(').count();
    let mut closing = url.iter().filter(|&&b| b == b')').count();
    let mut end = extent;
    while end > start {
        match bytes[end - 1] {
            b'?' | b'!' | b'.' | b',' | b':' | b'*' | b'_' | b'~' => end -= 1,
            b')' if closing > opening => {
                closing -= 1;
                end -= 1;
            }
            b';' => {
                let name = bytes[start..end - 1]
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
                let amp = end - 1 - name;
                if name > 0 && amp > start && bytes[amp - 1] == b'&' {
                    end = amp - 1;
                } else {
                    break;
                }
            }
            _ => break,
        }
    }
    end
}
