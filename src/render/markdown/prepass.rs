//! The structural pre-pass run on everything before the sanitizer: drops raw-text elements
//! with their content and SVG/MathML tags, caps nesting (see [`OpenElements`]), escapes
//! stray `<` and demotes headings of HTML sources.

use std::sync::LazyLock;

use super::headings::push_tag;
use super::lexer::{is_space, Lexer, Token};
use super::open_elements::{is_any, OpenElements};

/// Elements whose content html5ever would not tokenize as markup (raw text, RCDATA,
/// plaintext). They are removed whole, so html5ever only ever tokenizes in its data state,
/// which is the one state [`Lexer`] mirrors exactly.
const DROP_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
];

/// Foreign-content roots: inside them tokenization differs (CDATA sections, self-closing
/// tags) and nothing in them is allowed anyway, so only their tags are removed.
const FOREIGN: &[&str] = &["svg", "math"];

/// SVG and MathML element names that ammonia removes *with everything inside* when it meets
/// them as HTML elements (its `is_svg_tag` and `is_mathml_tag`, in the lower case html5ever
/// gives HTML tags, less the names it also counts as HTML and `image`, which html5ever reads
/// as `img`). Once an `<svg>` root is gone its `<path/>` is such an element, and, being
/// neither void nor closed, it holds the rest of the comment: an inline icon would take
/// every word after it along. Their tags are removed here and their text kept, as ammonia
/// does with any other tag it does not allow.
const FOREIGN_CHILD_NAMES: &str = "\
    abs and animate annotation annotation-xml apply approx arccos arccosh arccot arccoth \
    arccsc arccsch arcsec arcsech arcsin arcsinh arctan arctanh arg bind bvar card \
    cartesianproduct cbytes ceiling cerror ci circle cn codomain complexes compose condition \
    conjugate cos cosh cot coth cs csc csch csymbol curl declare defs degree desc \
    determinant diff discard divergence divide domain domainofapplication ellipse emptyset \
    eq equivalent eulergamma exists exp exponentiale factorial factorof false filter floor \
    fn forall g gcd geq grad gt ident imaginary imaginaryi implies in infinity int integers \
    intersect interval inverse lambda laplacian lcm leq limit line list ln log logbase \
    lowlimit lt maction maligngroup malignmark marker mask matrix matrixrow max mean median \
    menclose merror metadata mfenced mfrac mglyph mi min minus mlabeledtr mlongdiv \
    mmultiscripts mn mo mode moment momentabout mover mpadded mpath mphantom mprescripts \
    mroot mrow ms mscarries mscarry msgroup msline mspace msqrt msrow mstack mstyle msub \
    msubsup msup mtable mtd mtext mtr munder munderover naturalnumbers neq none not \
    notanumber notin notprsubset notsubset or otherwise outerproduct partialdiff path \
    pattern pi piece piecewise plus polygon polyline power primes product prsubset quotient \
    rationals real reals rect reln rem root scalarproduct sdev sec sech selector semantics \
    sep set setdiff share sin sinh stop subset sum switch symbol tan tanh tendsto text times \
    transpose true tspan union uplimit use variance vector vectorproduct view xor";

static FOREIGN_CHILDREN: LazyLock<Vec<&str>> =
    LazyLock::new(|| FOREIGN_CHILD_NAMES.split_ascii_whitespace().collect());

/// Structural pre-pass run on everything before ammonia sees it.
///
/// Drops raw-text elements with their content, SVG/MathML tags, comments, end tags that
/// close nothing and start tags beyond [`MAX_DEPTH`](super::open_elements::MAX_DEPTH);
/// escapes stray `<` so that removals can never splice two pieces of text into a new tag;
/// demotes h1–h6 when `demote_headings`.
/// Security does not depend on this pass: its output is an arbitrary string for ammonia.
pub(super) fn prepare(src: &str, demote_headings: bool) -> String {
    let mut out = String::with_capacity(src.len() + 16);
    let mut open = OpenElements::new();
    // `<svg>`/`<math>` elements open, roughly (html5ever also leaves them on some HTML tags).
    let mut foreign = 0usize;
    let mut lexer = Lexer::new(src);
    while let Some((token, start, end)) = lexer.next_token() {
        let (closing, name, self_closing) = match token {
            Token::Text => {
                out.push_str(&src[start..end]);
                continue;
            }
            Token::LoneLt => {
                out.push_str("&lt;");
                continue;
            }
            // Comments, doctypes and tags cut off by the end of input produce nothing visible.
            Token::Markup | Token::Incomplete => continue,
            Token::Tag {
                end,
                name,
                self_closing,
            } => (end, name, self_closing),
        };
        let tag_name = &src[name.0..name.1];
        if is_any(tag_name, FOREIGN) {
            if closing {
                foreign = foreign.saturating_sub(1);
            } else if !self_closing {
                foreign += 1;
            }
            continue;
        }
        if is_any(tag_name, &FOREIGN_CHILDREN) {
            continue;
        }
        if let Some(raw) = DROP_WITH_CONTENT
            .iter()
            .find(|raw| tag_name.eq_ignore_ascii_case(raw))
        {
            // Inside SVG and MathML `<title/>` or `<style/>` is a whole element: looking for
            // its end tag would swallow the rest of the comment.
            let whole = foreign > 0 && self_closing;
            if !closing && !whole {
                lexer.pos = if *raw == "plaintext" {
                    src.len()
                } else {
                    find_end_tag(src.as_bytes(), end, raw.as_bytes())
                };
                // Consume the closing tag itself, if there is one.
                lexer.next_token();
            }
            continue;
        }
        let keep = if closing {
            open.end(tag_name, &mut out)
        } else {
            open.start(tag_name)
        };
        if keep {
            if demote_headings {
                push_tag(&mut out, src, (start, end), name);
            } else {
                out.push_str(&src[start..end]);
            }
        }
    }
    out
}

/// Start of the first `</name` that html5ever would accept as the end of a raw-text
/// element, or the end of input.
fn find_end_tag(src: &[u8], from: usize, name: &[u8]) -> usize {
    let mut i = from;
    while let Some(offset) = src[i..].iter().position(|&c| c == b'<') {
        let lt = i + offset;
        let name_end = lt + 2 + name.len();
        if src.get(lt + 1) == Some(&b'/')
            && src
                .get(lt + 2..name_end)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
            && src
                .get(name_end)
                .is_none_or(|&c| is_space(c) || c == b'/' || c == b'>')
        {
            return lt;
        }
        i = lt + 1;
    }
    src.len()
}
