//! A model of html5ever's stack of open elements, which the pre-pass keeps to cap nesting
//! at [`MAX_DEPTH`] (see the module documentation of `markdown` for why).

use super::headings::is_heading;

/// Deepest stack of open elements the pre-pass lets through to html5ever.
///
/// 64 is far beyond anything a real comment nests (quotes of quotes rarely pass 5) while
/// keeping html5ever's per-tag scope walks short.
pub(super) const MAX_DEPTH: usize = 64;

/// Elements html5ever never leaves on its stack of open elements.
pub(super) const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Start tags that make html5ever close an open `<p>` first.
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "search",
    "section",
    "summary",
    "ul",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "listing",
    "form",
    "table",
    "li",
    "dd",
    "dt",
];

/// Elements popped by html5ever's "generate implied end tags"; none is a scope boundary.
const IMPLIED_END: &[&str] = &[
    "p", "li", "dd", "dt", "option", "optgroup", "rb", "rp", "rt", "rtc",
];

/// Closed by the adoption agency algorithm, which may keep intervening elements open.
const FORMATTING: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

pub(super) fn is_any(name: &str, set: &[&str]) -> bool {
    set.iter().any(|s| name.eq_ignore_ascii_case(s))
}

fn same_element(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (is_heading(a) && is_heading(b))
}

/// Over-approximation of html5ever's stack of open elements.
///
/// Invariant: an entry is only removed while it is on top, where the parser certainly pops
/// the matching element too (or never pushed it), so the parser's stack is never deeper than
/// this one plus the odd implied `<colgroup>`. Implied `<tbody>`/`<tr>` are modelled.
pub(super) struct OpenElements<'a> {
    stack: Vec<&'a str>,
}

impl<'a> OpenElements<'a> {
    pub(super) fn new() -> Self {
        OpenElements { stack: Vec::new() }
    }

    fn top_is(&self, set: &[&str]) -> bool {
        self.stack.last().is_some_and(|top| is_any(top, set))
    }

    fn pop_if(&mut self, set: &[&str]) {
        if self.top_is(set) {
            self.stack.pop();
        }
    }

    /// Records a start tag; `false` means it must be dropped to respect [`MAX_DEPTH`].
    pub(super) fn start(&mut self, name: &'a str) -> bool {
        if is_any(name, VOID) {
            return true;
        }
        // Only the cases where the implicit close is certain: the closed element is on top.
        if is_any(name, CLOSES_P) {
            self.pop_if(&["p"]);
        }
        if is_any(name, &["li"]) {
            self.pop_if(&["li"]);
        } else if is_any(name, &["dd", "dt"]) {
            self.pop_if(&["dd", "dt"]);
        } else if is_any(name, &["a"]) {
            self.pop_if(&["a"]);
        } else if is_any(name, &["td", "th", "tr", "tbody", "thead", "tfoot"]) {
            self.pop_if(&["td", "th"]);
            if !is_any(name, &["td", "th"]) {
                self.pop_if(&["tr"]);
                if !is_any(name, &["tr"]) {
                    self.pop_if(&["tbody", "thead", "tfoot"]);
                }
            }
        }
        let wrappers: &[&'static str] = if is_any(name, &["td", "th"]) {
            if self.top_is(&["table"]) {
                &["tbody", "tr"]
            } else if self.top_is(&["tbody", "thead", "tfoot"]) {
                &["tr"]
            } else {
                &[]
            }
        } else if is_any(name, &["tr"]) && self.top_is(&["table"]) {
            &["tbody"]
        } else {
            &[]
        };
        if self.stack.len() + wrappers.len() + 1 > MAX_DEPTH {
            return false;
        }
        self.stack.extend_from_slice(wrappers);
        self.stack.push(name);
        true
    }

    /// Records an end tag, first writing to `out` explicit end tags for the elements it
    /// would close implicitly; `false` means the tag cannot affect the real parse and is
    /// dropped.
    pub(super) fn end(&mut self, name: &str, out: &mut String) -> bool {
        if is_any(name, &["br"]) {
            // html5ever turns `</br>` into `<br>`.
            return true;
        }
        // With no such element open the real parser ignores the tag (`</p>` would only
        // insert an empty paragraph).
        if !self.stack.iter().any(|open| same_element(open, name)) {
            return false;
        }
        if is_any(name, FORMATTING) {
            if self.stack.last().is_some_and(|top| same_element(top, name)) {
                self.stack.pop();
            }
            return true;
        }
        let mut target = None;
        for i in (0..self.stack.len()).rev() {
            if same_element(self.stack[i], name) {
                target = Some(i);
                break;
            }
            if !closed_implicitly(self.stack[i], name) {
                break;
            }
        }
        if let Some(target) = target {
            // The model cannot know whether `name` is really open (the parser may have
            // closed it already or never opened it), and if it is not, the parser ignores
            // the tag and keeps the elements above it. Spelled-out end tags close those
            // elements either way, so every pop below matches the parser's current node.
            for open in self.stack.drain(target + 1..).rev() {
                out.push_str("</");
                out.push_str(open);
                out.push('>');
            }
            self.stack.pop();
        }
        true
    }
}

/// Whether html5ever pops `open` on its way to closing an enclosing `closing` element.
fn closed_implicitly(open: &str, closing: &str) -> bool {
    is_any(open, IMPLIED_END)
        || (is_any(closing, &["table"])
            && is_any(
                open,
                &[
                    "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "colgroup",
                ],
            ))
        || (is_any(closing, &["tbody", "thead", "tfoot"]) && is_any(open, &["tr", "td", "th"]))
        || (is_any(closing, &["tr"]) && is_any(open, &["td", "th"]))
}
