//! Whole pages, written by hand in the shapes that Webmention senders publish: the
//! W3C Webmention recommendation's kind of reply, a Mastodon reply as Bridgy shows it, and a
//! WordPress post with the IndieWeb plugins' markup.

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

const TARGET: &str = "https://natter.example/blog/post";

#[test]
fn a_reply_in_the_manner_of_the_webmention_recommendation() {
    let page = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Reply to Bob</title>
<link rel="webmention" href="https://alice.example/webmention"></head>
<body>
<div class="h-entry">
  <p>In reply to <a class="u-in-reply-to" href="https://natter.example/blog/post">Bob's post</a></p>
  <p class="p-name e-content">Great post, Bob! I linked it from my notes.</p>
  <p>&mdash; <a class="p-author h-card" href="https://alice.example/">Alice</a>,
     <a class="u-url" href="https://alice.example/notes/1"><time class="dt-published"
        datetime="2024-06-01T12:00:00-07:00">1 June</time></a></p>
</div>
</body></html>"#;
    let s = read(page, &url("https://alice.example/notes/1"), &url(TARGET));
    assert!(s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Reply);
    assert_eq!(e.name, None);
    assert_eq!(
        e.content_text.as_deref(),
        Some("Great post, Bob! I linked it from my notes.")
    );
    assert_eq!(
        e.content_html.as_deref(),
        Some("Great post, Bob! I linked it from my notes.")
    );
    assert_eq!(e.author.name.as_deref(), Some("Alice"));
    assert_eq!(e.author.url.as_deref(), Some("https://alice.example/"));
    assert_eq!(e.author.photo, None);
    assert_eq!(e.url.as_deref(), Some("https://alice.example/notes/1"));
    assert_eq!(e.published.as_deref(), Some("2024-06-01T12:00:00-07:00"));
    assert_eq!(e.in_reply_to, [TARGET]);
}

/// A Mastodon reply as Bridgy serves it for backfeed: the toot's author, its content with
/// Mastodon's own mention markup (an h-card inside the content), the toot's URL, and the
/// post it replies to.
const BRIDGY_PAGE: &str = r#"<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=https://toot.example/@zoe/112233">
<title>Zoë Q.: @natter Lovely write-up</title>
</head>
<body>
<article class="h-entry">
  <span class="p-uid">tag:toot.example,2013:112233</span>
  <time class="dt-published" datetime="2024-03-02T08:15:30+00:00">2024-03-02T08:15:30+00:00</time>
  <span class="p-author h-card">
    <data class="p-uid" value="tag:toot.example,2013:zoe"></data>
    <a class="p-name u-url" href="https://toot.example/@zoe">Zoë Q.</a>
    <span class="p-nickname">zoe</span>
    <img class="u-photo" src="https://files.toot.example/avatars/zoe.png" alt="">
  </span>
  <a class="u-url" href="https://toot.example/@zoe/112233">https://toot.example/@zoe/112233</a>
  <div class="e-content p-name">
    <p><span class="h-card"><a href="https://natter.example/@natter" class="u-url mention">@<span>natter</span></a></span>
    Lovely write-up &mdash; the part about <em>threads</em> made me rethink mine.</p>
  </div>
  <a class="u-in-reply-to" href="https://natter.example/blog/post"></a>
  <a class="u-syndication" href="https://toot.example/@zoe/112233"></a>
</article>
</body>
</html>"#;

#[test]
fn a_mastodon_reply_as_bridgy_shows_it() {
    let page = url("https://bridgy.example/comment/mastodon/@natter/111/112233");
    let s = read(BRIDGY_PAGE, &page, &url(TARGET));
    assert!(s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Reply);
    assert_eq!(
        e.author,
        Author {
            name: Some("Zoë Q.".into()),
            url: Some("https://toot.example/@zoe".into()),
            photo: Some("https://files.toot.example/avatars/zoe.png".into()),
        }
    );
    // The mention's h-card keeps its u-url: the entry's is the toot's.
    assert_eq!(e.url.as_deref(), Some("https://toot.example/@zoe/112233"));
    assert_eq!(e.published.as_deref(), Some("2024-03-02T08:15:30+00:00"));
    assert_eq!(
        e.content_text.as_deref(),
        Some("@natter Lovely write-up — the part about threads made me rethink mine.")
    );
    let html = e.content_html.unwrap();
    assert!(html.starts_with("<p><span class=\"h-card\"><a class=\"u-url mention\" href=\"https://natter.example/@natter\">"), "{html}");
    assert!(html.contains("<em>threads</em>"), "{html}");
    // p-name and e-content are one element: no separate name.
    assert_eq!(e.name, None);
    assert_eq!(e.in_reply_to, [TARGET]);
    assert!(e.like_of.is_empty() && e.repost_of.is_empty());
}

