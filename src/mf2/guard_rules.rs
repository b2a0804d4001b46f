//! What each tag does to the guard's model (`guard_model.rs`): the parts of HTML's tree
//! construction (as html5ever has it) that open and close elements, exactly, or, past what
//! the model can tell, warily.

use super::guard::Then;
use super::guard_model::*;
use super::guard_names::*;
use super::scan::Tag;

impl Model {
    /// Start tag `t`.
    pub fn start(&mut self, t: &Tag) -> Then {
        self.frameset |= t.name == "frameset";
        if !self.wary {
            let then = self.start_exact(t);
            if !self.wary {
                return then;
            }
        }
        self.start_wary(t)
    }

    /// End tag `n`.
    pub fn end(&mut self, n: &str) {
        if !self.wary {
            self.end_exact(n);
            if !self.wary {
                return;
            }
        }
        self.end_wary(n);
    }

    fn start_exact(&mut self, t: &Tag) -> Then {
        let n = t.name.as_str();
        if n == "frameset" {
            self.wary = true;
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
                // It holds HTML or not by an `encoding` the model does not read.
                if math && n == "annotation-xml" {
                    self.wary = true;
                } else if !t.self_closing {
                    self.push(t, foreign_flags(n, math));
                }
                Then::Go
            }
        }
    }

    /// A table part's start tag: outside a table the parser ignores it; in a cell or
    /// caption it closes that first; in the table it closes what is open in it (what was
    /// put before the table, as SVG may be) and opens a cell or caption.
    fn start_table_part(&mut self, t: &Tag) {
        let n = t.name.as_str();
        while !self.wary {
            match self.table_part() {
                None => return,
                Some((_, "template")) => self.wary = true,
                Some((j, "td" | "th" | "caption")) => self.close(j),
                Some((j, _)) => {
                    // A mark closed so stays in the parser's list.
                    if self.stack[j + 1..].iter().any(Open::is_marker) {
                        self.wary = true;
                    } else if j + 1 < self.stack.len() {
                        self.close(j + 1);
                    }
                    if !self.wary && matches!(n, "td" | "th" | "caption") {
                        self.push(t, html_flags(n));
                    }
                    return;
                }
            }
        }
    }

    /// Start tag `t` as HTML.
    fn start_html(&mut self, t: &Tag) -> Then {
        let n = t.name.as_str();
        match n {
            "html" | "head" | "body" => {}
            "caption" | "col" | "colgroup" | "tbody" | "td" | "tfoot" | "th" | "thead" | "tr" => {
                self.start_table_part(t)
            }
            "table" => {
                // In a table it closes that table; then an open `<p>` only in no-quirks mode.
                if let Some((j, "table")) = self.table_part() {
                    self.close(j);
                }
                let p = |o: &Open| o.is("p");
                if self.find(p, |o| Self::scope(o) || o.is("button")).is_some() {
                    match self.mode {
                        Mode::NoQuirks => self.close_p(),
                        Mode::Quirks => {}
                        Mode::Unknown => self.wary = true,
                    }
                }
                self.push(t, html_flags(n));
            }
            "form" => {
                if !self.form || self.templates > 0 {
                    if let Some((_, "table")) = self.table_part() {
                        // In a table a form opens and closes at once.
                    } else {
                        self.close_p();
                        self.push(t, html_flags(n));
                    }
                    self.form |= self.templates == 0;
                }
            }
            "option" | "optgroup" => {
                if self.stack.last().is_some_and(|o| o.is("option")) {
                    self.close_current();
                }
                self.push(t, 0);
            }
            // Inside a ruby these close what may be left open, past what the model follows.
            "rb" | "rp" | "rt" | "rtc" => {
                if self.find(|o| o.is("ruby"), Self::scope).is_some() {
                    self.wary = true;
                } else {
                    self.push(t, 0);
                }
            }
            "plaintext" => {
                self.close_p();
                return Then::RestIsText;
            }
            "svg" | "math" => {
                if !t.self_closing {
                    self.push(t, if n == "svg" { FOREIGN } else { FOREIGN | MATH });
                }
            }
            _ if is_void(n) => {
                if n == "hr" {
                    self.close_p();
                }
            }
            _ if is_raw_text(n) => {
                if n == "xmp" {
                    self.close_p();
                }
                return Then::SkipText;
            }
            "li" | "dd" | "dt" => {
                let same = |o: &Open| match n {
                    "li" => o.is("li"),
                    _ => o.is("dd") || o.is("dt"),
                };
                let stop =
                    |o: &Open| Self::special(o) && !(o.is("address") || o.is("div") || o.is("p"));
                if let Some(i) = self.find(same, stop) {
                    self.close(i);
                }
                self.close_p();
                self.push(t, html_flags(n));
            }
            _ if is_heading(n) => {
                self.close_p();
                if self
                    .stack
                    .last()
                    .is_some_and(|o| is_heading(&o.name) && o.flags & FOREIGN == 0)
                {
                    self.close_current();
                }
                self.push(t, html_flags(n));
            }
            "button" => {
                if let Some(i) = self.find(|o| o.is("button"), Self::scope) {
                    self.close(i);
                }
                self.push(t, html_flags(n));
            }
            "a" => {
                self.adopt("a", true);
                self.push(t, html_flags(n));
            }
            "nobr" => {
                if self.floating.iter().any(|o| o.is("nobr")) {
                    self.wary = true;
                } else if self.find(|o| o.is("nobr"), Self::scope).is_some() {
                    self.adopt("nobr", false);
                }
                self.push(t, html_flags(n));
            }
            _ if closes_p(n) => {
                self.close_p();
                self.push(t, html_flags(n));
            }
            _ => self.push(t, html_flags(n)),
        }
        Then::Go
    }

    fn end_exact(&mut self, n: &str) {
        if let Some((select, in_table)) = self.select() {
            return self.end_in_select(n, select, in_table);
        }
        let Some(top) = self.stack.last() else {
            return;
        };
        if top.flags & FOREIGN != 0 {
            if n == "p" || n == "br" {
                // These two end SVG and MathML, as the start tags that leave them do.
                self.leave_foreign();
            } else if self.end_foreign(n) {
                return;
            }
        }
        let named = |o: &Open| o.is(n);
        let found = match n {
            "body" | "html" | "br" => None,
            "form" => {
                // The parser's form pointer is past what the model follows.
                if self.stack.iter().any(|o| o.is("form")) {
                    self.wary = true;
                } else if self.templates == 0 {
                    self.form = false;
                }
                None
            }
            "p" => self.find(named, |o| Self::scope(o) || o.is("button")),
            "li" => self.find(named, |o| Self::scope(o) || o.is("ol") || o.is("ul")),
            "dd" | "dt" => self.find(named, Self::scope),
            _ if is_heading(n) => {
                let heading = |o: &Open| o.flags & FOREIGN == 0 && is_heading(&o.name);
                self.find(heading, Self::scope)
            }
            "table" | "tbody" | "tfoot" | "thead" | "tr" | "td" | "th" | "caption" => {
                self.end_table_part(n);
                None
            }
            "template" => self.find(named, |_| false),
            _ if is_formatting(n) => {
                self.adopt(n, false);
                None
            }
            _ if ends_in_scope(n) => self.find(named, Self::scope),
            _ => self.find(named, Self::special),
        };
        if let Some(i) = found {
            self.close(i);
        }
    }

    /// A table part's end tag: `</td>`, `</th>` and `</caption>` close theirs; `</table>`
    /// closes the cell or caption it is in, then the table; `</tr>` closes the cell (a row
    /// group's end may or may not: the model turns wary).
    fn end_table_part(&mut self, n: &str) {
        while !self.wary {
            match self.table_part() {
                Some((j, part @ ("td" | "th"))) => match n {
                    _ if n == part => return self.close(j),
                    "td" | "th" | "caption" => return,
                    "tbody" | "thead" | "tfoot" => self.wary = true,
                    _ => self.close(j),
                },
                Some((j, "caption")) => match n {
                    "caption" => return self.close(j),
                    "table" => self.close(j),
                    _ => return,
                },
                Some((j, "table")) => {
                    if n == "table" {
                        self.close(j);
                    } else if j + 1 < self.stack.len() {
                        // A row group's or row's end closes what is open in it, if it is
                        // open: past what the model follows.
                        self.wary = true;
                    }
                    return;
                }
                _ => return,
            }
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
}
