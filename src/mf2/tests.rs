//! Hand-written pages, one rule each. The realistic pages are in `pages_tests.rs`.

use super::*;

/// The post on Natter's site that the mentions are about.
const TARGET: &str = "https://natter.example/blog/post";
/// The source page, where the mention was written.
const PAGE: &str = "https://alice.example/notes/1";

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn read_at(html: &str, page: &str, target: &str) -> Source {
    read(html, &url(page), &url(target))
}

fn source(html: &str) -> Source {
    read_at(html, PAGE, TARGET)
}

fn entry(html: &str) -> Entry {
    source(html).entry.expect("an entry")
}

#[test]
fn kinds_are_named() {
    let all = [
        Kind::Reply,
        Kind::Like,
        Kind::Repost,
        Kind::Bookmark,
        Kind::Mention,
    ];
    let names: Vec<_> = all.iter().map(|k| k.as_str()).collect();
    assert_eq!(names, ["reply", "like", "repost", "bookmark", "mention"]);
}

#[test]
fn a_reply_with_its_author_card_and_marked_up_content() {
    let s = source(
        r#"<!doctype html><html><head><title>Re: the post</title></head><body>
        <article class="h-entry">
          <p>In reply to <a class="u-in-reply-to" href="https://natter.example/blog/post">the post</a></p>
          <div class="p-author h-card">
            <a class="p-name u-url" href="https://alice.example/">Alice Example</a>
            <img class="u-photo" src="/me.jpg" alt="">
          </div>
          <div class="e-content">
            <p>I <em>agree</em> &amp; more:</p>
            <ul><li>one</li><li>two</li></ul>
          </div>
          <a class="u-url" href="/notes/1"><time class="dt-published" datetime="2024-05-01T10:00:00Z">1 May</time></a>
        </article></body></html>"#,
    );
    assert!(s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Reply);
    assert_eq!(e.in_reply_to, [TARGET]);
    assert!(e.like_of.is_empty() && e.repost_of.is_empty() && e.bookmark_of.is_empty());
    assert_eq!(
        e.author,
        Author {
            name: Some("Alice Example".into()),
            url: Some("https://alice.example/".into()),
            photo: Some("https://alice.example/me.jpg".into()),
        }
    );
    assert_eq!(
        e.content_html.as_deref(),
        Some("<p>I <em>agree</em> &amp; more:</p>\n            <ul><li>one</li><li>two</li></ul>")
    );
    assert_eq!(e.content_text.as_deref(), Some("I agree & more: one two"));
    assert_eq!(e.published.as_deref(), Some("2024-05-01T10:00:00Z"));
    assert_eq!(e.url.as_deref(), Some("https://alice.example/notes/1"));
    assert_eq!(e.name, None);
    assert_eq!(e.summary, None);
}

#[test]
fn a_reply_to_an_h_cite_reads_the_cite_url() {
    let e = entry(
        r#"<div class="h-entry">
          <div class="u-in-reply-to h-cite">
            <a class="p-author h-card" href="https://bob.example/">Bob</a> wrote
            <a class="u-url p-name" href="https://natter.example/blog/post">a post</a>
          </div>
          <p class="e-content">Nice one</p>
        </div>"#,
    );
    assert_eq!(e.kind, Kind::Reply);
    assert_eq!(e.in_reply_to, [TARGET]);
    // Bob wrote the cited post: his card is the cite's, not the entry's.
    assert_eq!(e.author, Author::default());
    assert_eq!(e.name, None);
    assert_eq!(e.content_text.as_deref(), Some("Nice one"));
}

#[test]
fn an_h_cite_without_a_url_gives_its_own_link() {
    let e = entry(
        r#"<div class="h-entry"><a class="u-in-reply-to h-cite" href="/blog/post">the post</a>
        <p class="p-content">Agreed.</p></div>"#,
    );
    let e2 = read_at(
        r#"<div class="h-entry"><a class="u-in-reply-to h-cite" href="/blog/post">the post</a></div>"#,
        "https://natter.example/elsewhere",
        TARGET,
    );
    assert_eq!(
        e.kind,
        Kind::Mention,
        "relative to alice.example it is not the target"
    );
    assert_eq!(e.in_reply_to, ["https://alice.example/blog/post"]);
    assert_eq!(e.content_text.as_deref(), Some("Agreed."));
    assert_eq!(e.content_html, None, "p-content has no HTML");
    let e2 = e2.entry.unwrap();
    assert_eq!(
        (e2.kind, e2.in_reply_to),
        (Kind::Reply, vec![TARGET.to_string()])
    );
}

