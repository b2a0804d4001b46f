//! Links: the base they resolve against, which elements count as linking (Webmention: the
//! source must contain a link to the target) and when a URL is the target.

use scraper::node::Element;
use scraper::{ElementRef, Html};
use url::Url;

/// The URL a Webmention is about, kept in the form links are compared in.
#[derive(Debug)]
pub(super) struct Target(Url);

/// `u` without its fragment and without one trailing slash on its path, so that `/post`,
/// `/post/` and `/post#c1` compare equal.
fn key(u: &Url) -> Url {
    let mut k = u.clone();
    k.set_fragment(None);
    if !k.cannot_be_a_base() {
        if let Some(path) = k.path().strip_suffix('/').map(str::to_string) {
            k.set_path(&path);
        }
    }
    k
}

impl Target {
    /// The target `url`.
    pub fn new(url: &Url) -> Self {
        Target(key(url))
    }

    /// Whether `u` is the target (fragment and a trailing slash aside).
    pub fn is(&self, u: &Url) -> bool {
        key(u) == self.0
    }

    /// Whether the absolute URL `s` is the target; false when `s` is no URL.
    pub fn is_str(&self, s: &str) -> bool {
        Url::parse(s).is_ok_and(|u| self.is(&u))
    }
}

/// The URL the page's relative links resolve against: the first `<base href>`, resolved
/// against the page's own URL `page`, or `page` when there is none (or it is no base).
pub(super) fn document_base(html: &Html, page: &Url) -> Url {
    let href = html
        .root_element()
        .descendent_elements()
        .filter(|e| e.value().name() == "base")
        .find_map(|e| e.value().attr("href"));
    match href.map(|h| page.join(h.trim())) {
        Some(Ok(base)) if !base.cannot_be_a_base() => base,
        _ => page.clone(),
    }
}

/// What an element links to, for the elements Webmention counts: `a`, `area` and `link` by
/// `href`; `img`, `video`, `audio`, `source` and `iframe` by `src`.
fn link(e: &Element) -> Option<&str> {
    match e.name() {
        "a" | "area" | "link" => e.attr("href"),
        "img" | "video" | "audio" | "source" | "iframe" => e.attr("src"),
        _ => None,
    }
}

/// Whether element `e` links to the target, its link resolved against `base`.
pub(super) fn points_to(e: &Element, base: &Url, target: &Target) -> bool {
    link(e)
        .and_then(|l| base.join(l.trim()).ok())
        .is_some_and(|u| target.is(&u))
}

/// Whether any element of the page links to the target (text that only spells the URL does
/// not count; neither does anything inside a `<template>`).
pub(super) fn page_links_to(html: &Html, base: &Url, target: &Target) -> bool {
    let mut stack = vec![html.root_element()];
    while let Some(el) = stack.pop() {
        if el.value().name() == "template" {
            continue;
        }
        if points_to(el.value(), base, target) {
            return true;
        }
        stack.extend(el.children().filter_map(ElementRef::wrap));
    }
    false
}
