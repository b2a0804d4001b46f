//! "Sign in with OpenID Connect", black-box: the popup's redirect to a provider, the
//! provider's redirect back, the session the popup hands over, and every way that ends in
//! a refusal and no session.
//!
//! Two providers:
//!
//! - A real one nobody here wrote: panva's `oidc-provider` (`tests/peers/oidc/provider.mjs`,
//!   pinned in tests/peers, installed by scripts/test.sh). Its discovery, authorization and
//!   token endpoints, PKCE, client authentication, codes and ID tokens are its own; its
//!   control API signs Alice in as a browser would. Skipped when the npm peers are missing,
//!   a failure when `NATTER_REQUIRE_PEERS=1`.
//! - A crafted one in Rust here, for ID tokens no real provider sends: expired, signed by a
//!   key its JWKS doesn't hold, for another audience, from another issuer, unsigned or
//!   HMAC-signed (and one good token, so that the refusals are the token's fault and not the
//!   crafted provider's); and for what a real one does rarely: rolling its signing key
//!   over, a discovery document naming another issuer, not answering at all.
//!
//! After every refusal, neither the desk (`GET /api/admin/sessions`) nor the database
//! holds a session. And the config's refusals of a sign-in setup that cannot work.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine as _;
use figment::providers::Env;
use natter::config::{OidcProvider, Settings, SiteConfig};
use natter::fediverse::keys::{self, KeyPair, Signer};
use reqwest::{Method, Response};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::fedi_peer::test_keys;
use crate::helpers::{enc, TestApp, BLOG};
use crate::sinks::free_port;

/// The client secret Natter holds for both providers.
const SECRET: &str = "s3cret-s3cret-s3cret";
/// The browser-binding cookie's name.
const COOKIE: &str = "natter_signin";
/// The page signed-in comments go to.
const PAGE: &str = "/posts/signed-in/";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

// ---------------------------------------------------------------------------------------
// The popup, as a browser without a script engine sees it.

/// `&quot;` and its kin back to characters (what a browser does to an attribute).
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the first attribute `name` in `html`, unescaped.
fn attr(html: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = html.find(&key)? + key.len();
    let end = html[at..].find('"')? + at;
    Some(unescape(&html[at..end]))
}

/// One of the popup's pages.
#[derive(Debug)]
struct Popup {
    status: u16,
    /// `choose`, `done` or `error`.
    mode: String,
    /// `data-origin` (where the session is posted).
    origin: Option<String>,
    /// `data-session`, parsed.
    session: Option<Value>,
    /// The text of `#auth-error`.
    error: Option<String>,
    html: String,
}

async fn popup_of(res: Response) -> Popup {
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (ct, cache) = (header("content-type"), header("cache-control"));
    let (csp, frames) = (header("content-security-policy"), header("x-frame-options"));
    assert!(res.headers().get("location").is_none(), "no redirect");
    let html = res.text().await.unwrap();
    assert!(ct.starts_with("text/html"), "{status} {ct}: {html}");
    assert_eq!(cache, "no-store", "a sign-in page is never cached");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(frames, "DENY");
    let error = html.find("id=\"auth-error\"").map(|at| {
        let rest = &html[at..];
        let open = rest.find('>').unwrap() + 1;
        let close = rest.find("</p>").unwrap();
        unescape(&rest[open..close])
    });
    Popup {
        status,
        mode: attr(&html, "data-mode").unwrap_or_default(),
        origin: attr(&html, "data-origin"),
        session: attr(&html, "data-session").map(|s| serde_json::from_str(&s).unwrap()),
        error,
        html,
    }
}

/// Asserts a 400 refusal page whose message says each of `says` (in any case); the
/// message.
async fn assert_refused(res: Response, says: &[&str]) -> String {
    let page = popup_of(res).await;
    assert_eq!(page.status, 400, "{}", page.html);
    assert_eq!(page.mode, "error", "{}", page.html);
    assert!(page.session.is_none(), "{}", page.html);
    assert!(!page.html.contains("ns1."), "no token on a refusal");
    let why = page.error.unwrap_or_default();
    for s in says {
        assert!(
            why.to_lowercase().contains(&s.to_lowercase()),
            "the refusal {why:?} should say {s:?}"
        );
    }
    why
}

/// Opens the popup (`GET /auth/signin`) for `blog` from [`BLOG`]; the binding cookie it
/// sets.
async fn open_popup(app: &TestApp) -> String {
    let res = app
        .get(&format!("/auth/signin?site=blog&origin={}", enc(BLOG)))
        .await;
    let set_cookie: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let page = popup_of(res).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(page.mode, "choose");
    let cookie = set_cookie
        .iter()
        .find(|c| c.starts_with(&format!("{COOKIE}=")))
        .unwrap_or_else(|| panic!("a binding cookie: {set_cookie:?}"));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let value = cookie[COOKIE.len() + 1..].split(';').next().unwrap();
    assert_eq!(value.len(), 43, "{cookie}");
    value.to_string()
}

/// GET `url` (a path of the app, or a whole URL), with the binding cookie when given.
async fn get_as(app: &TestApp, url: &str, cookie: Option<&str>) -> Response {
    let url = if url.starts_with("http") {
        url.to_string()
    } else {
        app.url(url)
    };
    let mut req = app.client.get(url);
    if let Some(c) = cookie {
        req = req.header("cookie", format!("{COOKIE}={c}"));
    }
    req.send().await.unwrap()
}

/// `GET /auth/oidc/<name>/start` for `blog` from [`BLOG`]: asserts the 303 and returns
/// the provider's authorization URL it sends the browser to.
async fn start(app: &TestApp, cookie: &str, name: &str) -> Url {
    let path = format!("/auth/oidc/{name}/start?site=blog&origin={}", enc(BLOG));
    let res = get_as(app, &path, Some(cookie)).await;
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let body = res.text().await.unwrap();
    assert_eq!(status, 303, "{body}");
    Url::parse(&location.expect("a Location")).unwrap()
}

