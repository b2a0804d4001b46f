//! Microformats2 (<https://microformats.org/wiki/microformats2-parsing>), the part Webmention
//! needs: whether a source page links to the target, and the h-entry on it that replies to,
//! likes, reposts, bookmarks or mentions the target, with its author and content.
//!
//! A focused parser written here (the one Rust mf2 crate is LGPL-3.0): root classes (`h-*`),
//! the four property kinds (`p-*`, `u-*`, `dt-*`, `e-*`) with their element rules, nested
//! microformats as property values, and the implied name, photo and URL. Not read: the
//! value-class pattern, the include pattern, rel values and the classic (v1) class names.
//!
//! The work is bounded whatever the page. Before html5ever parses it, a pass over its tags
//! (`guard.rs`) cuts a page built to make the parser's work grow with the square of its
//! length (deep nesting, formatting elements left open to be re-created block after block,
//! thousands of attributes on a tag); then nested microformats deeper than 64 levels are
//! left out, the walks keep their own stacks (no recursion per element), and the text and
//! markup read for values share one budget. A leaf: it uses no other part of Natter.

mod dom;
mod guard;
mod guard_model;
mod guard_names;
mod guard_rules;
mod guard_wary;
mod implied;
mod items;
mod links;
mod pick;
mod scan;

use scraper::Html;
use url::Url;

/// What a source page says about one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Whether an element of the page links to the target (`a`, `area` and `link` by `href`;
    /// `img`, `video`, `audio`, `source` and `iframe` by `src`), resolved against the page's
    /// base; fragment and a trailing slash on the path do not matter.
    pub links_to_target: bool,
    /// The h-entry that speaks to the target, if the page has one.
    pub entry: Option<Entry>,
}

/// An h-entry, as it stands to the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// What the entry is to the target.
    pub kind: Kind,
    /// Who wrote it: its own author, else its h-feed's, else the page's representative h-card.
    pub author: Author,
    /// Its `p-name`, only when that differs from the content text (not equal to it, nor the
    /// start of it, as the implied names of notes are).
    pub name: Option<String>,
    /// The inner HTML of its `e-content`, as written except that URLs in URL attributes are
    /// absolute. Not sanitized: the caller must.
    pub content_html: Option<String>,
    /// The text of its `e-content` or `p-content`, whitespace collapsed.
    pub content_text: Option<String>,
    /// Its `p-summary`.
    pub summary: Option<String>,
    /// Its `dt-published`, as written.
    pub published: Option<String>,
    /// Its `u-url` (absolute).
    pub url: Option<String>,
    /// What it replies to (absolute URLs).
    pub in_reply_to: Vec<String>,
    /// What it likes (absolute URLs).
    pub like_of: Vec<String>,
    /// What it reposts (absolute URLs).
    pub repost_of: Vec<String>,
    /// What it bookmarks (absolute URLs).
    pub bookmark_of: Vec<String>,
}

/// What an entry is to the target.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Its `in-reply-to` names the target.
    Reply,
    /// Its `like-of` names the target.
    Like,
    /// Its `repost-of` names the target.
    Repost,
    /// Its `bookmark-of` names the target.
    Bookmark,
    /// None of those does: it links to the target, or is merely the page's entry.
    Mention,
}

impl Kind {
    /// The kind's name: `reply`, `like`, `repost`, `bookmark` or `mention`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::Like => "like",
            Kind::Repost => "repost",
            Kind::Bookmark => "bookmark",
            Kind::Mention => "mention",
        }
    }
}

/// Who wrote an entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Author {
    /// The author's name.
    pub name: Option<String>,
    /// The author's URL (absolute).
    pub url: Option<String>,
    /// The author's photo (absolute URL).
    pub photo: Option<String>,
}

/// Reads `html` (the body of the page at `base`, after redirects) for what it says about
/// `target`. Relative URLs resolve against the page's `<base href>` when it has one, else
/// against `base`. Never fails: a page with nothing to say gives `links_to_target: false` and
/// no entry.
pub fn read(html: &str, base: &Url, target: &Url) -> Source {
    let doc = Html::parse_document(guard::bounded(html));
    let doc_base = links::document_base(&doc, base);
    let target = links::Target::new(target);
    let links_to_target = links::page_links_to(&doc, &doc_base, &target);
    let items = items::Parser::new(&doc_base, &target).parse(doc.root_element());
    let entry = pick::pick(&items, base, &target);
    Source {
        links_to_target,
        entry,
    }
}

#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod pages_tests;
#[cfg(test)]
mod tests;