#[test]
fn a_like_a_repost_and_a_bookmark() {
    for (class, kind) in [
        ("u-like-of", Kind::Like),
        ("u-repost-of", Kind::Repost),
        ("u-bookmark-of", Kind::Bookmark),
    ] {
        let e = entry(&format!(
            r#"<div class="h-entry"><a class="p-author h-card" href="https://carol.example">Carol</a>
            <a class="{class}" href="{TARGET}">this</a></div>"#
        ));
        assert_eq!(e.kind, kind, "{class}");
        let urls = match kind {
            Kind::Like => &e.like_of,
            Kind::Repost => &e.repost_of,
            _ => &e.bookmark_of,
        };
        assert_eq!(urls, &[TARGET], "{class}");
        assert!(e.in_reply_to.is_empty());
        assert_eq!(e.author.name.as_deref(), Some("Carol"));
        assert_eq!(e.author.url.as_deref(), Some("https://carol.example/"));
    }
}

#[test]
fn a_reply_outranks_a_like_of_the_same_target() {
    let e = entry(&format!(
        r#"<div class="h-entry"><a class="u-like-of" href="{TARGET}"></a>
        <a class="u-in-reply-to" href="{TARGET}"></a></div>"#
    ));
    assert_eq!(e.kind, Kind::Reply);
    assert_eq!((e.like_of.len(), e.in_reply_to.len()), (1, 1));
}

#[test]
fn a_link_in_the_content_is_a_mention() {
    let s = source(&format!(
        r#"<div class="h-entry"><h1 class="p-name">Things I read</h1>
        <div class="e-content"><p>See <a href="{TARGET}">this post</a>.</p></div>
        <a class="u-in-reply-to" href="https://elsewhere.example/x">other</a></div>"#
    ));
    assert!(s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Mention);
    assert_eq!(e.in_reply_to, ["https://elsewhere.example/x"]);
    assert_eq!(e.name.as_deref(), Some("Things I read"));
    assert_eq!(e.content_text.as_deref(), Some("See this post."));
}

#[test]
fn a_page_without_a_link_to_the_target() {
    let s = source(
        r#"<div class="h-entry"><p class="p-name">First</p></div>
        <div class="h-entry"><p class="p-name">Second</p></div>"#,
    );
    assert!(!s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!((e.kind, e.name.as_deref()), (Kind::Mention, Some("First")));

    let s = source(
        r#"<p>No microformats, <a href="https://natter.example/">just the home page</a>.</p>"#,
    );
    assert_eq!(
        s,
        Source {
            links_to_target: false,
            entry: None
        }
    );
}

#[test]
fn an_entry_holding_the_link_outranks_the_first() {
    let e = entry(&format!(
        r#"<div class="h-entry"><p class="p-name">First</p></div>
        <div class="h-entry"><p class="p-name">Second</p><p class="e-content"><a href="{TARGET}">x</a> y</p></div>"#
    ));
    assert_eq!(e.name.as_deref(), Some("Second"));
}

#[test]
fn in_a_feed_of_three_the_second_is_the_reply() {
    let s = source(&format!(
        r#"<main class="h-feed"><h1 class="p-name">Alice's notes</h1>
          <a class="p-author h-card" href="/">Alice</a>
          <article class="h-entry"><a class="u-url" href="/notes/0">#</a><p class="e-content">Mentioning <a href="{TARGET}">it</a></p></article>
          <article class="h-entry"><a class="u-url" href="/notes/1">#</a><a class="u-in-reply-to" href="{TARGET}">re</a><p class="e-content">A reply</p></article>
          <article class="h-entry"><a class="u-url" href="/notes/2">#</a><p class="e-content">Unrelated</p></article>
        </main>"#
    ));
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Reply);
    assert_eq!(e.url.as_deref(), Some("https://alice.example/notes/1"));
    assert_eq!(e.content_text.as_deref(), Some("A reply"));
    // The entries have no author: the feed's is theirs.
    assert_eq!(e.author.name.as_deref(), Some("Alice"));
    assert_eq!(e.author.url.as_deref(), Some("https://alice.example/"));
    // The feed's name is not the entry's.
    assert_eq!(e.name, None);
}

