//! The guard's model of the parser's stack of open elements, and the moves the rules
//! (`guard_rules.rs`) make on it.
//!
//! The model follows HTML's tree construction (as html5ever has it) where it can tell what
//! the parser does. At what it cannot tell (a formatting element misnested across a block,
//! one the parser may have re-created out of sight, a mark left in its list of formatting
//! elements, ruby, `</form>`, a template's modes, MathML's `annotation-xml`, CDATA, a
//! frameset, …) it turns wary for the rest of the page: then every start tag opens an
//! element and only an end tag naming the current one closes it (besides the few end tags
//! that may be left out, when theirs is current). A wary model never holds fewer elements
//! open than the parser; an exact one may hold one the parser closed, and would then close
//! too much, so it must not guess.

pub(super) use super::scan::Mode;
use super::scan::Tag;

/// One of html5ever's "special" elements: the end tag of an ordinary element stops at it.
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
        self.name == n && self.flags & FOREIGN == 0
    }

    /// Whether the parser puts a mark in its list of formatting elements for it: none
    /// opened before it is re-created inside it, nor any opened in it after it closes.
    pub fn is_marker(&self) -> bool {
        [
            "td", "th", "caption", "template", "object", "applet", "marquee",
        ]
        .iter()
        .any(|m| self.is(m))
    }
}

/// Where a start tag lands.
pub(super) enum Here {
    Html,
    Foreign { math: bool },
}

/// The model.
#[derive(Default)]
pub(super) struct Model {
    /// The open elements, the current one last.
    pub stack: Vec<Open>,
    /// Formatting elements something else closed, which the parser re-creates at the next
    /// text or inline tag, where the model cannot see: it keeps them aside, counted as open.
    pub floating: Vec<Open>,
    /// What the floating elements cost at each tag (see `Limits::work`).
    pub floating_weight: usize,
    /// `<template>`s open.
    pub templates: usize,
    /// Whether a form was opened outside a template (the parser then ignores `<form>`).
    pub form: bool,
    /// The page's mode, from its doctype.
    pub mode: Mode,
    /// Whether the model has turned wary (see above).
    pub wary: bool,
    /// Whether a `<frameset>` was met (after one the parser may ignore raw-text elements).
    pub frameset: bool,
    /// The work so far (see `Limits::work`).
    pub work: usize,
}

impl Model {
    /// Opens an element for start tag `t`.
    pub fn push(&mut self, t: &Tag, flags: u16) {
        let (name, bytes) = (t.name.clone(), t.len);
        let open = Open { name, flags, bytes };
        self.templates += usize::from(open.is("template"));
        self.stack.push(open);
    }

    /// Forgets what it counted of element `o`, closed.
    pub fn forget(&mut self, o: &Open) {
        self.templates -= usize::from(o.is("template"));
    }

    /// How the scanner reads `<![CDATA[` here: as text in SVG and MathML, a comment in
    /// HTML; not known once the model is wary.
    pub fn cdata(&self) -> Option<bool> {
        match self.wary {
            true => None,
            false => Some(self.stack.last().is_some_and(|o| o.flags & FOREIGN != 0)),
        }
    }

    /// Whether the wary model cannot tell that the parser reads a raw-text element as one
    /// (it does not in SVG or MathML, a select, a frameset or a template's column group).
    pub fn raw_text_unsure(&self) -> bool {
        self.frameset
            || self.templates > 0
            || self
                .stack
                .iter()
                .any(|o| o.flags & FOREIGN != 0 || o.is("select"))
    }

    /// Open elements, floating ones with them.
    pub fn depth(&self) -> usize {
        self.stack.len() + self.floating.len()
    }

    /// The nearest open element `hit` takes, searching down from the top and giving up at
    /// one `stop` takes.
    pub fn find(&self, hit: impl Fn(&Open) -> bool, stop: impl Fn(&Open) -> bool) -> Option<usize> {
        for (i, o) in self.stack.iter().enumerate().rev() {
            if hit(o) {
                return Some(i);
            }
            if stop(o) {
                return None;
            }
        }
        None
    }

