//! The tags of a page as the HTML tokenizer sees them, read fast and without building
//! anything: comments, doctypes and text are stepped over, a tag's attributes are walked as
//! the tokenizer walks them (quotes only around a value), and an unfinished tag at the end is
//! no tag, as in html5ever.

/// A start or end tag.
#[derive(Debug)]
pub(super) struct Tag {
    /// Its name, lowercased.
    pub name: String,
    /// Whether it is an end tag.
    pub end: bool,
    /// Where its `<` is.
    pub at: usize,
    /// Its length in bytes.
    pub len: usize,
    /// Whether it ends `/>`.
    pub self_closing: bool,
    /// How many attributes it writes.
    pub attrs: usize,
    /// Whether it has a `color`, `face` or `size` attribute (a `<font>` that leaves SVG).
    pub font_attr: bool,
}

/// What the page's doctype makes of it (tables close an open `<p>` but in quirks mode).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Mode {
    /// Not yet known, or a doctype not read here.
    #[default]
    Unknown,
    /// No doctype before the first tag or text: quirks mode.
    Quirks,
    /// `<!DOCTYPE html>` first.
    NoQuirks,
}

/// HTML's whitespace, with the carriage return the input stream turns into a line feed.
fn is_ws(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Just past the first `>` from `from`, or the end.
fn past_gt(b: &[u8], from: usize) -> usize {
    match b
        .get(from..)
        .and_then(|r| r.iter().position(|&c| c == b'>'))
    {
        Some(p) => from + p + 1,
        None => b.len(),
    }
}

/// Just past the end of a comment whose text starts at `from` (after `<!--`): `>` or `->`
/// right away, else the first `-->` or `--!>`; the end of the input when there is none.
fn comment_end(b: &[u8], from: usize) -> usize {
    let Some(rest) = b.get(from..) else {
        return b.len();
    };
    if rest.starts_with(b">") {
        return from + 1;
    }
    if rest.starts_with(b"->") {
        return from + 2;
    }
    let mut k = from;
    while let Some(p) = b[k..].windows(2).position(|w| w == b"--") {
        let dashes = k + p;
        match &b[dashes + 2..] {
            [b'>', ..] => return dashes + 3,
            [b'!', b'>', ..] => return dashes + 4,
            _ => k = dashes + 1,
        }
    }
    b.len()
}

/// The states of the tokenizer inside a tag, after its name.
#[derive(Clone, Copy)]
enum In {
    BeforeName,
    Name,
    AfterName,
    BeforeValue,
    Quoted(u8),
    AfterQuoted,
    Unquoted,
    SelfClosing,
}

/// Reads the page's tags one by one.
pub(super) struct Scanner<'h> {
    b: &'h [u8],
    i: usize,
    /// Where a `<![CDATA[` stopped the scan, its reading unknown (`next_tag(None)`).
    pub unsure_at: Option<usize>,
    /// The page's mode, once its first tag or text decides it.
    pub mode: Mode,
    /// Whether that is decided.
    decided: bool,
}

impl<'h> Scanner<'h> {
    /// A scanner at the start of `html`.
    pub fn new(html: &'h str) -> Self {
        Scanner {
            b: html.as_bytes(),
            i: 0,
            unsure_at: None,
            mode: Mode::Unknown,
            decided: false,
        }
    }

    /// The next tag; `None` at the end. `<![CDATA[` opens text up to `]]>` with
    /// `cdata == Some(true)` (in SVG and MathML), a comment up to `>` with `Some(false)`,
    /// and with `None` (not known which) ends the scan there.
    pub fn next_tag(&mut self, cdata: Option<bool>) -> Option<Tag> {
        let b = self.b;
        loop {
            let from = self.i;
            let at = from + b.get(from..)?.iter().position(|&c| c == b'<')?;
            self.i = at + 1;
            if !self.decided {
                // Text before the doctype (but whitespace and a byte order mark) means none.
                let text = b[from..at]
                    .strip_prefix("\u{feff}".as_bytes())
                    .unwrap_or(&b[from..at]);
                if text.iter().any(|&c| !is_ws(c)) {
                    self.decide(Mode::Quirks);
                }
            }
            match b.get(at + 1).copied() {
                Some(b'!') if b[at + 2..].starts_with(b"--") => self.i = comment_end(b, at + 4),
                Some(b'!')
                    if b.get(at + 2..at + 9)
                        .is_some_and(|d| d.eq_ignore_ascii_case(b"doctype")) =>
                {
                    self.i = past_gt(b, at + 2);
                    let inside = &b[at + 9..self.i.saturating_sub(1).max(at + 9)];
                    let html = inside.trim_ascii().eq_ignore_ascii_case(b"html");
                    self.decide(if html { Mode::NoQuirks } else { Mode::Unknown });
                }
                Some(b'!') if b[at + 2..].starts_with(b"[CDATA[") => match cdata {
                    Some(true) => {
                        let end = b[at + 9..].windows(3).position(|w| w == b"]]>");
                        self.i = end.map_or(b.len(), |p| at + 9 + p + 3);
                    }
                    Some(false) => self.i = past_gt(b, at + 2),
                    None => {
                        self.unsure_at = Some(at);
                        return None;
                    }
                },
                Some(b'!' | b'?') => self.i = past_gt(b, at + 2),
                Some(b'/') => match b.get(at + 2).copied() {
                    Some(c) if c.is_ascii_alphabetic() => return self.tag(at, true),
                    Some(_) => self.i = past_gt(b, at + 2),
                    None => return None,
                },
                Some(c) if c.is_ascii_alphabetic() => return self.tag(at, false),
                // A `<` that starts nothing is text.
                _ => self.decide(Mode::Quirks),
            }
        }
    }