#[test]
fn a_feed_without_a_link_gives_its_first_entry() {
    let e = entry(
        r#"<div class="h-feed"><div class="h-entry"><p class="p-name">one</p></div>
        <div class="h-entry"><p class="p-name">two</p></div></div>"#,
    );
    assert_eq!(e.name.as_deref(), Some("one"));
}

#[test]
fn relative_links_resolve_against_the_page_and_its_base_element() {
    let rel = r#"<a href="post">x</a>"#;
    assert!(read_at(rel, "https://natter.example/blog/other", TARGET).links_to_target);
    assert!(!read_at(rel, PAGE, TARGET).links_to_target);
    let based = format!(
        r#"<html><head><base href="https://natter.example/blog/"></head><body>{rel}</body></html>"#
    );
    assert!(read_at(&based, PAGE, TARGET).links_to_target);
    // A relative base resolves against the page.
    let based = format!(r#"<base href="/blog/">{rel}"#);
    assert!(read_at(&based, "https://natter.example/x/y", TARGET).links_to_target);
    assert!(!read_at(&based, PAGE, TARGET).links_to_target);
    // The first base with an href counts; a base that is no base is ignored.
    let two = format!(
        r#"<base target="_top"><base href="https://natter.example/blog/"><base href="/nope/">{rel}"#
    );
    assert!(read_at(&two, PAGE, TARGET).links_to_target);
    let bad = r#"<base href="javascript:void(0)"><a href="/blog/post">x</a>"#;
    assert!(read_at(bad, "https://natter.example/", TARGET).links_to_target);
    // Properties resolve against the base element too.
    let e = read_at(
        r#"<base href="https://alice.example/deep/"><div class="h-entry"><a class="u-url" href="n/2">#</a>
        <a class="u-in-reply-to" href="../x">re</a></div>"#,
        PAGE,
        TARGET,
    );
    let e = e.entry.unwrap();
    assert_eq!(e.url.as_deref(), Some("https://alice.example/deep/n/2"));
    assert_eq!(e.in_reply_to, ["https://alice.example/x"]);
}

#[test]
fn every_linking_element_counts() {
    for tag in [
        r#"<a href="{T}">x</a>"#,
        r#"<map><area href="{T}"></map>"#,
        r#"<link rel="in-reply-to" href="{T}">"#,
        r#"<img src="{T}">"#,
        r#"<video src="{T}"></video>"#,
        r#"<audio src="{T}"></audio>"#,
        r#"<video><source src="{T}"></video>"#,
        r#"<iframe src="{T}"></iframe>"#,
    ] {
        let html = tag.replace("{T}", TARGET);
        assert!(source(&html).links_to_target, "{html}");
    }
}

#[test]
fn the_target_with_or_without_a_slash_or_a_fragment() {
    let linked = |href: &str, target: &str| {
        read_at(&format!(r#"<a href="{href}">x</a>"#), PAGE, target).links_to_target
    };
    assert!(linked(TARGET, TARGET));
    assert!(linked("https://natter.example/blog/post/", TARGET));
    assert!(linked(TARGET, "https://natter.example/blog/post/"));
    assert!(linked("https://natter.example/blog/post#comments", TARGET));
    assert!(linked(TARGET, "https://natter.example/blog/post#c12"));
    assert!(linked("HTTPS://Natter.Example:443/blog/post", TARGET));
    assert!(linked("https://natter.example/", "https://natter.example"));
    assert!(!linked("https://natter.example/blog/post?page=2", TARGET));
    assert!(!linked("https://natter.example/blog/posts", TARGET));
    assert!(!linked("https://natter.example/blog", TARGET));
    assert!(!linked("http://natter.example/blog/post", TARGET));
    assert!(!linked("https://www.natter.example/blog/post", TARGET));
    // The same leniency when reading what an entry replies to.
    let e = entry(
        r#"<div class="h-entry"><a class="u-in-reply-to" href="https://natter.example/blog/post/#top">re</a></div>"#,
    );
    assert_eq!(e.kind, Kind::Reply);
}

#[test]
fn text_that_spells_the_target_is_no_link() {
    for html in [
        format!("<p>I read {TARGET} today</p>"),
        format!(r#"<p title="{TARGET}" data-href="{TARGET}">x</p>"#),
        format!(r#"<!-- <a href="{TARGET}">x</a> -->"#),
        format!(r#"<template><a href="{TARGET}">x</a></template>"#),
        format!(r#"<pre>&lt;a href="{TARGET}"&gt;</pre>"#),
        format!(r#"<div class="h-entry"><p class="e-content">{TARGET}</p></div>"#),
    ] {
        let s = source(&html);
        assert!(!s.links_to_target, "{html}");
    }
}

#[test]
fn without_an_author_the_page_s_representative_card_speaks() {
    let entry_html =
        format!(r#"<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a></div>"#);
    // Bob's card comes first, but the one whose url is the page is Alice's.
    let e = entry(&format!(
        r#"<div class="h-card"><a class="p-name u-url" href="https://bob.example/">Bob</a></div>
        {entry_html}
        <footer class="h-card"><a class="p-name u-url" href="/notes/1">Alice</a>
        <img class="u-photo" src="/a.png" alt=""></footer>"#
    ));
    assert_eq!(
        e.author,
        Author {
            name: Some("Alice".into()),
            url: Some(PAGE.into()),
            photo: Some("https://alice.example/a.png".into()),
        }
    );
    // By uid as well.
    let e = entry(&format!(
        r#"<div class="h-card"><span class="p-name">Bob</span></div>{entry_html}
        <div class="h-card"><span class="p-name">Alice</span><a class="u-uid" href="{PAGE}#me"></a></div>"#
    ));
    assert_eq!(e.author.name.as_deref(), Some("Alice"));
    // Else the first top-level card.
    let e = entry(&format!(
        r#"{entry_html}<div class="h-card"><span class="p-name">Bob</span></div>
        <div class="h-card"><span class="p-name">Carol</span></div>"#
    ));
    assert_eq!(e.author.name.as_deref(), Some("Bob"));
    // A card nested in something else is no page's card.
    let e = entry(&format!(
        r#"{entry_html}<div class="h-event"><div class="p-location h-card"><span class="p-name">Hall</span></div></div>"#
    ));
    assert_eq!(e.author, Author::default());
}

#[test]
fn an_entry_s_own_author_outranks_the_page_s_card() {
    let e = entry(&format!(
        r#"<div class="h-card"><a class="p-name u-url" href="{PAGE}">Page owner</a></div>
        <div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
        by <span class="p-author">Dee</span></div>"#
    ));
    assert_eq!(
        e.author,
        Author {
            name: Some("Dee".into()),
            ..Author::default()
        }
    );
    let e = entry(&format!(
        r#"<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
        by <a class="u-author" href="/dee">Dee</a></div>"#
    ));
    let url = Some("https://alice.example/dee".to_string());
    assert_eq!(
        e.author,
        Author {
            url,
            ..Author::default()
        }
    );
    let e = entry(&format!(
        r#"<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
        by <span class="p-author">https://dee.example/</span></div>"#
    ));
    assert_eq!(e.author.url.as_deref(), Some("https://dee.example/"));
    assert_eq!(e.author.name, None);
}

#[test]
fn no_author_at_all() {
    let e = entry(&format!(
        r#"<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a><p class="e-content">hi</p></div>"#
    ));
    assert_eq!(e.author, Author::default());
}

#[test]
fn a_name_that_repeats_the_content_is_dropped() {
    let name_of = |html: &str| entry(html).name;
    // The same element.
    assert_eq!(
        name_of(r#"<div class="h-entry"><p class="p-name e-content">Great <b>post</b>!</p></div>"#),
        None
    );
    // Equal once whitespace is collapsed.
    assert_eq!(
        name_of(
            r#"<div class="h-entry"><p class="p-name">Great   post!</p><div class="e-content"><p>Great</p> <p>post!</p></div></div>"#
        ),
        None
    );
    // The start of it, with or without an ellipsis.
    assert_eq!(
        name_of(
            r#"<div class="h-entry"><p class="p-name">Great post! I…</p><div class="e-content">Great post! I mean it.</div></div>"#
        ),
        None
    );
    assert_eq!(
        name_of(
            r#"<div class="h-entry"><p class="p-name">Great post</p><div class="p-content">Great post, and more</div></div>"#
        ),
        None
    );
    // A real title stays.
    assert_eq!(
        name_of(r#"<div class="h-entry"><h1 class="p-name"> On  comments </h1><div class="e-content">Comments are good.</div></div>"#).as_deref(),
        Some("On comments")
    );
    // Without content the name stays, and content is not made up from it or the summary.
    let e = entry(
        r#"<div class="h-entry"><h1 class="p-name">Title</h1><p class="p-summary">In short.</p></div>"#,
    );
    assert_eq!(e.name.as_deref(), Some("Title"));
    assert_eq!(e.summary.as_deref(), Some("In short."));
    assert_eq!((e.content_text, e.content_html), (None, None));
    // An entry is given no implied name.
    assert_eq!(name_of(r#"<div class="h-entry">Just text</div>"#), None);
}

#[test]
fn dates_as_written() {
    let published = |html: &str| entry(html).published;
    let p = |s: &str| Some(s.to_string());
    assert_eq!(
        published(
            r#"<div class="h-entry"><time class="dt-published" datetime=" 2024-02-03T04:05:06+01:00 ">Feb 3</time></div>"#
        ),
        p("2024-02-03T04:05:06+01:00")
    );
    assert_eq!(
        published(r#"<div class="h-entry"><time class="dt-published">2024-02-03</time></div>"#),
        p("2024-02-03")
    );
    assert_eq!(
        published(
            r#"<div class="h-entry"><abbr class="dt-published" title="2024-02-03 10:00">Saturday</abbr></div>"#
        ),
        p("2024-02-03 10:00")
    );
    assert_eq!(
        published(
            r#"<div class="h-entry"><data class="dt-published" value="2024">this year</data></div>"#
        ),
        p("2024")
    );
    assert_eq!(
        published(
            r#"<div class="h-entry"><ins class="dt-published" datetime="2023-01-01">x</ins></div>"#
        ),
        p("2023-01-01")
    );
    assert_eq!(
        published(r#"<div class="h-entry"><time class="dt-published"></time></div>"#),
        None
    );
}

#[test]
fn a_nested_card_keeps_its_properties() {
    let e = entry(&format!(
        r#"<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
          <div class="p-author h-card"><span class="p-name">Alice</span>
            <a class="u-url" href="https://alice.example/">home</a>
            <img class="u-photo" src="https://alice.example/a.png">
            <p class="p-note e-content">Writes about birds.</p>
            <time class="dt-published" datetime="1999">born</time>
          </div>
          <div class="p-comment h-entry"><a class="u-url" href="/c/1">#</a><p class="p-name">Comment name</p>
          <a class="u-like-of" href="https://else.example/">x</a></div>
        </div>"#
    ));
    assert_eq!(e.kind, Kind::Reply);
    assert_eq!(e.name, None);
    assert_eq!(e.url, None);
    assert_eq!((e.content_text, e.content_html), (None, None));
    assert_eq!(e.published, None);
    assert!(e.like_of.is_empty());
    assert_eq!(e.author.name.as_deref(), Some("Alice"));
    assert_eq!(e.author.url.as_deref(), Some("https://alice.example/"));
}

#[test]
fn a_reply_context_that_replies_to_the_target_speaks_unless_the_entry_does() {
    // A reply to Bob's post, which was itself a reply to the target: the page's entry replies
    // to Bob, and the context (an h-entry as in-reply-to) is the one replying to the target.
    let s = source(&format!(
        r#"<article class="h-entry"><div class="u-in-reply-to h-entry">
            <a class="u-url" href="https://bob.example/1">Bob's post</a>
            <a class="u-in-reply-to" href="{TARGET}">re</a><span class="p-author h-card">Bob</span></div>
          <p class="e-content">Alice answers Bob</p></article>"#
    ));
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Reply);
    assert_eq!(e.url.as_deref(), Some("https://bob.example/1"));
    assert_eq!(e.author.name.as_deref(), Some("Bob"));
    // With the outer entry replying to the target as well, the outer one speaks.
    let e = entry(&format!(
        r#"<article class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a><div class="u-in-reply-to h-entry">
            <a class="u-url" href="https://bob.example/1">Bob's post</a>
            <a class="u-in-reply-to" href="{TARGET}">re</a></div>
          <p class="e-content">Alice answers</p></article>"#
    ));
    assert_eq!(e.content_text.as_deref(), Some("Alice answers"));
    assert_eq!(e.in_reply_to, [TARGET, "https://bob.example/1"]);
}

#[test]
fn a_card_s_implied_name_photo_and_url() {
    let author = |card: &str| {
        entry(&format!(
            r#"<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>{card}</div>"#
        ))
        .author
    };
    let a = |name: Option<&str>, url: Option<&str>, photo: Option<&str>| Author {
        name: name.map(str::to_string),
        url: url.map(str::to_string),
        photo: photo.map(str::to_string),
    };
    // The card is the link; its image is the photo; its text the name.
    assert_eq!(
        author(
            r#"<a class="p-author h-card" href="https://dan.example"><img src="/dan.png" alt=""> Dan </a>"#
        ),
        a(
            Some("Dan"),
            Some("https://dan.example/"),
            Some("https://alice.example/dan.png")
        )
    );
    // Its only link gives the url; its only image the photo.
    assert_eq!(
        author(
            r#"<span class="p-author h-card"><img src="e.png"><a href="https://eve.example/">Eve</a></span>"#
        ),
        a(
            Some("Eve"),
            Some("https://eve.example/"),
            Some("https://alice.example/notes/e.png")
        )
    );
    // An only image's alt is the name.
    assert_eq!(
        author(r#"<span class="p-author h-card"><img src="/h.jpg" alt="Heidi"></span>"#),
        a(Some("Heidi"), None, Some("https://alice.example/h.jpg"))
    );
    // An only link's only image: the photo, its alt the name.
    assert_eq!(
        author(
            r#"<span class="p-author h-card"><a href="/ivan"><img src="/i.jpg" alt="Ivan"></a></span>"#
        ),
        a(
            Some("Ivan"),
            Some("https://alice.example/ivan"),
            Some("https://alice.example/i.jpg")
        )
    );
    // Two images imply no photo; an explicit u-url leaves the url alone.
    assert_eq!(
        author(
            r#"<div class="p-author h-card"><img src="/1.png"><img src="/2.png"><a class="u-url p-name" href="/j">Judy</a><a href="/k">k</a></div>"#
        ),
        a(Some("Judy"), Some("https://alice.example/j"), None)
    );
    // With a p-* property but no name, no name is implied.
    assert_eq!(
        author(r#"<div class="p-author h-card"><span class="p-org">ACME</span></div>"#),
        a(None, None, None)
    );
}

#[test]
fn values_from_alt_title_and_value() {
    let author = |card: &str| entry(&format!(r#"<div class="h-entry">{card}</div>"#)).author;
    let a = author(
        r#"<div class="p-author h-card"><img class="u-photo p-name" src="/f.jpg" alt="Frank"></div>"#,
    );
    assert_eq!(a.name.as_deref(), Some("Frank"));
    assert_eq!(a.photo.as_deref(), Some("https://alice.example/f.jpg"));
    let a = author(
        r#"<div class="p-author h-card"><abbr class="p-name" title="Grace Hopper">GH</abbr></div>"#,
    );
    assert_eq!(a.name.as_deref(), Some("Grace Hopper"));
    let a = author(
        r#"<div class="p-author h-card"><data class="p-name" value="Mallory">M.</data></div>"#,
    );
    assert_eq!(a.name.as_deref(), Some("Mallory"));
    let a = author(
        r#"<div class="p-author h-card"><abbr class="p-name">Niaj</abbr><p class="u-url">/niaj</p></div>"#,
    );
    assert_eq!(a.name.as_deref(), Some("Niaj"));
    assert_eq!(a.url.as_deref(), Some("https://alice.example/niaj"));
    let a = author(
        r#"<div class="p-author h-card"><p class="p-name">Olivia <img src="x.png" alt="(O)"><script>no()</script><style>p{}</style></p></div>"#,
    );
    assert_eq!(a.name.as_deref(), Some("Olivia (O)"));
    let a = author(
        r#"<div class="p-author h-card"><span class="p-name">P</span><video class="u-photo" poster="/p.jpg"></video></div>"#,
    );
    assert_eq!(a.photo.as_deref(), Some("https://alice.example/p.jpg"));
    let a = author(
        r#"<div class="p-author h-card"><span class="p-name">Q</span><object class="u-photo" data="/q.svg"></object></div>"#,
    );
    assert_eq!(a.photo.as_deref(), Some("https://alice.example/q.svg"));
}

#[test]
fn content_urls_are_made_absolute_but_fragments_stay() {
    let e = entry(
        r##"<div class="h-entry"><div class="e-content"><a href="/tags/birds">#birds</a> <a href="#fn1">1</a>
        <img src="pic.jpg" srcset="pic.jpg 1x, /big.jpg 2x" alt="a &quot;bird&quot;"><a href="mailto:a@example.com">m</a>
        <!-- a comment --><script>if (a < b) {}</script></div></div>"##,
    );
    assert_eq!(
        e.content_html.as_deref(),
        Some(
            "<a href=\"https://alice.example/tags/birds\">#birds</a> <a href=\"#fn1\">1</a>\n        \
             <img alt=\"a &quot;bird&quot;\" src=\"https://alice.example/notes/pic.jpg\" \
             srcset=\"https://alice.example/notes/pic.jpg 1x, https://alice.example/big.jpg 2x\">\
             <a href=\"mailto:a@example.com\">m</a>\n        <script>if (a < b) {}</script>"
        )
    );
    assert_eq!(e.content_text.as_deref(), Some("#birds 1 a \"bird\"m"));
}

#[test]
fn deeply_nested_pages_are_read_without_overflow() {
    let reply = format!(r#"<a class="u-in-reply-to" href="{TARGET}">re</a>"#);
    // 10,000 nested divs: the page is cut where the parser's work would grow (512 open
    // elements), and the reply below that is not read.
    let divs = format!(
        "{}<div class=\"h-entry\">{reply}</div>",
        "<div>".repeat(10_000)
    );
    assert_eq!(
        source(&divs),
        Source {
            links_to_target: false,
            entry: None
        }
    );
    // 10,000 nested h-entries: the first ones are read, the top-level one speaks.
    let entries = format!("{}{reply}", "<div class=\"h-entry\">".repeat(10_000));
    let s = source(&entries);
    assert!(!s.links_to_target);
    assert_eq!(s.entry.map(|e| e.kind), Some(Kind::Mention));
}

#[test]
fn nested_microformats_are_read_to_sixty_four_levels() {
    let nested = |levels: usize| {
        format!(
            r#"{}<a class="u-in-reply-to" href="{TARGET}">re</a><p class="p-name">deepest</p>"#,
            r#"<div class="h-entry">"#.repeat(levels)
        )
    };
    let e = entry(&nested(60));
    assert_eq!((e.kind, e.name.as_deref()), (Kind::Reply, Some("deepest")));
    // Past 64 levels the reply is not read: the top-level entry speaks, as a mention of a
    // page that links to the target.
    let s = source(&nested(100));
    assert!(s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!((e.kind, e.name), (Kind::Mention, None));
}

#[test]
fn values_read_again_at_each_level_share_one_budget() {
    // 300 nested e-content, 3 KB of text at each: each level's HTML holds all below it.
    let level = format!("<div class=\"e-content\">{}", "x".repeat(3000));
    let html = format!("<div class=\"h-entry\">{}</div>", level.repeat(300));
    let e = entry(&html);
    // The outermost (the first value) is read whole; the budget stops the rest.
    assert_eq!(e.content_text.map(|t| t.len()), Some(300 * 3000 + 299));
}

#[test]
fn malformed_and_empty_pages_say_nothing() {
    for html in [
        "",
        " ",
        "\u{feff}",
        "<<<>>> </div></p></html>",
        r#"<a href="https://natter.example/blog/post""#,
        "<!-- <a href=\"https://natter.example/blog/post\">",
        "<script>document.write('<a href=\"https://natter.example/blog/post\">')</script>",
        "\u{0}\u{0}<\u{0}div class=h-entry>",
        "<svg><a href=\"/\"><foreignObject><math><mi><table><td>",
    ] {
        assert_eq!(
            source(html),
            Source {
                links_to_target: false,
                entry: None
            },
            "{html:?}"
        );
    }
    // An unfinished tag is no tag; the entry around it still is one.
    let s = source(
        r#"<div class="h-entry"><a class="u-in-reply-to" href="https://natter.example/blog/post"#,
    );
    assert!(!s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!((e.kind, e.in_reply_to.len()), (Kind::Mention, 0));
}

#[test]
fn bad_urls_are_passed_over() {
    let s = source(
        r#"<base href="http://[::1"><div class="h-entry">
        <a class="u-url" href="http://[::1">x</a>
        <a class="u-in-reply-to" href="https://exa mple.com/">x</a>
        <a class="u-like-of" href="javascript:alert(1)">x</a>
        <a class="u-repost-of" href="">x</a>
        <a class="p-author h-card" href="http://%zz/">Eve</a>
        <img class="u-photo" src="data:,">
        <a href="https://natter.example:99999/blog/post">x</a></div>"#,
    );
    assert!(!s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!(e.url, None);
    assert!(e.in_reply_to.is_empty());
    // A javascript: URL is an absolute URL; the caller decides what it shows.
    assert_eq!(e.like_of, ["javascript:alert(1)"]);
    assert_eq!(e.repost_of, [PAGE]);
    assert_eq!(e.author.name.as_deref(), Some("Eve"));
    assert_eq!(e.author.url, None);
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "<div class=\"h-entry\">",
        "<div class=\"h-card p-author\">",
        "<span class=\"p-name\">",
        "<a class=\"u-in-reply-to h-cite\" href=\"/blog/post\">",
        "<a href=\"https://natter.example/blog/post#x\">",
        "<p class=\"e-content\">",
        "<time class=\"dt-published\" datetime=\"2024\">",
        "<img class=\"u-photo\" src=x alt=y>",
        "</div>",
        "</span>",
        "</a>",
        "</p>",
        "<base href=\"//natter.example/\">",
        "<b>",
        "</b>",
        "<table><td>",
        "<svg>",
        "<template>",
        "<!--",
        "-->",
        "x",
        " ",
        "é",
        "<a class=\"u-url u-like-of\" href=\"http://[\">",
        "<abbr class=\"p-name\" title=\"T\">",
        "<data class=\"u-url\" value=\"v\">",
        "<div class=\"h-feed\">",
        "<h-x class=\"h- h-1 p- u-\">",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the page, reading it returns (and a link, once read, is a link).
        #[test]
        fn any_page_reads(picks in prop::collection::vec(0..PIECES.len(), 0..200)) {
            let html: String = picks.iter().map(|&i| PIECES[i]).collect();
            let s = read(&html, &url("https://natter.example/other"), &url(TARGET));
            let hidden = html.contains("<!--") || html.contains("<template>");
            if html.contains("href=\"https://natter.example/blog/post#x\">") && !hidden {
                prop_assert!(s.links_to_target, "{}", html);
            }
        }
    }
}
