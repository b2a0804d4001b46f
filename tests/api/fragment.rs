//! GET /api/comments.html: the thread as a static, script-free fragment.

use scraper::{Html, Selector};
use serde_json::json;

use crate::helpers::{assert_error, id_of, TestApp};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// How many `li.natter-comment` ancestors an element has.
fn depth(el: scraper::ElementRef<'_>) -> usize {
    el.ancestors()
        .filter_map(scraper::ElementRef::wrap)
        .filter(|a| a.value().name() == "li")
        .count()
}

#[tokio::test]
async fn the_fragment_nests_replies_up_to_max_depth_and_escapes_everything() {
    let app = TestApp::spawn_with(|s| s.sites.get_mut("blog").unwrap().max_depth = 3).await;
    let hostile = "<img src=x onerror=alert(1)>";
    let root = id_of(&app.create_with(json!({"page": "/f", "text": "root <script>alert(1)</script>", "author": hostile, "website": "https://a.example/\"onmouseover=\"x"})).await);
    let mut parent = root;
    let mut chain = vec![root];
    for i in 0..5 {
        parent = id_of(
            &app.create_with(json!({"page": "/f", "text": format!("level {i}"), "parent": parent}))
                .await,
        );
        chain.push(parent);
    }
    let second = id_of(&app.create("/f", "second top").await);
    let res = app.get("/api/comments.html?site=blog&page=/f").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(res.headers().contains_key("etag"));
    let body = res.text().await.unwrap();
    let doc = Html::parse_fragment(&body);
    let items: Vec<_> = doc.select(&sel("li[data-natter-id]")).collect();
    let ids: Vec<i64> = items
        .iter()
        .map(|li| li.value().attr("data-natter-id").unwrap().parse().unwrap())
        .collect();
    let mut expected = chain.clone();
    expected.push(second);
    assert_eq!(ids, expected);
    let depths: Vec<usize> = items.iter().map(|li| depth(*li)).collect();
    assert_eq!(
        depths,
        vec![0, 1, 2, 3, 3, 3, 0],
        "replies nest at most max_depth = 3 deep, as in the widget"
    );
    assert_eq!(doc.select(&sel("script")).count(), 0);
    assert_eq!(doc.select(&sel("img[onerror]")).count(), 0);
    for el in doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        for (name, _) in el.value().attrs() {
            assert!(!name.starts_with("on"), "{name} on <{}>", el.value().name());
        }
    }
    let author = doc
        .select(&sel("li[data-natter-id] .natter-author"))
        .next()
        .unwrap();
    assert_eq!(author.text().collect::<String>(), hostile);
    assert_eq!(
        author.value().attr("rel"),
        Some("nofollow ugc noopener noreferrer")
    );
    assert_eq!(doc.select(&sel(".natter-static")).count(), 1);
}

#[tokio::test]
async fn the_fragment_keeps_tombstones_and_hides_pending_comments() {
    let app = TestApp::spawn().await;
    let a = id_of(&app.create("/t", "will be hidden").await);
    let r = id_of(
        &app.create_with(json!({"page": "/t", "text": "reply", "parent": a}))
            .await,
    );
    let p = id_of(&app.create("/t", "pending one").await);
    app.set_status(a, "pending");
    app.set_status(p, "pending");
    let body = app
        .get("/api/comments.html?site=blog&page=/t")
        .await
        .text()
        .await
        .unwrap();
    let doc = Html::parse_fragment(&body);
    let ids: Vec<String> = doc
        .select(&sel("li[data-natter-id]"))
        .map(|li| li.value().attr("data-natter-id").unwrap().to_string())
        .collect();
    assert_eq!(ids, vec![a.to_string(), r.to_string()]);
    assert!(!body.contains("will be hidden") && !body.contains("pending one"));
    assert_eq!(doc.select(&sel("li.natter-deleted")).count(), 1);
}

#[tokio::test]
async fn the_fragment_of_an_unknown_page_is_an_empty_thread_and_errors_keep_the_shape() {
    let app = TestApp::spawn().await;
    let body = app
        .get("/api/comments.html?site=blog&page=/none")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("natter-static") && !body.contains("data-natter-id"));
    assert_error(
        app.get("/api/comments.html?site=nope&page=/x").await,
        404,
        "unknown_site",
    )
    .await;
    let url = app.url("/api/comments.html?site=blog&page=/none");
    let tag = app.client.get(&url).send().await.unwrap().headers()["etag"].clone();
    assert_eq!(
        app.client
            .get(&url)
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap()
            .status(),
        304
    );
}
