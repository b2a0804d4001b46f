//! From the page's microformats to what it says about the target: which h-entry speaks, what
//! kind of response it is, who wrote it and what it says.

use url::Url;

use super::dom::{self, Prefix};
use super::items::{Item, Prop};
use super::links::Target;
use super::{Author, Entry, Kind};

/// An h-entry found on the page, with where it was found.
struct Found<'r, 'a> {
    item: &'r Item<'a>,
    /// The microformat it sits in (as a child or a property value).
    parent: Option<&'r Item<'a>>,
    /// Whether it is a top-level h-entry or a child of a top-level h-feed.
    top: bool,
}

/// Every h-entry under `items`, at any depth, in document order.
fn entries<'r, 'a>(items: &'r [std::rc::Rc<Item<'a>>]) -> Vec<Found<'r, 'a>> {
    // (item, parent, top-level or child of a top-level feed, top-level itself)
    let mut stack: Vec<_> = items.iter().map(|i| (&**i, None, true, true)).collect();
    let mut out = Vec::new();
    while let Some((item, parent, top, top_level)) = stack.pop() {
        if item.is("h-entry") {
            out.push(Found { item, parent, top });
        }
        let feed = top_level && item.is("h-feed");
        let nested = item.props.iter().filter_map(|p| p.item.as_deref());
        stack.extend(
            item.children
                .iter()
                .map(|c| (&**c, Some(item), feed, false)),
        );
        stack.extend(nested.map(|c| (c, Some(item), false, false)));
    }
    out.sort_by_key(|f| f.item.seq);
    out
}

/// The absolute URLs property `name` of `item` names: each value's nested microformat's URL
/// (`u-in-reply-to h-cite`), else the value itself; values that are no absolute URL are left
/// out, and each URL is kept once.
fn urls(item: &Item, name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in item.all(name) {
        let url = p.item.as_deref().and_then(Item::url).unwrap_or(&p.text);
        if Url::parse(url).is_ok() && !out.iter().any(|u| u == url) {
            out.push(url.to_string());
        }
    }
    out
}

/// What `item` is to the target: a reply, like, repost or bookmark when the matching property
/// names it, else a mention.
fn kind(item: &Item, target: &Target) -> Kind {
    let names = |name: &str| urls(item, name).iter().any(|u| target.is_str(u));
    if names("in-reply-to") {
        Kind::Reply
    } else if names("like-of") {
        Kind::Like
    } else if names("repost-of") {
        Kind::Repost
    } else if names("bookmark-of") {
        Kind::Bookmark
    } else {
        Kind::Mention
    }
}

/// `s` when it is not empty.
fn some(s: &str) -> Option<String> {
    Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string)
}

/// `s` when it is an absolute URL.
fn absolute(s: Option<&str>) -> Option<String> {
    s.filter(|s| Url::parse(s).is_ok()).map(str::to_string)
}

/// The author an h-card (or another microformat) describes.
fn card(item: &Item) -> Author {
    let photo = match item.first("photo") {
        Some(p) => Some(p.text.as_str()),
        None => item.implied.photo.as_deref(),
    };
    Author {
        name: item.name().and_then(some),
        url: absolute(item.url()),
        photo: absolute(photo),
    }
}

/// The author an `author` property value gives: its h-card, a URL (`u-author`, or text that
/// is one), else a name.
fn author_of(p: &Prop) -> Author {
    if let Some(item) = &p.item {
        return card(item);
    }
    let is_url = p.prefix == Prefix::U
        || Url::parse(&p.text).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if is_url {
        Author {
            url: absolute(Some(&p.text)),
            ..Author::default()
        }
    } else {
        Author {
            name: some(&p.text),
            ..Author::default()
        }
    }
}

/// The page's representative h-card: the first top-level h-card whose `url` or `uid` is the
/// page's URL, else the first top-level h-card.
fn representative<'r, 'a>(items: &'r [std::rc::Rc<Item<'a>>], page: &Url) -> Option<&'r Item<'a>> {
    let page = Target::new(page);
    let cards = || items.iter().map(|i| &**i).filter(|i| i.is("h-card"));
    let is_page = |s: Option<&str>| s.is_some_and(|s| page.is_str(s));
    cards()
        .find(|c| is_page(c.url()) || is_page(c.first("uid").map(|p| p.text.as_str())))
        .or_else(|| cards().next())
}

/// The entry's author: its own, else its h-feed's, else the page's representative h-card.
fn author(found: &Found, items: &[std::rc::Rc<Item>], page: &Url) -> Author {
    if let Some(p) = found.item.first("author") {
        return author_of(p);
    }
    let feed = found.parent.filter(|f| f.is("h-feed"));
    if let Some(p) = feed.and_then(|f| f.first("author")) {
        return author_of(p);
    }
    representative(items, page).map(card).unwrap_or_default()
}

/// `s` with whitespace and a closing ellipsis taken out, for telling an implied name apart.
fn bare(s: &str) -> String {
    let s = s.trim_end();
    let s = s
        .strip_suffix('…')
        .or_else(|| s.strip_suffix("..."))
        .unwrap_or(s);
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The entry `found` as Natter keeps it.
fn entry(found: &Found, items: &[std::rc::Rc<Item>], page: &Url, target: &Target) -> Entry {
    let item = found.item;
    let content = item.first("content");
    let content_text = content.and_then(|p| some(&p.text));
    let content_html = content.and_then(|p| p.html.as_deref()).and_then(some);
    let name = item
        .first("name")
        .and_then(|p| some(&dom::collapse(&p.text)))
        .filter(|n| match &content_text {
            Some(c) => !bare(c).starts_with(&bare(n)),
            None => true,
        });
    let first = |n: &str| item.first(n).and_then(|p| some(&p.text));
    Entry {
        kind: kind(item, target),
        author: author(found, items, page),
        name,
        content_html,
        content_text,
        summary: first("summary"),
        published: first("published"),
        url: absolute(item.url()),
        in_reply_to: urls(item, "in-reply-to"),
        like_of: urls(item, "like-of"),
        repost_of: urls(item, "repost-of"),
        bookmark_of: urls(item, "bookmark-of"),
    }
}

/// The h-entry that speaks to the target and what it says: the first whose reply, like,
/// repost or bookmark names the target; else the first holding a link to it; else the first
/// top-level one (or child of a top-level h-feed); else none.
pub(super) fn pick(items: &[std::rc::Rc<Item>], page: &Url, target: &Target) -> Option<Entry> {
    let all = entries(items);
    let chosen = all
        .iter()
        .find(|f| kind(f.item, target) != Kind::Mention)
        .or_else(|| all.iter().find(|f| f.item.links_to_target))
        .or_else(|| all.iter().find(|f| f.top))?;
    Some(entry(chosen, items, page, target))
}
