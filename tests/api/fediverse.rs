//! The Fediverse (ActivityPub) against the real server: WebFinger, the actor, signed
//! inbox POSTs from a peer on loopback (`fedi_peer.rs`: real HTTP, its own keys), replies
//! becoming comments, reactions, announcements delivered to followers' servers, replies
//! going back, and the refusals (unsigned, badly signed, refused key addresses, limits).

use std::time::Duration;

use serde_json::{json, Value};

use crate::fedi_peer::{assert_signed_by_natter, post_signed, test_keys, Peer};
use crate::helpers::{assert_error, assert_invalid, TestApp};
use crate::testdb::params;

/// The actor of the site `blog` (`public_url` is the default `http://localhost:8080`).
const ACTOR: &str = "http://localhost:8080/ap/sites/blog";
const PAGE: &str = "/posts/hello/";
const POST_URL: &str = "https://blog.example/posts/hello/";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// An app whose site `blog` is the actor `@blog@localhost:8080`, fetching from loopback
/// allowed; the site `quiet` has a handle but no `fediverse = true`.
pub async fn fedi_app(tweak: impl FnOnce(&mut natter::config::Settings)) -> TestApp {
    TestApp::spawn_with(|s| {
        s.fetch_allow = vec!["127.0.0.1".into()];
        let blog = s.sites.get_mut("blog").unwrap();
        blog.fediverse = true;
        blog.fediverse_handle = Some("blog".into());
        s.sites.insert(
            "quiet".into(),
            natter::config::SiteConfig {
                origins: vec!["https://quiet.example".into()],
                fediverse_handle: Some("quiet".into()),
                ..natter::config::SiteConfig::open_default()
            },
        );
        tweak(s);
    })
    .await
}

/// [`fedi_app`] served at its own `public_url` (`http://127.0.0.1:<port>`), so that every id
/// it hands out can be fetched: what a peer that looks Natter's objects up needs (the
/// Fedify peer of `tests/peers/fedify/`). The port is picked free just before.
pub async fn fedi_app_at_its_address(tweak: impl FnOnce(&mut natter::config::Settings)) -> TestApp {
    let port = crate::sinks::free_port();
    fedi_app(|s| {
        s.bind = format!("127.0.0.1:{port}");
        s.public_url = format!("http://127.0.0.1:{port}");
        tweak(s);
    })
    .await
}

/// Posts an activity of `name` (an actor of `peer`) to the site's inbox, signed with the
/// key their document publishes.
async fn send(app: &TestApp, peer: &Peer, name: &str, activity: &Value) -> reqwest::Response {
    let pair = if name == "mallory" {
        &test_keys().1
    } else {
        &test_keys().0
    };
    let key_id = format!("{}#main-key", peer.actor(name));
    post_signed(app, "/ap/sites/blog/inbox", activity, &key_id, pair).await
}

async fn accepted(app: &TestApp, peer: &Peer, name: &str, activity: &Value) {
    let res = send(app, peer, name, activity).await;
    let status = res.status().as_u16();
    assert_eq!(status, 202, "{}", res.text().await.unwrap());
}

fn follow(peer: &Peer, name: &str) -> Value {
    let actor = peer.actor(name);
    json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/follows/1"), "type": "Follow", "actor": actor, "object": ACTOR})
}

/// A `Create` of a `Note` by `name`, id `n`, in reply to `to`, addressed to `audience`.
fn reply(peer: &Peer, name: &str, n: u32, to: &str, content: &str, audience: &[&str]) -> Value {
    let actor = peer.actor(name);
    let note = format!("{actor}/notes/{n}");
    json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"), "type": "Create", "actor": actor,
        "to": audience, "cc": [format!("{actor}/followers")],
        "object": {"id": note, "type": "Note", "attributedTo": actor, "inReplyTo": to,
            "content": content, "url": format!("{}/@{name}/{n}", peer.origin),
            "to": audience, "cc": [format!("{actor}/followers")]}})
}

