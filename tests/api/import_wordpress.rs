//! `natter import wordpress` with the real binary: the WXR fixture, statuses, pingbacks,
//! dates, and idempotency.

use crate::cli::run;
use crate::import_common::*;

#[test]
fn the_wordpress_fixture_imports_every_comment_with_its_parent_and_page() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let file = fixture("isso-tests-wordpress.xml");
    let out = import_ok(&dir, &cfg, &["wordpress", file.to_str().unwrap()]);
    assert!(out.contains("8 comments imported (8 approved"), "{out}");
    assert!(out.contains("pages: 2 (2 new"), "{out}");
    let conn = db(&dir);
    let rows = rows(&conn, "default");
    assert_eq!(rows.len(), 8);
    let on = |page: &str| rows.iter().filter(|r| r.page == page).count();
    assert_eq!(on("/2014/test/"), 7);
    assert_eq!(on("/?p=4"), 1, "a ?p=N permalink keeps its query");
    // The id 11 appears in two items: two different comments, both kept.
    let anon = by_author(&rows, "Anonymous");
    assert_eq!(anon.page, "/?p=4");
    assert_eq!(by_author(&rows, "Letzter :/").page, "/2014/test/");

    let by_text = |t: &str| {
        rows.iter()
            .find(|r| r.html.contains(t))
            .unwrap_or_else(|| panic!("no {t}: {rows:#?}"))
    };
    let zweiter = by_text("Zweiter.");
    let drolfter = by_text("Drölfter!");
    let reply = by_text("Yet another reply.");
    assert_eq!(drolfter.parent, Some(zweiter.id));
    assert_eq!(reply.parent, Some(drolfter.id));
    assert_eq!(
        drolfter.created_at, 1_398_784_895,
        "comment_date_gmt is used (2014-04-29 15:21:35 UTC)"
    );
    let first = by_text("Erster!1");
    assert_eq!(
        first.email.as_deref(),
        Some("test@example.org"),
        "emails are trimmed"
    );
    assert_eq!(first.ip.as_deref(), Some("82.119.20.0"));
    let multi = by_author(&rows, "Multiline Author");
    assert_eq!(
        multi.html,
        "<p>When you have a comment with multiple lines:<br>\nWordPress exports it like this.</p>"
    );
    assert_eq!(
        multi.created_at, 1_654_481_594,
        "2022-06-06 02:13:14 GMT, not local time"
    );
    let (title, url): (String, String) = conn.query_row(
        "SELECT title, url FROM pages WHERE key = '/2014/test/'",
        params![],
        |r| (r.get(0), r.get(1)),
    );
    assert_eq!(title, "Hello, World…");
    assert_eq!(url, "http://example.tld/2014/test/");
    let website: Option<String> = conn.query_row(
        "SELECT website FROM comments WHERE author = 'Ohai'",
        params![],
        |r| r.get(0),
    );
    assert_eq!(website.as_deref(), Some("http://example.tld/"));

    let again = import_ok(&dir, &cfg, &["wordpress", file.to_str().unwrap()]);
    assert!(again.contains(" 0 comments imported"), "{again}");
    assert!(again.contains("left alone): 8"), "{again}");
}

fn wxr(comments: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<item>
<title>Post &amp; more</title>
<link>https://blog.example/2020/post/?utm_source=rss</link>
<atom:link href="https://blog.example/feed/" rel="self" xmlns:atom="http://www.w3.org/2005/Atom"/>
<wp:post_id>42</wp:post_id>
<wp:comment_status>closed</wp:comment_status>
{comments}
</item>
</channel>
</rss>
"#
    )
}

