//! The cut before parsing: pages as people write them pass whole; pages built to make the
//! parser's work grow with the square of their length are cut, and what is left parses small.

use proptest::prelude::*;
use scraper::{ElementRef, Html};

use super::guard::{bounded, cut, Limits, LIMITS};
use super::scan::Scanner;

/// The depth of the deepest element of `html` once parsed, and how many elements it has.
fn shape(html: &str) -> (usize, usize) {
    let doc = Html::parse_document(html);
    let mut stack = vec![(doc.root_element(), 1)];
    let (mut deepest, mut count) = (0, 0);
    while let Some((el, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        count += 1;
        stack.extend(
            el.children()
                .filter_map(ElementRef::wrap)
                .map(|c| (c, depth + 1)),
        );
    }
    (deepest, count)
}

fn tags(html: &str) -> Vec<(String, bool)> {
    let mut scan = Scanner::new(html);
    let mut out = Vec::new();
    while let Some(t) = scan.next_tag(Some(false)) {
        out.push((t.name, t.end));
    }
    out
}

#[test]
fn the_scanner_reads_tags_as_the_tokenizer_does() {
    let names = |html: &str| tags(html).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
    assert_eq!(names(r#"<DIV a=">" b='<i>' c=d>x</Div>"#), ["div", "div"]);
    assert_eq!(
        tags("<p></p>"),
        [("p".to_string(), false), ("p".to_string(), true)]
    );
    // Quotes count only around a value: here `>` ends the tag.
    assert_eq!(names(r#"<div a=x"y>z"><i>"#), ["div", "i"]);
    assert_eq!(names(r#"<div ="a>b"><i>"#), ["div", "i"]);
    // Comments end at `-->`, `--!>`, or at once with `<!-->` and `<!--->`.
    assert_eq!(
        names("<!-- <a> --><b><!--><i><!---><u><!-- x --!><s><!-- <q>"),
        ["b", "i", "u", "s"]
    );
    assert_eq!(
        names("<!doctype html><?php x ?><![CDATA[ <q> ]]></ x><a></>"),
        ["a"]
    );
    // Not a tag: `<` before no letter; an unfinished tag at the end.
    assert_eq!(names("a < b <3 <em>x</em> <div class=\"open"), ["em", "em"]);
    let t = Scanner::new("<br/><a / b><x a='1' b c=2>")
        .next_tag(Some(false))
        .unwrap();
    assert!(t.self_closing);
    let t = Scanner::new(r#"<font  COLOR="red">"#)
        .next_tag(Some(false))
        .unwrap();
    assert!(t.font_attr);
    let t = Scanner::new(r#"<font colors=x data-color="color" x=1 y='2' z>"#)
        .next_tag(Some(false))
        .unwrap();
    assert_eq!((t.font_attr, t.attrs), (false, 5));
    let mut s = Scanner::new("<script>if (a<b) x = '</scripts>' + '<div>'</SCRIPT ><i>");
    assert_eq!(s.next_tag(Some(false)).unwrap().name, "script");
    s.skip_text_of("script");
    assert_eq!(
        (
            s.next_tag(Some(false)).unwrap().name,
            s.next_tag(Some(false)).unwrap().name
        ),
        ("script".into(), "i".into())
    );
}

/// A long page as a blog writes it, with the omissions HTML allows.
fn ordinary_page() -> String {
    let mut page = String::from(
        "<!doctype html><html><head><title>A <b>blog</b></title><style>div > p {}</style>\
         <script>var t = '<div><div><div>'; if (a < b) {}</script></head><body>",
    );
    for i in 0..2000 {
        page.push_str(&format!(
            "<article class=\"h-entry\"><h2><a href=\"/p/{i}\">Post {i}</a></h2>\
             <p>Text <b>bold <i>it</i></b> and <a href=\"x\">a link</a><p>Unclosed\
             <ul><li>one<li>two</ul><dl><dt>t<dd>d</dl><table><tr><td>a<td>b<tr><td>c</table>\
             <svg viewBox=\"0 0 1 1\"><path d=\"M0\"/><circle r=\"1\" /><g><title>x</title></g></svg>\
             <!-- <div><div> --><select><option>a<option>b</select><textarea><div></textarea>\
             <p><b>bold</b> and <a href=\"#\">plain</a></article>\n"
        ));
    }
    page + "</body></html>"
}

#[test]
fn pages_as_people_write_them_are_not_cut() {
    let page = ordinary_page();
    assert!(page.len() > 800_000, "{}", page.len());
    assert_eq!(bounded(&page).len(), page.len());
    // 400 unclosed divs are sloppy, but not cut.
    let sloppy = "<div><span>text\n".repeat(200);
    assert_eq!(bounded(&sloppy), sloppy);
}

#[test]
fn pages_that_would_make_the_parser_work_quadratically_are_cut() {
    let many = |unit: &dyn Fn(usize) -> String, n: usize| (0..n).map(unit).collect::<String>();
    let divs = "<div>".repeat(40_000);
    let attacks = [
        ("nested divs", divs.clone()),
        ("nested h-entries", "<div class=\"h-entry\">".repeat(40_000)),
        (
            "re-created formatting",
            many(&|i| format!("<p><b id={i}>x</p>"), 20_000),
        ),
        ("ignored end tags", "<span><div></span>".repeat(30_000)),
        (
            "formatting left by blocks",
            many(&|i| format!("<div><b id={i}></div>x"), 20_000),
        ),
        (
            "a style in SVG is no raw text",
            format!("<svg><style>{divs}"),
        ),
        (
            "a style in a select is ignored",
            format!("<select><style></select>{divs}"),
        ),
        (
            "a font that leaves SVG",
            format!("<svg><font color=1>{}", "<section/>".repeat(40_000)),
        ),
        ("an empty comment", format!("<!-->{divs}")),
        (
            "cells that keep a div open",
            "<div><table><td></div>".repeat(20_000) + &"<form>".repeat(20_000),
        ),
        (
            "annotation-xml is foreign",
            format!("<math><annotation-xml><style>{divs}"),
        ),
        (
            "unclosed links around blocks",
            many(&|i| format!("<a href={i}><div>"), 20_000),
        ),
        ("nested objects", "<object><p>".repeat(30_000)),
    ];
    for (what, html) in &attacks {
        let kept = bounded(html);
        assert!(kept.len() < html.len(), "{what}: not cut");
        let (depth, count) = shape(kept);
        assert!(depth <= 2 * LIMITS.depth + 8, "{what}: {depth} deep");
        assert!(count <= 300_000, "{what}: {count} elements");
    }
    // A tag with too many attributes is where the page ends.
    let attrs: String = (0..1000).map(|i| format!(" a{i}=1")).collect();
    let html = format!("<p>before</p><div{attrs}>after");
    assert_eq!(bounded(&html), "<p>before</p>");
}

#[test]
fn markup_that_keeps_more_open_than_it_seems_is_cut() {
    // Found by the property test below: repeated, each keeps growing the parser's stack.
    let cases = [
        ("<a href=x>", "<nobr><a href=x/></nobr><rt>"),
        ("", "</table>x<table><nobr></table>x"),
        ("<style>", "<template><th></style></template><a href=1>"),
        ("<em>", "<a href=x><table><marquee></table>"),
        ("", "<p></form><mi><form>"),
        ("", "<ruby><dd><rt>"),
        ("<math>", "<section/></p>"),
        ("<table><table></table>", "<tr><td><mglyph>"),
        ("", "</a><a href=x><h1><svg>"),
        ("<template>", "<td></template><a href=x><template>"),
        ("<table><tbody><select><option>", "</tbody><u>"),
        ("", "<frameset><button>"),
        ("<input><frameset><svg>", "<frame>"),
        ("", "<select><td><table>"),
        ("<template><col><style>", "<frameset></template>"),
        ("<math><annotation-xml>", "<td>"),
        ("<![CDATA[<div><math>]]><xmp>", "<b>"),
        (
            "<table><svg><foreignObject><tbody></foreignObject>",
            "<section/>",
        ),
        ("", "<caption><table><tbody><svg><style></tbody>"),
        (
            "<tbody></table>",
            "<a href=1><table><object><tbody></table>",
        ),
    ];
    for (head, unit) in cases {
        let html = format!("{head}{}", unit.repeat(3000));
        let (depth, _) = shape(bounded(&html));
        assert!(depth <= 3 * LIMITS.depth + 4, "{head}{unit}…: {depth} deep");
    }
}

#[test]
fn reading_a_cut_page_still_works() {
    let target = "https://natter.example/blog/post";
    let html = format!(
        "<div class=\"h-entry\"><a class=\"u-in-reply-to\" href=\"{target}\">re</a>{}x",
        "<div>".repeat(50_000)
    );
    let s = super::read(
        &html,
        &url::Url::parse("https://a.example/").unwrap(),
        &url::Url::parse(target).unwrap(),
    );
    assert!(s.links_to_target);
    assert_eq!(s.entry.unwrap().kind, super::Kind::Reply);
}

/// Pieces of tag soup, the awkward ones among them.
const SOUP: &[&str] = &[
    "<div>",
    "</div>",
    "<span>",
    "</span>",
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    "<b id=1>",
    "<b id=2>",
    "<i>",
    "</i>",
    "<a href=x>",
    "</a>",
    "<table>",
    "</table>",
    "<td>",
    "</td>",
    "<tr>",
    "</tr>",
    "<li>",
    "</li>",
    "<ul>",
    "</ul>",
    "<svg>",
    "</svg>",
    "<g>",
    "</g>",
    "<path/>",
    "<div/>",
    "<section/>",
    "<foreignObject>",
    "</foreignObject>",
    "<style>",
    "</style>",
    "<script>",
    "</script>",
    "<textarea>",
    "</textarea>",
    "<title>",
    "</title>",
    "<select>",
    "</select>",
    "<option>",
    "<font color=1>",
    "<font>",
    "</font>",
    "<math>",
    "</math>",
    "<mi>",
    "<annotation-xml>",
    "<button>",
    "</button>",
    "<h1>",
    "</h1>",
    "<h2>",
    "<form>",
    "</form>",
    "<template>",
    "</template>",
    "<!--",
    "-->",
    "<!-->",
    "<noscript>",
    "</noscript>",
    "<plaintext>",
    "<dd>",
    "<dt>",
    "<object>",
    "</object>",
    "<caption>",
    "<nobr>",
    "</nobr>",
    "<xmp>",
    "x",
    " ",
    "<br>",
    "</br>",
    "<hr>",
    "<img>",
    "<iframe>",
    "<![CDATA[",
    "]]>",
    "<mtext>",
    "<desc>",
    "<tbody>",
    "<colgroup>",
    "<body>",
    "</body>",
    "</html>",
    "<frameset>",
    "<em>",
    "</em>",
    "<u>",
    "<s>",
    "<code>",
    "<input>",
    "<marquee>",
    "<applet>",
    "<dl>",
    "</dd>",
    "<mglyph>",
    "<mo>",
    "</mi>",
    "<annotation-xml encoding=\"text/html\">",
    "</annotation-xml>",
    "<ruby>",
    "<rt>",
    "</ruby>",
    "<center>",
    "<listing>",
    "<frame>",
    "</frameset>",
    "<area>",
    "<nobr>",
    "<address>",
    "<font face=x>",
    "<thead>",
    "<th>",
    "</th>",
    "<col>",
    "<main>",
    "<div class=\"h-entry\">",
    "<a href=x/>",
    "<svg/>",
    "<math/>",
    "<p/>",
    "<b/>",
    "<image>",
    "<a href=1>",
    "<b class=x>",
    "<table><tbody>",
    "<col>",
    "<svg><foreignObject>",
    "<li><p>",
    "</li></ul>",
    "<dl><dt>",
    "</h2>",
    "<summary>",
    "<details>",
    "</details>",
    "<tr><td>",
    "<!DOCTYPE html>",
    "<!doctype html public \"x\">",
    "<a href=1><div>",
    "</a>",
    "<p><b>",
    "x<b>",
    "<table><tr><td>",
    "</td></tr>",
    "<select><option>",
    "<svg><style>",
    "<math><mi>",
    "<template><td>",
    "</tbody>",
    "</thead>",
    "<rb>",
    "</rt>",
    "<search>",
    "<dialog>",
    "</dialog>",
    "<menu>",
    "</pre>",
    "<pre>",
    "<isindex>",
    "</form></div>",
];

/// Soup as attacks are made: a few pieces, a unit repeated, another repeated, a few pieces.
fn soups() -> impl Strategy<Value = String> {
    let pieces = |n: usize| prop::collection::vec(0..SOUP.len(), 0..n);
    let unit = || (prop::collection::vec(0..SOUP.len(), 1..8), 0..120usize);
    (pieces(6), unit(), unit(), pieces(6)).prop_map(|(head, (a, n), (b, m), tail)| {
        let text = |picks: &[usize]| picks.iter().map(|&i| SOUP[i]).collect::<String>();
        text(&head) + &text(&a).repeat(n) + &text(&b).repeat(m) + &text(&tail)
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever the soup, what is left after the cut parses no deeper than three times the
    /// limit (tables open four elements where the model counts two, and an `<a>` the parser
    /// takes off its stack stays in the tree) and to a bounded size.
    #[test]
    fn no_soup_parses_deeper_than_the_model_allows(html in soups()) {
        let limits = Limits { depth: 16, attrs: 8, work: 20_000 };
        let kept = cut(&html, limits);
        prop_assert!(html.starts_with(kept));
        let (depth, count) = shape(kept);
        prop_assert!(depth <= 3 * limits.depth + 4, "{} deep: {:?}", depth, kept);
        let tags = kept.matches('<').count();
        prop_assert!(count <= 3 * tags + 10 + limits.work / 64, "{} elements: {:?}", count, kept);
    }
}
