//! The names the guard's rules (`guard_rules.rs`) sort tags by, as html5ever 0.35 has them.

use super::guard_model::*;
use super::scan::Tag;

/// HTML's formatting elements, which the parser re-creates when something else closes them.
pub(super) fn is_formatting(n: &str) -> bool {
    matches!(
        n,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// Start tags that close an open `<p>` before they open (besides headings, forms, tables
/// and the raw-text ones).
pub(super) fn closes_p(n: &str) -> bool {
    matches!(
        n,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "header"
            | "hgroup"
            | "listing"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "search"
            | "section"
            | "summary"
            | "ul"
    )
}

/// End tags that close their element when it is in scope.
pub(super) fn ends_in_scope(n: &str) -> bool {
    matches!(
        n,
        "address"
            | "applet"
            | "article"
            | "aside"
            | "blockquote"
            | "button"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "header"
            | "hgroup"
            | "listing"
            | "main"
            | "marquee"
            | "menu"
            | "nav"
            | "object"
            | "ol"
            | "pre"
            | "search"
            | "section"
            | "summary"
            | "ul"
    )
}

/// html5ever's special elements (of those the model opens): an ordinary end tag stops at
/// them.
pub(super) fn is_special(n: &str) -> bool {
    is_heading(n)
        || matches!(
            n,
            "address"
                | "applet"
                | "article"
                | "aside"
                | "blockquote"
                | "button"
                | "caption"
                | "center"
                | "dd"
                | "details"
                | "dir"
                | "div"
                | "dl"
                | "dt"
                | "fieldset"
                | "figcaption"
                | "figure"
                | "footer"
                | "form"
                | "frameset"
                | "header"
                | "hgroup"
                | "isindex"
                | "li"
                | "listing"
                | "main"
                | "marquee"
                | "menu"
                | "nav"
                | "object"
                | "ol"
                | "p"
                | "pre"
                | "section"
                | "select"
                | "summary"
                | "table"
                | "td"
                | "template"
                | "th"
                | "ul"
        )
}

/// HTML elements that bound html5ever's default scope.
pub(super) fn is_scope(n: &str) -> bool {
    matches!(
        n,
        "applet" | "caption" | "table" | "td" | "th" | "marquee" | "object" | "template"
    )
}

/// `h1` to `h6`.
pub(super) fn is_heading(n: &str) -> bool {
    matches!(n, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Elements with no content and no end tag (or, in the body, ignored: `frame`).
pub(super) fn is_void(n: &str) -> bool {
    matches!(
        n,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "image"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements whose content the tokenizer reads as text.
pub(super) fn is_raw_text(n: &str) -> bool {
    matches!(
        n,
        "script"
            | "style"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "textarea"
            | "title"
    )
}

/// The tags that end a `<select>` inside a table, and that a table's rules handle.
pub(super) fn is_table_part(n: &str) -> bool {
    matches!(
        n,
        "caption" | "table" | "tbody" | "tfoot" | "thead" | "tr" | "td" | "th"
    )
}

/// Start tags that end SVG or MathML content.
pub(super) fn leaves_foreign(t: &Tag) -> bool {
    let n = t.name.as_str();
    is_heading(n)
        || (n == "font" && t.font_attr)
        || matches!(
            n,
            "b" | "big"
                | "blockquote"
                | "body"
                | "br"
                | "center"
                | "code"
                | "dd"
                | "div"
                | "dl"
                | "dt"
                | "em"
                | "embed"
                | "head"
                | "hr"
                | "i"
                | "img"
                | "li"
                | "listing"
                | "menu"
                | "meta"
                | "nobr"
                | "ol"
                | "p"
                | "pre"
                | "ruby"
                | "s"
                | "small"
                | "span"
                | "strong"
                | "strike"
                | "sub"
                | "sup"
                | "table"
                | "tt"
                | "u"
                | "ul"
                | "var"
        )
}

/// The flags of a new SVG (or, `math`, MathML) element `n` (not `annotation-xml`).
pub(super) fn foreign_flags(n: &str, math: bool) -> u16 {
    match (math, n) {
        (false, "foreignobject" | "desc" | "title") => FOREIGN | HTML_INSIDE | SCOPE,
        (true, "mi" | "mo" | "mn" | "ms" | "mtext") => FOREIGN | MATH | HTML_INSIDE | SCOPE,
        (true, _) => FOREIGN | MATH,
        (false, _) => FOREIGN,
    }
}

/// The flags of a new HTML element `n`.
pub(super) fn html_flags(n: &str) -> u16 {
    let mut flags = 0;
    if is_special(n) {
        flags |= SPECIAL;
    }
    if is_scope(n) {
        flags |= SCOPE;
    }
    if is_formatting(n) {
        flags |= FORMATTING;
    }
    flags
}