fn comment(id: u32, approved: &str, kind: &str, date_gmt: &str, date: &str, parent: u32) -> String {
    format!(
        "<wp:comment><wp:comment_id>{id}</wp:comment_id><wp:comment_author>Author {id}</wp:comment_author>\
         <wp:comment_author_email>a{id}@example.org</wp:comment_author_email>\
         <wp:comment_author_url>javascript:alert(1)</wp:comment_author_url>\
         <wp:comment_author_IP>2001:db8:abcd:12::1</wp:comment_author_IP>\
         <wp:comment_date>{date}</wp:comment_date><wp:comment_date_gmt>{date_gmt}</wp:comment_date_gmt>\
         <wp:comment_content><![CDATA[Body {id} <script>x()</script>]]></wp:comment_content>\
         <wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>{kind}</wp:comment_type>\
         <wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
    )
}

#[test]
fn statuses_pingbacks_and_dates_follow_wordpress() {
    let ok = "2020-01-01 10:00:00";
    let comments = [
        comment(1, "1", "", ok, ok, 0),
        comment(2, "0", "comment", ok, ok, 1),
        comment(3, "spam", "", ok, ok, 0),
        comment(4, "trash", "", ok, ok, 0),
        comment(5, "1", "pingback", ok, ok, 0),
        comment(6, "1", "trackback", ok, ok, 0),
        comment(7, "1", "", "0000-00-00 00:00:00", "2020-02-02 12:00:00", 0),
        comment(8, "1", "", "0000-00-00 00:00:00", "never", 0),
        comment(9, "1", "order_note", ok, ok, 0),
        comment(10, "1", "", ok, ok, 77),
    ]
    .concat();
    let (dir, cfg) = dir_with_sites(&["default"]);
    let file = dir.path().join("wxr.xml");
    std::fs::write(&file, wxr(&comments)).unwrap();
    let out = import_ok(&dir, &cfg, &["wordpress", file.to_str().unwrap()]);
    assert!(
        out.contains("6 comments imported (3 approved, 1 pending, 1 rejected, 1 deleted)"),
        "{out}"
    );
    assert!(out.contains("2 × it is a pingback or trackback"), "{out}");
    assert!(out.contains("its date cannot be read"), "{out}");
    assert!(out.contains("order_note"), "{out}");
    assert!(out.contains("read as UTC"), "{out}");
    assert!(out.contains("parent missing): 1"), "{out}");
    let conn = db(&dir);
    let rows = rows(&conn, "default");
    let status = |a: &str| by_author(&rows, a).status.clone();
    assert_eq!(status("Author 1"), "approved");
    assert_eq!(status("Author 2"), "pending");
    assert_eq!(status("Author 3"), "rejected");
    assert_eq!(
        by_author(&rows, "Author 2").parent,
        Some(by_author(&rows, "Author 1").id)
    );
    assert_eq!(by_author(&rows, "Author 7").created_at, 1_580_644_800);
    let trashed = rows.iter().find(|r| r.status == "deleted").unwrap();
    assert_eq!((trashed.author.as_ref(), trashed.text.as_str()), (None, ""));
    let first = by_author(&rows, "Author 1");
    assert_eq!(first.page, "/2020/post/");
    assert_eq!(
        first.ip.as_deref(),
        Some("2001:db8:abcd::"),
        "IPv6 keeps its /48"
    );
    assert!(!first.html.contains("script"), "{}", first.html);
    let (website, locked, title): (Option<String>, bool, String) = conn.query_row(
        "SELECT c.website, p.locked, p.title FROM comments c JOIN pages p ON p.id = c.page_id
             WHERE c.author = 'Author 1'",
        params![],
        |r| (r.get(0), r.get(1), r.get(2)),
    );
    assert_eq!(website, None, "a javascript: website is dropped");
    assert!(locked, "comment_status closed locks the page");
    assert_eq!(title, "Post & more");

    // --include-pingbacks keeps them (only the two new ones are added).
    let out = import_ok(
        &dir,
        &cfg,
        &["wordpress", file.to_str().unwrap(), "--include-pingbacks"],
    );
    assert!(out.contains(" 2 comments imported"), "{out}");
}

#[test]
fn a_file_that_is_not_wxr_is_refused() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let file = fixture("isso-tests-disqus.xml");
    let (code, _, err) =
        run(natter_cfg(&dir, &cfg).args(["import", "wordpress", file.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(err.contains("not a WordPress export"), "{err}");
}
