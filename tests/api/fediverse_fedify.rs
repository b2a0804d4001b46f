//! The Fediverse with a peer nobody here wrote: a small ActivityPub server built on Fedify
//! (`tests/peers/fedify/peer.mjs`; `@fedify/fedify` pinned in tests/peers, installed by
//! scripts/test.sh). Everything on the wire on its side is Fedify's own: the WebFinger
//! lookup, the actor and object documents, HTTP signatures made and checked, delivery.
//!
//! One conversation end to end: Alice looks the site's actor up by WebFinger and follows
//! it; the announced post reaches her; her reply becomes a comment (sent twice: one
//! comment), her edit edits it, her like counts; a followers-only reply is never shown; the
//! owner's answer is delivered back to her, and Fedify verifies its signature; her delete
//! removes her reply.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::fediverse::fedi_app_at_its_address;
use crate::helpers::TestApp;

const PAGE: &str = "/posts/fedify/";

/// The peer's script, when the npm peers are installed (a failure when they must be).
fn peer_script() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let found = root
        .join("tests/peers/node_modules/@fedify/fedify/package.json")
        .is_file()
        && Command::new("node").arg("--version").output().is_ok();
    if !found && std::env::var("NATTER_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!(
            "NATTER_REQUIRE_PEERS=1 but Fedify or node is missing (npm ci --prefix tests/peers)"
        );
    }
    found.then(|| root.join("tests/peers/fedify/peer.mjs"))
}

/// A running peer, killed when dropped.
struct Fedify {
    child: Child,
    base: String,
    actor: String,
    http: reqwest::Client,
}

