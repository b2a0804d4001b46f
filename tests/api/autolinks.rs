//! Bare `http(s)://` URLs in a Markdown comment become links, stored as such, and count
//! towards the "more than 3 links holds the comment" rule.

use crate::helpers::{id_of, TestApp};
use crate::testdb::params;

const REL: &str = "nofollow ugc noopener noreferrer";

#[tokio::test]
async fn a_bare_url_is_stored_as_a_link() {
    let app = TestApp::spawn().await;
    let body = app
        .create(
            "/p",
            "Read https://en.wikipedia.org/wiki/Rust_(programming_language). \
             Not `https://code.example` nor www.a.example.",
        )
        .await;
    let expected = format!(
        "<p>Read <a href=\"https://en.wikipedia.org/wiki/Rust_(programming_language)\" \
         rel=\"{REL}\">https://en.wikipedia.org/wiki/Rust_(programming_language)</a>. \
         Not <code>https://code.example</code> nor www.a.example.</p>\n"
    );
    assert_eq!(body["comment"]["html"], expected.as_str());
    assert_eq!(body["comment"]["status"], "approved");
    let stored: String = app.db().query_row(
        "SELECT html FROM comments WHERE id = ?1",
        params![id_of(&body)],
        |r| r.get(0),
    );
    assert_eq!(stored, expected);
    let listed = app.list("/p", "").await;
    assert_eq!(listed["comments"][0]["html"], expected.as_str());
    // The same as the Markdown link to the same URL.
    let markdown = app
        .create(
            "/q",
            "[https://a.example/x?b=1&c=2](https://a.example/x?b=1&c=2)",
        )
        .await;
    let bare = app.create("/q", "https://a.example/x?b=1&c=2").await;
    assert_eq!(bare["comment"]["html"], markdown["comment"]["html"]);
}

#[tokio::test]
async fn four_bare_urls_hold_the_comment() {
    let app = TestApp::spawn().await;
    let three = "https://a.example, https://b.example and https://c.example.";
    assert_eq!(
        app.create("/p", three).await["comment"]["status"],
        "approved"
    );
    let four = "https://a.example, https://b.example,\nhttps://c.example and (https://d.example/x)";
    let body = app.create("/p", four).await;
    assert_eq!(body["comment"]["status"], "pending");
    let html = body["comment"]["html"].as_str().unwrap();
    assert_eq!(html.matches("<a href=").count(), 4, "{html}");
    // Mixed with Markdown links, the count is the same.
    let mixed = "[a](https://a.example) <https://b.example> https://c.example https://d.example";
    assert_eq!(
        app.create("/p", mixed).await["comment"]["status"],
        "pending"
    );
}
