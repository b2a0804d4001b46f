//! Heading demotion: comments sit under the page's own headings, so h1 becomes h3, h2 h4,
//! and so on down to h6 (the sanitizer allows only h3–h6).

use pulldown_cmark::{CowStr, HeadingLevel};

use super::lexer::{Lexer, Token};

pub(super) fn demote(level: HeadingLevel) -> HeadingLevel {
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

pub(super) fn is_heading(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 2 && b[0].eq_ignore_ascii_case(&b'h') && (b'1'..=b'6').contains(&b[1])
}

/// Copies a tag, demoting its name if it is a heading. Only the digit changes, and html5ever
/// treats h1–h6 identically, so the rewrite can never change how the input parses.
pub(super) fn push_tag(
    out: &mut String,
    src: &str,
    (start, end): (usize, usize),
    name: (usize, usize),
) {
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
pub(super) fn demote_html_headings(html: CowStr<'_>) -> CowStr<'_> {
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