/// A query parameter of `url` (the only one of its name).
fn param(url: &Url, key: &str) -> Option<String> {
    let all: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .collect();
    assert!(all.len() <= 1, "{key} twice in {url}");
    all.into_iter().next()
}

/// `url` with `key` set to `value`.
fn with_param(url: &str, key: &str, value: &str) -> String {
    let mut url = Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != key)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(key, value);
    url.to_string()
}

/// Asserts the signed-in page: the session for [`BLOG`] as `name` by `provider`, which
/// `GET /api/auth/session` knows. The hand-over.
async fn assert_signed_in(app: &TestApp, res: Response, provider: &str, name: &str) -> Value {
    let page = popup_of(res).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(page.mode, "done", "{}", page.html);
    assert_eq!(page.origin.as_deref(), Some(BLOG));
    let h = page.session.expect("data-session");
    assert_eq!(h["natter"], "session", "{h}");
    assert_eq!(h["site"], "blog", "{h}");
    assert_eq!(h["origin"], BLOG, "{h}");
    assert_eq!(h["identity"], json!({"provider": provider, "name": name}));
    let expires = chrono::DateTime::parse_from_rfc3339(h["expires_at"].as_str().unwrap())
        .unwrap()
        .timestamp();
    let days = (expires - unix_now()) as f64 / 86_400.0;
    assert!(
        (29.99..=30.0).contains(&days),
        "a session lasts 30 days: {h}"
    );
    let token = h["token"].as_str().unwrap();
    assert!(token.starts_with("ns1."), "{h}");
    let res = app
        .client
        .get(app.url("/api/auth/session"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let who: Value = res.json().await.unwrap();
    assert_eq!(who["site"], "blog");
    assert_eq!(who["identity"], h["identity"]);
    assert_eq!(who["expires_at"], h["expires_at"]);
    h
}

/// The live sessions the desk lists; the database agrees on how many there are.
async fn sessions(app: &TestApp, admin: &str) -> Vec<Value> {
    let res = app
        .admin(Method::GET, "/api/admin/sessions", admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    let listed = body["sessions"].as_array().unwrap().clone();
    let stored = app.db().query_i64("SELECT COUNT(*) FROM sessions", &[]);
    assert_eq!(listed.len() as i64, stored, "{body}");
    listed
}

async fn assert_no_session(app: &TestApp, admin: &str) {
    let listed = sessions(app, admin).await;
    assert!(listed.is_empty(), "no session: {listed:?}");
    assert_eq!(
        app.db().query_i64("SELECT COUNT(*) FROM identities", &[]),
        0,
        "nobody became known either"
    );
}

// ---------------------------------------------------------------------------------------
// The real provider: oidc-provider on node.

/// The provider's script, when the npm peers are installed (a failure when they must be).
fn peer_script() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let found = root
        .join("tests/peers/node_modules/oidc-provider/package.json")
        .is_file()
        && Command::new("node").arg("--version").output().is_ok();
    if !found && std::env::var("NATTER_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!(
            "NATTER_REQUIRE_PEERS=1 but oidc-provider or node is missing \
             (npm ci --prefix tests/peers)"
        );
    }
    found.then(|| root.join("tests/peers/oidc/provider.mjs"))
}

/// A running oidc-provider, killed when dropped. Its log (stderr) is kept in a file and
/// shown when the test fails.
struct OidcPeer {
    child: Child,
    issuer: String,
    log: std::fs::File,
    http: reqwest::Client,
}

impl Drop for OidcPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let mut text = String::new();
            let _ = self.log.rewind();
            let _ = self.log.read_to_string(&mut text);
            eprintln!("--- oidc-provider's log ---\n{text}---");
        }
    }
}

impl OidcPeer {
    /// Starts the provider with the client `natter` (redirect URI on `natter_port`) and the
    /// account `alice`.
    fn start(script: &Path, natter_port: u16) -> OidcPeer {
        let redirect = format!("http://127.0.0.1:{natter_port}/auth/oidc/peer/callback");
        let config = json!({
            "clients": [{
                "client_id": "natter",
                "client_secret": SECRET,
                "redirect_uris": [redirect],
            }],
            "accounts": {
                "alice": {
                    "name": "Alice Example",
                    "email": "alice@example.test",
                    "email_verified": true,
                },
            },
        });
        let log = tempfile::tempfile().unwrap();
        let mut child = Command::new("node")
            .arg(script)
            .env("OIDC_PEER_CONFIG", config.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.try_clone().unwrap()))
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut peer = OidcPeer {
            child,
            issuer: String::new(),
            log,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the provider says where it listens within 30 s");
        let hello: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("one JSON line, not {line:?}: {e}"));
        peer.issuer = hello["issuer"].as_str().unwrap().to_string();
        peer
    }

    /// Follows an authorization URL as a browser would, signing in as `login`, with
    /// `extra` fields for `/control/drive` (`nonce`); where the provider sends the browser
    /// back.
    async fn drive(&self, url: &Url, login: Option<&str>, extra: Value) -> String {
        let mut body = json!({"url": url.as_str()});
        if let Some(l) = login {
            body["login"] = json!(l);
        }
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = self
            .http
            .post(format!("{}/control/drive", self.issuer))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let answer: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "/control/drive {body}: {answer}");
        answer["location"].as_str().unwrap().to_string()
    }
}

