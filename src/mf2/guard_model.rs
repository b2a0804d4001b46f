//! The guard's model of the parser's stack of open elements, and the moves the rules
//! (`guard_rules.rs`) make on it. Where it cannot tell what the parser does, it keeps more
//! open, never fewer.

use super::scan::Tag;

/// One of HTML's "special" elements: the end tag of an ordinary element stops at it.
pub(super) const SPECIAL: u16 = 1;
/// It bounds a scope: end tags (and searches for an open `<p>`) do not reach below it.
pub(super) const SCOPE: u16 = 2;
/// A formatting element, re-created when something else closes it.
pub(super) const FORMATTING: u16 = 4;
/// An SVG or MathML element.
pub(super) const FOREIGN: u16 = 8;
/// A foreign element whose content is HTML (`foreignObject`, `mi`, …).
pub(super) const HTML_INSIDE: u16 = 16;
/// A MathML element.
pub(super) const MATH: u16 = 32;
/// Inside MathML's `annotation-xml`, which holds HTML or not by its `encoding` (left
/// unread): the model then neither steps over raw text nor takes `/>` as a close.
pub(super) const UNSURE: u16 = 64;
/// A formatting element the model keeps open where the parser will re-create it later: to
/// close it is only to take it out.
pub(super) const PENDING: u16 = 128;
/// A formatting element opened before a cell, caption or object that was closed along with
/// others, whose mark stays in the parser's list: no end tag closes it any more.
pub(super) const LOCKED: u16 = 256;

/// An open element of the model.
pub(super) struct Open {
    /// Its tag name, lowercased.
    pub name: String,
    /// What it is to the parsing algorithm (`SPECIAL`, `SCOPE`, …).
    pub flags: u16,
    /// Its tag's length.
    pub bytes: usize,
}

impl Open {
    /// Whether it is an HTML element named `n`.
    pub fn is(&self, n: &str) -> bool {
        self.name == n && self.flags & (FOREIGN | UNSURE) == 0
    }

    /// Whether the parser puts a marker in its list of formatting elements for it: none
    /// opened before it is re-created inside it, nor any opened in it after it closes.
    fn is_marker(&self) -> bool {
        let marker = [
            "td", "th", "caption", "template", "object", "applet", "marquee",
        ];
        marker.iter().any(|m| self.is(m))
    }
}

/// Where a start tag lands.
pub(super) enum Here {
    Html,
    Foreign { math: bool },
    Unsure,
}

/// The model.
#[derive(Default)]
pub(super) struct Model {
    /// The open elements, the current one last.
    pub stack: Vec<Open>,
    /// `<frameset>`s open: in them the parser ignores nearly everything. The model then only
    /// opens elements (and closes a frameset on top), which errs on the deep side whether
    /// the parser took the frameset or not.
    pub framesets: usize,
    /// `<template>`s open: in one that took a `<col>` first the parser ignores raw-text
    /// elements, so the model does not step over their text.
    pub templates: usize,
    /// The work so far (see `Limits::work`).
    pub work: usize,
}

impl Model {
    /// Opens an element for start tag `t`.
    pub fn push(&mut self, t: &Tag, flags: u16) {
        let (name, bytes) = (t.name.clone(), t.len);
        let open = Open { name, flags, bytes };
        self.framesets += usize::from(open.is("frameset"));
        self.templates += usize::from(open.is("template"));
        self.stack.push(open);
    }

    fn forget(&mut self, o: &Open) {
        self.framesets -= usize::from(o.is("frameset"));
        self.templates -= usize::from(o.is("template"));
    }

    /// The nearest open element `hit` takes, searching down from the top and giving up at
    /// one `stop` takes.
    pub fn find(&self, hit: impl Fn(&Open) -> bool, stop: impl Fn(&Open) -> bool) -> Option<usize> {
        for (i, o) in self.stack.iter().enumerate().rev() {
            if hit(o) {
                return Some(i);
            }
            // Inside `annotation-xml` no search goes past what may be HTML or MathML.
            if stop(o) || o.flags & UNSURE != 0 {
                return None;
            }
        }
        None
    }

    /// Whether `o` bounds a scope.
    pub fn scope(o: &Open) -> bool {
        o.flags & SCOPE != 0
    }

    /// Closes the element at `i` and all above it. The formatting elements among them (up to
    /// a cell, caption, template or object, which end what the parser re-creates) stay open in the model, as the parser re-creates them (all of them: the
    /// parser's limit of three alike holds for its list of formatting elements, not for its
    /// stack).
    pub fn close(&mut self, i: usize) {
        let above = self.stack.split_off(i);
        for o in &above {
            self.forget(o);
        }
        // A marker closed along with others stays in the parser's list (its end clears only
        // up to the last marker).
        let stale = above[1..].iter().any(Open::is_marker);
        if !above[0].is_marker() {
            for mut o in above.into_iter().skip(1).take_while(|o| !o.is_marker()) {
                if o.flags & FORMATTING != 0 && o.flags & FOREIGN == 0 {
                    self.work += 256 + o.bytes;
                    o.flags |= PENDING;
                    self.stack.push(o);
                }
            }
        }
        if stale {
            for o in &mut self.stack {
                o.flags |= LOCKED;
            }
        }
    }

