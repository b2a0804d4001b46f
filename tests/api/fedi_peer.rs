//! A small Fediverse server on loopback for the ActivityPub tests, written here in Rust:
//! it serves actors (each with an RSA key and a public key in its document), records every
//! POST to their inboxes (and to its shared inbox), and signs the activities a test sends
//! to Natter with the same code Natter signs its own with (`natter::fediverse::signature`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use natter::fediverse::keys::{self, KeyPair, Signer};
use natter::fediverse::signature;
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// One POST the peer received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    hits: AtomicUsize,
    /// Whether actors list the shared inbox.
    shared_inbox: std::sync::atomic::AtomicBool,
}

/// Two key pairs made once for the whole test binary (key generation takes a moment).
pub fn test_keys() -> &'static (KeyPair, KeyPair) {
    static PAIRS: OnceLock<(KeyPair, KeyPair)> = OnceLock::new();
    PAIRS.get_or_init(|| (keys::generate().unwrap(), keys::generate().unwrap()))
}

/// A running peer server.
pub struct Peer {
    pub origin: String,
    shared: Arc<Shared>,
}

impl Peer {
    /// Starts a peer whose actors list a shared inbox (`/inbox`) when `shared_inbox`.
    pub async fn start(shared_inbox: bool) -> Peer {
        let shared: Arc<Shared> = Arc::default();
        shared.shared_inbox.store(shared_inbox, Ordering::SeqCst);
        let data = web::Data::new(shared.clone());
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let origin = format!("http://127.0.0.1:{port}");
        let base = origin.clone();
        let server = HttpServer::new(move || {
            let base = base.clone();
            App::new().app_data(data.clone()).default_service(web::to(
                move |req: HttpRequest, body: web::Bytes, s: web::Data<Arc<Shared>>| {
                    let base = base.clone();
                    async move {
                        s.hits.fetch_add(1, Ordering::SeqCst);
                        let path = req.uri().path().to_string();
                        if req.method() == actix_web::http::Method::POST {
                            let headers = req
                                .headers()
                                .iter()
                                .map(|(n, v)| {
                                    (n.as_str().to_string(), v.to_str().unwrap_or("").to_string())
                                })
                                .collect();
                            s.received.lock().unwrap().push(Received {
                                path,
                                headers,
                                body: body.to_vec(),
                            });
                            return HttpResponse::Accepted().finish();
                        }
                        match path.strip_prefix("/users/") {
                            Some(name) if !name.contains('/') => {
                                let with_shared = s.shared_inbox.load(Ordering::SeqCst);
                                HttpResponse::Ok()
                                    .content_type("application/activity+json")
                                    .body(actor_doc(&base, name, with_shared).to_string())
                            }
                            _ => HttpResponse::NotFound().finish(),
                        }
                    }
                },
            ))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Peer { origin, shared }
    }

    /// The actor `name`'s id.
    pub fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.origin)
    }

    /// Requests answered so far (GETs of actors included).
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// What the inboxes received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until the inboxes received at least `n` POSTs (10 s at most).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "the peer received {} of {n}: {got:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// An actor document: the name decides the key (`mallory` publishes the second test key).
fn actor_doc(base: &str, name: &str, shared_inbox: bool) -> Value {
    let id = format!("{base}/users/{name}");
    let pair = if name == "mallory" {
        &test_keys().1
    } else {
        &test_keys().0
    };
    let mut doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": name,
        "name": format!("{} <b>Example</b>", capitalize(name)),
        "url": format!("{base}/@{name}"),
        "inbox": format!("{id}/inbox"),
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pair.public_pem},
    });
    if shared_inbox {
        doc["endpoints"] = json!({"sharedInbox": format!("{base}/inbox")});
    }
    doc
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Posts `activity` to Natter's `path`, signed by `key_id` with `pair` (Mastodon's way).
pub async fn post_signed(
    app: &TestApp,
    path: &str,
    activity: &Value,
    key_id: &str,
    pair: &KeyPair,
) -> reqwest::Response {
    let url = url::Url::parse(&app.url(path)).unwrap();
    let body = activity.to_string().into_bytes();
    let signer = Signer::new(pair).unwrap();
    let headers =
        signature::sign_post(&signer, key_id, &url, &body, std::time::SystemTime::now()).unwrap();
    let mut req = app
        .client
        .post(url)
        .header("content-type", "application/activity+json");
    for (name, value) in headers {
        if name != "host" {
            req = req.header(name, value);
        }
    }
    req.body(body).send().await.unwrap()
}

/// Checks a POST Natter made: its digest and date, and its signature by the key of
/// Natter's actor (fetched from Natter as a peer would). Returns the key id it named.
pub async fn assert_signed_by_natter(app: &TestApp, r: &Received) -> String {
    let req = signature::Request {
        method: "POST",
        target: &r.path,
        headers: &r.headers,
        body: &r.body,
    };
    let sig = signature::parse(&req.signature_header().expect("signed")).unwrap();
    assert_eq!(sig.algorithm.as_deref(), Some("rsa-sha256"));
    assert_eq!(
        sig.headers,
        ["(request-target)", "host", "date", "digest"].map(String::from)
    );
    let signed = signature::check(&sig, &req, natter::domain::now()).unwrap();
    let actor_path = sig
        .key_id
        .strip_prefix("http://localhost:8080")
        .and_then(|p| p.strip_suffix("#main-key"))
        .expect("a key of Natter's actor");
    let doc: Value = app
        .client
        .get(app.url(actor_path))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["publicKey"]["id"], sig.key_id.as_str());
    let pem = doc["publicKey"]["publicKeyPem"].as_str().unwrap();
    signature::verify(&sig, &signed, pem).expect("Natter's signature verifies");
    sig.key_id
}