/// The provider and a Natter at a known address whose site `blog` offers `oidc:peer`;
/// `None` (skip) when the npm peers are not installed.
async fn with_peer() -> Option<(OidcPeer, TestApp)> {
    let script = peer_script()?;
    let port = free_port();
    let peer = OidcPeer::start(&script, port);
    let issuer = peer.issuer.clone();
    let app = TestApp::spawn_with(|s| {
        s.bind = format!("127.0.0.1:{port}");
        s.public_url = format!("http://127.0.0.1:{port}");
        s.fetch_allow = vec!["127.0.0.1".into()];
        s.oidc.insert(
            "peer".into(),
            OidcProvider {
                issuer,
                client_id: "natter".into(),
                client_secret: SECRET.into(),
                label: "Peer Login".into(),
            },
        );
        s.sites.get_mut("blog").unwrap().sign_in = vec!["oidc:peer".into()];
    })
    .await;
    Some((peer, app))
}

macro_rules! peer_or_skip {
    () => {
        match with_peer().await {
            Some(both) => both,
            None => {
                eprintln!("skipped: the npm peers are not installed (npm ci --prefix tests/peers)");
                return;
            }
        }
    };
}

/// A sign-in with the peer up to its redirect back: the browser's cookie, the
/// authorization URL, and the callback URL the provider sent the browser to.
async fn through_peer(app: &TestApp, peer: &OidcPeer, extra: Value) -> (String, Url, String) {
    let cookie = open_popup(app).await;
    let auth = start(app, &cookie, "peer").await;
    let back = peer.drive(&auth, Some("alice"), extra).await;
    (cookie, auth, back)
}

