//! What each tag does to the guard's model (`guard_model.rs`): the parts of HTML's tree
//! construction rules that open and close elements, read on the side of keeping them open.

use super::guard::Then;
use super::guard_model::*;
use super::guard_names::*;
use super::scan::Tag;

impl Model {
    /// Start tag `t`.
    pub fn start(&mut self, t: &Tag) -> Then {
        let n = t.name.as_str();
        if self.framesets > 0 {
            // Whether the parser took the frameset (and ignores this) or not (an `<svg>` may
            // have followed, where even `<frame>` nests), opening it errs on the deep side.
            self.push(t, SPECIAL | SCOPE);
            return Then::Go;
        }
        if let Some((select, in_table)) = self.select() {
            return self.start_in_select(t, select, in_table);
        }
        let here = self.here(n);
        if leaves_foreign(t) {
            if let Here::Foreign { .. } = here {
                self.leave_foreign();
            }
            return self.start_html(t);
        }
        match here {
            Here::Html => self.start_html(t),
            Here::Foreign { math } => {
                if !t.self_closing {
                    self.push(t, foreign_flags(n, math));
                }
                Then::Go
            }
            Here::Unsure => {
                let svg = n == "svg"
                    && self
                        .stack
                        .last()
                        .is_some_and(|o| o.name == "annotation-xml");
                if svg && !t.self_closing {
                    self.push(t, FOREIGN);
                } else if !svg && is_formatting(n) {
                    self.push(t, UNSURE | FORMATTING);
                } else if !svg {
                    self.push(t, UNSURE | SCOPE | SPECIAL);
                }
                Then::Go
            }
        }
    }

    /// Start tag `t` inside the `<select>` at `select`: all but a few are ignored.
    fn start_in_select(&mut self, t: &Tag, select: usize, in_table: bool) -> Then {
        let n = t.name.as_str();
        match n {
            "option" | "optgroup" | "hr" => {
                if self.stack.last().is_some_and(|o| o.is("option")) {
                    self.close_top();
                }
                if n != "option" && self.stack.last().is_some_and(|o| o.is("optgroup")) {
                    self.close_top();
                }
                if n != "hr" {
                    self.push(t, 0);
                }
            }
            "select" => self.close(select),
            "input" | "keygen" | "textarea" => {
                self.close(select);
                return self.start(t);
            }
            _ if in_table && is_table_part(n) => {
                self.close(select);
                return self.start(t);
            }
            "script" => return Then::SkipText,
            "template" => self.push(t, SPECIAL | SCOPE),
            _ => {}
        }
        Then::Go
    }

    /// Start tag `t` as HTML.
    fn start_html(&mut self, t: &Tag) -> Then {
        let n = t.name.as_str();
        match n {
            "html" | "head" | "body" | "colgroup" => {}
            "option" | "optgroup" => {
                if self.stack.last().is_some_and(|o| o.is("option")) {
                    self.close_top();
                }
                self.push(t, 0);
            }
            "rb" | "rp" | "rt" | "rtc" => {
                // In a ruby these close the elements whose end tags may be left out.
                if self.find(|o| o.is("ruby"), Self::scope).is_some() {
                    self.close_implied(n == "rp" || n == "rt");
                }
                self.push(t, 0);
            }
            "tr" | "tbody" | "thead" | "tfoot" => self.close_cell(),
            // Outside a table the parser ignores them.
            "td" | "th" | "caption" => {
                if self.in_table() {
                    self.close_cell();
                    self.push(t, SPECIAL | SCOPE);
                }
            }
            // A table closes an open `<p>` only in no-quirks mode: the model does not. In a
            // table (not in a cell of it) it closes that table.
            "table" => {
                let table_part = |o: &Open| {
                    ["table", "td", "th", "caption", "template"]
                        .iter()
                        .any(|m| o.is(m))
                };
                if let Some(j) = self
                    .find(table_part, |_| false)
                    .filter(|&j| self.stack[j].is("table"))
                {
                    self.close(j);
                }
                self.push(t, SPECIAL | SCOPE);
            }
            "template" | "object" | "applet" | "marquee" | "select" | "frameset" => {
                self.push(t, SPECIAL | SCOPE)
            }
            "plaintext" => {
                self.close_p();
                return match self.templates {
                    0 => Then::RestIsText,
                    _ => Then::Unsure,
                };
            }
            "svg" if !t.self_closing => self.push(t, FOREIGN),
            "math" if !t.self_closing => self.push(t, FOREIGN | MATH),
            "svg" | "math" => {}
            _ if is_void(n) => {
                if n == "hr" {
                    self.close_p();
                }
            }
            _ if is_raw_text(n) => {
                if n == "xmp" {
                    self.close_p();
                }
                return match self.templates {
                    0 => Then::SkipText,
                    _ => Then::Unsure,
                };
            }
            "li" | "dd" | "dt" => {
                let same = |o: &Open| match n {
                    "li" => o.is("li"),
                    _ => o.is("dd") || o.is("dt"),
                };
                let stop = |o: &Open| {
                    o.flags & SPECIAL != 0 && !(o.is("address") || o.is("div") || o.is("p"))
                };
                if let Some(i) = self.find(same, stop) {
                    self.close(i);
                }
                self.close_p();
                self.push(t, SPECIAL);
            }
            _ if is_heading(n) => {
                self.close_p();
                if self.stack.last().is_some_and(|o| is_heading(&o.name)) {
                    self.close_top();
                }
                self.push(t, SPECIAL);
            }
            "button" => {
                if let Some(i) = self.find(|o| o.is("button"), Self::scope) {
                    self.close(i);
                }
                self.push(t, SPECIAL);
            }
            _ if is_formatting(n) => {
                if n == "a" || n == "nobr" {
                    self.adopt(n, n == "a");
                }
                self.push(t, FORMATTING);
            }
            _ if is_block(n) => {
                self.close_p();
                self.push(t, SPECIAL);
            }
            _ => self.push(t, 0),
        }
        Then::Go
    }

