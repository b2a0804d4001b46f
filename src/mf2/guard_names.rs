//! The names the guard's rules (`guard_rules.rs`) sort tags by, from HTML's tree
//! construction rules.

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

/// Start tags that close an open `<p>` and open a special element.
pub(super) fn is_block(n: &str) -> bool {
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
            | "form"
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

/// `h1` to `h6`.
pub(super) fn is_heading(n: &str) -> bool {
    matches!(n, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Elements with no content and no end tag.
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

/// Special elements whose end tag closes them when in scope (a `</select>` or `</frameset>`
/// is an ordinary end tag in the body).
pub(super) fn is_special(n: &str) -> bool {
    is_block(n)
        || is_heading(n)
        || matches!(
            n,
            "applet"
                | "button"
                | "caption"
                | "dd"
                | "dt"
                | "li"
                | "marquee"
                | "object"
                | "table"
                | "td"
                | "template"
                | "th"
        )
}

/// The tags that end a `<select>` inside a table.
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

/// The flags of a new SVG (or, `math`, MathML) element `n`.
pub(super) fn foreign_flags(n: &str, math: bool) -> u16 {
    match (math, n) {
        (false, "foreignobject" | "desc" | "title") => FOREIGN | HTML_INSIDE | SCOPE | SPECIAL,
        (true, "mi" | "mo" | "mn" | "ms" | "mtext") => {
            FOREIGN | MATH | HTML_INSIDE | SCOPE | SPECIAL
        }
        (true, "annotation-xml") => FOREIGN | MATH | UNSURE | SCOPE | SPECIAL,
        (true, _) => FOREIGN | MATH,
        (false, _) => FOREIGN,
    }
}