async fn announce(app: &TestApp, token: &str, title: &str) -> (u16, Value) {
    let res = app
        .admin(
            reqwest::Method::POST,
            "/api/admin/fediverse/announce",
            token,
        )
        .json(
            &json!({"site": "blog", "page": PAGE, "url": POST_URL, "title": title,
            "summary": "A post about <things>."}),
        )
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Announces the test post; returns its object id.
async fn announced(app: &TestApp) -> String {
    let token = app.admin_token();
    let (status, body) = announce(app, &token, "Hello").await;
    assert_eq!(status, 201, "{body}");
    body["object_id"].as_str().unwrap().to_string()
}

fn count(app: &TestApp, table: &str) -> i64 {
    app.db()
        .query_i64(&format!("SELECT count(*) FROM {table}"), params![])
}

async fn activity_get(app: &TestApp, path: &str) -> (u16, String, Value) {
    let res = app
        .client
        .get(app.url(path))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    (status, ct, res.json().await.unwrap_or(Value::Null))
}

/// Waits `ms` and says whether nothing more than `n` arrived meanwhile.
async fn still(peer: &Peer, n: usize, ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    assert_eq!(peer.received().len(), n, "{:?}", peer.received());
}

/// The `natter` binary on the app's database, with the site `blog` as the app has it.
fn natter(app: &TestApp, dir: &tempfile::TempDir) -> std::process::Command {
    let config = dir.path().join("natter.toml");
    std::fs::write(
        &config,
        "[sites.blog]\norigins = [\"https://blog.example\"]\nfediverse = true\n\
         fediverse_handle = \"blog\"\n",
    )
    .unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_natter"));
    cmd.env_remove("NATTER_ADMIN_TOKEN")
        .env_remove("NATTER_CONFIG")
        .env("NATTER_DATABASE", &app.db_path)
        .args(["--config", config.to_str().unwrap()]);
    cmd
}

#[tokio::test]
async fn webfinger_finds_the_actor_by_acct_and_by_its_url_and_nothing_else() {
    let app = fedi_app(|_| {}).await;
    let res = app
        .get("/.well-known/webfinger?resource=acct:blog@localhost:8080")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/jrd+json");
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let jrd: Value = res.json().await.unwrap();
    assert_eq!(jrd["subject"], "acct:blog@localhost:8080");
    assert_eq!(jrd["aliases"], json!([ACTOR]));
    assert_eq!(
        jrd["links"],
        json!([{"rel": "self", "type": "application/activity+json", "href": ACTOR}])
    );
    let shouted = app
        .get("/.well-known/webfinger?resource=acct:Blog@LOCALHOST:8080")
        .await;
    assert_eq!(shouted.json::<Value>().await.unwrap(), jrd);
    let by_url = app
        .get(&format!("/.well-known/webfinger?resource={ACTOR}"))
        .await;
    assert_eq!(by_url.status(), 200);
    assert_eq!(by_url.json::<Value>().await.unwrap(), jrd);
    for unknown in [
        "acct:nobody@localhost:8080",
        "acct:blog@elsewhere.example",
        "acct:quiet@localhost:8080",
        "http://localhost:8080/ap/sites/quiet",
        "http://localhost:8080/ap/sites/blog/inbox",
    ] {
        let res = app
            .get(&format!("/.well-known/webfinger?resource={unknown}"))
            .await;
        assert_error(res, 404, "not_found").await;
    }
    for bad in ["", "?resource=", "?resource=blog", "?resource=acct:blog"] {
        let res = app.get(&format!("/.well-known/webfinger{bad}")).await;
        assert_error(res, 400, "malformed_request").await;
    }
}

#[tokio::test]
async fn served_at_its_public_url_every_id_it_hands_out_is_where_it_is_served() {
    let app = fedi_app_at_its_address(|_| {}).await;
    let host = app.address.trim_start_matches("http://").to_string();
    let res = app
        .get(&format!("/.well-known/webfinger?resource=acct:blog@{host}"))
        .await;
    assert_eq!(res.status(), 200);
    let jrd: Value = res.json().await.unwrap();
    let actor = jrd["links"][0]["href"].as_str().unwrap().to_string();
    assert_eq!(actor, format!("{}/ap/sites/blog", app.address));
    let doc: Value = app
        .client
        .get(&actor)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["id"], actor.as_str());
    for key in ["inbox", "outbox", "followers"] {
        let res = app
            .client
            .request(
                if key == "inbox" {
                    reqwest::Method::POST
                } else {
                    reqwest::Method::GET
                },
                doc[key].as_str().unwrap(),
            )
            .header("content-type", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), 404, "{key}");
    }
}

