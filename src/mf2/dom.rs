//! What the parser reads from elements: class names, text content and inner HTML, all under
//! one work budget so that no document, however nested, costs more than a bounded amount.

use super::guard_names::is_void;
use scraper::node::Element;
use scraper::{ElementRef, Node};
use url::Url;

/// Work allowed for one page's property values, in bytes of text and markup walked. A page is
/// at most 1 MiB; a few passes over it fit, a value walked again at each of thousands of
/// nesting levels does not.
const BUDGET: usize = 32 << 20;

/// The work left for reading values. Once spent, every further value reads as empty.
#[derive(Debug)]
pub(super) struct Budget(usize);

impl Budget {
    /// A full budget, for one page.
    pub(super) fn new() -> Self {
        Budget(BUDGET)
    }

    /// Takes `n` from the budget; false, and nothing left, when there was less than `n`.
    fn take(&mut self, n: usize) -> bool {
        match self.0.checked_sub(n) {
            Some(left) => {
                self.0 = left;
                true
            }
            None => {
                self.0 = 0;
                false
            }
        }
    }
}

/// What one element costs to walk: its name and attributes, with a floor for the tags.
fn cost(e: &Element) -> usize {
    16 + e.name().len() + e.attrs().map(|(k, v)| k.len() + v.len()).sum::<usize>()
}

/// The kind of a property, from its class prefix.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Prefix {
    /// `p-*`: plain text.
    P,
    /// `u-*`: a URL.
    U,
    /// `dt-*`: a date or time, as written.
    Dt,
    /// `e-*`: embedded markup.
    E,
}

/// A class name's part after `h-`, `p-` and the like: lowercase letters and digits in
/// hyphen-separated runs, with at least one letter.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|run| {
            !run.is_empty()
                && run
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && s.bytes().any(|b| b.is_ascii_lowercase())
}

/// The microformats2 classes of an element: its root types (`h-entry`, whole) and its
/// properties (prefix and name, `p-name` as `(P, "name")`), each once, in the order written.
pub(super) fn classes(e: &Element) -> (Vec<String>, Vec<(Prefix, String)>) {
    let mut roots: Vec<String> = Vec::new();
    let mut props: Vec<(Prefix, String)> = Vec::new();
    let Some(class) = e.attr("class") else {
        return (roots, props);
    };
    for c in class.split_ascii_whitespace() {
        let (prefix, rest) = match c.split_once('-') {
            Some(("h", rest)) => {
                if is_name(rest) && !roots.iter().any(|r| r == c) {
                    roots.push(c.to_string());
                }
                continue;
            }
            Some(("p", rest)) => (Prefix::P, rest),
            Some(("u", rest)) => (Prefix::U, rest),
            Some(("dt", rest)) => (Prefix::Dt, rest),
            Some(("e", rest)) => (Prefix::E, rest),
            _ => continue,
        };
        if is_name(rest) && !props.iter().any(|(p, n)| *p == prefix && n == rest) {
            props.push((prefix, rest.to_string()));
        }
    }
    (roots, props)
}

/// Runs of whitespace as one space, none at either end.
pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Elements whose edges separate words when text is read (so `<p>a</p><p>b</p>` reads `a b`).
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "dd"
            | "details"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "td"
            | "th"
            | "tr"
            | "ul"
    )
}

/// The text of `el` as microformats2 reads it: script, style and template left out, an
/// image's `alt` in its place, `<br>` and block edges as spaces, whitespace collapsed and
/// trimmed. Cut short where the budget runs out.
pub(super) fn text(el: ElementRef, budget: &mut Budget) -> String {
    let mut raw = String::new();
    // `None` marks the end of a block: a space goes there.
    let mut stack: Vec<_> = el.children().rev().map(Some).collect();
    while let Some(next) = stack.pop() {
        let Some(node) = next else {
            raw.push(' ');
            continue;
        };
        match node.value() {
            Node::Text(t) => {
                if !budget.take(t.len()) {
                    break;
                }
                raw.push_str(t);
            }
            Node::Element(e) => {
                if !budget.take(cost(e)) {
                    break;
                }
                match e.name() {
                    "script" | "style" | "template" => {}
                    "img" => raw.push_str(e.attr("alt").unwrap_or("")),
                    "br" => raw.push(' '),
                    name => {
                        if is_block(name) {
                            raw.push(' ');
                            stack.push(None);
                        }
                        stack.extend(node.children().rev().map(Some));
                    }
                }
            }
            _ => {}
        }
    }
    collapse(&raw)
}

/// Elements whose text is written as it is, not escaped.
fn is_raw_text(name: &str) -> bool {
    matches!(
        name,
        "style" | "script" | "xmp" | "iframe" | "noembed" | "noframes" | "plaintext" | "noscript"
    )
}

/// Attributes that hold a URL (or, `srcset`, a list of them).
fn is_url_attr(name: &str) -> bool {
    matches!(
        name,
        "href" | "src" | "poster" | "cite" | "action" | "formaction" | "data" | "srcset"
    )
}

/// A URL attribute's value made absolute against `base`; a fragment-only value (a link inside
/// the content) and one that does not resolve are kept as written.
fn absolute(name: &str, value: &str, base: &Url) -> String {
    let one = |v: &str| {
        let t = v.trim();
        if t.is_empty() || t.starts_with('#') {
            return v.to_string();
        }
        base.join(t)
            .map(String::from)
            .unwrap_or_else(|_| v.to_string())
    };
    if name != "srcset" {
        return one(value);
    }
    value
        .split(',')
        .map(|candidate| {
            let c = candidate.trim();
            match c.split_once(char::is_whitespace) {
                Some((u, descriptor)) => format!("{} {}", one(u), descriptor.trim()),
                None => one(c),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `s` escaped for HTML text (or, `attr`, a double-quoted attribute value).
fn escape(s: &str, attr: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// The inner HTML of `el`, serialized as HTML serializes a fragment, with the URLs in its
/// URL attributes made absolute against `base` (as microformats2 proposes for `e-*`) and
/// comments left out; trimmed. `None` when the budget runs out.
pub(super) fn inner_html(el: ElementRef, base: &Url, budget: &mut Budget) -> Option<String> {
    let mut out = String::new();
    // `(None, name)` marks where `</name>` goes.
    let mut stack: Vec<_> = el.children().rev().map(|c| (Some(c), "")).collect();
    while let Some((next, end)) = stack.pop() {
        let Some(node) = next else {
            out.push_str("</");
            out.push_str(end);
            out.push('>');
            continue;
        };
        match node.value() {
            Node::Text(t) => {
                if !budget.take(t.len()) {
                    return None;
                }
                let parent = node.parent().and_then(|p| p.value().as_element());
                if parent.is_some_and(|p| is_raw_text(p.name())) {
                    out.push_str(t);
                } else {
                    escape(t, false, &mut out);
                }
            }
            Node::Element(e) => {
                if !budget.take(cost(e)) {
                    return None;
                }
                let name = e.name();
                out.push('<');
                out.push_str(name);
                for (k, v) in e.attrs() {
                    out.push(' ');
                    out.push_str(k);
                    out.push_str("=\"");
                    if is_url_attr(k) {
                        escape(&absolute(k, v, base), true, &mut out);
                    } else {
                        escape(v, true, &mut out);
                    }
                    out.push('"');
                }
                out.push('>');
                if !is_void(name) {
                    stack.push((None, name));
                    stack.extend(node.children().rev().map(|c| (Some(c), "")));
                }
            }
            _ => {}
        }
    }
    Some(out.trim().to_string())
}