    /// Closes the current element.
    pub fn close_top(&mut self) {
        if !self.stack.is_empty() {
            self.close(self.stack.len() - 1);
        }
    }

    /// Takes the element at `i` out, leaving those above it.
    pub fn remove(&mut self, i: usize) {
        let o = self.stack.remove(i);
        self.forget(&o);
    }

    /// HTML's adoption agency for formatting end tag `n` (or, `remove`, a second `<a>`):
    /// the element is closed with what is above it when that holds no special element;
    /// else it moves up above the first special one (the parser moves that block out of
    /// it), and again, up to eight times. A second `<a>` then takes the moved one out.
    pub fn adopt(&mut self, n: &str, remove: bool) {
        let mut moved = None;
        for _ in 0..8 {
            let Some(i) = self.find(|o| o.is(n), Self::scope) else {
                break;
            };
            let flags = self.stack[i].flags;
            if flags & LOCKED != 0 {
                return;
            }
            if flags & PENDING != 0 {
                self.remove(i);
                return;
            }
            match (i + 1..self.stack.len()).find(|&j| self.stack[j].flags & SPECIAL != 0) {
                None => {
                    self.close(i);
                    return;
                }
                Some(block) => {
                    let o = self.stack.remove(i);
                    self.stack.insert(block, o);
                    moved = Some(block);
                }
            }
        }
        if let Some(j) = moved.filter(|_| remove) {
            self.remove(j);
        }
    }

    /// Closes the elements whose end tag may be left out (`p`, `li`, `option`, …) while one
    /// is current, but `rtc` when `keep_rtc`.
    pub fn close_implied(&mut self, keep_rtc: bool) {
        let implied = [
            "dd", "dt", "li", "optgroup", "option", "p", "rb", "rp", "rt",
        ];
        let ends = |o: &Open| implied.iter().any(|m| o.is(m)) || (!keep_rtc && o.is("rtc"));
        while self.stack.last().is_some_and(ends) {
            self.close_top();
        }
    }

    /// Closes an open `<p>` (in "button scope").
    pub fn close_p(&mut self) {
        let scope = |o: &Open| Self::scope(o) || o.is("button");
        if let Some(i) = self.find(|o| o.is("p"), scope) {
            self.close(i);
        }
    }

    /// Closes an open table cell (in table scope).
    pub fn close_cell(&mut self) {
        let table = |o: &Open| o.is("table") || o.is("template");
        if let Some(i) = self.find(|o| o.is("td") || o.is("th"), table) {
            self.close(i);
        }
    }

    /// Whether a table is open (in table scope).
    pub fn in_table(&self) -> bool {
        self.find(|o| o.is("table"), |o| o.is("template")).is_some()
    }

    /// The `<select>` the parser is in, when it is in one: an HTML select with nothing but
    /// options above it. With whether it sits in a table.
    pub fn select(&self) -> Option<(usize, bool)> {
        let i = self.find(|o| o.is("select"), |o| !o.is("option") && !o.is("optgroup"))?;
        let ancestor = self.stack[..i]
            .iter()
            .rev()
            .find(|o| o.is("table") || o.is("template"));
        Some((i, ancestor.is_some_and(|o| o.is("table"))))
    }

    /// Where start tag `n` lands.
    pub fn here(&self, n: &str) -> Here {
        let Some(top) = self.stack.last() else {
            return Here::Html;
        };
        if top.flags & UNSURE != 0 {
            return Here::Unsure;
        }
        let math_text = top.flags & (MATH | HTML_INSIDE) == MATH | HTML_INSIDE;
        let math_in_text = math_text && matches!(n, "mglyph" | "malignmark");
        if top.flags & FOREIGN == 0 || (top.flags & HTML_INSIDE != 0 && !math_in_text) {
            Here::Html
        } else {
            Here::Foreign {
                math: top.flags & MATH != 0,
            }
        }
    }

    /// Opens an element for start tag `t` met where it may be text: one that stops every
    /// search, so that nothing it might be lets the model close more than the parser.
    pub fn push_unsure(&mut self, t: &Tag) {
        let formatting = super::guard_names::is_formatting(&t.name);
        let flags = SPECIAL | SCOPE | if formatting { FORMATTING } else { 0 };
        self.push(t, flags);
    }

    /// Whether `<![CDATA[` opens a CDATA section here (in SVG or MathML), not a comment.
    pub fn cdata_here(&self) -> bool {
        self.stack.last().is_some_and(|o| o.flags & FOREIGN != 0)
    }

    /// Closes SVG and MathML elements down to HTML (or an element that may hold it), as
    /// the parser does at a tag that leaves foreign content.
    pub fn leave_foreign(&mut self) {
        let foreign = |o: &Open| o.flags & FOREIGN != 0 && o.flags & (HTML_INSIDE | UNSURE) == 0;
        while self.stack.last().is_some_and(foreign) {
            if let Some(o) = self.stack.pop() {
                self.forget(&o);
            }
        }
    }
}
