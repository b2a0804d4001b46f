//! A bound on what html5ever does with a page, set before it parses it.
//!
//! The HTML parsing algorithm walks its stack of open elements at most tags, and re-creates
//! unclosed formatting elements (`<b>`, `<a>`, …) in each block that follows them. A page
//! nested thousands deep, or one leaving thousands of formatting elements open, makes that
//! work grow with the square of its length: 40,000 nested `<div>`s take html5ever seconds,
//! 20,000 `<p><b id=N>x</p>` more memory than a server has. This pass reads the page's tags
//! (`scan.rs`) into a model of that stack (`guard_model.rs`, `guard_rules.rs`,
//! `guard_wary.rs`) which never holds fewer elements open than the parser, and cuts the
//! page before the tag where the model holds more than 512 (Blink caps its tree there too),
//! where a tag has more than 256 attributes (html5ever compares each with those before it),
//! where the work the model stands for passes a budget, or where the model, wary after
//! markup it cannot follow, meets text it cannot tell from tags. What follows a cut is not
//! read. Pages as people write them are not cut.

use super::guard_model::Model;
use super::scan::Scanner;

/// Where the page is cut.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    /// Elements open at once.
    pub depth: usize,
    /// Attributes on one tag.
    pub attrs: usize,
    /// Work: one per tag and per open element at it, 256 plus its length for each formatting
    /// element the parser will re-create, and a quarter of that at each tag while it waits.
    pub work: usize,
}

/// The limits pages are read with.
pub(super) const LIMITS: Limits = Limits {
    depth: 512,
    attrs: 256,
    work: 16_000_000,
};

/// What the scanner does after a start tag.
pub(super) enum Then {
    /// Read on.
    Go,
    /// Step over the element's raw text.
    SkipText,
    /// Stop: the rest is text.
    RestIsText,
    /// Stop here: past what the wary model can read (a raw-text element that may or may not
    /// be one).
    Cut,
}

/// `html` cut to what the parser may read within [`LIMITS`].
pub(super) fn bounded(html: &str) -> &str {
    cut(html, LIMITS)
}

/// `html` up to the first tag past `limits` (all of it when none is).
pub(super) fn cut(html: &str, limits: Limits) -> &str {
    let mut scan = Scanner::new(html);
    let mut model = Model::default();
    while let Some(t) = scan.next_tag(model.cdata()) {
        model.work += 1 + model.depth() + model.floating_weight + t.attrs * t.attrs / 4;
        if t.attrs > limits.attrs {
            return &html[..t.at];
        }
        model.mode = scan.mode;
        let then = if t.end {
            model.end(&t.name);
            Then::Go
        } else {
            model.start(&t)
        };
        if model.depth() > limits.depth || model.work > limits.work {
            return &html[..t.at];
        }
        match then {
            Then::Go => {}
            Then::SkipText => scan.skip_text_of(&t.name),
            Then::RestIsText => scan.rest_is_text(),
            Then::Cut => return &html[..t.at],
        }
    }
    if let Some(at) = scan.unsure_at {
        return &html[..at];
    }
    html
}
