//! The guard's rules (`guard_rules.rs`) inside a `<select>`, where the parser ignores all
//! but a few tags, and for the wary model, past what the exact rules can tell.

use super::guard::Then;
use super::guard_model::*;
use super::guard_names::*;
use super::scan::Tag;

impl Model {
    /// Start tag `t`, wary: closes only what an omitted end tag closes when it is current,
    /// and opens the element (a void one too where SVG or MathML may be open).
    pub fn start_wary(&mut self, t: &Tag) -> Then {
        let n = t.name.as_str();
        let top_is = |m: &Model, names: &[&str]| {
            m.stack
                .last()
                .is_some_and(|o| names.contains(&o.name.as_str()))
        };
        let closed: &[&[&str]] = match n {
            _ if closes_p(n) || is_heading(n) || n == "hr" || n == "xmp" || n == "plaintext" => {
                &[&["p"]]
            }
            "li" => &[&["li"]],
            "dd" | "dt" => &[&["dd", "dt"]],
            "td" | "th" => &[&["td", "th"]],
            "tr" | "tbody" | "thead" | "tfoot" => &[&["td", "th"], &["tr"]],
            "option" | "optgroup" => &[&["option"]],
            _ => &[],
        };
        // In SVG or MathML (which the model may still think open) nothing closes so.
        let foreign = self.stack.iter().any(|o| o.flags & FOREIGN != 0);
        for names in closed.iter().filter(|_| !foreign) {
            if top_is(self, names) {
                if let Some(o) = self.stack.pop() {
                    self.forget(&o);
                }
            }
        }
        if is_raw_text(n) || n == "plaintext" {
            return match (self.raw_text_unsure(), n) {
                (true, _) => Then::Cut,
                (false, "plaintext") => Then::RestIsText,
                (false, _) => Then::SkipText,
            };
        }
        if !is_void(n) || foreign {
            let flags = match n {
                "svg" => FOREIGN,
                "math" => FOREIGN | MATH,
                _ => 0,
            };
            self.push(t, flags);
        }
        Then::Go
    }

    /// End tag `n`, wary: closes the current element when it names it.
    pub fn end_wary(&mut self, n: &str) {
        if matches!(n, "form" | "br" | "body" | "html") {
            return;
        }
        if self.stack.last().is_some_and(|o| o.name == n) {
            if let Some(o) = self.stack.pop() {
                self.forget(&o);
            }
        }
    }

    /// Start tag `t` inside the `<select>` at `select`: all but a few are ignored.
    pub fn start_in_select(&mut self, t: &Tag, select: usize, in_table: bool) -> Then {
        let n = t.name.as_str();
        // In a select the current element is the model's top one: nothing is re-created.
        let top_is = |m: &Model, name: &str| m.stack.last().is_some_and(|o| o.is(name));
        match n {
            "option" | "optgroup" | "hr" => {
                if top_is(self, "option") {
                    self.close(self.stack.len() - 1);
                }
                if n != "option" && top_is(self, "optgroup") {
                    self.close(self.stack.len() - 1);
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
            "template" => self.push(t, html_flags(n)),
            _ => {}
        }
        Then::Go
    }

    /// End tag `n` inside the `<select>` at `select`.
    pub fn end_in_select(&mut self, n: &str, select: usize, in_table: bool) {
        let top_is = |m: &Model, name: &str| m.stack.last().is_some_and(|o| o.is(name));
        match n {
            "optgroup" => {
                let len = self.stack.len();
                let under = len >= 2 && self.stack[len - 2].is("optgroup");
                if top_is(self, "option") && under {
                    self.close(len - 1);
                }
                if top_is(self, "optgroup") {
                    self.close(self.stack.len() - 1);
                }
            }
            "option" if top_is(self, "option") => self.close(self.stack.len() - 1),
            "select" => self.close(select),
            "template" => {
                if let Some(i) = self.find(|o| o.is("template"), |_| false) {
                    self.close(i);
                }
            }
            // Row groups and rows the model does not follow: whether one is open decides.
            "tbody" | "thead" | "tfoot" | "tr" if in_table => self.wary = true,
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
