//! A Webmention sent by a sender nobody here wrote: the npm package `@remy/webmention`
//! (tests/peers; scripts/test.sh installs it). Its CLI reads a reply page, finds the links
//! of its h-entry, discovers each target's endpoint from the target page's
//! `<link rel="webmention">`, and posts the form, as it does for a real blog.
//!
//! The reply is served as `http://localhost:PORT/…` and the blog post as
//! `http://127.0.0.1:PORT/…` (one page server): the CLI skips links to the source's own
//! host name. Natter may fetch `localhost` through `fetch_allow`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::helpers::TestApp;
use crate::pages_sink::PageServer;
use crate::webmention::reply_page;

/// The CLI's script, when the peers are installed.
fn cli() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers/node_modules/@remy/webmention/bin/wm.js");
    let found = p.is_file()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok();
    if !found && std::env::var("NATTER_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!(
            "NATTER_REQUIRE_PEERS=1 but {} or node is missing (npm ci --prefix tests/peers)",
            p.display()
        );
    }
    found.then_some(p)
}

#[tokio::test]
async fn a_reply_sent_by_the_remy_webmention_cli_shows_up_under_the_post() {
    let Some(cli) = cli() else {
        eprintln!("skipped: the npm peers are not installed (npm ci --prefix tests/peers)");
        return;
    };
    let blog = PageServer::start().await;
    let post = blog.url("/2026/12/hello/");
    let app = TestApp::spawn_with(|s| {
        s.fetch_allow = vec!["localhost".into()];
        let site = s.sites.get_mut("blog").unwrap();
        site.origins = vec![blog.origin.clone()];
        site.webmention = true;
    })
    .await;
    blog.html(
        "/2026/12/hello/",
        &format!(
            r#"<!doctype html><html><head><title>Hello</title>
<link rel="webmention" href="{}"></head><body><article class="h-entry">
<h1 class="p-name">Hello</h1><div class="e-content">A post.</div></article></body></html>"#,
            app.url("/webmention")
        ),
    );
    let source = format!("http://localhost:{}/replies/1", blog.port);
    blog.html(
        "/replies/1",
        &reply_page(&post, "Remy's Reader", "<p>Sent by a real sender.</p>"),
    );

    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(cli)
            .arg(&source)
            .arg("--send")
            .arg("--debug")
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");

    let deadline = Instant::now() + Duration::from_secs(20);
    let list = loop {
        let list = app.list("/2026/12/hello/", "").await;
        if list["total"] == 1 {
            break list;
        }
        assert!(
            Instant::now() < deadline,
            "no comment arrived: {list}\n{log}\n{:?}",
            blog.seen()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let c = &list["comments"][0];
    assert_eq!(c["author"], "Remy's Reader");
    assert_eq!(c["via"]["kind"], "webmention");
    assert_eq!(
        c["via"]["url"],
        format!("http://localhost:{}/replies/1", blog.port)
    );
    assert!(c["html"]
        .as_str()
        .unwrap()
        .contains("Sent by a real sender."));
}
