//! Bare URLs in Markdown: where they start and end, where they are never linked, and that
//! the link is exactly the one a Markdown link to the same URL makes.

use super::autolink::find_urls;
use super::sanitize::LINK_REL;
use super::*;

fn md(source: &str) -> String {
    render(source, Format::Markdown, false)
}

/// The rendered `<a>` for `href` (as the sanitizer writes it) showing `text`.
fn a(href: &str, text: &str) -> String {
    format!("<a href=\"{href}\" rel=\"{LINK_REL}\">{text}</a>")
}

/// The URLs `find_urls` finds in `text`, as strings.
fn urls(text: &str) -> Vec<&str> {
    find_urls(text, true)
        .into_iter()
        .map(|range| &text[range])
        .collect()
}

#[test]
fn a_plain_url_becomes_a_link() {
    assert_eq!(
        md("see https://a.example/path for more"),
        format!(
            "<p>see {} for more</p>\n",
            a("https://a.example/path", "https://a.example/path")
        )
    );
    assert_eq!(
        md("plain http://a.example too"),
        format!(
            "<p>plain {} too</p>\n",
            a("http://a.example/", "http://a.example")
        )
    );
}

#[test]
fn a_url_at_the_start_or_end_of_the_text() {
    let link = a("https://a.example/x", "https://a.example/x");
    assert_eq!(md("https://a.example/x"), format!("<p>{link}</p>\n"));
    assert_eq!(
        md("https://a.example/x is it"),
        format!("<p>{link} is it</p>\n")
    );
    assert_eq!(
        md("it is https://a.example/x"),
        format!("<p>it is {link}</p>\n")
    );
    // At the start of a line after a soft break, of a list item, of a quote, of a cell.
    assert_eq!(count_links(&md("one\nhttps://a.example/x")), 1);
    assert_eq!(count_links(&md("- https://a.example/x")), 1);
    assert_eq!(count_links(&md("> https://a.example/x")), 1);
    assert_eq!(count_links(&md("| h |\n|---|\n|https://a.example/x|")), 1);
    assert_eq!(count_links(&md("# https://a.example/x")), 1);
}

#[test]
fn trailing_punctuation_is_left_out() {
    for tail in [
        ".", ",", "?", "!", ":", "*", "_", "~", ")", "...", "?!", ").",
    ] {
        let source = format!("go to https://a.example/x{tail}");
        assert_eq!(urls(&source), ["https://a.example/x"], "{source:?}");
        assert_eq!(
            md(&format!("(go to https://a.example/x{tail}")),
            format!(
                "<p>(go to {}{tail}</p>\n",
                a("https://a.example/x", "https://a.example/x")
            ),
            "{tail:?}"
        );
    }
    // Inside the URL the same characters stay.
    assert_eq!(
        urls("https://a.example/a.b,c!d?e=f:g*h_i~j. next"),
        ["https://a.example/a.b,c!d?e=f:g*h_i~j"]
    );
    assert_eq!(urls("https://a.example/?"), ["https://a.example/"]);
}

#[test]
fn parentheses_are_kept_while_balanced() {
    let wiki = "https://en.wikipedia.org/wiki/Rust_(programming_language)";
    assert_eq!(urls(wiki), [wiki]);
    assert_eq!(urls(&format!("({wiki})")), [wiki]);
    assert_eq!(urls(&format!("see {wiki}.")), [wiki]);
    assert_eq!(urls(&format!("(see {wiki}).")), [wiki]);
    assert_eq!(
        md(&format!("(see {wiki})")),
        format!(
            "<p>(see {})</p>\n",
            a(
                "https://en.wikipedia.org/wiki/Rust_(programming_language)",
                wiki
            )
        )
    );
    // GFM's own examples.
    assert_eq!(urls("http://a.example/P_((E)"), ["http://a.example/P_((E)"]);
    assert_eq!(urls("http://a.example/P_(E))"), ["http://a.example/P_(E)"]);
    assert_eq!(
        urls("http://a.example/P_((E))"),
        ["http://a.example/P_((E))"]
    );
    assert_eq!(urls("(https://a.example/x))"), ["https://a.example/x"]);
}