impl Drop for Fedify {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Fedify {
    fn start(script: &PathBuf) -> Fedify {
        let mut child = Command::new("node")
            .arg(script)
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the peer says where it listens");
        let hello: Value = serde_json::from_str(&line).expect("one JSON line");
        Fedify {
            child,
            base: hello["base"].as_str().unwrap().to_string(),
            actor: hello["actor"].as_str().unwrap().to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    /// A control call; asserts it succeeded.
    async fn call(&self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}/control/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let answer: Value = res.json().await.unwrap();
        assert!(status < 300, "/control/{path} {body}: {status} {answer}");
        answer
    }

    async fn get(&self, path_and_query: &str) -> Value {
        self.http
            .get(format!("{}/control/{path_and_query}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The first activity of `kind` received that `matches`, waiting up to 20 s.
    async fn received(&self, kind: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let all = self
                .get(&format!("received?type={kind}&wait_ms=1000"))
                .await;
            if let Some(a) = all.as_array().unwrap().iter().find(|a| matches(a)) {
                return a.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {kind} arrived: {all}; refused: {}",
                self.get("inbox_requests").await
            );
        }
    }
}

/// The page's thread once `ready` holds, waiting up to 20 s.
async fn thread_when(app: &TestApp, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = app.list(PAGE, "").await;
        if ready(&list) {
            return list;
        }
        assert!(Instant::now() < deadline, "never came: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_conversation_with_a_fedify_server_follow_announce_reply_edit_like_answer_delete() {
    let Some(script) = peer_script() else {
        eprintln!("skipped: the npm peers are not installed (npm ci --prefix tests/peers)");
        return;
    };
    let alice = Fedify::start(&script);
    let app = fedi_app_at_its_address(|_| {}).await;
    let site_actor = app.url("/ap/sites/blog");
    let token = app.admin_token();

    // Alice finds the site through its WebFinger (Fedify's own lookup) and follows it.
    let follow = alice.call("follow", json!({"target": site_actor})).await;
    assert_eq!(follow["webfinger"]["self"], site_actor, "{follow}");
    let following = alice
        .get(&format!(
            "following?target={}&wait_ms=9000",
            crate::helpers::enc(&site_actor)
        ))
        .await;
    assert_eq!(following["accepted"], true, "{following}");

    // The owner announces the post: it reaches Alice, signed.
    let res = app
        .admin(
            reqwest::Method::POST,
            "/api/admin/fediverse/announce",
            &token,
        )
        .json(
            &json!({"site": "blog", "page": PAGE, "url": "https://blog.example/posts/fedify/",
            "title": "Hello, Fediverse"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let post = res.json::<Value>().await.unwrap()["object_id"]
        .as_str()
        .unwrap()
        .to_string();
    let create = alice
        .received("Create", |a| a["object_id"] == post.as_str())
        .await;
    assert_eq!(create["actor"], site_actor);
    assert_eq!(create["http_signature"]["verified"], true, "{create}");
    assert_eq!(create["object"]["type"], "Article");

    // Her public reply becomes a comment, with her handle; sent again, still one.
    let reply = alice
        .call(
            "reply",
            json!({"in_reply_to": post, "content": "<p>Nice <strong>post</strong>!<script>x()</script></p>",
                "visibility": "public"}),
        )
        .await;
    let note = reply["note_id"].as_str().unwrap().to_string();
    let list = thread_when(&app, |l| l["total"] == 1).await;
    let c = list["comments"][0].clone();
    let port = alice.base.rsplit(':').next().unwrap();
    assert_eq!(c["author"], "Alice Peer");
    assert_eq!(c["via"]["kind"], "fediverse");
    assert_eq!(c["via"]["handle"], format!("@alice@127.0.0.1:{port}"));
    assert_eq!(c["html"], "<p>Nice <strong>post</strong>!</p>", "sanitized");
    alice
        .call("resend", json!({"activity_id": reply["activity_id"]}))
        .await;
    // (the resend is processed before its answer; a second comment would be listed now)
    assert_eq!(
        app.list(PAGE, "").await["total"],
        1,
        "the same activity twice: one comment"
    );

    // A followers-only reply is never shown.
    alice
        .call(
            "reply",
            json!({"in_reply_to": post, "content": "<p>just for followers</p>",
                "visibility": "followers", "to_actor": site_actor}),
        )
        .await;
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
    let hidden = queue["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["text"]
                .as_str()
                .unwrap_or("")
                .contains("just for followers")
        })
        .unwrap_or_else(|| panic!("kept for moderators: {queue}"));
    assert_eq!(hidden["status"], "rejected");
    assert_eq!(hidden["held_reason"], "not_public");
    assert_eq!(app.list(PAGE, "").await["total"], 1);

    // Her edit edits it; her like counts on the page.
    alice
        .call(
            "edit",
            json!({"note_id": note, "content": "<p>Nice post, edited.</p>"}),
        )
        .await;
    thread_when(&app, |l| {
        l["comments"][0]["html"] == "<p>Nice post, edited.</p>"
    })
    .await;
    alice
        .call("like", json!({"object": post, "to_actor": site_actor}))
        .await;
    let liked = thread_when(&app, |l| l["reactions"]["likes"] == 1).await;
    assert_eq!(
        liked["reactions"]["people"][0]["name"], "Alice Peer",
        "{liked}"
    );

    // The owner answers from Natter: the Note goes back to her, and Fedify checks it.
    let answer = app
        .client
        .post(app.url("/api/comments"))
        .bearer_auth(&token)
        .json(
            &json!({"site": "blog", "page": PAGE, "parent": c["id"], "author": "Owner",
            "text": "Thank you, Alice!"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201);
    let back = alice
        .received("Create", |a| a["object"]["inReplyTo"] == note.as_str())
        .await;
    assert_eq!(back["http_signature"]["verified"], true, "{back}");
    assert_eq!(back["actor"], site_actor);
    assert!(back["object"]["content"]
        .as_str()
        .unwrap()
        .contains("Thank you, Alice!"));
    let mentions: Vec<&Value> = match &back["object"]["tag"] {
        Value::Array(tags) => tags.iter().collect(),
        one => vec![one],
    };
    assert!(
        mentions.iter().any(|t| t["href"] == alice.actor.as_str()),
        "mentions Alice: {back}"
    );

    // Her delete removes her reply: a tombstone, since the owner answered it.
    alice.call("delete", json!({"note_id": note})).await;
    let gone = thread_when(&app, |l| l["comments"][0]["status"] == "deleted").await;
    assert_eq!(gone["comments"][0]["id"], c["id"]);
    assert_eq!(gone["comments"][0]["author"], Value::Null, "{gone}");
    assert_eq!(
        gone["comments"][0]["via"],
        Value::Null,
        "a tombstone says nothing"
    );
    assert_eq!(gone["comments"][1]["parent"], c["id"], "the answer stays");
}
