//! Webhooks as the README documents them: every field of the payload with its type, the
//! headers, each event going only to the receivers that asked for it, and no redirect
//! followed.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};

use hmac::{Hmac, Mac};
use natter::config::{Moderation, Webhook};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{id_of, TestApp, BLOG};
use crate::outbox::drained;
use crate::sinks::{Hook, HookSink};

const EVENTS: [&str; 4] = [
    "comment.created",
    "comment.approved",
    "comment.rejected",
    "comment.deleted",
];

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn rfc3339_utc(v: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    assert!(s.ends_with('Z'), "{s}");
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

/// The deliveries a receiver got, in order.
fn received(hooks: &HookSink, path: &str) -> Vec<Hook> {
    hooks
        .hooks
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.path == path)
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_payload_has_every_documented_field_with_its_type() {
    let hooks = HookSink::start().await;
    let url = hooks.url.clone();
    let app = TestApp::spawn_with(move |s| {
        s.webhooks = vec![Webhook {
            url,
            events: vec![],
            secret: "s3cret".into(),
        }];
    })
    .await;
    let token = app.admin_token();
    let before = chrono::Utc::now().timestamp();
    let id = id_of(&app.create_with(json!({"page": "/p", "title": "My post", "url": format!("{BLOG}/p"), "author": "Ann", "email": "ann@reader.example", "website": "https://ann.example", "text": "*hello*"})).await);
    let reply = id_of(
        &app.create_with(json!({"page": "/p", "parent": id, "text": "anonymous reply"}))
            .await,
    );
    app.create("/untitled", "no title, no url").await;
    drained(app.db()).await;
    let all = received(&hooks, "/hook");
    assert_eq!(all.len(), 3, "three comment.created");
    for hook in &all {
        assert_eq!(hook.content_type, "application/json");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(&hook.body);
        assert_eq!(
            hook.signature,
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        );
        let raw = String::from_utf8_lossy(&hook.body);
        assert!(!raw.contains("ann@reader.example") && !raw.contains("127.0.0"));
        let body: Value = serde_json::from_slice(&hook.body).unwrap();
        assert_eq!(
            keys(&body),
            BTreeSet::from(["id", "event", "created_at", "site", "page", "comment"])
        );
        let evt = body["id"].as_str().unwrap();
        assert!(evt.starts_with("evt_") && evt.len() > 20, "{evt}");
        assert_eq!(evt, hook.delivery, "X-Natter-Delivery is the event id");
        assert_eq!(body["event"], "comment.created");
        assert_eq!(body["event"], hook.event.as_str(), "X-Natter-Event");
        let at = rfc3339_utc(&body["created_at"]).timestamp();
        assert!(at >= before && at <= chrono::Utc::now().timestamp());
        assert_eq!(body["site"], "blog");
        assert_eq!(keys(&body["page"]), BTreeSet::from(["key", "title", "url"]));
        let c = &body["comment"];
        assert_eq!(
            keys(c),
            BTreeSet::from([
                "id",
                "parent",
                "author",
                "website",
                "avatar",
                "html",
                "status",
                "created_at",
                "edited_at",
                "likes",
                "dislikes",
                "via",
                "badge",
                "signed_in"
            ])
        );
        // The public comment object, exactly as the API shows it.
        let public: Value = app
            .get(&format!("/api/comments/{}", c["id"]))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(c, &public, "{body}");
        assert!(c["id"].is_i64() && c["html"].is_string() && c["status"] == "approved");
        assert!(c["avatar"]
            .as_str()
            .is_some_and(|a| a.starts_with("/api/avatar/") && a.ends_with(".svg")));
        rfc3339_utc(&c["created_at"]);
        assert!(c["edited_at"].is_null());
        assert_eq!(
            (c["likes"].as_i64(), c["dislikes"].as_i64()),
            (Some(0), Some(0))
        );
    }
    let by_id = |want: i64| {
        all.iter()
            .map(|h| serde_json::from_slice::<Value>(&h.body).unwrap())
            .find(|b| b["comment"]["id"] == want)
            .unwrap()
    };
    let first = by_id(id);
    assert_eq!(
        first["page"],
        json!({"key": "/p", "title": "My post", "url": format!("{BLOG}/p")})
    );
    let c = &first["comment"];
    assert_eq!(c["parent"], Value::Null);
    assert_eq!(c["author"], "Ann");
    assert_eq!(c["website"], "https://ann.example");
    assert_eq!(c["html"], "<p><em>hello</em></p>\n");
    let second = by_id(reply);
    assert_eq!(second["comment"]["parent"], id);
    assert_eq!(second["comment"]["author"], Value::Null);
    assert_eq!(second["comment"]["website"], Value::Null);
    assert_eq!(
        second["page"]["title"], "My post",
        "the page's, set by its first comment"
    );
    let third = all
        .iter()
        .map(|h| serde_json::from_slice::<Value>(&h.body).unwrap())
        .find(|b| b["page"]["key"] == "/untitled")
        .unwrap();
    assert_eq!(
        third["page"],
        json!({"key": "/untitled", "title": null, "url": null})
    );
    let ids: BTreeSet<&str> = all.iter().map(|h| h.delivery.as_str()).collect();
    assert_eq!(ids.len(), 3, "every event has its own id");

    // The status is the comment's real one (the public object shows a rejected
    // comment to its author as pending).
    let res = app
        .admin(
            Method::POST,
            &format!("/api/admin/comments/{reply}/reject"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rejected = hooks.wait_for("comment.rejected", 10).await;
    let body: Value = serde_json::from_slice(&rejected.body).unwrap();
    assert_eq!(body["comment"]["status"], "rejected");
    assert_eq!(body["comment"]["id"], reply);
}

#[tokio::test]
async fn each_event_goes_only_to_the_receivers_that_asked_for_it() {
    let hooks = HookSink::start().await;
    let base = hooks.url.clone();
    let wants: Vec<(&str, Vec<&str>)> = vec![
        ("all", vec![]),
        ("created", vec!["comment.created"]),
        ("approved", vec!["comment.approved"]),
        ("rejected", vec!["comment.rejected"]),
        ("deleted", vec!["comment.deleted"]),
        ("two", vec!["comment.approved", "comment.deleted"]),
    ];
    let config: Vec<Webhook> = wants
        .iter()
        .map(|(name, events)| Webhook {
            url: format!("{base}/{name}"),
            events: events.iter().map(|e| e.to_string()).collect(),
            secret: format!("secret-{name}"),
        })
        .collect();
    let app = TestApp::spawn_with(move |s| {
        s.webhooks = config;
        s.sites.get_mut("blog").unwrap().moderation = Moderation::All;
    })
    .await;
    let token = app.admin_token();
    let id = id_of(&app.create("/p", "filtered").await);
    for action in ["approve", "reject"] {
        let res = app
            .admin(
                Method::POST,
                &format!("/api/admin/comments/{id}/{action}"),
                &token,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = app
        .admin(Method::DELETE, &format!("/api/admin/comments/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    drained(app.db()).await;
    for (name, events) in &wants {
        let want: Vec<&str> = if events.is_empty() {
            EVENTS.to_vec()
        } else {
            EVENTS
                .iter()
                .copied()
                .filter(|e| events.contains(e))
                .collect()
        };
        let got = received(&hooks, &format!("/hook/{name}"));
        let events: Vec<&str> = got.iter().map(|h| h.event.as_str()).collect();
        assert_eq!(events, want, "receiver {name}");
        for h in &got {
            // Signed with that receiver's own secret.
            let mut mac =
                Hmac::<sha2::Sha256>::new_from_slice(format!("secret-{name}").as_bytes()).unwrap();
            mac.update(&h.body);
            assert_eq!(
                h.signature,
                format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
            );
            let body: Value = serde_json::from_slice(&h.body).unwrap();
            assert_eq!(body["event"], h.event.as_str());
            assert_eq!(body["comment"]["id"], id);
        }
    }
}

/// A receiver that answers every POST with `307 Temporary Redirect` to `location` (which
/// asks the client to re-post the same body there), counting what it got.
async fn redirecting_receiver(location: String) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = web::Data::new(hits.clone());
    let location = web::Data::new(location);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(seen.clone())
            .app_data(location.clone())
            .default_service(web::to(
                |seen: web::Data<Arc<AtomicUsize>>, location: web::Data<String>| async move {
                    seen.fetch_add(1, Ordering::SeqCst);
                    HttpResponse::TemporaryRedirect()
                        .insert_header(("location", location.as_str()))
                        .finish()
                },
            ))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), hits)
}

#[tokio::test]
async fn a_redirect_is_a_failed_attempt_retried_and_never_followed() {
    // The redirect points at another receiver on loopback, which must get nothing.
    let elsewhere = HookSink::start().await;
    let (url, hits) = redirecting_receiver(format!("{}/stolen", elsewhere.url)).await;
    let hook_url = url.clone();
    let app = TestApp::spawn_with(move |s| {
        s.webhooks = vec![Webhook {
            url: hook_url,
            events: vec![],
            secret: "s3cret".into(),
        }];
    })
    .await;
    app.create("/p", "signed, and for one receiver only").await;
    // Attempts come 1 s, then 2 s apart: a second one shows the failure is retried.
    let deadline = Instant::now() + Duration::from_secs(15);
    let row = loop {
        let rows = crate::outbox::rows(app.db());
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            elsewhere.hooks.lock().unwrap().is_empty(),
            "the redirect was followed: {rows:?}"
        );
        if rows[0].attempts >= 2 {
            break rows[0].clone();
        }
        assert!(Instant::now() < deadline, "not retried: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row.target, url);
    assert_eq!(row.status, "pending", "retried like any failure: {row:?}");
    let error = row.last_error.clone().unwrap_or_default();
    assert!(error.contains("307"), "{error}");
    assert!(
        hits.load(Ordering::SeqCst) >= 2,
        "every attempt reached the receiver"
    );
    assert!(
        elsewhere.hooks.lock().unwrap().is_empty(),
        "the redirect was followed: {:?}",
        elsewhere.hooks.lock().unwrap()
    );
    // The admin page shows why it is stuck.
    let token = app.admin_token();
    let state: Value = app
        .admin(Method::GET, "/api/admin/outbox", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shown = &state["undelivered"][0];
    assert_eq!(shown["target"], url.as_str(), "{state}");
    assert!(
        shown["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("307")),
        "{state}"
    );
}