#[tokio::test]
async fn the_actor_document_carries_its_key_and_its_collections_and_nothing_private() {
    let app = fedi_app(|_| {}).await;
    let (status, ct, doc) = activity_get(&app, "/ap/sites/blog").await;
    assert_eq!(status, 200);
    assert_eq!(ct, "application/activity+json");
    assert_eq!(doc["id"], ACTOR);
    assert_eq!(doc["type"], "Service");
    assert_eq!(doc["preferredUsername"], "blog");
    assert_eq!(doc["url"], "https://blog.example");
    assert_eq!(doc["inbox"], format!("{ACTOR}/inbox"));
    assert_eq!(doc["outbox"], format!("{ACTOR}/outbox"));
    assert_eq!(doc["followers"], format!("{ACTOR}/followers"));
    assert_eq!(
        doc["endpoints"]["sharedInbox"],
        "http://localhost:8080/ap/inbox"
    );
    assert_eq!(
        doc["@context"],
        json!([
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1"
        ])
    );
    assert_eq!(doc["publicKey"]["id"], format!("{ACTOR}#main-key"));
    assert_eq!(doc["publicKey"]["owner"], ACTOR);
    let pem = doc["publicKey"]["publicKeyPem"].as_str().unwrap();
    assert!(natter::fediverse::keys::public_key(pem).is_some());
    assert!(!doc.to_string().contains("PRIVATE"));
    // The same document for ld+json with the ActivityStreams profile.
    let ld = app
        .client
        .get(app.url("/ap/sites/blog"))
        .header(
            "accept",
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ld.json::<Value>().await.unwrap(), doc);
    // The key is made once and kept: the same after a restart on the same database.
    assert_eq!(count(&app, "fedi_keys"), 1);
    let (_, _, followers) = activity_get(&app, "/ap/sites/blog/followers").await;
    assert_eq!(followers["type"], "OrderedCollection");
    assert_eq!(followers["totalItems"], 0);
    assert!(followers.get("orderedItems").is_none());
    let (_, _, outbox) = activity_get(&app, "/ap/sites/blog/outbox").await;
    assert_eq!(outbox["totalItems"], 0);
    for path in [
        "/ap/sites/quiet",
        "/ap/sites/quiet/outbox",
        "/ap/sites/nope/followers",
        "/ap/sites/blog/posts/1",
        "/ap/comments/1",
    ] {
        assert_error(app.get(path).await, 404, "not_found").await;
    }
}

#[tokio::test]
async fn unsigned_and_badly_signed_posts_are_401_and_store_nothing() {
    let app = fedi_app(|_| {}).await;
    let peer = Peer::start(false).await;
    let activity = follow(&peer, "ann");
    let unsigned = app
        .client
        .post(app.url("/ap/sites/blog/inbox"))
        .header("content-type", "application/activity+json")
        .body(activity.to_string())
        .send()
        .await
        .unwrap();
    assert_error(unsigned, 401, "unauthorized").await;
    // Signed with a key that is not the one the named key's document publishes.
    let key_id = format!("{}#main-key", peer.actor("mallory"));
    let wrong = post_signed(
        &app,
        "/ap/sites/blog/inbox",
        &activity,
        &key_id,
        &test_keys().0,
    );
    assert_error(wrong.await, 401, "unauthorized").await;
    // Well signed by mallory, but on ann's behalf.
    let mut forged = follow(&peer, "ann");
    forged["id"] = json!(format!("{}/follows/9", peer.actor("mallory")));
    let res = send(&app, &peer, "mallory", &forged).await;
    let body = assert_error(res, 401, "unauthorized").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("owner"));
    // A signature of another body.
    let url = url::Url::parse(&app.url("/ap/sites/blog/inbox")).unwrap();
    let signer = natter::fediverse::keys::Signer::new(&test_keys().0).unwrap();
    let key_id = format!("{}#main-key", peer.actor("ann"));
    let headers = natter::fediverse::signature::sign_post(
        &signer,
        &key_id,
        &url,
        b"{}",
        std::time::SystemTime::now(),
    )
    .unwrap();
    let mut req = app
        .client
        .post(url)
        .header("content-type", "application/activity+json");
    for (n, v) in headers.into_iter().filter(|(n, _)| *n != "host") {
        req = req.header(n, v);
    }
    let res = req.body(activity.to_string()).send().await.unwrap();
    assert_error(res, 401, "unauthorized").await;
    assert_eq!(count(&app, "fedi_followers"), 0);
    assert_eq!(count(&app, "fedi_deliveries"), 0);
    assert_eq!(count(&app, "fedi_seen"), 0);
    still(&peer, 0, 300).await;
}

#[tokio::test]
async fn a_follow_is_answered_by_a_signed_accept_and_an_undo_ends_it() {
    let app = fedi_app(|_| {}).await;
    let peer = Peer::start(false).await;
    let f = follow(&peer, "ann");
    accepted(&app, &peer, "ann", &f).await;
    let got = peer.wait_for(1).await;
    assert_eq!(got[0].path, "/users/ann/inbox");
    let key = assert_signed_by_natter(&app, &got[0]).await;
    assert_eq!(key, format!("{ACTOR}#main-key"));
    let accept = got[0].json();
    assert_eq!(accept["type"], "Accept");
    assert_eq!(accept["actor"], ACTOR);
    assert_eq!(accept["object"]["id"], f["id"]);
    assert_eq!(accept["object"]["type"], "Follow");
    let (_, _, followers) = activity_get(&app, "/ap/sites/blog/followers").await;
    assert_eq!(followers["totalItems"], 1);
    // Counted once the answer is in (a moment after the peer has the request).
    let counted = r#"natter_fediverse_deliveries_total{site="blog",outcome="delivered"} 1"#;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        if metrics.contains(counted) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The same Follow again (a retry) is not processed twice.
    accepted(&app, &peer, "ann", &f).await;
    still(&peer, 1, 700).await;
    let actor = peer.actor("ann");
    let undo = json!({"id": format!("{actor}/undo/1"), "type": "Undo", "actor": actor,
        "object": f});
    accepted(&app, &peer, "ann", &undo).await;
    let (_, _, followers) = activity_get(&app, "/ap/sites/blog/followers").await;
    assert_eq!(followers["totalItems"], 0);
    // Anything else is taken and ignored.
    let odd =
        json!({"id": format!("{actor}/x/1"), "type": "Move", "actor": actor, "object": ACTOR});
    accepted(&app, &peer, "ann", &odd).await;
}

