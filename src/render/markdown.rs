//! Turns a comment's source (Markdown or legacy HTML) into safe HTML, and counts its links.
//!
//! Pipeline: Markdown goes through pulldown-cmark (headings demoted on the event stream),
//! HTML skips that step; both then pass a structural pre-pass ([`prepare`]) and finally the
//! ammonia allow-list sanitizer, which is the only security boundary.
//!
//! # Nesting cap
//!
//! ammonia and html5ever are iterative (no stack overflow at any depth, measured with a
//! 2 MiB thread stack), but html5ever's tree builder walks the stack of open elements on
//! most start tags ("is there a `<p>` in button scope?"), so N nested block elements cost
//! O(N²): in a release build 50,000 nested `<div>` took 11 s, 50,000 `>` quote markers
//! 33 s and 50,000 list markers 245 s. The pre-pass therefore keeps a model of the parser's
//! stack of open elements and drops any start tag that would take it past [`MAX_DEPTH`]
//! (64) elements; the content is kept, flattened into the deepest allowed element.
//!
//! The model may over-estimate but never under-estimate: it only forgets an element when
//! the parser certainly pops it too, which is when the element is the current node. Where
//! an end tag would close further elements implicitly, the pre-pass writes their end tags
//! out, because the parser ignores the original tag if its element is not really open.
//! Tests check the depth html5ever actually builds from the pre-pass output, for
//! pathological and fuzzed inputs; the whole render is linear in the input size.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, Url, UrlRelative};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Source format of a comment body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CommonMark with tables, strikethrough and `<…>` autolinks; the default for new comments.
    Markdown,
    /// Raw HTML, as found in imported Disqus/WordPress bodies; only sanitized, never parsed as Markdown.
    Html,
}

impl Format {
    /// The stable name stored in the database and used in the API: `"markdown"` or `"html"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }

    /// Inverse of [`Format::as_str`]; ASCII case is ignored, anything else is `None`.
    pub fn parse(s: &str) -> Option<Format> {
        if s.eq_ignore_ascii_case("markdown") {
            Some(Format::Markdown)
        } else if s.eq_ignore_ascii_case("html") {
            Some(Format::Html)
        } else {
            None
        }
    }
}

/// Renders a comment's source into safe HTML. `images` = the site allows `<img>`.
pub fn render(source: &str, format: Format, images: bool) -> String {
    let prepared = match format {
        // Headings were already demoted on the event stream; demoting again would skip levels.
        Format::Markdown => prepare(&markdown_to_html(source), false),
        Format::Html => prepare(source, true),
    };
    let sanitizer = if images {
        &*SANITIZER_WITH_IMAGES
    } else {
        &*SANITIZER
    };
    sanitizer.clean(&prepared).to_string()
}

/// Number of links (`<a>` elements) in already-rendered HTML (used by the "more than 3 links
/// holds the comment" rule).
pub fn count_links(html: &str) -> usize {
    let mut lexer = Lexer::new(html);
    let mut links = 0;
    while let Some((token, _, _)) = lexer.next_token() {
        if let Token::Tag {
            end: false, name, ..
        } = token
        {
            if html[name.0..name.1].eq_ignore_ascii_case("a") {
                links += 1;
            }
        }
    }
    links
}

/// Deepest stack of open elements the pre-pass lets through to html5ever.
///
/// 64 is far beyond anything a real comment nests (quotes of quotes rarely pass 5) while
/// keeping html5ever's per-tag scope walks short.
const MAX_DEPTH: usize = 64;

const ALLOWED_TAGS: &[&str] = &[
    "p",
    "br",
    "a",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
];

const LINK_REL: &str = "nofollow ugc noopener noreferrer";

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| sanitizer(false));
static SANITIZER_WITH_IMAGES: LazyLock<Builder<'static>> = LazyLock::new(|| sanitizer(true));

fn sanitizer(images: bool) -> Builder<'static> {
    let mut tags: HashSet<&'static str> = ALLOWED_TAGS.iter().copied().collect();
    let mut tag_attributes = HashMap::from([("a", HashSet::from(["href", "title"]))]);
    if images {
        tags.insert("img");
        tag_attributes.insert("img", HashSet::from(["src", "alt", "title"]));
    }
    // `Builder::empty()` only empties the tag list: it still carries ammonia's default
    // attribute lists (`lang`/`title` everywhere, `hreflang`, `colspan`, `start`, …) and
    // about 40 URL schemes, so every list is replaced explicitly here.
    let mut builder = Builder::empty();
    builder
        .tags(tags)
        .clean_content_tags(HashSet::from(["script", "style"]))
        .generic_attributes(HashSet::new())
        .generic_attribute_prefixes(HashSet::new())
        .tag_attributes(tag_attributes)
        .tag_attribute_values(HashMap::new())
        .set_tag_attribute_values(HashMap::new())
        .allowed_classes(HashMap::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .strip_comments(true)
        .id_prefix(None)
        .attribute_filter(filter_attribute);
    builder
}

/// Re-serializes URLs through the URL parser.
///
/// ammonia checks the scheme of the *parsed* URL but emits the *original* attribute text
/// (`" HTTPS:evil"`, `"ht\ttp://x"`); emitting the canonical form means what was checked
/// is exactly what browsers get. It also gives `img src` its narrower scheme list.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match (element, attribute) {
        ("a", "href") => canonical_url(value, &["http", "https", "mailto"]),
        ("img", "src") => canonical_url(value, &["http", "https"]),
        _ => Some(Cow::Borrowed(value)),
    }
}