#[test]
fn an_entity_like_tail_is_left_out() {
    assert_eq!(
        urls("https://a.example/search?q=x&hl; more"),
        ["https://a.example/search?q=x"]
    );
    assert_eq!(
        urls("https://a.example/?q=x&hl"),
        ["https://a.example/?q=x&hl"]
    );
    // Not entity-like: the `;` is not trailing punctuation in GFM, so it stays.
    assert_eq!(urls("https://a.example/a;"), ["https://a.example/a;"]);
    assert_eq!(urls("https://a.example/&;"), ["https://a.example/&;"]);
    let out = md("https://a.example/search?q=x&hl;");
    assert_eq!(
        out,
        format!(
            "<p>{}&amp;hl;</p>\n",
            a(
                "https://a.example/search?q=x",
                "https://a.example/search?q=x"
            )
        )
    );
}

#[test]
fn queries_and_entities_are_escaped_like_in_a_markdown_link() {
    let out = md("https://a.example/s?a=1&amp;b=2&c=3#top");
    assert_eq!(
        out,
        format!(
            "<p>{}</p>\n",
            a(
                "https://a.example/s?a=1&amp;b=2&amp;c=3#top",
                "https://a.example/s?a=1&amp;b=2&amp;c=3#top"
            )
        )
    );
    // Markup-looking text in a URL is text, in the link text and in the href.
    let out = md(r#"https://a.example/"onmouseover="alert(1)"x'y"#);
    assert_eq!(count_links(&out), 1, "{out}");
    assert!(
        out.contains(r#"href="https://a.example/%22onmouseover=%22alert(1)%22x'y""#),
        "{out}"
    );
    assert!(!out.contains(" onmouseover"), "{out}");
}

#[test]
fn the_link_is_the_markdown_link_to_the_same_url() {
    for url in [
        "https://a.example",
        "https://a.example/path",
        "HTTPS://A.EXAMPLE/Path",
        "http://a.example:8080/x?q=1&r=2#f",
        "https://en.wikipedia.org/wiki/Rust_(programming_language)",
        "https://a.example/caf%C3%A9/~user/a+b;c=d",
        "https://a.example/café/日本",
        "https://bücher.example/x",
        "https://user:pw@a.example/x",
        "https://a.example/x'y",
        "https://a.example/[x]",
        "http://localhost/x",
    ] {
        let bare = md(&format!("look: {url} end"));
        let markdown = md(&format!("look: [{url}]({url}) end"));
        assert_eq!(bare, markdown, "{url}");
        let angle = md(&format!("look: <{url}> end"));
        assert_eq!(bare, angle, "{url}");
        assert_eq!(count_links(&bare), 1, "{url}: {bare}");
    }
}

#[test]
fn code_is_never_linked() {
    let out = md("`https://a.example/x`");
    assert_eq!(out, "<p><code>https://a.example/x</code></p>\n");
    let out = md("```\nhttps://a.example/x\n```");
    assert_eq!(out, "<pre><code>https://a.example/x\n</code></pre>\n");
    let out = md("    https://a.example/x");
    assert_eq!(out, "<pre><code>https://a.example/x</code></pre>\n");
    let out = md("`code`https://a.example/x");
    assert_eq!(count_links(&out), 0, "{out}");
    // Raw `<code>` and `<pre>`, also where the URL starts a line inside them.
    let out = md("<code>https://a.example/x</code> and <pre>https://b.example</pre>");
    assert_eq!(count_links(&out), 0, "{out}");
    let out = md("x <code>\nhttps://a.example/x</code> <pre>y\nhttps://b.example</pre>");
    assert_eq!(count_links(&out), 0, "{out}");
    let out = md("x <code>y</code>\nhttps://a.example/x");
    assert_eq!(count_links(&out), 1, "{out}");
}

#[test]
fn link_text_is_never_linked_again() {
    let out = md("[https://a.example/x](https://b.example/y)");
    assert_eq!(
        out,
        format!(
            "<p>{}</p>\n",
            a("https://b.example/y", "https://a.example/x")
        )
    );
    let out = md("[see https://a.example/x here](https://b.example/y)");
    assert_eq!(count_links(&out), 1, "{out}");
    let out = md("<https://a.example/x>");
    assert_eq!(count_links(&out), 1, "{out}");
    let out = md("![https://a.example/x](https://b.example/i.png)");
    assert_eq!(count_links(&out), 0, "{out}");
    let out = render(
        "![https://a.example/x](https://b.example/i.png)",
        Format::Markdown,
        true,
    );
    assert!(out.contains("alt=\"https://a.example/x\""), "{out}");
    // Raw anchors, and the text after one that is never closed.
    let out = md("<a href=\"https://b.example\">https://a.example/x</a> https://c.example");
    assert_eq!(count_links(&out), 2, "{out}");
    assert!(
        out.contains(&a("https://c.example/", "https://c.example")),
        "{out}"
    );
    // (html5ever reopens an unclosed `<a>` in the next block: what matters is that the
    // bare URL is not linked.)
    let not_linked = "href=\"https://a.example/x\"";
    let out = md("<a href=\"https://b.example\">go https://a.example/x");
    assert!(!out.contains(not_linked), "{out}");
    let out = md("x <a href=\"https://b.example\">\nhttps://a.example/x</a>");
    assert!(!out.contains(not_linked), "{out}");
    assert_eq!(count_links(&out), 1, "{out}");
    // A raw `<a>` tag split over lines of an HTML block, left open after it.
    let out = md("<div>\n<a href=\"https://b.example\"\ntitle=\"t\">\n\nsee https://a.example/x");
    assert!(!out.contains(not_linked), "{out}");
}

#[test]
fn raw_html_attributes_are_never_linked() {
    let out = md("<span title=\"https://a.example/x\">hi</span>");
    assert_eq!(count_links(&out), 0, "{out}");
    let out = md("<div title=\"https://a.example/x\">\nhttps://b.example\n</div>");
    assert_eq!(count_links(&out), 0, "{out}");
    let out = md("<a\ntitle=\"https://a.example/x\" href=\"https://b.example\">x</a>");
    assert_eq!(count_links(&out), 1, "{out}");
}

#[test]
fn a_url_followed_by_raw_html_ends_before_it() {
    let out = md("https://a.example/x<b>bold</b>");
    assert_eq!(
        out,
        format!(
            "<p>{}bold</p>\n",
            a("https://a.example/x", "https://a.example/x")
        )
    );
    assert_eq!(urls("https://a.example/x<y"), ["https://a.example/x"]);
    // `&lt;` is a `<` in the text: the URL ends there too.
    let out = md("https://a.example/x&lt;y");
    assert!(
        out.contains(&format!(
            "{}&lt;y",
            a("https://a.example/x", "https://a.example/x")
        )),
        "{out}"
    );
}

#[test]
fn only_http_and_https_are_linked() {
    for text in [
        "javascript:alert(1)",
        "javascript://a.example/%0Aalert(1)",
        "ftp://a.example/x",
        "mailto:me@a.example",
        "me@a.example",
        "www.a.example",
        "www.a.example/path",
        "data:text/html,x",
        "file:///etc/passwd",
        "httpx://a.example",
        "http:/a.example",
        "http:a.example",
        "https://",
        "https:// a.example",
        "https://.",
        "https://a_b.example/",
        "https://x.a_b.example/",
        "https://a.example:99999/",
        "https://[::1/",
    ] {
        assert!(urls(text).is_empty(), "{text}: {:?}", urls(text));
        let out = md(&format!("see {text} now"));
        assert_eq!(count_links(&out), 0, "{text}: {out}");
    }
    assert_eq!(urls("https://a_b.c.example/"), ["https://a_b.c.example/"]);
}

#[test]
fn a_url_starts_only_where_gfm_lets_it() {
    for text in [
        "xhttps://a.example",
        "1http://a.example",
        "\"https://a.example\"",
        "/https://a.example",
        "&https://a.example",
    ] {
        assert!(urls(text).is_empty(), "{text}: {:?}", urls(text));
    }
    for text in [
        "(https://a.example",
        "*https://a.example",
        "~https://a.example",
    ] {
        assert_eq!(urls(text), ["https://a.example"], "{text}");
    }
    assert_eq!(count_links(&md("*https://a.example/x*")), 1);
    assert_eq!(count_links(&md("**https://a.example/x**")), 1);
    assert_eq!(count_links(&md("~~https://a.example/x~~")), 1);
    assert_eq!(count_links(&md("_https://a.example/x_")), 1);
    assert_eq!(
        count_links(&md("[x](https://b.example)https://a.example")),
        1
    );
    assert_eq!(count_links(&md("<b>https://a.example/x</b>")), 0);
    assert!(find_urls("https://a.example", false).is_empty());
}

#[test]
fn unicode_around_and_inside_a_url() {
    let out = md("voilà https://a.example/x — merci");
    assert_eq!(
        out,
        format!(
            "<p>voilà {} — merci</p>\n",
            a("https://a.example/x", "https://a.example/x")
        )
    );
    // Any whitespace ends it, no-break and ideographic spaces too.
    assert_eq!(
        urls("見て\u{3000}https://a.example/日本\u{3000}です"),
        ["https://a.example/日本"]
    );
    assert_eq!(
        urls("x\u{a0}https://a.example/y\u{a0}z"),
        ["https://a.example/y"]
    );
    let out = md("見て https://例え.jp/パス です");
    assert_eq!(count_links(&out), 1, "{out}");
    assert!(out.contains(">https://例え.jp/パス</a> です"), "{out}");
    assert!(
        out.contains("href=\"https://xn--r8jz45g.jp/%E3%83%91%E3%82%B9\""),
        "{out}"
    );
    // A letter right before the scheme, in any script, is no start.
    assert!(urls("日本https://a.example").is_empty());
}

#[test]
fn many_urls_are_all_counted() {
    let source: Vec<String> = (0..5)
        .map(|i| format!("https://{i}.example/p{i}"))
        .collect();
    let out = md(&source.join(" and "));
    assert_eq!(count_links(&out), 5, "{out}");
    let out = md(&source.join("\n\n"));
    assert_eq!(count_links(&out), 5, "{out}");
    let out = md("https://a.example,https://b.example https://c.example.\nhttps://d.example");
    // `https://a.example,https://b.example` is one URL: no whitespace ends it.
    assert_eq!(count_links(&out), 3, "{out}");
}

#[test]
fn html_format_is_unchanged() {
    let out = render("see https://a.example/x", Format::Html, false);
    assert_eq!(out, "see https://a.example/x");
    assert_eq!(count_links(&out), 0);
}

#[test]
fn the_scan_is_linear() {
    // About 200 KB each: a quadratic scan would take minutes, the linear one milliseconds.
    let n = 20_000;
    let inputs = [
        "http://".repeat(n),
        "xhttp://a ".repeat(n),
        "https://_".repeat(n),
        format!("https://a.example/{}", ")".repeat(n * 8)),
        format!("https://a.example/{}", "(".repeat(n * 8)),
        format!("https://a.example/{}", "&a;".repeat(n * 3)),
        format!("https://a.example/{}", ".".repeat(n * 8)),
        format!("https://a.example/&{};", "a".repeat(n * 8)),
        "https://a.example:99999/".repeat(n),
        "(https://a.example/x) ".repeat(n),
        format!("https://{}", "a.".repeat(n * 4)),
    ];
    for input in &inputs {
        let started = std::time::Instant::now();
        find_urls(input, true);
        md(input);
        let elapsed = started.elapsed();
        assert!(
            elapsed < std::time::Duration::from_secs(10),
            "{elapsed:?} for {}…",
            &input[..40]
        );
    }
}