#[tokio::test]
async fn signing_in_with_a_real_provider_gives_a_session_that_comments_signed_in() {
    let (peer, app) = peer_or_skip!();
    let admin = app.admin_token();

    // The popup offers the provider, under its label, for this site and origin.
    let cookie = open_popup(&app).await;
    let choose = app
        .get(&format!("/auth/signin?site=blog&origin={}", enc(BLOG)))
        .await
        .text()
        .await
        .unwrap();
    assert!(choose.contains("Sign in with Peer Login"), "{choose}");
    assert!(
        choose.contains("href=\"/auth/oidc/peer/start?site=blog&amp;origin="),
        "{choose}"
    );

    // To the provider: the code flow with state, nonce and PKCE S256, back to Natter.
    let auth = start(&app, &cookie, "peer").await;
    assert!(
        auth.as_str().starts_with(&format!("{}/", peer.issuer)),
        "{auth}"
    );
    assert_eq!(param(&auth, "response_type").as_deref(), Some("code"));
    assert_eq!(param(&auth, "client_id").as_deref(), Some("natter"));
    assert_eq!(
        param(&auth, "redirect_uri"),
        Some(app.url("/auth/oidc/peer/callback"))
    );
    assert_eq!(
        param(&auth, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let scope = param(&auth, "scope").unwrap();
    assert!(
        scope.split(' ').any(|s| s == "openid") && scope.split(' ').any(|s| s == "profile"),
        "{scope}"
    );
    let state = param(&auth, "state").unwrap();
    for key in ["state", "nonce", "code_challenge"] {
        assert!(
            param(&auth, key).is_some_and(|v| v.len() >= 16),
            "{key} in {auth}"
        );
    }

    // Alice signs in at the provider, which sends her back with a code and the state.
    let back = peer.drive(&auth, Some("alice"), json!({})).await;
    let back_url = Url::parse(&back).unwrap();
    assert!(
        back.starts_with(&app.url("/auth/oidc/peer/callback?")),
        "{back}"
    );
    assert_eq!(param(&back_url, "state"), Some(state));
    assert!(param(&back_url, "code").is_some(), "{back}");

    let h = assert_signed_in(
        &app,
        get_as(&app, &back, Some(&cookie)).await,
        "oidc:peer",
        "Alice Example",
    )
    .await;
    let token = h["token"].as_str().unwrap();

    // Her comment is hers, whatever name the form said.
    let res = app
        .client
        .post(app.url("/api/comments"))
        .bearer_auth(token)
        .json(
            &json!({"site": "blog", "page": PAGE, "text": "Signed in, with a provider.",
            "author": "Somebody Else"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["comment"]["author"], "Alice Example", "{created}");
    assert_eq!(created["comment"]["signed_in"], "oidc:peer", "{created}");
    let list = app.list(PAGE, "").await;
    assert_eq!(list["comments"][0]["signed_in"], "oidc:peer", "{list}");
    assert_eq!(list["comments"][0]["author"], "Alice Example");

    // The desk lists the session, with the provider's subject.
    let listed = sessions(&app, &admin).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["site"], "blog");
    assert_eq!(listed[0]["identity"]["provider"], "oidc:peer");
    assert_eq!(listed[0]["identity"]["subject"], "alice");
    assert_eq!(listed[0]["identity"]["name"], "Alice Example");
}

#[tokio::test]
async fn a_made_up_state_is_refused_and_leaves_the_real_one_usable() {
    let (peer, app) = peer_or_skip!();
    let admin = app.admin_token();
    let (cookie, _, back) = through_peer(&app, &peer, json!({})).await;

    let forged = with_param(&back, "state", "made-up-state-0123456789abcdef");
    let res = get_as(&app, &forged, Some(&cookie)).await;
    assert_refused(res, &["unknown, used already or expired"]).await;
    assert_no_session(&app, &admin).await;

    // Natter never spent the code on it: the real state and code still sign her in.
    assert_signed_in(
        &app,
        get_as(&app, &back, Some(&cookie)).await,
        "oidc:peer",
        "Alice Example",
    )
    .await;
    assert_eq!(sessions(&app, &admin).await.len(), 1);
}

#[tokio::test]
async fn a_state_is_used_once() {
    let (peer, app) = peer_or_skip!();
    let admin = app.admin_token();
    let (cookie, _, back) = through_peer(&app, &peer, json!({})).await;
    assert_signed_in(
        &app,
        get_as(&app, &back, Some(&cookie)).await,
        "oidc:peer",
        "Alice Example",
    )
    .await;

    let again = get_as(&app, &back, Some(&cookie)).await;
    assert_refused(again, &["unknown, used already or expired"]).await;
    assert_eq!(sessions(&app, &admin).await.len(), 1, "still one session");
}

#[tokio::test]
async fn a_used_code_with_a_fresh_state_is_refused_by_the_provider() {
    let (peer, app) = peer_or_skip!();
    let admin = app.admin_token();
    let (cookie, _, back) = through_peer(&app, &peer, json!({})).await;
    let first_code = param(&Url::parse(&back).unwrap(), "code").unwrap();
    assert_signed_in(
        &app,
        get_as(&app, &back, Some(&cookie)).await,
        "oidc:peer",
        "Alice Example",
    )
    .await;

    // A second sign-in, its own state, and the first one's code (already exchanged).
    let second = start(&app, &cookie, "peer").await;
    let state = param(&second, "state").unwrap();
    let replay = format!(
        "/auth/oidc/peer/callback?code={}&state={}",
        enc(&first_code),
        enc(&state)
    );
    let res = get_as(&app, &replay, Some(&cookie)).await;
    assert_refused(res, &["the provider refused the code"]).await;
    assert_eq!(sessions(&app, &admin).await.len(), 1, "no second session");
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let (peer, app) = peer_or_skip!();
    let admin = app.admin_token();
    let (cookie, auth, back) = through_peer(&app, &peer, json!({"nonce": "something-else"})).await;
    assert_ne!(param(&auth, "nonce").as_deref(), Some("something-else"));

    let res = get_as(&app, &back, Some(&cookie)).await;
    assert_refused(res, &["ID token", "nonce"]).await;
    assert_no_session(&app, &admin).await;
}

#[tokio::test]
async fn a_callback_in_another_browser_is_refused_and_spends_the_state() {
    let (peer, app) = peer_or_skip!();
    let admin = app.admin_token();

    // Another browser: a binding cookie of its own.
    let (cookie, _, back) = through_peer(&app, &peer, json!({})).await;
    let other = open_popup(&app).await;
    assert_ne!(other, cookie);
    let res = get_as(&app, &back, Some(&other)).await;
    assert_refused(res, &["started in another browser"]).await;
    assert_no_session(&app, &admin).await;
    // The state is spent: not even the right browser can use it now.
    let res = get_as(&app, &back, Some(&cookie)).await;
    assert_refused(res, &["unknown, used already or expired"]).await;
    assert_no_session(&app, &admin).await;

    // No cookie at all.
    let (_, _, back) = through_peer(&app, &peer, json!({})).await;
    let res = get_as(&app, &back, None).await;
    assert_refused(res, &["started in another browser"]).await;
    assert_no_session(&app, &admin).await;
}

#[tokio::test]
async fn the_providers_own_error_is_shown() {
    let (peer, app) = peer_or_skip!();
    let admin = app.admin_token();

    // A real error from the provider: `prompt=none` without a session at the provider.
    let cookie = open_popup(&app).await;
    let auth = start(&app, &cookie, "peer").await;
    let silent = Url::parse(&with_param(auth.as_str(), "prompt", "none")).unwrap();
    let back = peer.drive(&silent, None, json!({})).await;
    let back_url = Url::parse(&back).unwrap();
    assert_eq!(
        param(&back_url, "error").as_deref(),
        Some("login_required"),
        "{back}"
    );
    assert_eq!(param(&back_url, "state"), param(&auth, "state"));
    let res = get_as(&app, &back, Some(&cookie)).await;
    assert_refused(res, &["the provider said: login_required"]).await;
    assert_no_session(&app, &admin).await;

    // The person said no.
    let auth = start(&app, &cookie, "peer").await;
    let denied = format!(
        "/auth/oidc/peer/callback?error=access_denied&error_description={}&state={}",
        enc("The user said no"),
        enc(&param(&auth, "state").unwrap())
    );
    let res = get_as(&app, &denied, Some(&cookie)).await;
    assert_refused(res, &["the provider said: access_denied"]).await;
    assert_no_session(&app, &admin).await;
    // The state is spent: the same refusal again is an unknown sign-in.
    let res = get_as(&app, &denied, Some(&cookie)).await;
    assert_refused(res, &["unknown, used already or expired"]).await;

    // A link anyone can make (no sign-in of this browser behind it) says nothing of its
    // own on Natter's origin.
    let forged = format!(
        "/auth/oidc/peer/callback?error={}&state=made-up",
        enc("Your account is suspended, call +1 555")
    );
    let res = get_as(&app, &forged, Some(&cookie)).await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(
        !page.contains("suspended") && page.contains("unknown, used already or expired"),
        "{page}"
    );
}

// ---------------------------------------------------------------------------------------
// The crafted provider: discovery, JWKS and a token endpoint answering whatever ID token
// the test made.

/// The `kid` of the crafted provider's one key.
const KID: &str = "crafted-key-1";

/// One request to the crafted token endpoint.
#[derive(Debug, Clone)]
struct TokenRequest {
    authorization: Option<String>,
    form: HashMap<String, String>,
}

struct CraftedShared {
    base: String,
    /// The key set `/jwks` answers.
    jwks: Mutex<Value>,
    /// The issuer the discovery document names, when not `base`.
    discovered_issuer: Mutex<Option<String>>,
    /// The ID token `/token` answers with.
    id_token: Mutex<String>,
    hits: AtomicUsize,
    token_requests: Mutex<Vec<TokenRequest>>,
}

/// A running crafted provider (stopped with the test's runtime).
struct Crafted {
    base: String,
    shared: Arc<CraftedShared>,
}

/// The public half of `pair` as a JWK set, its key called `kid`.
fn jwks(pair: &KeyPair, kid: &str) -> Value {
    let key = keys::public_key(&pair.public_pem).unwrap();
    json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": B64.encode(key.n().to_bytes_be()),
        "e": B64.encode(key.e().to_bytes_be()),
    }]})
}