    /// Steps over the text of a raw-text element (`script`, `style`, `textarea`, …) up to
    /// its end tag, which is left to be read; to the end when there is none.
    pub fn skip_text_of(&mut self, name: &str) {
        let b = self.b;
        let n = name.len();
        let mut k = self.i;
        while let Some(p) = b
            .get(k..)
            .and_then(|r| r.windows(2).position(|w| w == b"</"))
        {
            let at = k + p;
            let named = b
                .get(at + 2..at + 2 + n)
                .is_some_and(|s| s.eq_ignore_ascii_case(name.as_bytes()));
            let ends = b
                .get(at + 2 + n)
                .is_none_or(|&c| is_ws(c) || c == b'/' || c == b'>');
            if named && ends {
                self.i = at;
                return;
            }
            k = at + 2;
        }
        self.i = b.len();
    }

    /// Sets the page's mode, if its first tag or text had not.
    fn decide(&mut self, mode: Mode) {
        if !self.decided {
            self.decided = true;
            self.mode = mode;
        }
    }

    /// Everything left is text (after `<plaintext>`).
    pub fn rest_is_text(&mut self) {
        self.i = self.b.len();
    }

    /// The tag whose `<` is at `at` (its name one byte later, two for an end tag); `None`,
    /// and nothing left, when the input ends inside it.
    fn tag(&mut self, at: usize, end: bool) -> Option<Tag> {
        self.decide(Mode::Quirks);
        let b = self.b;
        let start = at + if end { 2 } else { 1 };
        let mut k = start;
        while k < b.len() && !is_ws(b[k]) && b[k] != b'/' && b[k] != b'>' {
            k += 1;
        }
        let name = String::from_utf8_lossy(&b[start..k]).to_ascii_lowercase();
        let (mut attrs, mut font_attr, mut name_at) = (0, false, k);
        let mut state = In::BeforeName;
        loop {
            let Some(&c) = b.get(k) else {
                self.i = b.len();
                return None;
            };
            k += 1;
            let ends_name = |s: In, k: usize| {
                if let In::Name = s {
                    let n = &b[name_at..k - 1];
                    ["color", "face", "size"]
                        .iter()
                        .any(|a| n.eq_ignore_ascii_case(a.as_bytes()))
                } else {
                    false
                }
            };
            if ends_name(state, k) && (is_ws(c) || c == b'/' || c == b'>' || c == b'=') {
                font_attr = true;
            }
            state = match (state, c) {
                (In::SelfClosing, b'>') => {
                    return self.done(name, end, at, k, true, attrs, font_attr);
                }
                (_, b'>') if !matches!(state, In::Quoted(_)) => {
                    return self.done(name, end, at, k, false, attrs, font_attr);
                }
                (In::Quoted(q), c) if c == q => In::AfterQuoted,
                (In::Quoted(q), _) => In::Quoted(q),
                (In::BeforeValue, b'"' | b'\'') => In::Quoted(c),
                (In::Unquoted, c) if is_ws(c) => In::BeforeName,
                (In::Unquoted, _) => In::Unquoted,
                (In::BeforeValue, c) if is_ws(c) => In::BeforeValue,
                (In::BeforeValue, _) => In::Unquoted,
                (In::Name | In::AfterName, b'=') => In::BeforeValue,
                (In::Name, c) if is_ws(c) => In::AfterName,
                (In::Name, b'/') | (In::AfterName | In::AfterQuoted, b'/') => In::SelfClosing,
                (In::BeforeName | In::SelfClosing, b'/') => In::SelfClosing,
                (In::Name, _) => In::Name,
                (_, c) if is_ws(c) => match state {
                    In::AfterName => In::AfterName,
                    _ => In::BeforeName,
                },
                // Anything else starts an attribute's name (`=` too, at the start).
                _ => {
                    attrs += 1;
                    name_at = k - 1;
                    In::Name
                }
            };
        }
    }

    /// Finishes a tag that ends just before `k`.
    #[allow(clippy::too_many_arguments)]
    fn done(
        &mut self,
        name: String,
        end: bool,
        at: usize,
        k: usize,
        self_closing: bool,
        attrs: usize,
        font_attr: bool,
    ) -> Option<Tag> {
        self.i = k;
        Some(Tag {
            name,
            end,
            at,
            len: k - at,
            self_closing,
            attrs,
            font_attr,
        })
    }
}
