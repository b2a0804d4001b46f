//! A `public_url` other than the default is what every link Natter hands out starts with:
//! the one-click moderation links, the opt-in, unsubscribe and erase links and the
//! List-Unsubscribe header in mail, the Atom feeds' links and the HTML fragment's avatars.
//! Each link also works once its origin is mapped to the server (as a proxy would).

use natter::config::Moderation;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{id_of, TestApp, BLOG};
use crate::notify::{smtp, MOD};
use crate::outbox::drained;
use crate::sinks::{Mail, SmtpSink};

/// Configured with a trailing slash, which links must not double.
const CONFIGURED: &str = "https://comments.example.net/";
const PUBLIC: &str = "https://comments.example.net";

/// The one link in `mail` that starts with `PUBLIC` + `path`.
fn link(mail: &Mail, path: &str) -> String {
    let mut found = mail.links(&format!("{PUBLIC}{path}"));
    assert!(!found.is_empty(), "no {path} link in {}", mail.decoded());
    found.remove(0).replace("&amp;", "&")
}

/// Every URL in a mail, on any origin.
fn urls(text: &str) -> Vec<String> {
    text.match_indices("http")
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !"\"<>".contains(*c))
                .collect::<String>()
        })
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .collect()
}

/// Posts a link's path and query to the test server.
async fn follow(app: &TestApp, url: &str) -> u16 {
    let path = url.strip_prefix(PUBLIC).unwrap();
    let res = app.client.post(app.url(path)).send().await.unwrap();
    res.status().as_u16()
}

#[tokio::test]
async fn every_link_in_mail_feeds_and_fragments_starts_with_public_url() {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let app = TestApp::spawn_with(move |s| {
        s.public_url = CONFIGURED.into();
        s.smtp = Some(smtp(port));
        s.sites.get_mut("blog").unwrap().moderation = Moderation::All;
    })
    .await;
    let ann = "ann@reader.example";
    let page_url = format!("{BLOG}/p");
    let anns = id_of(
        &app.create_with(json!({"page": "/p", "url": page_url, "text": "ann writes", "email": ann, "notify": true, "author": "Ann"}))
            .await,
    );
    // The moderator approves from the mail: every link is on the public origin.
    let held = sink.wait_for(MOD, 1, 10).await.remove(0);
    let approve = link(&held, &format!("/moderate/{anns}/approve?sig="));
    link(&held, &format!("/moderate/{anns}/reject?sig="));
    link(&held, &format!("/moderate/{anns}/delete?sig="));
    link(&held, "/admin");
    assert_eq!(follow(&app, &approve).await, 200);
    // Approved: Ann's opt-in mail.
    let confirm = sink.wait_for(ann, 1, 10).await.remove(0);
    let confirm_link = link(&confirm, &format!("/notify/confirm/{anns}?sig="));
    assert_eq!(follow(&app, &confirm_link).await, 200);
    // A reply, approved: the reply mail's unsubscribe link and header.
    let token = app.admin_token();
    let bobs = id_of(
        &app.create_with(
            json!({"page": "/p", "parent": anns, "text": "bob replies", "author": "Bob"}),
        )
        .await,
    );
    let res = app
        .admin(
            Method::POST,
            &format!("/api/admin/comments/{bobs}/approve"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let reply = sink.wait_for(ann, 2, 10).await.remove(1);
    let unsubscribe = link(&reply, &format!("/notify/unsubscribe/{anns}?sig="));
    assert_eq!(
        reply.header("List-Unsubscribe"),
        Some(format!("<{unsubscribe}>"))
    );
    assert_eq!(follow(&app, &unsubscribe).await, 200);
    // The erase link.
    let res = app
        .post_json("/api/privacy/erase", &json!({"site": "blog", "email": ann}))
        .await;
    assert_eq!(res.status(), 202);
    let erase = sink.wait_for(ann, 3, 10).await.remove(2);
    let erase_link = link(&erase, "/privacy/erase?");
    let path = erase_link.strip_prefix(PUBLIC).unwrap();
    assert_eq!(app.get(path).await.status(), 200);
    // No mail carries a link anywhere else than the public origin or the page itself.
    drained(app.db()).await;
    let mails = sink.mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 5, "2 to the moderator, 3 to Ann");
    for mail in &mails {
        for u in urls(&mail.decoded()) {
            let own = u.starts_with(&format!("{PUBLIC}/")) && !u.contains(".net//");
            assert!(own || u.starts_with(&page_url), "{u}");
        }
    }

    // Feeds: the self link, and an entry of a page without a URL.
    let lone = id_of(&app.create("/no-url", "no page url").await);
    let res = app
        .admin(
            Method::POST,
            &format!("/api/admin/comments/{lone}/approve"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let feed = app.get("/feed/blog.atom").await.text().await.unwrap();
    assert!(
        feed.contains(&format!("href=\"{PUBLIC}/feed/blog.atom\"")),
        "{feed}"
    );
    assert!(
        feed.contains(&format!("href=\"{PUBLIC}/api/comments/{lone}\"")),
        "{feed}"
    );
    assert!(
        feed.contains(&format!("href=\"{page_url}#natter-{anns}\"")),
        "{feed}"
    );
    let page_feed = app
        .get("/feed/blog.atom?page=%2Fno-url")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page_feed.contains(&format!(
            "href=\"{PUBLIC}/feed/blog.atom?page=%2Fno%2Durl\""
        )),
        "{page_feed}"
    );
    for xml in [&feed, &page_feed] {
        assert!(
            !xml.contains("localhost") && !xml.contains(".net//"),
            "{xml}"
        );
    }
    // The HTML fragment's avatars are absolute, on the public origin.
    let fragment = app
        .get("/api/comments.html?site=blog&page=%2Fp")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        fragment.contains(&format!("src=\"{PUBLIC}/api/avatar/")),
        "{fragment}"
    );
    assert!(!fragment.contains("localhost"), "{fragment}");
}
