//! The values microformats2 implies for an item that does not write them: a name, a photo and
//! a URL read from the root element and its only children.

use scraper::ElementRef;
use url::Url;

use super::dom::{self, Budget, Prefix};
use super::items::{resolve, Item};

/// An item's implied name, photo and URL (absolute), each only when not written.
#[derive(Debug, Default)]
pub(super) struct Implied {
    /// The implied `name`.
    pub name: Option<String>,
    /// The implied `photo`.
    pub photo: Option<String>,
    /// The implied `url`.
    pub url: Option<String>,
}

/// The child elements of `el`.
fn kids<'a>(el: ElementRef<'a>) -> Vec<ElementRef<'a>> {
    el.children().filter_map(ElementRef::wrap).collect()
}

/// Whether an element is a microformat root itself (then it is not read for its parent).
fn is_root(el: ElementRef) -> bool {
    !dom::classes(el.value()).0.is_empty()
}

/// The only child element of `el`, when it has exactly one and that is no root.
fn only_child(el: ElementRef) -> Option<ElementRef> {
    match kids(el).as_slice() {
        [one] if !is_root(*one) => Some(*one),
        _ => None,
    }
}

/// The only child element of `el` named one of `names`, when there is exactly one such and it
/// is no root.
fn only_of_type<'a>(el: ElementRef<'a>, names: &[&str]) -> Option<ElementRef<'a>> {
    let mut found = kids(el)
        .into_iter()
        .filter(|k| names.contains(&k.value().name()));
    match (found.next(), found.next()) {
        (Some(one), None) if !is_root(one) => Some(one),
        _ => None,
    }
}

/// `el`'s attribute `attr` when `el` is one of `names` and the value is not blank.
fn attr<'a>(el: ElementRef<'a>, names: &[&str], attr: &str) -> Option<&'a str> {
    let e = el.value();
    if !names.contains(&e.name()) {
        return None;
    }
    e.attr(attr).map(str::trim).filter(|v| !v.is_empty())
}

/// A name written as an image's alt or an abbreviation's title.
fn written_name(el: ElementRef) -> Option<String> {
    attr(el, &["img", "area"], "alt")
        .or_else(|| attr(el, &["abbr"], "title"))
        .map(dom::collapse)
}

/// A photo: an image's src or an object's data.
fn photo_of(el: ElementRef<'_>) -> Option<&str> {
    attr(el, &["img"], "src").or_else(|| attr(el, &["object"], "data"))
}

/// A link's href.
fn link(el: ElementRef<'_>) -> Option<&str> {
    attr(el, &["a", "area"], "href")
}

/// The implied name, photo and URL of `item` (whose properties are read). The name is
/// implied only for an item with no `p-*`/`e-*` property and nothing nested (as
/// microformats2 says); the photo when it has no `photo`; the URL when it has no `url` and
/// its root is a link, or, with no `u-*` property and nothing nested, from its only link.
pub(super) fn imply(item: &Item, base: &Url, budget: &mut Budget) -> Implied {
    let el = item.el;
    let nested = !item.children.is_empty() || item.props.iter().any(|p| p.item.is_some());
    let has = |f: &dyn Fn(&super::items::Prop) -> bool| item.props.iter().any(f);
    let mut out = Implied::default();

    if !nested && !has(&|p| matches!(p.prefix, Prefix::P | Prefix::E)) {
        let written = written_name(el)
            .or_else(|| only_child(el).and_then(written_name))
            .or_else(|| only_child(el).and_then(only_child).and_then(written_name));
        let name = written.unwrap_or_else(|| dom::text(el, budget));
        out.name = Some(name).filter(|n| !n.is_empty());
    }

    if !has(&|p| p.name == "photo") {
        let photo = photo_of(el)
            .or_else(|| only_of_type(el, &["img"]).and_then(photo_of))
            .or_else(|| only_of_type(el, &["object"]).and_then(photo_of))
            .or_else(|| {
                let child = only_child(el)?;
                only_of_type(child, &["img"])
                    .and_then(photo_of)
                    .or_else(|| only_of_type(child, &["object"]).and_then(photo_of))
            });
        out.photo = photo.map(|p| resolve(base, p));
    }

    if !has(&|p| p.name == "url") {
        let mut url = attr(el, &["a", "area"], "href");
        if url.is_none() && !nested && !has(&|p| p.prefix == Prefix::U) {
            url = only_of_type(el, &["a", "area"]).and_then(link).or_else(|| {
                let child = only_child(el)?;
                only_of_type(child, &["a", "area"]).and_then(link)
            });
        }
        out.url = url.map(|u| resolve(base, u));
    }
    out
}