/// A compact JWS of `claims` with `alg` and `kid`, its signature made by `sign` over the
/// signing input.
fn jws(alg: &str, kid: &str, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let header = json!({"alg": alg, "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", B64.encode(signature))
}

/// A compact JWS (RS256, [`KID`]) of `claims`, signed by `pair`.
fn jwt(pair: &KeyPair, claims: &Value) -> String {
    jwt_as(pair, KID, claims)
}

/// A compact JWS (RS256, `kid`) of `claims`, signed by `pair`.
fn jwt_as(pair: &KeyPair, kid: &str, claims: &Value) -> String {
    jws("RS256", kid, claims, |input| {
        Signer::new(pair).unwrap().sign(input).unwrap()
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn crafted_answer(
    req: HttpRequest,
    body: web::Bytes,
    s: web::Data<Arc<CraftedShared>>,
) -> HttpResponse {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let json = |v: Value| {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(v.to_string())
    };
    match (req.method().as_str(), req.uri().path()) {
        ("GET", "/.well-known/openid-configuration") => json(json!({
            "issuer": s.discovered_issuer.lock().unwrap().clone().unwrap_or(s.base.clone()),
            "authorization_endpoint": format!("{}/authorize", s.base),
            "token_endpoint": format!("{}/token", s.base),
            "jwks_uri": format!("{}/jwks", s.base),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })),
        ("GET", "/jwks") => json(s.jwks.lock().unwrap().clone()),
        ("POST", "/token") => {
            let form = url::form_urlencoded::parse(&body).into_owned().collect();
            let authorization = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            s.token_requests.lock().unwrap().push(TokenRequest {
                authorization,
                form,
            });
            json(json!({
                "access_token": "x",
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": *s.id_token.lock().unwrap(),
            }))
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

impl Crafted {
    /// Starts the provider on loopback; its keys are [`test_keys`]' first pair.
    async fn start() -> Crafted {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let shared = Arc::new(CraftedShared {
            base: base.clone(),
            jwks: Mutex::new(jwks(&test_keys().0, KID)),
            discovered_issuer: Mutex::new(None),
            id_token: Mutex::new(String::new()),
            hits: AtomicUsize::new(0),
            token_requests: Mutex::new(Vec::new()),
        });
        let data = web::Data::new(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(crafted_answer))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Crafted { base, shared }
    }

    /// Claims a good ID token for `nonce` carries: Carol, for `natter`, from this issuer.
    fn claims(&self, nonce: &str) -> Value {
        let now = unix_now();
        json!({
            "iss": self.base, "sub": "carol", "aud": "natter",
            "iat": now, "exp": now + 300, "nonce": nonce,
            "name": "Carol Crafted",
        })
    }

    fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    fn token_requests(&self) -> Vec<TokenRequest> {
        self.shared.token_requests.lock().unwrap().clone()
    }
}

/// A Natter whose site `blog` offers `oidc:crafted`.
async fn crafted_app(c: &Crafted, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let issuer = c.base.clone();
    TestApp::spawn_with(|s| {
        s.fetch_allow = vec!["127.0.0.1".into()];
        s.oidc.insert(
            "crafted".into(),
            OidcProvider {
                issuer,
                client_id: "natter".into(),
                client_secret: SECRET.into(),
                label: String::new(),
            },
        );
        s.sites.get_mut("blog").unwrap().sign_in = vec!["oidc:crafted".into()];
        tweak(s);
    })
    .await
}

/// A sign-in with the crafted provider whose token endpoint answers `make(good claims)`:
/// the callback's answer, and the authorization URL. (The provider's login page is
/// skipped: the callback comes straight with the start's state and any code.)
async fn crafted_sign_in_with(
    app: &TestApp,
    c: &Crafted,
    make: impl FnOnce(&Value) -> String,
) -> (Response, Url) {
    let cookie = open_popup(app).await;
    let auth = start(app, &cookie, "crafted").await;
    assert!(
        auth.as_str().starts_with(&format!("{}/authorize?", c.base)),
        "{auth}"
    );
    *c.shared.id_token.lock().unwrap() = make(&c.claims(&param(&auth, "nonce").unwrap()));
    let callback = format!(
        "/auth/oidc/crafted/callback?code=crafted-code&state={}",
        enc(&param(&auth, "state").unwrap())
    );
    (get_as(app, &callback, Some(&cookie)).await, auth)
}

/// [`crafted_sign_in_with`] an ID token of the good claims changed by `change`, signed by
/// `signer` under [`KID`].
async fn crafted_sign_in(
    app: &TestApp,
    c: &Crafted,
    signer: &KeyPair,
    change: impl FnOnce(&mut Value),
) -> (Response, Url) {
    crafted_sign_in_with(app, c, |good| {
        let mut claims = good.clone();
        change(&mut claims);
        jwt(signer, &claims)
    })
    .await
}

#[tokio::test]
async fn a_good_crafted_id_token_signs_in_after_a_proper_code_exchange() {
    let c = Crafted::start().await;
    let app = crafted_app(&c, |_| {}).await;
    let admin = app.admin_token();
    let (res, auth) = crafted_sign_in(&app, &c, &test_keys().0, |_| {}).await;
    assert_signed_in(&app, res, "oidc:crafted", "Carol Crafted").await;

    // The exchange was the code flow's, with the client's secret and the PKCE verifier
    // of the challenge the authorization URL carried.
    let requests = c.token_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let t = &requests[0];
    assert_eq!(t.form["grant_type"], "authorization_code");
    assert_eq!(t.form["code"], "crafted-code");
    assert_eq!(
        Some(&t.form["redirect_uri"]),
        param(&auth, "redirect_uri").as_ref()
    );
    let verifier = &t.form["code_verifier"];
    assert_eq!(
        Some(B64.encode(Sha256::digest(verifier.as_bytes()))),
        param(&auth, "code_challenge"),
        "S256 of the verifier is the challenge"
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("natter:{SECRET}"));
    assert_eq!(
        t.authorization.as_deref(),
        Some(format!("Basic {basic}").as_str())
    );

    let listed = sessions(&app, &admin).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["identity"]["provider"], "oidc:crafted");
    assert_eq!(listed[0]["identity"]["subject"], "carol");
}

/// A change to the good token's claims, and the words its refusal must say.
type Tamper = (fn(&mut Value), &'static [&'static str]);

#[tokio::test]
async fn an_expired_foreign_or_misaddressed_id_token_is_refused() {
    let c = Crafted::start().await;
    let app = crafted_app(&c, |_| {}).await;
    let admin = app.admin_token();
    let cases: [Tamper; 3] = [
        (
            |claims| {
                let now = unix_now();
                claims["iat"] = json!(now - 7200);
                claims["exp"] = json!(now - 3600);
            },
            &["ID token", "expired"],
        ),
        (
            |claims| claims["aud"] = json!("another-client"),
            &["ID token", "audience"],
        ),
        (
            |claims| claims["iss"] = json!("https://issuer.elsewhere.example"),
            &["ID token", "issuer"],
        ),
    ];
    for (n, (change, words)) in cases.into_iter().enumerate() {
        let (res, _) = crafted_sign_in(&app, &c, &test_keys().0, change).await;
        assert_refused(res, words).await;
        assert_eq!(
            c.token_requests().len(),
            n + 1,
            "refused after the exchange"
        );
        assert_no_session(&app, &admin).await;
    }
    // The second pair signs, under the kid of the first (the one the JWKS publishes).
    let (res, _) = crafted_sign_in(&app, &c, &test_keys().1, |_| {}).await;
    assert_refused(res, &["ID token", "signature"]).await;
    assert_no_session(&app, &admin).await;
}

#[tokio::test]
async fn an_unsigned_or_secret_signed_id_token_is_refused() {
    use hmac::{Hmac, Mac};
    let c = Crafted::start().await;
    let app = crafted_app(&c, |_| {}).await;
    let admin = app.admin_token();
    // `alg: none`, no signature; then HS256 keyed with the client secret, which the
    // provider's discovery never offered (RS256 only).
    let unsigned: fn(&Value) -> String = |claims| jws("none", KID, claims, |_| Vec::new());
    let hmac: fn(&Value) -> String = |claims| {
        jws("HS256", KID, claims, |input| {
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(input);
            mac.finalize().into_bytes().to_vec()
        })
    };
    for make in [unsigned, hmac] {
        let (res, _) = crafted_sign_in_with(&app, &c, make).await;
        assert_refused(res, &["ID token", "signature"]).await;
        assert_no_session(&app, &admin).await;
    }
}

#[tokio::test]
async fn the_same_callback_sent_five_times_at_once_signs_in_once() {
    let c = Crafted::start().await;
    let app = crafted_app(&c, |_| {}).await;
    let admin = app.admin_token();
    let cookie = open_popup(&app).await;
    let auth = start(&app, &cookie, "crafted").await;
    *c.shared.id_token.lock().unwrap() =
        jwt(&test_keys().0, &c.claims(&param(&auth, "nonce").unwrap()));
    let callback = app.url(&format!(
        "/auth/oidc/crafted/callback?code=crafted-code&state={}",
        enc(&param(&auth, "state").unwrap())
    ));
    let tries: Vec<_> = (0..5)
        .map(|_| {
            let req = app
                .client
                .get(&callback)
                .header("cookie", format!("{COOKIE}={cookie}"));
            tokio::spawn(async move { req.send().await.unwrap() })
        })
        .collect();
    let (mut done, mut refused) = (0, 0);
    for t in tries {
        let page = popup_of(t.await.unwrap()).await;
        match (page.status, page.mode.as_str()) {
            (200, "done") => done += 1,
            (400, "error") => {
                let why = page.error.unwrap_or_default();
                assert!(why.contains("unknown, used already or expired"), "{why}");
                refused += 1;
            }
            other => panic!("{other:?}: {}", page.html),
        }
    }
    assert_eq!((done, refused), (1, 4));
    assert_eq!(c.token_requests().len(), 1, "the code was exchanged once");
    assert_eq!(sessions(&app, &admin).await.len(), 1);
}

#[tokio::test]
async fn a_signing_key_rotated_at_the_provider_is_fetched_again() {
    // OpenID Connect Core 1.0, 10.1.1: "The verifier knows to go back to the jwks_uri
    // location to re-retrieve the keys when it sees an unfamiliar kid value."
    let c = Crafted::start().await;
    let app = crafted_app(&c, |_| {}).await;
    let admin = app.admin_token();
    let (res, _) = crafted_sign_in(&app, &c, &test_keys().0, |_| {}).await;
    assert_signed_in(&app, res, "oidc:crafted", "Carol Crafted").await;

    // The provider rolls over to a new key, published before the first token it signs.
    *c.shared.jwks.lock().unwrap() = jwks(&test_keys().1, "crafted-key-2");
    let rotated = |claims: &Value| jwt_as(&test_keys().1, "crafted-key-2", claims);
    // A Natter that never saw the old key signs in with the new one (the provider is right).
    let fresh = crafted_app(&c, |_| {}).await;
    let (res, _) = crafted_sign_in_with(&fresh, &c, rotated).await;
    assert_signed_in(&fresh, res, "oidc:crafted", "Carol Crafted").await;
    // And so does the one that knew the old key, once it sees the unfamiliar kid.
    let (res, _) = crafted_sign_in_with(&app, &c, rotated).await;
    assert_signed_in(&app, res, "oidc:crafted", "Carol Crafted").await;
    assert_eq!(sessions(&app, &admin).await.len(), 2);
}

#[tokio::test]
async fn a_sign_in_left_past_its_ten_minutes_is_refused() {
    let c = Crafted::start().await;
    let app = crafted_app(&c, |_| {}).await;
    let admin = app.admin_token();
    let cookie = open_popup(&app).await;
    let auth = start(&app, &cookie, "crafted").await;
    *c.shared.id_token.lock().unwrap() =
        jwt(&test_keys().0, &c.claims(&param(&auth, "nonce").unwrap()));
    let (stored, expires) = app.db().query_row(
        "SELECT COUNT(*), MAX(expires_at) FROM auth_states",
        &[],
        |r| (r.get::<i64>(0), r.get::<i64>(1)),
    );
    assert_eq!(stored, 1);
    let left = expires - unix_now();
    assert!((590..=600).contains(&left), "ten minutes: {left} s");
    app.db()
        .execute("UPDATE auth_states SET expires_at = expires_at - 601", &[]);
    let callback = format!(
        "/auth/oidc/crafted/callback?code=crafted-code&state={}",
        enc(&param(&auth, "state").unwrap())
    );
    let res = get_as(&app, &callback, Some(&cookie)).await;
    assert_refused(res, &["unknown, used already or expired"]).await;
    assert!(c.token_requests().is_empty(), "no code was exchanged");
    assert_no_session(&app, &admin).await;
}

#[tokio::test]
async fn the_name_is_the_name_claim_else_the_user_name_else_the_subject() {
    let c = Crafted::start().await;
    let app = crafted_app(&c, |_| {}).await;
    let (res, _) = crafted_sign_in(&app, &c, &test_keys().0, |claims| {
        claims["sub"] = json!("user-1");
        claims["name"] = json!("  Carol\n  Crafted  ");
    })
    .await;
    assert_signed_in(&app, res, "oidc:crafted", "Carol Crafted").await;
    let (res, _) = crafted_sign_in(&app, &c, &test_keys().0, |claims| {
        claims["sub"] = json!("user-2");
        claims.as_object_mut().unwrap().remove("name");
        claims["preferred_username"] = json!("carol_c");
    })
    .await;
    assert_signed_in(&app, res, "oidc:crafted", "carol_c").await;
    let (res, _) = crafted_sign_in(&app, &c, &test_keys().0, |claims| {
        claims["sub"] = json!("user-3");
        claims.as_object_mut().unwrap().remove("name");
    })
    .await;
    assert_signed_in(&app, res, "oidc:crafted", "user-3").await;

    // The same subject again, renamed at the provider: the same identity, renamed.
    let (res, _) = crafted_sign_in(&app, &c, &test_keys().0, |claims| {
        claims["sub"] = json!("user-1");
        claims["name"] = json!("Carol Renamed");
    })
    .await;
    assert_signed_in(&app, res, "oidc:crafted", "Carol Renamed").await;
    let names: Vec<String> = app
        .db()
        .query_col("SELECT name FROM identities WHERE subject = 'user-1'", &[]);
    assert_eq!(names, vec!["Carol Renamed"]);
}

#[tokio::test]
async fn a_provider_that_cannot_be_discovered_is_not_gone_to() {
    // Its discovery document names another issuer than the one configured (OpenID Connect
    // Discovery 1.0, 4.3: they must be identical): never used.
    let c = Crafted::start().await;
    *c.shared.discovered_issuer.lock().unwrap() = Some("https://issuer.elsewhere.example".into());
    // And one nobody answers for.
    let closed = free_port();
    let app = crafted_app(&c, |s| {
        s.oidc.insert(
            "gone".into(),
            OidcProvider {
                issuer: format!("http://127.0.0.1:{closed}"),
                client_id: "natter".into(),
                client_secret: SECRET.into(),
                label: String::new(),
            },
        );
        s.sites
            .get_mut("blog")
            .unwrap()
            .sign_in
            .push("oidc:gone".into());
    })
    .await;
    let admin = app.admin_token();
    let cookie = open_popup(&app).await;
    for name in ["crafted", "gone"] {
        let path = format!("/auth/oidc/{name}/start?site=blog&origin={}", enc(BLOG));
        let page = popup_of(get_as(&app, &path, Some(&cookie)).await).await;
        // The provider's fault, not the commenter's: a 5xx (and no redirect).
        assert!(
            matches!(page.status, 502 | 503),
            "{name}: {} {}",
            page.status,
            page.html
        );
        assert_eq!(page.mode, "error");
        // Saying so: src/signin/oidc.rs words it for the site's owner to act on.
        let why = page.error.unwrap_or_default();
        assert!(
            why.contains("the provider could not be reached or described"),
            "{name}: {why:?}"
        );
    }
    assert_eq!(
        app.db().query_i64("SELECT COUNT(*) FROM auth_states", &[]),
        0,
        "nothing was started"
    );
    assert_no_session(&app, &admin).await;
}

#[tokio::test]
async fn a_start_that_cannot_be_served_is_refused_before_the_provider_is_asked() {
    let c = Crafted::start().await;
    let app = crafted_app(&c, |s| {
        // A configured provider `blog` doesn't offer.
        let spare = s.oidc["crafted"].clone();
        s.oidc.insert("spare".into(), spare);
        // A site offering passkeys only.
        s.sites.insert(
            "keyed".into(),
            SiteConfig {
                origins: vec![BLOG.into()],
                sign_in: vec!["passkey".into()],
                ..SiteConfig::open_default()
            },
        );
        // A site open to every origin: `*` is not enough to receive a session.
        s.sites.insert(
            "starry".into(),
            SiteConfig {
                sign_in: vec!["oidc:crafted".into()],
                ..SiteConfig::open_default()
            },
        );
    })
    .await;
    let admin = app.admin_token();
    let cookie = open_popup(&app).await;
    let blog = enc(BLOG);
    for (path, says) in [
        (
            format!("/auth/oidc/nope/start?site=blog&origin={blog}"),
            "does not offer this way",
        ),
        (
            format!("/auth/oidc/spare/start?site=blog&origin={blog}"),
            "does not offer this way",
        ),
        (
            format!("/auth/oidc/crafted/start?site=keyed&origin={blog}"),
            "does not offer this way",
        ),
        (
            format!("/auth/oidc/crafted/start?site=nosuch&origin={blog}"),
            "",
        ),
        (
            format!(
                "/auth/oidc/crafted/start?site=blog&origin={}",
                enc("https://evil.example")
            ),
            "not one of the site's origins",
        ),
        (
            format!("/auth/oidc/crafted/start?site=blog&origin={blog}.evil.example"),
            "not one of the site's origins",
        ),
        (
            "/auth/oidc/crafted/start?site=blog".to_string(),
            "not one of the site's origins",
        ),
        (
            format!(
                "/auth/oidc/crafted/start?site=starry&origin={}",
                enc("https://anywhere.example")
            ),
            "not one of the site's origins",
        ),
    ] {
        let res = get_as(&app, &path, Some(&cookie)).await;
        let why = assert_refused(res, &[says]).await;
        assert!(!why.is_empty(), "{path}: says why");
    }
    // Without the popup's binding cookie.
    let res = get_as(
        &app,
        &format!("/auth/oidc/crafted/start?site=blog&origin={blog}"),
        None,
    )
    .await;
    assert_refused(res, &["open sign-in from the comment form"]).await;
    // The popup itself refuses an origin the site doesn't list.
    let res = app
        .get(&format!(
            "/auth/signin?site=blog&origin={}",
            enc("https://evil.example")
        ))
        .await;
    assert!(res.headers().get("set-cookie").is_none());
    assert_refused(res, &["not one of the site's origins"]).await;

    assert_eq!(c.hits(), 0, "the provider was never asked");
    assert_no_session(&app, &admin).await;
    // And the same start, served, goes to the provider.
    start(&app, &cookie, "crafted").await;
    assert!(c.hits() > 0);
}

#[tokio::test]
async fn a_callback_at_another_providers_address_is_refused() {
    let c = Crafted::start().await;
    let app = crafted_app(&c, |s| {
        let spare = s.oidc["crafted"].clone();
        s.oidc.insert("spare".into(), spare);
        s.sites.get_mut("blog").unwrap().sign_in = vec!["oidc:crafted".into(), "oidc:spare".into()];
    })
    .await;
    let admin = app.admin_token();
    let cookie = open_popup(&app).await;
    let auth = start(&app, &cookie, "crafted").await;
    let claims = c.claims(&param(&auth, "nonce").unwrap());
    *c.shared.id_token.lock().unwrap() = jwt(&test_keys().0, &claims);
    let elsewhere = format!(
        "/auth/oidc/spare/callback?code=crafted-code&state={}",
        enc(&param(&auth, "state").unwrap())
    );
    let res = get_as(&app, &elsewhere, Some(&cookie)).await;
    assert_refused(res, &["started with another provider"]).await;
    assert!(c.token_requests().is_empty(), "no code was exchanged");
    assert_no_session(&app, &admin).await;

    // A callback with neither code nor error.
    let res = get_as(
        &app,
        &format!(
            "/auth/oidc/crafted/callback?state={}",
            enc(&param(&auth, "state").unwrap())
        ),
        Some(&cookie),
    )
    .await;
    assert_refused(res, &["no state or code"]).await;
}

// ---------------------------------------------------------------------------------------
// The config: a sign-in setup that cannot work is refused at start-up, naming the key.

fn load(text: &str, prefix: &str) -> Result<Settings, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.toml");
    std::fs::write(&path, text).unwrap();
    Settings::load_from(Some(&path), Env::prefixed(prefix)).map_err(|e| e.to_string())
}

fn config_error(text: &str) -> String {
    let e = load(text, "NTEST_OIDC_CONFIG_ERR_").unwrap_err();
    assert!(e.contains("natter.toml"), "names the file: {e}");
    e
}

#[test]
fn a_sign_in_setup_that_cannot_work_is_refused_naming_the_key() {
    let e = config_error(
        "[sites.blog]\norigins = [\"https://blog.example\"]\nsign_in = [\"oidc:nope\"]\n",
    );
    assert!(
        e.contains("sites.blog.sign_in") && e.contains("oidc:nope"),
        "{e}"
    );

    let e = config_error(
        "[sites.blog]\norigins = [\"https://blog.example\"]\nrequire_sign_in = true\n",
    );
    assert!(e.contains("sites.blog.require_sign_in"), "{e}");

    let e = config_error("[oidc.x]\nissuer = \"not a url\"\nclient_id = \"natter\"\n");
    assert!(e.contains("oidc.x.issuer"), "{e}");
}

#[test]
fn a_working_sign_in_setup_is_read_and_keeps_its_secret_out_of_logs() {
    let s = load(
        r#"
[oidc.corp]
issuer = "https://login.corp.example"
client_id = "natter"
client_secret = "very-secret-value"
label = "Corp Login"
[sites.blog]
origins = ["https://blog.example"]
sign_in = ["oidc:corp", "passkey"]
require_sign_in = true
"#,
        "NTEST_OIDC_CONFIG_OK_",
    )
    .unwrap();
    let corp = &s.oidc["corp"];
    assert_eq!(corp.issuer, "https://login.corp.example");
    assert_eq!(corp.client_secret, "very-secret-value");
    assert_eq!(corp.label, "Corp Login");
    assert_eq!(s.sites["blog"].sign_in, vec!["oidc:corp", "passkey"]);
    assert!(s.sites["blog"].require_sign_in);
    assert!(!format!("{s:?}").contains("very-secret-value"));
}