#[test]
fn a_mastodon_favourite_as_bridgy_shows_it() {
    let page = r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Zoë Q. favourited</title></head>
<body><article class="h-entry">
  <span class="p-uid">tag:toot.example,2013:112233_favorited_by_9</span>
  <span class="p-author h-card"><a class="p-name u-url" href="https://toot.example/@zoe">Zoë Q.</a>
    <img class="u-photo" src="https://files.toot.example/avatars/zoe.png" alt=""></span>
  <a class="u-url" href="https://toot.example/@natter/111#favorited-by-9"></a>
  <div class="e-content p-name"></div>
  <a class="u-like-of" href="https://toot.example/@natter/111"></a>
  <a class="u-like-of" href="https://natter.example/blog/post"></a>
</article></body></html>"#;
    let s = read(
        page,
        &url("https://bridgy.example/like/mastodon/@natter/111/9"),
        &url(TARGET),
    );
    assert!(s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Like);
    assert_eq!(e.like_of, ["https://toot.example/@natter/111", TARGET]);
    assert_eq!((e.content_text, e.content_html, e.name), (None, None, None));
    assert_eq!(e.author.name.as_deref(), Some("Zoë Q."));
}

/// A WordPress post replying to the target, with the IndieWeb plugins' markup: the theme's
/// h-entry, a reply context (an h-cite), the author's card in the byline, a sidebar card for
/// the site, and comments that are h-entries of their own.
const WORDPRESS_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="UTF-8">
<title>Re: On threads &#8211; Ann&#039;s notebook</title>
<link rel="webmention" href="https://ann.example/wp-json/webmention/1.0/endpoint">
<link rel="canonical" href="https://ann.example/2024/05/re-on-threads/">
<script>var wpData = {"ajax":"<div class=\"x\">"};</script>
</head>
<body class="post-template-default single single-post postid-42">
<div id="page" class="site">
<header class="site-header"><a href="https://ann.example/" rel="home">Ann&#8217;s notebook</a>
<nav><ul><li><a href="/about/">About</a><li><a href="/feed/">Feed</a></ul></nav></header>
<main id="main">
<article id="post-42" class="post-42 post type-post status-publish h-entry hentry">
  <header class="entry-header">
    <h1 class="entry-title p-name">Re: On threads</h1>
    <div class="entry-meta">
      <span class="posted-on"><a href="https://ann.example/2024/05/re-on-threads/" rel="bookmark" class="u-url">
        <time class="entry-date published dt-published" datetime="2024-05-04T12:00:00+02:00">4 May 2024</time>
        <time class="updated dt-updated" datetime="2024-05-05T09:30:00+02:00">5 May 2024</time></a></span>
      <span class="byline"><span class="author vcard h-card p-author">
        <img alt='' src='https://secure.gravatar.example/avatar/ab12?s=40&#038;d=mm' class='avatar avatar-40 photo u-photo' height='40' width='40'>
        <a class="url fn n u-url p-name" href="https://ann.example/author/ann/">Ann Example</a></span></span>
    </div>
  </header>
  <div class="entry-content e-content">
    <section class="response u-in-reply-to h-cite">
      <header>In reply to <a class="u-url p-name" href="https://natter.example/blog/post">On threads</a>
      by <span class="p-author h-card"><a class="u-url p-name" href="https://natter.example/">Natter's author</a></span></header>
    </section>
    <p>I agree with most of this; one thing I&#8217;d add is that <a href="/2023/11/flat-comments/">flat comments</a> age better.</p>
    <p><img src="/wp-content/uploads/2024/05/chart.png" alt="a chart of reply depth"></p>
  </div>
  <footer class="entry-footer"><span class="cat-links">Posted in <a href="/category/notes/" rel="category tag" class="p-category">Notes</a></span></footer>