fn canonical_url<'u>(value: &str, schemes: &[&str]) -> Option<Cow<'u, str>> {
    let url = Url::parse(value).ok()?;
    schemes
        .contains(&url.scheme())
        .then(|| Cow::Owned(url.into()))
}

fn markdown_to_html(source: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(source, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        // Raw `<h1>` written inside Markdown is demoted like `# heading` would be, instead
        // of being stripped by the sanitizer's allow-list.
        Event::Html(html) => Event::Html(demote_html_headings(html)),
        Event::InlineHtml(html) => Event::InlineHtml(demote_html_headings(html)),
        other => other,
    });
    let mut html = String::with_capacity(source.len() + source.len() / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        HeadingLevel::H4 | HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

fn demoted_digit(digit: u8) -> u8 {
    match digit {
        b'1' => b'3',
        b'2' => b'4',
        b'3' => b'5',
        _ => b'6',
    }
}

fn is_heading(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 2 && b[0].eq_ignore_ascii_case(&b'h') && (b'1'..=b'6').contains(&b[1])
}

/// Copies a tag, demoting its name if it is a heading. Only the digit changes, and html5ever
/// treats h1–h6 identically, so the rewrite can never change how the input parses.
fn push_tag(out: &mut String, src: &str, (start, end): (usize, usize), name: (usize, usize)) {
    let tag = &src[name.0..name.1];
    if is_heading(tag) {
        let digit = demoted_digit(tag.as_bytes()[1]);
        out.push_str(&src[start..name.0 + 1]);
        out.push(char::from(digit));
        out.push_str(&src[name.1..end]);
    } else {
        out.push_str(&src[start..end]);
    }
}

/// Demotes heading tags in a raw-HTML fragment embedded in Markdown. Cosmetic only: the full
/// structural pass runs later on the whole document.
fn demote_html_headings(html: CowStr<'_>) -> CowStr<'_> {
    let mut lexer = Lexer::new(&html);
    let mut out: Option<String> = None;
    let mut copied = 0;
    while let Some((token, start, end)) = lexer.next_token() {
        if let Token::Tag { name, .. } = token {
            if is_heading(&html[name.0..name.1]) {
                let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
                out.push_str(&html[copied..start]);
                push_tag(out, &html, (start, end), name);
                copied = end;
            }
        }
    }
    match out {
        Some(mut out) => {
            out.push_str(&html[copied..]);
            CowStr::from(out)
        }
        None => html,
    }
}

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

/// Elements html5ever never leaves on its stack of open elements.
const VOID: &[&str] = &[
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

fn is_any(name: &str, set: &[&str]) -> bool {
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
struct OpenElements<'a> {
    stack: Vec<&'a str>,
}

impl<'a> OpenElements<'a> {
    fn top_is(&self, set: &[&str]) -> bool {
        self.stack.last().is_some_and(|top| is_any(top, set))
    }

    fn pop_if(&mut self, set: &[&str]) {
        if self.top_is(set) {
            self.stack.pop();
        }
    }

    /// Records a start tag; `false` means it must be dropped to respect [`MAX_DEPTH`].
    fn start(&mut self, name: &'a str) -> bool {
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
    fn end(&mut self, name: &str, out: &mut String) -> bool {
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

/// Structural pre-pass run on everything before ammonia sees it.
///
/// Drops raw-text elements with their content, SVG/MathML tags, comments, end tags that
/// close nothing and start tags beyond [`MAX_DEPTH`]; escapes stray `<` so that removals can
/// never splice two pieces of text into a new tag; demotes h1–h6 when `demote_headings`.
/// Security does not depend on this pass: its output is an arbitrary string for ammonia.
fn prepare(src: &str, demote_headings: bool) -> String {
    let mut out = String::with_capacity(src.len() + 16);
    let mut open = OpenElements { stack: Vec::new() };
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

/// Tokens of html5ever's data state, as byte ranges into the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// Character data up to the next `<`.
    Text,
    /// A `<` that does not start any markup.
    LoneLt,
    /// A start or end tag with the byte range of its name, and whether it ends in `/>`.
    Tag {
        end: bool,
        name: (usize, usize),
        self_closing: bool,
    },
    /// Comment, doctype, bogus comment or `</>`.
    Markup,
    /// A tag cut off by the end of input, which html5ever discards.
    Incomplete,
}

fn is_space(c: u8) -> bool {
    // html5ever turns CR into LF before tokenizing.
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Splits HTML exactly where html5ever's tokenizer does while in its data state (the
/// WHATWG tag, attribute, comment and bogus-comment states), so counting and rewriting
/// tags here agrees with what the real parser sees.
struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
}

#[derive(Clone, Copy)]
enum TagState {
    Name,
    BeforeAttrName,
    AttrName,
    AfterAttrName,
    BeforeValue,
    DoubleQuoted,
    SingleQuoted,
    Unquoted,
    AfterQuoted,
    SelfClosing,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src: src.as_bytes(),
            pos: 0,
        }
    }

    fn next_token(&mut self) -> Option<(Token, usize, usize)> {
        let b = self.src;
        let start = self.pos;
        if start >= b.len() {
            return None;
        }
        if b[start] != b'<' {
            let end = b[start..]
                .iter()
                .position(|&c| c == b'<')
                .map_or(b.len(), |i| start + i);
            self.pos = end;
            return Some((Token::Text, start, end));
        }
        let (token, end) = match b.get(start + 1) {
            Some(c) if c.is_ascii_alphabetic() => self.tag(start + 1, false),
            Some(b'/') => match b.get(start + 2) {
                Some(c) if c.is_ascii_alphabetic() => self.tag(start + 2, true),
                Some(b'>') => (Token::Markup, start + 3),
                Some(_) => (Token::Markup, self.through_gt(start + 2)),
                // `</` at the very end is emitted as text.
                None => (Token::LoneLt, start + 1),
            },
            Some(b'!') if b[start + 2..].starts_with(b"--") => (Token::Markup, self.comment(start)),
            Some(b'!' | b'?') => (Token::Markup, self.through_gt(start + 2)),
            _ => (Token::LoneLt, start + 1),
        };
        self.pos = end;
        Some((token, start, end))
    }

    fn through_gt(&self, from: usize) -> usize {
        self.src[from..]
            .iter()
            .position(|&c| c == b'>')
            .map_or(self.src.len(), |i| from + i + 1)
    }

    /// End of a comment opened at `start`, including the abrupt `<!-->` and `<!--->` forms
    /// and the `--!>` closer.
    fn comment(&self, start: usize) -> usize {
        let b = self.src;
        let body = start + 4;
        if b.get(body) == Some(&b'>') {
            return body + 1;
        }
        if b[body..].starts_with(b"->") {
            return body + 2;
        }
        for i in body..b.len() {
            if b[i..].starts_with(b"-->") {
                return i + 3;
            }
            if b[i..].starts_with(b"--!>") {
                return i + 4;
            }
        }
        b.len()
    }

    fn tag(&self, name_start: usize, end: bool) -> (Token, usize) {
        let b = self.src;
        let mut i = name_start;
        while i < b.len() && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
            i += 1;
        }
        let name = (name_start, i);
        let token = |self_closing| Token::Tag {
            end,
            name,
            self_closing,
        };
        let mut state = TagState::Name;
        while let Some(&c) = b.get(i) {
            state = match state {
                TagState::Name | TagState::BeforeAttrName | TagState::AfterAttrName
                    if is_space(c) =>
                {
                    if matches!(state, TagState::Name) {
                        TagState::BeforeAttrName
                    } else {
                        state
                    }
                }
                TagState::Name
                | TagState::BeforeAttrName
                | TagState::AttrName
                | TagState::AfterAttrName
                | TagState::AfterQuoted
                | TagState::SelfClosing
                    if c == b'/' =>
                {
                    TagState::SelfClosing
                }
                TagState::Name
                | TagState::BeforeAttrName
                | TagState::AttrName
                | TagState::AfterAttrName
                | TagState::BeforeValue
                | TagState::Unquoted
                | TagState::AfterQuoted
                | TagState::SelfClosing
                    if c == b'>' =>
                {
                    return (token(matches!(state, TagState::SelfClosing)), i + 1);
                }
                TagState::Name | TagState::BeforeAttrName => TagState::AttrName,
                TagState::AttrName if is_space(c) => TagState::AfterAttrName,
                TagState::AttrName | TagState::AfterAttrName if c == b'=' => TagState::BeforeValue,
                TagState::AttrName | TagState::AfterAttrName => TagState::AttrName,
                TagState::BeforeValue if is_space(c) => state,
                TagState::BeforeValue if c == b'"' => TagState::DoubleQuoted,
                TagState::BeforeValue if c == b'\'' => TagState::SingleQuoted,
                TagState::BeforeValue => TagState::Unquoted,
                TagState::DoubleQuoted if c == b'"' => TagState::AfterQuoted,
                TagState::SingleQuoted if c == b'\'' => TagState::AfterQuoted,
                TagState::DoubleQuoted | TagState::SingleQuoted => state,
                TagState::Unquoted if is_space(c) => TagState::BeforeAttrName,
                TagState::Unquoted => state,
                TagState::AfterQuoted | TagState::SelfClosing => {
                    // Reconsume in the before-attribute-name state.
                    if is_space(c) {
                        TagState::BeforeAttrName
                    } else {
                        TagState::AttrName
                    }
                }
            };
            i += 1;
        }
        (Token::Incomplete, b.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    const BOTH: [Format; 2] = [Format::Markdown, Format::Html];

    /// Parses `out` the way a browser would and checks every element and attribute against
    /// the policy; returns the number of elements seen.
    fn assert_safe(out: &str, images: bool, context: &str) -> usize {
        assert!(
            !out.contains("<!--"),
            "comment survived for {context}: {out}"
        );
        let fragment = Html::parse_fragment(out);
        let mut elements = 0;
        for element in fragment.root_element().descendants().skip(1) {
            let Some(element) = scraper::ElementRef::wrap(element) else {
                continue;
            };
            elements += 1;
            let name = element.value().name();
            let tag_ok = ALLOWED_TAGS.contains(&name) || (images && name == "img");
            assert!(tag_ok, "tag <{name}> leaked for {context}: {out}");
            for (attr, value) in element.value().attrs() {
                let attr_ok = match name {
                    "a" => ["href", "title", "rel"].contains(&attr),
                    "img" => ["src", "alt", "title"].contains(&attr),
                    _ => false,
                };
                assert!(attr_ok, "attribute {attr} on <{name}> for {context}: {out}");
                assert!(!attr.starts_with("on"), "handler for {context}: {out}");
                if attr == "href" {
                    assert!(
                        ["http://", "https://", "mailto:"]
                            .iter()
                            .any(|p| value.starts_with(p)),
                        "href {value:?} for {context}: {out}"
                    );
                }
                if attr == "src" {
                    assert!(
                        value.starts_with("http://") || value.starts_with("https://"),
                        "src {value:?} for {context}: {out}"
                    );
                }
            }
            if name == "a" {
                assert_eq!(
                    element.value().attr("rel"),
                    Some(LINK_REL),
                    "{context}: {out}"
                );
            }
        }
        elements
    }

    fn render_all(input: &str) -> Vec<String> {
        let mut outputs = Vec::new();
        for format in BOTH {
            for images in [false, true] {
                let out = render(input, format, images);
                let context = format!("{format:?}/images={images}: {input:?}");
                assert_safe(&out, images, &context);
                outputs.push(out);
            }
        }
        outputs
    }

    const HOSTILE: &[&str] = &[
        "<script>alert(1)</script>",
        "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        "<<script>x</script>script>alert(1)<</script>/script>",
        "<img src=x onerror=alert(1)>",
        "<img src=\"javascript:alert(1)\">",
        "<img src=\"https://ok.example/a.png\" onerror=\"alert(1)\" width=1 style=\"x\">",
        "<IMG SRC=JaVaScRiPt:alert('XSS')>",
        "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
        "<img src=\"mailto:a@b.c\">",
        "<img src=//evil.example/x.png>",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<svg><animate attributeName=href values=javascript:alert(1) /></svg>",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<form action=\"javascript:alert(1)\"><button formaction=javascript:alert(1)>x</button></form>",
        "<style>body{background:url(javascript:alert(1))}</style>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
        "<a href=\"&#x6A;avascript&colon;alert(1)\">x</a>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
        "<a href=\"jav\tascript:alert(1)\">x</a>",
        "<a href=\"java\nscript:alert(1)\">x</a>",
        "<a href=\"java\0script:alert(1)\">x</a>",
        "<a href=\" \u{1}javascript:alert(1)\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<a href=\"//evil.example\">x</a>",
        "<a href=\"/relative\">x</a> <a href=\"?q=1\">y</a> <a href=\"#frag\">z</a>",
        "<a rel=\"opener\" target=_blank href=\"https://ok.example\">x</a>",
        "<a style=\"position:fixed;top:0\" href=\"https://ok.example\" class=x id=y>x</a>",
        "<a href=https://ok.example onclick=alert(1) onmouseover=alert(1)>x</a>",
        "<a href=\"https://ok.example\"\"onclick=alert(1)>x</a>",
        "<a title='x' onfocus='alert(1)' autofocus href=x>y</a>",
        "<base href=\"javascript:alert(1)//\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<link rel=stylesheet href=\"javascript:alert(1)\">",
        "<input autofocus onfocus=alert(1)>",
        "<details open ontoggle=alert(1)>x</details>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        "<table background=\"javascript:alert(1)\"><tr><td background=javascript:alert(1)>x</td></tr></table>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "\"><script>alert(1)</script>",
        "'><img src=x onerror=alert(1)>",
        "<a href=\"https://ok.example\" title=\"\"><img src=x onerror=alert(1)>\">x</a>",
        "<img src=x onerror=alert(1)",
        "<a href=\"javascript:alert(1)",
        "<!--<script>alert(1)</script>-->",
        "<!--<!--<script>alert(1)</script>-->-->",
        "<!-- --!><img src=x onerror=alert(1)> -->",
        "<![CDATA[<img src=x onerror=alert(1)>]]>",
        "<xmp><img src=x onerror=alert(1)></xmp>",
        "<textarea></textarea><img src=x onerror=alert(1)>",
        "<title><img src=x onerror=alert(1)></title>",
        "<plaintext><img src=x onerror=alert(1)>",
        "<template><img src=x onerror=alert(1)></template>",
        "<select><option><img src=x onerror=alert(1)></option></select>",
        "<video><source onerror=alert(1)></video><audio src=x onerror=alert(1)>",
        "<body onload=alert(1)><html onmouseover=alert(1)>",
        "<h1 onclick=alert(1)>x</h1><h2 style=x>y</h2>",
        "<p id=x class=y lang=en dir=rtl>x</p><ol start=3 type=a><li value=9>x</li></ol>",
        "<td colspan=9 rowspan=9>x</td>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "[x](//evil.example)",
        "[x](/relative \"title\")",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        "[x][ref]\n\n[ref]: <javascript:alert(1)> \"t\"",
        "<javascript:alert(1)>",
        "<vbscript:msgbox(1)>",
        "<data:text/html,<script>alert(1)</script>>",
        "![x](javascript:alert(1))",
        "![x\" onerror=\"alert(1)](https://ok.example/a.png)",
        "![x](https://ok.example/a.png \"t\\\" onerror=\\\"alert(1)\")",
        "![x](data:image/png;base64,AAAA)",
        "[![x](javascript:alert(1))](javascript:alert(2))",
        "`<script>alert(1)</script>`\n\n    <img src=x onerror=alert(1)>",
        "```html\n<script>alert(1)</script>\n```",
        "<div>\n\n[x](javascript:alert(1))\n\n</div>",
        "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
        "# <img src=x onerror=alert(1)>\n\n## [x](javascript:alert(1))",
        "<a href=\"https://ok.example\"><a href=\"javascript:alert(1)\">nested</a></a>",
        "<p title=\"&lt;img src=x onerror=alert(1)&gt;\">x</p>",
        "<a title=\"<script>alert(1)</script>\" href=\"https://ok.example\">x</a>",
        "<a href=\"https://ok.example\" title='<h1 onclick=x>'>x</a>",
        "<math><mi><mglyph><svg><mtext><textarea><path id=\"</textarea><img onerror=alert(1) src=1>\">",
        "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        "<a href=\"http:\\\\evil.example\">x</a><a href=\"https:evil.example\">y</a>",
        "<a href=\"HTTPS://OK.EXAMPLE/\">x</a><a href=\" https://ok.example \">y</a>",
        "<a href=\"mailto:a@b.example?subject=<script>\">x</a>",
        "\u{0}<scr\u{0}ipt>alert(1)</scr\u{0}ipt>",
        "<<a href=\"javascript:alert(1)\">x</a>",
        "</<script>x</script>a href=javascript:alert(1)>x",
    ];

    #[test]
    fn hostile_corpus_never_escapes_the_allow_list() {
        assert!(HOSTILE.len() >= 45);
        for input in HOSTILE {
            let outputs = render_all(input);
            for out in &outputs {
                let lower = out.to_ascii_lowercase();
                assert!(!lower.contains("<script"), "{input:?} -> {out}");
                assert!(!lower.contains("<img src=\"x\""), "{input:?} -> {out}");
            }
        }
    }

    #[test]
    fn script_and_style_content_is_removed() {
        for format in BOTH {
            let out = render(
                "a<script>alert(1)</script>b<style>p{}</style>c",
                format,
                true,
            );
            assert!(!out.contains("alert"), "{out}");
            assert!(!out.contains("p{}"), "{out}");
            assert!(out.contains('a') && out.contains('b') && out.contains('c'));
        }
    }

    #[test]
    fn an_inline_svg_or_formula_goes_and_the_text_after_it_stays() {
        let cases = [
            r#"<p>before</p><svg width="10"><circle cx="5" r="4"/></svg><p>after</p>"#,
            r#"<p>before <svg viewBox="0 0 1 1"><title>Icon</title><path d="M0 0"/></svg> after</p>"#,
            "<p>before <svg><style>.a{fill:red}</style><g><rect/></g></svg> after</p>",
            "<p>before <svg><title/><style/><script/><path/></svg> after</p>",
            "<p>before <svg/> after</p>",
            "<p>before <math><mi>x</mi><mo>=</mo><mn>2</mn></math> after</p>",
            // Written straight into a comment, without any `<svg>` around it.
            "before <text> after",
            "before <path/> after",
        ];
        for input in cases {
            for out in render_all(input) {
                assert!(
                    out.contains("before") && out.contains("after"),
                    "{input:?} -> {out}"
                );
                for gone in ["<svg", "<path", "<circle", "<math", "Icon", "fill:red"] {
                    assert!(!out.contains(gone), "{input:?} -> {out}");
                }
            }
        }
        let formula = render(
            "a <math><mi>x</mi><mo>=</mo><mn>2</mn></math> b",
            Format::Html,
            false,
        );
        assert_eq!(formula, "a x=2 b", "a formula keeps its text");
    }

    #[test]
    fn urls_are_emitted_in_canonical_form() {
        let out = render(
            "<a href=\" HTTPS://Ok.Example/a b\">x</a> <a href=\"https:evil.example\">y</a>",
            Format::Html,
            false,
        );
        assert!(out.contains(r#"href="https://ok.example/a%20b""#), "{out}");
        assert!(out.contains(r#"href="https://evil.example/""#), "{out}");
    }

    #[test]
    fn emphasis_strong_and_strikethrough() {
        let out = render("*em* **strong** ~~gone~~", Format::Markdown, false);
        assert_eq!(
            out,
            "<p><em>em</em> <strong>strong</strong> <del>gone</del></p>\n"
        );
    }

    #[test]
    fn tables() {
        let out = render("| a | b |\n|---|---|\n| 1 | 2 |", Format::Markdown, false);
        assert_safe(&out, false, "table");
        for tag in [
            "<table>",
            "<thead>",
            "<tr>",
            "<th>a</th>",
            "<tbody>",
            "<td>2</td>",
        ] {
            assert!(out.contains(tag), "{tag} missing in {out}");
        }
    }

    #[test]
    fn autolinks_and_mailto() {
        let out = render("see <https://example.com>", Format::Markdown, false);
        assert_eq!(
            out,
            format!("<p>see <a href=\"https://example.com/\" rel=\"{LINK_REL}\">https://example.com</a></p>\n")
        );
        let out = render(
            "[me](mailto:me@example.com \"Mail me\")",
            Format::Markdown,
            false,
        );
        assert!(out.contains(r#"href="mailto:me@example.com""#), "{out}");
        assert!(out.contains(r#"title="Mail me""#), "{out}");
        let out = render(
            "<a href=\"mailto:a@example.com\" title=t>x</a>",
            Format::Html,
            false,
        );
        assert!(out.contains(r#"href="mailto:a@example.com""#), "{out}");
        assert!(out.contains(r#"title="t""#), "{out}");
    }

    #[test]
    fn bare_urls_are_not_linked() {
        // Only `<…>` autolinks are enabled, not GFM's bare-URL extension.
        let out = render("https://example.com", Format::Markdown, false);
        assert_eq!(count_links(&out), 0, "{out}");
    }

    #[test]
    fn code_is_escaped() {
        let out = render(
            "```\n<script>alert(1)</script>\n```",
            Format::Markdown,
            false,
        );
        assert_eq!(
            out,
            "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>\n"
        );
        let out = render("`<b>`", Format::Markdown, false);
        assert_eq!(out, "<p><code>&lt;b&gt;</code></p>\n");
    }

    #[test]
    fn markdown_headings_are_demoted() {
        let out = render(
            "# one\n## two\n### three\n#### four\n##### five\n###### six",
            Format::Markdown,
            false,
        );
        assert_eq!(
            out,
            "<h3>one</h3>\n<h4>two</h4>\n<h5>three</h5>\n<h6>four</h6>\n<h6>five</h6>\n<h6>six</h6>\n"
        );
        let out = render("one\n===\n\ntwo\n---", Format::Markdown, false);
        assert_eq!(out, "<h3>one</h3>\n<h4>two</h4>\n");
    }

    #[test]
    fn html_headings_are_demoted() {
        let out = render(
            "<h1>a</h1><H2 class=x>b</H2 ><h3>c</h3><h4>d</h4><h5>e</h5><h6>f</h6>",
            Format::Html,
            false,
        );
        assert_eq!(
            out,
            "<h3>a</h3><h4>b</h4><h5>c</h5><h6>d</h6><h6>e</h6><h6>f</h6>"
        );
        // Raw HTML inside Markdown gets the same treatment.
        let out = render("<h1>a</h1>\n\ntext <h2>b</h2>", Format::Markdown, false);
        assert!(
            out.contains("<h3>a</h3>") && out.contains("<h4>b</h4>"),
            "{out}"
        );
        assert!(!out.contains("<h1") && !out.contains("<h2"), "{out}");
    }

    #[test]
    fn heading_names_inside_attributes_and_text_are_untouched() {
        let out = render(
            "<a href=\"https://x.example\" title=\"<h1>\">&lt;h1&gt;</a>",
            Format::Html,
            false,
        );
        let fragment = Html::parse_fragment(&out);
        let selector = scraper::Selector::parse("a").unwrap();
        let a = fragment.select(&selector).next().unwrap();
        assert_eq!(a.value().attr("title"), Some("<h1>"));
        assert_eq!(a.text().collect::<String>(), "<h1>");
    }

    #[test]
    fn images_only_when_allowed() {
        let md = "![alt](https://example.com/a.png \"t\")";
        let html = "<img src=\"https://example.com/a.png\" alt=\"alt\" title=\"t\" width=5>";
        for (format, input) in [(Format::Markdown, md), (Format::Html, html)] {
            let with = render(input, format, true);
            assert!(
                with.contains(r#"<img src="https://example.com/a.png" alt="alt" title="t">"#),
                "{with}"
            );
            let without = render(input, format, false);
            assert!(!without.contains("<img"), "{without}");
            assert_safe(&without, false, input);
        }
    }

    #[test]
    fn html_format_skips_markdown() {
        let input = "<p>intro</p>\n\n    indented like code\n\n*not emphasis*";
        let out = render(input, Format::Html, false);
        assert!(!out.contains("<pre"), "{out}");
        assert!(!out.contains("<em"), "{out}");
        assert!(out.contains("    indented like code"), "{out}");
        // The same input as Markdown does produce a code block.
        assert!(render(input, Format::Markdown, false).contains("<pre>"));
    }

    #[test]
    fn count_links_counts_anchor_elements() {
        assert_eq!(
            count_links(&render("no links here", Format::Markdown, false)),
            0
        );
        let three = "[a](https://a.example) [b](https://b.example) <https://c.example>";
        assert_eq!(count_links(&render(three, Format::Markdown, false)), 3);
        let four = format!("{three} [d](mailto:d@example.com)");
        assert_eq!(count_links(&render(&four, Format::Markdown, false)), 4);
        let html = "<a href=https://a.example>1</a><A title='<a href=x>'>2</A><abbr>x</abbr>";
        let out = render(html, Format::Html, false);
        assert_eq!(count_links(&out), 2, "{out}");
        assert_eq!(count_links("<p>&lt;a href=x&gt;</p><area><abbr>"), 0);
    }

    #[test]
    fn format_names_round_trip() {
        for format in BOTH {
            assert_eq!(Format::parse(format.as_str()), Some(format));
        }
        assert_eq!(Format::Markdown.as_str(), "markdown");
        assert_eq!(Format::Html.as_str(), "html");
        assert_eq!(Format::parse("HTML"), Some(Format::Html));
        assert_eq!(Format::parse("text"), None);
        assert_eq!(Format::parse(""), None);
    }

    #[test]
    fn lexer_matches_html5ever_tokenization() {
        fn tags(s: &str) -> Vec<(Token, &str)> {
            let mut lexer = Lexer::new(s);
            let mut out = Vec::new();
            while let Some((token, start, end)) = lexer.next_token() {
                out.push((token, &s[start..end]));
            }
            out
        }
        let t = tags("a<b title=\"x>y\" c='>' d=e>f</b\n>");
        assert_eq!(t[1].1, "<b title=\"x>y\" c='>' d=e>");
        assert_eq!(t[3].1, "</b\n>");
        assert!(matches!(tags("<!-->x")[0], (Token::Markup, "<!-->")));
        assert!(matches!(tags("<!--->x")[0], (Token::Markup, "<!--->")));
        assert!(matches!(
            tags("<!--a--!>x")[0],
            (Token::Markup, "<!--a--!>")
        ));
        assert!(matches!(tags("<!--!>-->")[0], (Token::Markup, "<!--!>-->")));
        assert!(matches!(tags("<?x>y")[0], (Token::Markup, "<?x>")));
        assert!(matches!(tags("</ x>y")[0], (Token::Markup, "</ x>")));
        assert!(matches!(
            tags("<a //=\"x>\"")[0],
            (Token::Tag { .. }, "<a //=\"x>")
        ));
        assert!(matches!(tags("<a b=\"x>")[0], (Token::Incomplete, _)));
        assert!(matches!(tags("< a>")[0], (Token::LoneLt, "<")));
        assert!(matches!(tags("<1>")[0], (Token::LoneLt, "<")));
    }

    /// Maximum element depth of well-formed HTML such as ammonia's output.
    fn output_depth(html: &str) -> usize {
        let (mut depth, mut max) = (0usize, 0usize);
        let mut lexer = Lexer::new(html);
        while let Some((token, _, _)) = lexer.next_token() {
            if let Token::Tag { end, name, .. } = token {
                let name = &html[name.0..name.1];
                if is_any(name, VOID) {
                    continue;
                }
                if end {
                    depth = depth.saturating_sub(1);
                } else {
                    depth += 1;
                    max = max.max(depth);
                }
            }
        }
        max
    }

    /// Deepest element html5ever builds from the pre-pass output, i.e. what ammonia's
    /// parser has to cope with.
    fn parsed_depth(html: &str) -> usize {
        let fragment = Html::parse_fragment(html);
        fragment
            .tree
            .nodes()
            .filter(|node| node.value().is_element())
            .map(|node| node.ancestors().filter(|a| a.value().is_element()).count())
            .max()
            .unwrap_or(0)
    }

    fn on_small_stack<F: FnOnce() + Send + 'static>(f: F) {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .expect("render panicked or overflowed on a 2 MiB stack");
    }

    const N: usize = 50_000;

    fn deep_inputs() -> Vec<(&'static str, String)> {
        vec![
            ("quote markers", ">".repeat(N) + " x"),
            ("quote lines", "> ".repeat(N) + "x\n" + &">".repeat(N)),
            ("list markers", "- ".repeat(N) + "x"),
            ("ordered list markers", "1. ".repeat(N) + "x"),
            (
                "brackets",
                "[".repeat(N) + "x" + &"]".repeat(N) + "(https://x.example)",
            ),
            ("open brackets", "[".repeat(N)),
            ("stars", "*".repeat(N) + "x" + &"*".repeat(N)),
            ("underscores", "_".repeat(N) + "x"),
            ("divs", "<div>".repeat(N) + "x" + &"</div>".repeat(N)),
            ("blockquotes", "<blockquote>".repeat(N) + "x"),
            ("lists", "<ul><li>".repeat(N) + "x"),
            ("bold", "<b>".repeat(N) + "x"),
            ("spans", "<span>".repeat(N) + "x"),
            ("tables", "<table><tr><td>".repeat(N) + "x"),
            ("svg", "<svg>".repeat(N) + "x"),
            ("math", "<math><mi>".repeat(N) + "x"),
            ("div table", "<div><table></div>".repeat(N)),
            ("b div", "<b><div></b>".repeat(N)),
            ("p b", "<p><b>x</p>".repeat(N)),
            (
                "reconstruct",
                (0..N).map(|i| format!("<div><b id={i}></div>x")).collect(),
            ),
            ("anchors", "<a href=https://x.example>".repeat(N) + "x"),
            ("select", "<select><option>".repeat(N) + "x"),
            ("template", "<template>".repeat(N) + "x"),
            ("headings", "<h1>".repeat(N) + "x"),
            ("comments", "<!--".repeat(N) + "x"),
            ("scripts", "<script>".repeat(N) + "x"),
            (
                "mixed",
                "<div><blockquote><ul><li><p><em>".repeat(N / 6) + "x",
            ),
            // Found by `fuzzed_nesting_stays_under_the_cap` before implied end tags were
            // spelled out: the parser ignored an end tag the model had acted on.
            ("phantom heading", "<h1><h1><optgroup></h2>".repeat(N / 4)),
            ("phantom table", "<table><table><rt></table>".repeat(N / 4)),
            ("optgroups", "<optgroup>".repeat(N)),
            ("ruby", "<rt><rb>".repeat(N)),
        ]
    }

    /// Renders every deep input on a 2 MiB stack, checking the output depth and the depth
    /// of the tree html5ever builds from the pre-pass output.
    fn check_deep_inputs(format: Format) {
        on_small_stack(move || {
            for (label, input) in deep_inputs() {
                let started = std::time::Instant::now();
                let out = render(&input, format, true);
                let elapsed = started.elapsed();
                // Policy checks are left to the hostile corpus: scraper is slow on these
                // outputs and they exercise nothing the corpus does not.
                let depth = output_depth(&out);
                assert!(
                    depth <= MAX_DEPTH,
                    "{label}/{format:?}: output depth {depth}"
                );
                let prepared = match format {
                    Format::Markdown => prepare(&markdown_to_html(&input), false),
                    Format::Html => prepare(&input, true),
                };
                let parsed = parsed_depth(&prepared);
                assert!(
                    parsed <= MAX_DEPTH + 2,
                    "{label}/{format:?}: html5ever depth {parsed}"
                );
                eprintln!("{label:>20} {format:?}: {elapsed:?}, output depth {depth}, parser depth {parsed}");
            }
        });
    }

    #[test]
    fn deep_markdown_is_capped_and_never_overflows() {
        check_deep_inputs(Format::Markdown);
    }

    #[test]
    fn deep_html_is_capped_and_never_overflows() {
        check_deep_inputs(Format::Html);
    }

    /// Deterministic xorshift generator, so fuzz failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 33) as usize
        }

        fn soup(&mut self, pieces: &[&str], len: usize) -> String {
            (0..len)
                .map(|_| pieces[self.next() % pieces.len()])
                .collect()
        }
    }

    const SOUP: &[&str] = &[
        "<",
        ">",
        "</",
        "/",
        "<!--",
        "-->",
        "--!>",
        "-",
        "!",
        "?",
        "\"",
        "'",
        "=",
        " ",
        "\n",
        "\t",
        "\0",
        "&",
        "&#",
        "x",
        "a",
        "p",
        "li",
        "ul",
        "b",
        "i",
        "em",
        "div",
        "table",
        "tr",
        "td",
        "svg",
        "math",
        "script",
        "style",
        "textarea",
        "title",
        "noscript",
        "h1",
        "img",
        "br",
        "select",
        "option",
        "template",
        "<a ",
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<b>",
        "</b>",
        "<li>",
        "<td>",
        "<table>",
        "</table>",
        "<svg>",
        "<math>",
        "<script>",
        "</script>",
        "<![CDATA[",
        "]]>",
        "href=",
        "src=",
        "onerror=alert(1)",
        "javascript:alert(1)",
        "https://ok.example",
        "data:text/html,x",
        "> ",
        "* ",
        "- ",
        "1. ",
        "[",
        "](",
        ")",
        "`",
        "    ",
        "|",
        "---",
        "#",
    ];

    #[test]
    fn fuzzed_tag_soup_stays_within_policy() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for _ in 0..1500 {
            let len = 1 + rng.next() % 60;
            let input = rng.soup(SOUP, len);
            render_all(&input);
        }
    }

    #[test]
    fn fuzzed_nesting_stays_under_the_cap() {
        const NESTING: &[&str] = &[
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<b>",
            "</b>",
            "<i id=1>",
            "</i>",
            "<a>",
            "</a>",
            "<li>",
            "</li>",
            "<ul>",
            "</ul>",
            "<table>",
            "</table>",
            "<tr>",
            "<td>",
            "</td>",
            "<th>",
            "<tbody>",
            "<caption>",
            "<colgroup>",
            "<col>",
            "<select>",
            "<option>",
            "<optgroup>",
            "</select>",
            "<template>",
            "</template>",
            "<h1>",
            "</h2>",
            "<dd>",
            "<dt>",
            "<dl>",
            "<button>",
            "<form>",
            "</form>",
            "<object>",
            "<marquee>",
            "<nobr>",
            "<font color=red>",
            "<font size=2>",
            "<em>",
            "</em>",
            "<blockquote>",
            "<pre>",
            "<span>",
            "</span>",
            "<ruby>",
            "<rt>",
            "<rp>",
            "<frameset>",
            "<body>",
            "<html>",
            "<image>",
            "<hr>",
            "</br>",
            "x",
            " ",
            "<svg>",
            "<math>",
            "<mi>",
            "<foreignObject>",
            "</li>",
            "</dd>",
            "</option>",
            "</optgroup>",
            "</rt>",
            "</tr>",
            "</tbody>",
            "</caption>",
            "</colgroup>",
            "</th>",
            "</h1>",
            "</ol>",
            "</button>",
            "</object>",
            "</blockquote>",
            "</pre>",
            "</nobr>",
            "</font>",
            "</dl>",
            "</body>",
            "</html>",
            "<rb>",
            "<rtc>",
            "<frame>",
            "<head>",
            "<input>",
            "<applet>",
            "<listing>",
            "<address>",
            "<thead>",
            "<tfoot>",
            "<a href=x>",
            "<u>",
            "<s>",
            "<strike>",
        ];
        let mut rng = Rng(0x0dd_ba11_cafe_f00d);
        on_small_stack(move || {
            for round in 0..150 {
                // Small random alphabets find the interplay of a few constructs that
                // a soup of everything averages away.
                let pieces: Vec<&str> = (0..3 + round % 4)
                    .map(|_| NESTING[rng.next() % NESTING.len()])
                    .collect();
                let input = rng.soup(&pieces, 4_000);
                let prepared = prepare(&input, true);
                let parsed = parsed_depth(&prepared);
                assert!(
                    parsed <= MAX_DEPTH + 2,
                    "round {round}: depth {parsed} from {pieces:?}"
                );
                let out = render(&input, Format::Html, false);
                assert!(output_depth(&out) <= MAX_DEPTH, "round {round}");
            }
        });
    }

    #[test]
    fn legitimate_unclosed_html_is_not_flattened() {
        let paragraphs = "<p>para".repeat(500);
        let out = render(&paragraphs, Format::Html, false);
        assert_eq!(out.matches("<p>").count(), 500);
        assert_eq!(output_depth(&out), 1);

        let items = format!("<ul>{}</ul>", "<li>item".repeat(500));
        let out = render(&items, Format::Html, false);
        assert_eq!(out.matches("<li>").count(), 500);
        assert_eq!(output_depth(&out), 2);

        let table = format!("<table>{}</table>", "<tr><td>a<td>b".repeat(200));
        let out = render(&table, Format::Html, false);
        assert_eq!(out.matches("<td>").count(), 400);
        assert!(output_depth(&out) <= 4, "{out}");

        let links = "<a href=https://x.example>link ".repeat(200);
        let out = render(&links, Format::Html, false);
        assert_eq!(count_links(&out), 200);

        let nested = "> ".repeat(10) + "deep quote";
        let out = render(&nested, Format::Markdown, false);
        assert_eq!(out.matches("<blockquote>").count(), 10);
    }

    #[test]
    fn content_beyond_the_cap_is_kept() {
        let input = "<blockquote>".repeat(200) + "needle";
        let out = render(&input, Format::Html, false);
        assert!(out.contains("needle"));
        assert_eq!(out.matches("<blockquote>").count(), MAX_DEPTH);
    }
}