    /// End tag `n`.
    pub fn end(&mut self, n: &str) {
        if self.framesets > 0 {
            if n == "frameset" && self.stack.last().is_some_and(|o| o.is(n)) {
                self.close_top();
            }
            return;
        }
        if let Some((select, in_table)) = self.select() {
            return self.end_in_select(n, select, in_table);
        }
        let Some(top) = self.stack.last() else {
            return;
        };
        if top.flags & UNSURE != 0 {
            // HTML or MathML: only its own end tag surely closes it.
            if top.name == n {
                self.close_top();
            }
            return;
        }
        if top.flags & FOREIGN != 0 {
            if n == "p" || n == "br" {
                // These two end SVG and MathML, as the start tags that leave them do.
                self.leave_foreign();
            } else if self.end_foreign(n) {
                return;
            }
        }
        let named = |o: &Open| o.is(n);
        let table = |o: &Open| o.is("table") || o.is("template");
        let found = match n {
            "body" | "html" | "br" => None,
            "p" => self.find(named, |o| Self::scope(o) || o.is("button")),
            "li" => self.find(named, |o| Self::scope(o) || o.is("ol") || o.is("ul")),
            "form" => {
                if let Some(i) = self.find(named, Self::scope) {
                    // The parser closes what may be left open, then takes out the form alone.
                    self.close_implied(false);
                    if i < self.stack.len() {
                        self.remove(i);
                    }
                }
                None
            }
            "table" => self.find(named, |o| o.is("template")),
            "td" | "th" | "caption" => self.find(named, table),
            "tr" | "tbody" | "thead" | "tfoot" => {
                self.close_cell();
                None
            }
            "template" => self.find(named, |_| false),
            _ if is_heading(n) => {
                let heading = |o: &Open| o.flags & (FOREIGN | UNSURE) == 0 && is_heading(&o.name);
                self.find(heading, Self::scope)
            }
            _ if is_formatting(n) => {
                self.adopt(n, false);
                None
            }
            _ if is_special(n) => self.find(named, Self::scope),
            _ => self.find(named, |o| o.flags & (SPECIAL | SCOPE) != 0),
        };
        if let Some(i) = found {
            self.close(i);
        }
    }

    /// End tag `n` in SVG or MathML: closes the nearest foreign element of that name above
    /// any HTML one (true), else is left to the HTML rules (false).
    fn end_foreign(&mut self, n: &str) -> bool {
        let top = self.stack.len() - 1;
        for i in (0..=top).rev() {
            let o = &self.stack[i];
            if i != top && o.flags & FOREIGN == 0 {
                return false;
            }
            if o.name == n {
                self.close(i);
                return true;
            }
        }
        false
    }

    /// End tag `n` inside the `<select>` at `select`.
    fn end_in_select(&mut self, n: &str, select: usize, in_table: bool) {
        let top_is = |m: &Model, name: &str| m.stack.last().is_some_and(|o| o.is(name));
        match n {
            "optgroup" => {
                let len = self.stack.len();
                let under = len >= 2 && self.stack[len - 2].is("optgroup");
                if top_is(self, "option") && under {
                    self.close_top();
                }
                if top_is(self, "optgroup") {
                    self.close_top();
                }
            }
            "option" if top_is(self, "option") => self.close_top(),
            "select" => self.close(select),
            "template" => {
                if let Some(i) = self.find(|o| o.is("template"), |_| false) {
                    self.close(i);
                }
            }
            _ if in_table && is_table_part(n) => {
                let stop = |o: &Open| o.is("template") || (n != "table" && o.is("table"));
                if self.find(|o| o.is(n), stop).is_some() {
                    self.close(select);
                    self.end(n);
                }
            }
            _ => {}
        }
    }
}