</article>
<div id="comments" class="comments-area">
  <h2 class="comments-title">One reply on &ldquo;Re: On threads&rdquo;</h2>
  <ol class="comment-list">
    <li id="comment-7" class="comment p-comment h-entry">
      <footer class="comment-meta"><span class="comment-author p-author h-card"><a class="u-url p-name" href="https://carl.example/">Carl</a></span>
      <a class="u-url" href="https://ann.example/2024/05/re-on-threads/#comment-7"><time class="dt-published" datetime="2024-05-06T10:00:00+02:00">6 May</time></a></footer>
      <div class="comment-content e-content p-name"><p>Flat all the way.</p></div>
    </li>
  </ol>
</div>
</main>
<aside class="widget-area"><section class="widget widget_author h-card">
  <img class="u-photo" src="https://ann.example/wp-content/uploads/ann.jpg" alt="">
  <a class="p-name u-url u-uid" href="https://ann.example/" rel="me">Ann Example</a>
  <p class="p-note">Writes about the small web.</p></section></aside>
</div>
</body>
</html>"#;

#[test]
fn a_wordpress_reply_with_the_indieweb_plugins() {
    let page = url("https://ann.example/2024/05/re-on-threads/");
    let s = read(WORDPRESS_PAGE, &page, &url(TARGET));
    assert!(s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Reply);
    assert_eq!(e.in_reply_to, [TARGET]);
    assert_eq!(e.name.as_deref(), Some("Re: On threads"));
    assert_eq!(
        e.url.as_deref(),
        Some("https://ann.example/2024/05/re-on-threads/")
    );
    assert_eq!(e.published.as_deref(), Some("2024-05-04T12:00:00+02:00"));
    assert_eq!(
        e.author,
        Author {
            name: Some("Ann Example".into()),
            url: Some("https://ann.example/author/ann/".into()),
            photo: Some("https://secure.gravatar.example/avatar/ab12?s=40&d=mm".into()),
        }
    );
    let text = e.content_text.unwrap();
    assert!(
        text.starts_with("In reply to On threads by Natter's author I agree"),
        "{text}"
    );
    assert!(
        text.ends_with("flat comments age better. a chart of reply depth"),
        "{text}"
    );
    let html = e.content_html.unwrap();
    assert!(
        html.contains(r#"<a href="https://ann.example/2023/11/flat-comments/">flat comments</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"src="https://ann.example/wp-content/uploads/2024/05/chart.png""#),
        "{html}"
    );
    // Carl's comment is a nested h-entry of its own: its name, content and author stay its.
    assert_ne!(e.author.name.as_deref(), Some("Carl"));
}

#[test]
fn the_same_page_read_for_a_link_only_a_comment_holds() {
    // Read for Carl's site, which only his comment (an h-entry after the post's) links to.
    let page = url("https://ann.example/2024/05/re-on-threads/");
    let s = read(WORDPRESS_PAGE, &page, &url("https://carl.example/"));
    assert!(s.links_to_target);
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Mention);
    assert_eq!(e.author.name.as_deref(), Some("Carl"));
    assert_eq!(
        e.url.as_deref(),
        Some("https://ann.example/2024/05/re-on-threads/#comment-7")
    );
    assert_eq!(e.content_text.as_deref(), Some("Flat all the way."));
    assert_eq!(e.name, None);
}

#[test]
fn a_feed_page_with_the_site_card_as_author() {
    let page = r#"<!doctype html><html><body>
<div class="h-card"><a class="u-url u-uid p-name" href="https://dee.example/">Dee</a>
  <img class="u-photo" src="/dee.jpg" alt=""></div>
<main class="h-feed">
  <article class="h-entry"><p class="e-content">A note about nothing.</p>
    <a class="u-url" href="/n/3">3</a></article>
  <article class="h-entry"><p class="e-content">Bookmarked: <a class="u-bookmark-of" href="https://natter.example/blog/post">On threads</a></p>
    <a class="u-url" href="/n/2">2</a></article>
</main></body></html>"#;
    let s = read(page, &url("https://dee.example/"), &url(TARGET));
    let e = s.entry.unwrap();
    assert_eq!(e.kind, Kind::Bookmark);
    assert_eq!(e.url.as_deref(), Some("https://dee.example/n/2"));
    assert_eq!(e.author.name.as_deref(), Some("Dee"));
    assert_eq!(
        e.author.photo.as_deref(),
        Some("https://dee.example/dee.jpg")
    );
    assert_eq!(e.content_text.as_deref(), Some("Bookmarked: On threads"));
}
