//! A lexer that splits HTML exactly where html5ever's tokenizer does in its data state:
//! used to count links, to demote heading tags and by the pre-pass.

/// Tokens of html5ever's data state, as byte ranges into the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
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

pub(super) fn is_space(c: u8) -> bool {
    // html5ever turns CR into LF before tokenizing.
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Splits HTML exactly where html5ever's tokenizer does while in its data state (the
/// WHATWG tag, attribute, comment and bogus-comment states), so counting and rewriting
/// tags here agrees with what the real parser sees.
pub(super) struct Lexer<'a> {
    src: &'a [u8],
    pub(super) pos: usize,
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
    pub(super) fn new(src: &'a str) -> Self {
        Lexer {
            src: src.as_bytes(),
            pos: 0,
        }
    }

    pub(super) fn next_token(&mut self) -> Option<(Token, usize, usize)> {
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