    /// Whether `o` bounds a scope.
    pub fn scope(o: &Open) -> bool {
        o.flags & SCOPE != 0
    }

    /// Whether `o` is special.
    pub fn special(o: &Open) -> bool {
        o.flags & SPECIAL != 0
    }

    /// Closes the element at `i` and all above it; the formatting elements among them
    /// float (unless it ends a mark in the list). A mark closed along with others would stay
    /// in the parser's list: the model turns wary instead.
    pub fn close(&mut self, i: usize) {
        if self.stack[i + 1..].iter().any(Open::is_marker) {
            self.wary = true;
            return;
        }
        let above = self.stack.split_off(i);
        for o in &above {
            self.forget(o);
        }
        if above[0].is_marker() {
            return;
        }
        for o in above.into_iter().skip(1) {
            if o.flags & FORMATTING != 0 && o.flags & FOREIGN == 0 {
                self.work += 256 + o.bytes;
                self.floating_weight += 64 + o.bytes / 4;
                self.floating.push(o);
            }
        }
    }

    /// Closes the current element, if the model knows it is the current one (no floating
    /// element may have been re-created above it); else turns wary.
    pub fn close_current(&mut self) {
        if !self.floating.is_empty() {
            self.wary = true;
        } else if !self.stack.is_empty() {
            self.close(self.stack.len() - 1);
        }
    }

    /// Takes the element at `i` out, leaving those above it.
    pub fn remove(&mut self, i: usize) {
        let o = self.stack.remove(i);
        self.forget(&o);
    }

    /// The formatting element `n` the parser's adoption agency would act on, for a
    /// formatting end tag (or a second `<a>`, `start`): closed with what is above it when
    /// that holds no special element; taken out, for a start tag, when out of scope. A
    /// floating one (it may have been re-created anywhere), one under a special element (the
    /// agency moves blocks about) or, for an end tag, one out of scope turns the model wary.
    pub fn adopt(&mut self, n: &str, start: bool) {
        if self.floating.iter().any(|o| o.is(n)) {
            self.wary = true;
            return;
        }
        // Only an element after the last mark in the list counts.
        let Some(i) = self.find(|o| o.is(n), Open::is_marker) else {
            return;
        };
        if self.stack[i + 1..].iter().any(Self::scope) {
            // The parser leaves it (but a second `<a>` takes it out); unless it left the
            // list, when an end tag may reach it past a MathML or SVG scope.
            if start {
                self.remove(i);
            } else {
                self.wary = true;
            }
        } else if self.stack[i + 1..].iter().any(Self::special) {
            self.wary = true;
        } else {
            self.close(i);
        }
    }

    /// Closes an open `<p>` (in button scope).
    pub fn close_p(&mut self) {
        let scope = |o: &Open| Self::scope(o) || o.is("button");
        if let Some(i) = self.find(|o| o.is("p"), scope) {
            self.close(i);
        }
    }

    /// The nearest open table, cell, caption or template, by index and name.
    pub fn table_part(&self) -> Option<(usize, &str)> {
        let part = |o: &Open| {
            ["table", "td", "th", "caption", "template"]
                .iter()
                .any(|m| o.is(m))
        };
        let i = self.find(part, |_| false)?;
        Some((i, self.stack[i].name.as_str()))
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

    /// Closes SVG and MathML elements down to HTML (or an element that holds it), as the
    /// parser does at a tag that leaves foreign content.
    pub fn leave_foreign(&mut self) {
        let foreign = |o: &Open| o.flags & FOREIGN != 0 && o.flags & HTML_INSIDE == 0;
        while self.stack.last().is_some_and(foreign) {
            if let Some(o) = self.stack.pop() {
                self.forget(&o);
            }
        }
    }
}