#[tokio::test]
async fn a_public_reply_to_an_announced_post_becomes_a_comment_that_says_where_it_came_from() {
    let app = fedi_app(|_| {}).await;
    let peer = Peer::start(false).await;
    let post = announced(&app).await;
    assert!(post.starts_with(&format!("{ACTOR}/posts/")), "{post}");
    let r = reply(
        &peer,
        "bob",
        1,
        &post,
        "<p>Nice <strong>post</strong>!<script>alert(1)</script><img src=x onerror=alert(2)></p>",
        &[PUBLIC],
    );
    accepted(&app, &peer, "bob", &r).await;
    // The same activity again: still one comment.
    accepted(&app, &peer, "bob", &r).await;
    let list = app.list(PAGE, "").await;
    assert_eq!(list["total"], 1, "{list}");
    let c = &list["comments"][0];
    assert_eq!(c["author"], "Bob <b>Example</b>");
    assert_eq!(c["website"], format!("{}/@bob", peer.origin));
    assert_eq!(
        c["via"],
        json!({"kind": "fediverse", "url": format!("{}/@bob/1", peer.origin),
            "handle": format!("@bob@{}", peer.origin.trim_start_matches("http://"))})
    );
    let html = c["html"].as_str().unwrap();
    assert!(html.contains("<strong>post</strong>"), "{html}");
    assert!(
        !html.contains("script") && !html.contains("onerror"),
        "{html}"
    );
    assert!(c["avatar"].as_str().unwrap().starts_with("/api/avatar/"));
    let comment_id = c["id"].as_i64().unwrap();
    // The fragment, the counts, the feed and the admin's queue carry it too.
    let fragment = app
        .get(&format!("/api/comments.html?site=blog&page={PAGE}"))
        .await
        .text()
        .await
        .unwrap();
    let link = format!(
        r#"<a class="natter-via" href="{}/@bob/1" rel="nofollow ugc noopener noreferrer">via @bob@{}</a>"#,
        peer.origin,
        peer.origin.trim_start_matches("http://")
    );
    assert!(fragment.contains(&link), "{fragment}");
    let counts: Value = app
        .get(&format!("/api/counts?site=blog&page={PAGE}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts["counts"][PAGE], 1, "{counts}");
    let feed = app.get("/feed/blog.atom").await.text().await.unwrap();
    assert!(feed.contains("Bob &lt;b&gt;Example&lt;/b&gt;"), "{feed}");
    let token = app.admin_token();
    let queue: Value = app
        .admin(
            reqwest::Method::GET,
            "/api/admin/comments?site=blog&status=all",
            &token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queue["comments"][0]["via"], c["via"], "{queue}");
    assert_eq!(queue["comments"][0]["email"], Value::Null);
    let dir = tempfile::tempdir().unwrap();
    let out = natter(&app, &dir)
        .args(["export", "--site", "blog"])
        .output()
        .unwrap();
    let export = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = export
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["id"] == comment_id)
        .expect("the comment is exported");
    assert_eq!(exported["via"], c["via"], "{exported}");
    // An unlisted reply (Public in cc only) to that comment's note nests under it.
    let mut nested = reply(
        &peer,
        "cy",
        2,
        &format!("{}/notes/1", peer.actor("bob")),
        "<p>Agreed</p>",
        &[],
    );
    nested["object"]["cc"] = json!([PUBLIC]);
    accepted(&app, &peer, "cy", &nested).await;
    // A reply to a local comment's Note nests under it too.
    let local = app.create(PAGE, "A local comment").await;
    let local_id = local["comment"]["id"].as_i64().unwrap();
    let to_local = reply(
        &peer,
        "dee",
        3,
        &format!("http://localhost:8080/ap/comments/{local_id}"),
        "<p>To the local one</p>",
        &[PUBLIC],
    );
    accepted(&app, &peer, "dee", &to_local).await;
    let list = app.list(PAGE, "").await;
    assert_eq!(list["total"], 4, "{list}");
    let parent_of = |text: &str| {
        list["comments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["html"].as_str().unwrap().contains(text))
            .map(|c| c["parent"].clone())
            .unwrap()
    };
    assert_eq!(parent_of("Agreed"), json!(comment_id));
    assert_eq!(parent_of("To the local one"), json!(local_id));
    // A reply to something that is neither: 202, nothing.
    let stray = reply(
        &peer,
        "bob",
        4,
        "https://elsewhere.example/x",
        "<p>?</p>",
        &[PUBLIC],
    );
    accepted(&app, &peer, "bob", &stray).await;
    // Followers-only and direct replies are never shown; the admin sees them rejected.
    let private = reply(&peer, "eve", 5, &post, "<p>Just for you</p>", &[]);
    accepted(&app, &peer, "eve", &private).await;
    let direct = reply(&peer, "eve", 6, &post, "<p>Direct</p>", &[ACTOR]);
    accepted(&app, &peer, "eve", &direct).await;
    let list = app.list(PAGE, "").await;
    assert_eq!(list["total"], 4, "{list}");
    let hidden = app.db().query_col::<String>(
        "SELECT held_reason FROM comments WHERE status = 'rejected'",
        params![],
    );
    assert_eq!(hidden, ["not_public", "not_public"]);
    // Nor can a moderator publish them: approve is refused, alone or in a bulk action.
    let ids = app.db().query_col::<i64>(
        "SELECT id FROM comments WHERE status = 'rejected' ORDER BY id",
        params![],
    );
    let token = app.admin_token();
    let res = app
        .admin(
            reqwest::Method::POST,
            &format!("/api/admin/comments/{}/approve", ids[0]),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_invalid(res, "status").await;
    let bulk: Value = app
        .admin(reqwest::Method::POST, "/api/admin/comments/bulk", &token)
        .json(&json!({"ids": ids, "action": "approve"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bulk["comments"], json!([]), "{bulk}");
    let refused: Vec<&Value> = bulk["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["code"])
        .collect();
    assert_eq!(
        refused,
        [&json!("validation_failed"), &json!("validation_failed")]
    );
    assert_eq!(app.list(PAGE, "").await["total"], 4);
    // The thread's URL came from the announcement.
    let url = app
        .db()
        .query_string("SELECT url FROM pages WHERE key = ?1", params![PAGE]);
    assert_eq!(url, POST_URL);
    assert_eq!(count(&app, "fedi_notes"), 5);
}

#[tokio::test]
async fn an_update_edits_the_comment_and_a_delete_removes_it_only_from_its_author() {
    let app = fedi_app(|_| {}).await;
    let peer = Peer::start(false).await;
    let post = announced(&app).await;
    let r = reply(&peer, "bob", 1, &post, "<p>First take</p>", &[PUBLIC]);
    accepted(&app, &peer, "bob", &r).await;
    let actor = peer.actor("bob");
    let mut note = r["object"].clone();
    note["content"] = json!("<p>Second <em>take</em></p>");
    let update = json!({"id": format!("{actor}/notes/1/update/1"), "type": "Update",
        "actor": actor, "object": note});
    accepted(&app, &peer, "bob", &update).await;
    let list = app.list(PAGE, "").await;
    let c = &list["comments"][0];
    assert_eq!(c["html"], "<p>Second <em>take</em></p>", "{c}");
    assert!(c["edited_at"].is_string(), "{c}");
    // Mallory may not touch bob's note.
    let mut theirs = update.clone();
    theirs["id"] = json!(format!("{}/u/1", peer.actor("mallory")));
    theirs["actor"] = json!(peer.actor("mallory"));
    theirs["object"]["content"] = json!("<p>pwned</p>");
    accepted(&app, &peer, "mallory", &theirs).await;
    let delete = |who: &str, n: u32| {
        let a = peer.actor(who);
        json!({"id": format!("{a}/delete/{n}"), "type": "Delete", "actor": a,
            "object": {"id": format!("{actor}/notes/1"), "type": "Tombstone"}})
    };
    accepted(&app, &peer, "mallory", &delete("mallory", 1)).await;
    let list = app.list(PAGE, "").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["comments"][0]["html"], "<p>Second <em>take</em></p>");
    accepted(&app, &peer, "bob", &delete("bob", 2)).await;
    let list = app.list(PAGE, "").await;
    assert_eq!(list["total"], 0, "{list}");
    // A Delete of the actor itself is taken without a signature check and does nothing.
    let gone = json!({"id": format!("{actor}#delete"), "type": "Delete", "actor": actor,
        "object": actor});
    let res = app
        .client
        .post(app.url("/ap/inbox"))
        .header("content-type", "application/activity+json")
        .body(gone.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
}

#[tokio::test]
async fn likes_and_boosts_are_counted_once_per_actor_and_an_undo_takes_one_back() {
    let app = fedi_app(|_| {}).await;
    let peer = Peer::start(false).await;
    let post = announced(&app).await;
    let act = |who: &str, kind: &str, n: u32| {
        let a = peer.actor(who);
        json!({"id": format!("{a}/{kind}/{n}"), "type": kind, "actor": a, "object": post})
    };
    accepted(&app, &peer, "ann", &act("ann", "Like", 1)).await;
    accepted(&app, &peer, "ann", &act("ann", "Like", 2)).await;
    accepted(&app, &peer, "bob", &act("bob", "Like", 1)).await;
    accepted(&app, &peer, "bob", &act("bob", "Announce", 1)).await;
    // A like of something else is ignored.
    let mut other = act("cy", "Like", 1);
    other["object"] = json!("https://elsewhere.example/post");
    accepted(&app, &peer, "cy", &other).await;
    let list = app.list(PAGE, "").await;
    let r = &list["reactions"];
    assert_eq!(
        (r["likes"].as_i64(), r["reposts"].as_i64()),
        (Some(2), Some(1)),
        "{r}"
    );
    let mut people: Vec<String> = r["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {} {}", p["kind"], p["name"], p["url"]))
        .collect();
    people.sort();
    assert_eq!(
        people[0],
        format!("\"like\" \"Ann <b>Example</b>\" \"{}/@ann\"", peer.origin)
    );
    assert_eq!(people.len(), 3);
    let a = peer.actor("bob");
    let undo = json!({"id": format!("{a}/undo/1"), "type": "Undo", "actor": a,
        "object": act("bob", "Like", 1)});
    accepted(&app, &peer, "bob", &undo).await;
    let list = app.list(PAGE, "").await;
    assert_eq!(list["reactions"]["likes"], 1);
    assert_eq!(list["reactions"]["reposts"], 1);
}

#[tokio::test]
async fn an_announcement_reaches_each_followers_server_once_and_again_as_an_update() {
    let app = fedi_app(|_| {}).await;
    let shared = Peer::start(true).await;
    let alone = Peer::start(false).await;
    accepted(&app, &shared, "ann", &follow(&shared, "ann")).await;
    accepted(&app, &shared, "bob", &follow(&shared, "bob")).await;
    accepted(&app, &alone, "cy", &follow(&alone, "cy")).await;
    shared.wait_for(2).await;
    alone.wait_for(1).await;
    let token = app.admin_token();
    let (status, body) = announce(&app, &token, "Hello <world>").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["created"], true);
    assert_eq!(body["inboxes"], 2);
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body["object_id"], format!("{ACTOR}/posts/{id}"));
    let got = shared.wait_for(3).await;
    let create = &got[2];
    assert_eq!(create.path, "/inbox");
    assert_signed_by_natter(&app, create).await;
    let activity = create.json();
    assert_eq!(activity["type"], "Create");
    assert_eq!(activity["actor"], ACTOR);
    let article = &activity["object"];
    assert_eq!(article["type"], "Article");
    assert_eq!(article["id"], body["object_id"]);
    assert_eq!(article["name"], "Hello <world>");
    assert_eq!(article["url"], POST_URL);
    assert_eq!(article["attributedTo"], ACTOR);
    assert_eq!(article["to"], json!([PUBLIC]));
    assert_eq!(article["cc"], json!([format!("{ACTOR}/followers")]));
    assert!(article["content"]
        .as_str()
        .unwrap()
        .contains(&format!("href=\"{POST_URL}\"")));
    let got = alone.wait_for(2).await;
    assert_eq!(got[1].path, "/users/cy/inbox");
    assert_eq!(got[1].json()["type"], "Create");
    // The object is served, and a browser is sent to the post.
    let (status, _, served) = activity_get(&app, &format!("/ap/sites/blog/posts/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(served["id"], article["id"]);
    let res = app
        .client
        .get(app.url(&format!("/ap/sites/blog/posts/{id}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], POST_URL);
    let (_, _, outbox) = activity_get(&app, "/ap/sites/blog/outbox").await;
    assert_eq!(outbox["totalItems"], 1);
    assert_eq!(outbox["orderedItems"][0]["object"]["id"], article["id"]);
    // Announced again: an Update, not a second post.
    let (status, again) = announce(&app, &token, "Hello again").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], id);
    assert_eq!(again["created"], false);
    let got = shared.wait_for(4).await;
    assert_eq!(got[3].json()["type"], "Update");
    assert_eq!(got[3].json()["object"]["name"], "Hello again");
    still(&shared, 4, 500).await;
    assert_eq!(alone.wait_for(3).await.len(), 3);
    // Validation names the field; no token, no announcement.
    let post = |b: Value| {
        app.admin(
            reqwest::Method::POST,
            "/api/admin/fediverse/announce",
            &token,
        )
        .json(&b)
        .send()
    };
    let ok = json!({"site": "blog", "page": PAGE, "url": POST_URL, "title": "T"});
    for (field, value) in [
        ("site", json!("quiet")),
        ("url", json!("javascript:alert(1)")),
        ("title", json!("  ")),
        ("page", json!("")),
        ("summary", json!("x".repeat(2001))),
    ] {
        let mut b = ok.clone();
        b[field] = value;
        assert_invalid(post(b).await.unwrap(), field).await;
    }
    let res = app
        .client
        .post(app.url("/api/admin/fediverse/announce"))
        .json(&ok)
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn the_cli_announces_a_post_as_the_api_does() {
    let app = fedi_app(|_| {}).await;
    let peer = Peer::start(false).await;
    accepted(&app, &peer, "ann", &follow(&peer, "ann")).await;
    peer.wait_for(1).await;
    let dir = tempfile::tempdir().unwrap();
    let out = natter(&app, &dir)
        .args(["fediverse", "announce", "--site", "blog", "--page", PAGE])
        .args([
            "--url",
            POST_URL,
            "--title",
            "From CI",
            "--summary",
            "Built.",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.trim().starts_with(&format!("{ACTOR}/posts/")),
        "{stdout}"
    );
    // The running server delivers what the command queued.
    let got = peer.wait_for(2).await;
    assert_eq!(got[1].json()["object"]["name"], "From CI");
    assert_eq!(got[1].json()["object"]["id"], stdout.trim());
    assert_signed_by_natter(&app, &got[1]).await;
}

#[tokio::test]
async fn an_approved_local_reply_goes_back_as_a_note_mentioning_its_author_and_its_deletion_follows(
) {
    let app = fedi_app(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::All;
    })
    .await;
    let peer = Peer::start(false).await;
    let post = announced(&app).await;
    let token = app.admin_token();
    accepted(
        &app,
        &peer,
        "bob",
        &reply(&peer, "bob", 1, &post, "<p>Hi!</p>", &[PUBLIC]),
    )
    .await;
    let bobs = app.db().query_i64(
        "SELECT comment_id FROM fedi_notes WHERE note_id = ?1",
        params![format!("{}/notes/1", peer.actor("bob"))],
    );
    let held = app.db().query_string(
        "SELECT held_reason FROM comments WHERE id = ?1",
        params![bobs],
    );
    assert_eq!(held, "moderation_all");
    let approve = |id: i64| {
        app.admin(
            reqwest::Method::POST,
            &format!("/api/admin/comments/{id}/approve"),
            &token,
        )
        .send()
    };
    assert_eq!(approve(bobs).await.unwrap().status(), 200);
    let mine = app
        .create_with(
            json!({"page": PAGE, "text": "Thanks **Bob**", "author": "Ann", "parent": bobs}),
        )
        .await;
    let mine = mine["comment"]["id"].as_i64().unwrap();
    // Held: nothing goes out, and its Note is not served.
    still(&peer, 0, 800).await;
    assert_error(
        app.get(&format!("/ap/comments/{mine}")).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(approve(mine).await.unwrap().status(), 200);
    let got = peer.wait_for(1).await;
    assert_eq!(got[0].path, "/users/bob/inbox");
    assert_signed_by_natter(&app, &got[0]).await;
    let create = got[0].json();
    assert_eq!(create["type"], "Create");
    let note = &create["object"];
    assert_eq!(note["type"], "Note");
    assert_eq!(
        note["id"],
        format!("http://localhost:8080/ap/comments/{mine}")
    );
    assert_eq!(note["attributedTo"], ACTOR);
    assert_eq!(note["inReplyTo"], format!("{}/notes/1", peer.actor("bob")));
    assert_eq!(note["to"], json!([PUBLIC, peer.actor("bob")]));
    let handle = format!("@bob@{}", peer.origin.trim_start_matches("http://"));
    assert_eq!(
        note["tag"],
        json!([{"type": "Mention", "href": peer.actor("bob"), "name": handle}])
    );
    let content = note["content"].as_str().unwrap();
    assert!(content.contains("<strong>Bob</strong>"), "{content}");
    assert!(content.contains(&handle), "{content}");
    let (status, _, served) = activity_get(&app, &format!("/ap/comments/{mine}")).await;
    assert_eq!(status, 200);
    assert_eq!(served["id"], note["id"]);
    // Deleted by a moderator: a Delete follows to the same inbox.
    let res = app
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/admin/comments/{mine}"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let got = peer.wait_for(2).await;
    let delete = got[1].json();
    assert_eq!(delete["type"], "Delete");
    assert_eq!(delete["object"]["id"], note["id"]);
    assert_eq!(delete["object"]["type"], "Tombstone");
    assert_signed_by_natter(&app, &got[1]).await;
    assert_error(
        app.get(&format!("/ap/comments/{mine}")).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_key_at_a_refused_address_fails_safely_without_contacting_it() {
    let app = fedi_app(|_| {}).await;
    let activity = json!({"id": "http://10.0.0.1/a/1", "type": "Follow",
        "actor": "http://10.0.0.1/actor", "object": ACTOR});
    let res = post_signed(
        &app,
        "/ap/sites/blog/inbox",
        &activity,
        "http://10.0.0.1/actor#main-key",
        &test_keys().0,
    )
    .await;
    let body = assert_error(res, 401, "unauthorized").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10.0.0.1 is a private address"),
        "{body}"
    );
    // A loopback peer that `fetch_allow` does not name is never contacted.
    let strict = fedi_app(|s| s.fetch_allow.clear()).await;
    let peer = Peer::start(false).await;
    let res = send(&strict, &peer, "ann", &follow(&peer, "ann")).await;
    let body = assert_error(res, 401, "unauthorized").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("loopback"),
        "{body}"
    );
    assert_eq!(peer.hits(), 0);
    assert_eq!(count(&strict, "fedi_followers"), 0);
    assert_eq!(count(&strict, "fedi_actors"), 0);
}

#[tokio::test]
async fn the_inbox_keeps_its_limits() {
    let app = fedi_app(|_| {}).await;
    let inbox = app.url("/ap/sites/blog/inbox");
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(262_144));
    let res = app
        .client
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_error(res, 413, "payload_too_large").await;
    let res = app
        .client
        .post(&inbox)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(res, 415, "unsupported_media_type").await;
    for (ct, body) in [
        ("application/activity+json", "{not json"),
        (
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            "[1]",
        ),
        ("application/json", "{\"type\": \"Follow\"}"),
    ] {
        let res = app
            .client
            .post(app.url("/ap/inbox"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(res, 400, "malformed_request").await;
    }
    let res = app
        .client
        .post(app.url("/ap/sites/quiet/inbox"))
        .header("content-type", "application/activity+json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "not_found").await;
}

#[tokio::test]
async fn an_erase_by_actor_removes_their_comments_and_reactions() {
    let app = fedi_app(|_| {}).await;
    let peer = Peer::start(false).await;
    let post = announced(&app).await;
    accepted(
        &app,
        &peer,
        "bob",
        &reply(&peer, "bob", 1, &post, "<p>One</p>", &[PUBLIC]),
    )
    .await;
    accepted(
        &app,
        &peer,
        "cy",
        &reply(&peer, "cy", 1, &post, "<p>Two</p>", &[PUBLIC]),
    )
    .await;
    let a = peer.actor("bob");
    let like = json!({"id": format!("{a}/like/1"), "type": "Like", "actor": a, "object": post});
    accepted(&app, &peer, "bob", &like).await;
    let token = app.admin_token();
    let res = app
        .admin(reqwest::Method::POST, "/api/admin/erase", &token)
        .json(&json!({"site": "blog", "actor": a}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["erased"], 1);
    let list = app.list(PAGE, "").await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["comments"][0]["author"], "Cy <b>Example</b>");
    assert_eq!(list["reactions"]["likes"], 0);
    // By the profile page a moderator sees as the comment's website, too.
    let cy = &list["comments"][0];
    let profile = cy["website"].as_str().unwrap();
    assert_eq!(profile, format!("{}/@cy", peer.origin));
    let res = app
        .admin(reqwest::Method::POST, "/api/admin/erase", &token)
        .json(&json!({"site": "blog", "actor": profile}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["erased"], 1);
    assert_eq!(app.list(PAGE, "").await["total"], 0);
    let res = app
        .admin(reqwest::Method::POST, "/api/admin/erase", &token)
        .json(&json!({"site": "blog", "actor": a, "email": "x@example.com"}))
        .send()
        .await
        .unwrap();
    assert_invalid(res, "actor").await;
}

#[test]
fn a_fediverse_site_needs_a_handle_of_its_own() {
    let check = |toml: &str| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("natter.toml");
        std::fs::write(&path, toml).unwrap();
        natter::config::Settings::load_from(
            Some(&path),
            figment::providers::Env::prefixed("NATTER_TEST_FEDI_"),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let site = |id: &str, rest: &str| format!("[sites.{id}]\norigins = [\"*\"]\n{rest}\n");
    let e = check(&site("a", "fediverse = true")).unwrap_err();
    assert!(e.contains("sites.a.fediverse_handle"), "{e}");
    let e = check(&site(
        "a",
        "fediverse = true\nfediverse_handle = \"Bad-Name\"",
    ))
    .unwrap_err();
    assert!(e.contains("sites.a.fediverse_handle"), "{e}");
    let two = site("a", "fediverse = true\nfediverse_handle = \"same\"")
        + &site("b", "fediverse = true\nfediverse_handle = \"same\"");
    let e = check(&two).unwrap_err();
    assert!(e.contains("sites.b.fediverse_handle"), "{e}");
    assert!(check(&site(
        "a",
        "fediverse = true\nfediverse_handle = \"blog_1\""
    ))
    .is_ok());
}
