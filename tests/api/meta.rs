//! Config, preview, health, avatars, feeds, the demo page and the widget route.

use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, TestApp, BLOG};
use crate::testdb::params;

#[tokio::test]
async fn config_describes_the_site_and_hands_out_a_form_token() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/config?site=blog").await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["site"], "blog");
    assert_eq!(v["moderation"], "none");
    assert_eq!(v["edit_window"], 900);
    assert_eq!(v["max_depth"], 5);
    assert_eq!(v["require_name"], false);
    assert_eq!(v["require_email"], false);
    assert_eq!(v["images"], false);
    assert!(v["form_token"].as_str().unwrap().len() > 10);
    assert_eq!(v["sign_in"], json!([]), "no sign-in unless the site asks");
    assert_eq!(v["require_sign_in"], false);
    assert_eq!(v.as_object().unwrap().len(), 10);
    assert_error(app.get("/api/config?site=nope").await, 404, "unknown_site").await;
    assert_invalid(app.get("/api/config").await, "site").await;
}

#[tokio::test]
async fn preview_renders_like_a_create() {
    let app = TestApp::spawn().await;
    let v: Value = app
        .post_json(
            "/api/preview",
            &json!({"text": "# Title\n\n*hi* <script>x</script>"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let html = v["html"].as_str().unwrap();
    assert!(html.contains("<h3>Title</h3>"), "{html}");
    assert!(html.contains("<em>hi</em>"));
    assert!(!html.contains("<script"));
    assert_invalid(
        app.post_json("/api/preview", &json!({"text": ""})).await,
        "text",
    )
    .await;
    assert_error(
        app.post_json("/api/preview", &json!({"text": "x", "site": "nope"}))
            .await,
        404,
        "unknown_site",
    )
    .await;
}

#[tokio::test]
async fn preview_images_follow_the_site_setting() {
    let app = TestApp::spawn_with(|s| {
        let mut pics = crate::helpers::blog_site();
        pics.images = true;
        s.sites.insert("pics".into(), pics);
    })
    .await;
    let md = "![cat](https://img.example/cat.png)";
    let with: Value = app
        .post_json("/api/preview", &json!({"text": md, "site": "pics"}))
        .await
        .json()
        .await
        .unwrap();
    assert!(with["html"].as_str().unwrap().contains("<img"), "{with}");
    let without: Value = app
        .post_json("/api/preview", &json!({"text": md, "site": "blog"}))
        .await
        .json()
        .await
        .unwrap();
    assert!(!without["html"].as_str().unwrap().contains("<img"));
}

#[tokio::test]
async fn preview_checks_the_sites_origin() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(app.url("/api/preview"))
        .header("origin", "https://evil.example")
        .json(&json!({"text": "x", "site": "blog"}))
        .send()
        .await
        .unwrap();
    assert_error(res, 403, "origin_not_allowed").await;
    let res = app
        .client
        .post(app.url("/api/preview"))
        .header("origin", BLOG)
        .json(&json!({"text": "x", "site": "blog"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn healthz_checks_the_database() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    // Another process breaks the schema under the running server: a real read fails.
    app.db().batch("ALTER TABLE sites RENAME TO sites_gone");
    let res = app.get("/healthz").await;
    let body = crate::helpers::assert_error(res, 503, "unavailable").await;
    let text = body.to_string();
    assert!(
        !text.contains("sites") && !text.to_lowercase().contains("sql"),
        "{text}"
    );
    app.db().batch("ALTER TABLE sites_gone RENAME TO sites");
    assert_eq!(app.get("/healthz").await.status(), 200, "and it recovers");
}

#[tokio::test]
async fn avatars_are_immutable_svgs_from_keyed_hashes() {
    let app = TestApp::spawn().await;
    let a = app
        .create_with(json!({"page": "/p", "text": "a", "email": "x@example.com"}))
        .await;
    let b = app
        .create_with(json!({"page": "/p", "text": "b", "email": "X@Example.com"}))
        .await;
    let c = app
        .create_with(json!({"page": "/p", "text": "c", "email": "y@example.com"}))
        .await;
    let path = a["comment"]["avatar"].as_str().unwrap();
    assert_eq!(path, b["comment"]["avatar"].as_str().unwrap());
    assert_ne!(path, c["comment"]["avatar"].as_str().unwrap());
    // Never a plain hash of the email (Gravatar-style hashes are reversible by lookup):
    // not its MD5, not its SHA-256, and another server (another key) derives another one.
    let hash = path
        .strip_prefix("/api/avatar/")
        .and_then(|p| p.strip_suffix(".svg"))
        .unwrap();
    assert_eq!(hash.len(), 32, "{path}");
    for plain in [
        "6d1db9ff40d653b409cda4c3ec45e5d7", // md5("x@example.com")
        "106ab2de3ae32f0e429961a20307e3a5e05d7b4dd6f25e8c2e5282de58208f00", // sha256
    ] {
        assert!(
            !plain.contains(hash) && !hash.contains(&plain[..32]),
            "{path}"
        );
    }
    let elsewhere = TestApp::spawn()
        .await
        .create_with(json!({"page": "/p", "text": "a", "email": "x@example.com"}))
        .await;
    assert_ne!(path, elsewhere["comment"]["avatar"].as_str().unwrap());
    let res = app.get(path).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let svg = res.text().await.unwrap();
    assert!(svg.starts_with("<svg") && !svg.contains("<script"));
    assert_error(app.get("/api/avatar/nothex.svg").await, 404, "not_found").await;
}

#[tokio::test]
async fn the_atom_feed_lists_newest_approved_comments_escaped() {
    let app = TestApp::spawn().await;
    app.create_with(json!({"page": "/a", "text": "first", "author": "<b>Ann</b>", "title": "Post & \"A\"", "url": format!("{BLOG}/a")})).await;
    let held = app.create("/a", "held one").await["comment"]["id"]
        .as_i64()
        .unwrap();
    app.db().execute(
        "UPDATE comments SET status = 'pending' WHERE id = ?1",
        params![held],
    );
    app.create("/b", "second").await;
    let res = app.get("/feed/blog.atom").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let xml = res.text().await.unwrap();
    assert!(xml.contains("<feed") && xml.contains("http://www.w3.org/2005/Atom"));
    assert_eq!(xml.matches("<entry>").count(), 2, "{xml}");
    assert!(
        xml.find("second").unwrap() < xml.find("first").unwrap(),
        "newest first"
    );
    assert!(!xml.contains("held one"));
    assert!(!xml.contains("<b>Ann</b>"));
    assert!(xml.contains("&lt;b&gt;Ann&lt;/b&gt;"));
    assert!(xml.contains(&format!("{BLOG}/a#natter-")));
    let page = app
        .get("/feed/blog.atom?page=/a")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("<entry>").count(), 1);
    assert_error(app.get("/feed/nope.atom").await, 404, "unknown_site").await;
}

#[tokio::test]
async fn the_demo_page_embeds_the_widget_for_the_first_site() {
    let app = TestApp::spawn().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(res.headers().contains_key("content-security-policy"));
    let html = res.text().await.unwrap();
    assert!(html.contains("/embed.js"));
    assert!(html.contains("data-site=\"blog\""));
    // Webmention discovery (W3C): the demo page names the endpoint in its head.
    let doc = scraper::Html::parse_document(&html);
    let link = scraper::Selector::parse(r#"head link[rel="webmention"]"#).unwrap();
    let href = doc
        .select(&link)
        .next()
        .and_then(|l| l.value().attr("href"));
    assert_eq!(href, Some("/webmention"));
    let default = TestApp::spawn_with(|s| s.sites.clear()).await;
    assert!(default
        .get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains("data-site=\"default\""));
}

#[tokio::test]
async fn the_widget_is_served_as_javascript_with_caching() {
    let app = TestApp::spawn().await;
    let res = app.get("/embed.js").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=3600"));
    let tag = res.headers()["etag"].clone();
    let again = app
        .client
        .get(app.url("/embed.js"))
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

/// The widget's budget: what a reader downloads, gzipped at level 9. It was 10 KB until the
/// widget learnt to take on the host page's look (its background, font and colours, with every
/// colour, radius and spacing a `--natter-*` property), to draw identicons itself, to ask before
/// deleting inline, and to offer "Delete my data" (README, "Embedding"); then 12 KB until
/// commenters could sign in (a popup, its hand-over, "My data", the verified mark; 1.3 KB).
/// Still well under the 20 KB of Isso's client.
const WIDGET_GZIP_BUDGET: usize = 13 * 1024 + 512;

#[tokio::test]
async fn the_served_widget_is_the_minified_build_and_stays_within_its_gzip_budget() {
    use std::io::Write;

    let app = TestApp::spawn().await;
    // The test client asks for no content coding: these are the script's own bytes.
    let res = app.get("/embed.js").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-encoding").is_none());
    let served = res.bytes().await.unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&served).unwrap();
    let gzipped = gz.finish().unwrap().len();
    assert!(
        gzipped <= WIDGET_GZIP_BUDGET,
        "GET /embed.js: gzip -9 size {gzipped} > {WIDGET_GZIP_BUDGET}"
    );

    // build.rs's output, not the readable source: no comments, no indentation, far smaller.
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/widget/embed.js")).unwrap();
    let served = std::str::from_utf8(&served).unwrap();
    assert!(
        served.len() * 4 < source.len() * 3,
        "served {} bytes of a {}-byte source",
        served.len(),
        source.len()
    );
    assert!(!served.contains("\n  "), "indentation left");
    assert!(!served.contains("Pure logic"), "comments left");
    // The CSS templates were compacted too.
    assert!(
        served.contains(":host{--_fg:var(--natter-fg);"),
        "CSS not compacted"
    );
    // And minifying kept the widget's security rules.
    assert!(served.contains("document.currentScript"));
    assert_eq!(served.matches("innerHTML").count(), 1, "one innerHTML");
    assert!(served.contains("attachShadow"));
    assert!(served.contains("'Idempotency-Key'"));
}

#[tokio::test]
async fn every_translation_is_served_to_any_origin_one_language_at_a_time() {
    let app = TestApp::spawn().await;
    // every table in widget/i18n, so that none is left out of the server's list
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/widget/i18n");
    let mut langs: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .collect();
    langs.sort();
    assert!(langs.len() >= 19, "{langs:?}");
    for lang in langs {
        let res = app.get(&format!("/i18n/{lang}.json")).await;
        assert_eq!(res.status(), 200, "{lang}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        let served: Value = res.json().await.unwrap();
        let file = std::fs::read_to_string(format!("{dir}/{lang}.json")).unwrap();
        assert_eq!(
            served,
            serde_json::from_str::<Value>(&file).unwrap(),
            "{lang}"
        );
    }
    assert_error(app.get("/i18n/xx.json").await, 404, "not_found").await;
    assert_error(app.get("/i18n/..%2Fembed.js").await, 404, "not_found").await;
}
