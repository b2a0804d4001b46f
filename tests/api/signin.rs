//! Sign-in with passkeys, and what a session does (issue #19): the ceremonies against the
//! real server with a software authenticator (`soft_passkey.rs`), sessions used from
//! another device, signing out, the desk's list and revocation, a commenter's own data
//! and its erasure, `first` moderation following the identity, `require_sign_in`, and the
//! origin and browser-binding rules of every sign-in route. OpenID Connect is in
//! `signin_oidc.rs`; the popup in real Chromium in widget/test/signin.test.mjs.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::{assert_error, assert_invalid, TestApp, BLOG};
use crate::soft_passkey::{Claims, SoftPasskey};
use crate::testdb::params;

/// A server whose public URL is `http://localhost:PORT` (WebAuthn wants a host name) and
/// whose site `blog` offers passkeys; its own origin.
async fn app_with(tweak: impl FnOnce(&mut natter::config::Settings)) -> (TestApp, String) {
    let port = crate::sinks::free_port();
    let own = format!("http://localhost:{port}");
    let public = own.clone();
    let app = TestApp::spawn_with(move |s| {
        s.bind = format!("127.0.0.1:{port}");
        s.public_url = public;
        s.sites.get_mut("blog").unwrap().sign_in = vec!["passkey".into()];
        tweak(s);
    })
    .await;
    (app, own)
}

/// The popup's first page: its binding cookie (`natter_signin=…`).
async fn open_popup(app: &TestApp) -> String {
    let res = app
        .get(&format!(
            "/auth/signin?site=blog&origin={}",
            crate::helpers::enc(BLOG)
        ))
        .await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_string()
}

/// A ceremony call as the popup makes it: from Natter's own page, with its cookie.
async fn call(app: &TestApp, own: &str, cookie: &str, path: &str, body: &Value) -> Response {
    app.client
        .post(app.url(path))
        .header("origin", own)
        .header("cookie", cookie)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn ok_json(res: Response) -> Value {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// Registers `pk` as a new passkey named `name`: the hand-over the popup would post.
async fn register(app: &TestApp, own: &str, pk: &mut SoftPasskey, name: &str) -> Value {
    let cookie = open_popup(app).await;
    let start = ok_json(
        call(
            app,
            own,
            &cookie,
            "/api/auth/passkey/register",
            &json!({"site": "blog", "origin": BLOG, "name": name}),
        )
        .await,
    )
    .await;
    let cred = pk.register(&start["options"], &Claims::honest(own));
    ok_json(
        call(
            app,
            own,
            &cookie,
            "/api/auth/passkey/register/finish",
            &json!({"ceremony": start["ceremony"], "credential": cred}),
        )
        .await,
    )
    .await
}

/// Starts a passkey sign-in in a fresh popup: (cookie, ceremony, options).
async fn login_start(app: &TestApp, own: &str) -> (String, Value) {
    let cookie = open_popup(app).await;
    let start = ok_json(
        call(
            app,
            own,
            &cookie,
            "/api/auth/passkey/login",
            &json!({"site": "blog", "origin": BLOG}),
        )
        .await,
    )
    .await;
    (cookie, start)
}

async fn login(app: &TestApp, own: &str, pk: &mut SoftPasskey) -> Value {
    let (cookie, start) = login_start(app, own).await;
    let answer = pk.assert(&start["options"], &Claims::honest(own));
    ok_json(
        call(
            app,
            own,
            &cookie,
            "/api/auth/passkey/login/finish",
            &json!({"ceremony": start["ceremony"], "credential": answer}),
        )
        .await,
    )
    .await
}

fn token(handover: &Value) -> String {
    handover["token"].as_str().unwrap().to_string()
}

/// A request with a session (or any) bearer, from the blog.
fn with(app: &TestApp, method: Method, path: &str, bearer: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .bearer_auth(bearer)
        .header("origin", BLOG)
}

async fn post_signed(app: &TestApp, bearer: &str, text: &str) -> Response {
    with(app, Method::POST, "/api/comments", bearer)
        .json(&json!({"site": "blog", "page": "/p", "text": text, "author": "Somebody Else"}))
        .send()
        .await
        .unwrap()
}

async fn live_sessions(app: &TestApp) -> Vec<Value> {
    let admin = app.admin_token();
    let v: Value = app
        .admin(Method::GET, "/api/admin/sessions", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["sessions"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_passkey_signs_in_on_a_second_device_which_edits_what_the_first_wrote() {
    let (app, own) = app_with(|_| {}).await;
    let mut pk = SoftPasskey::new();
    let first = register(&app, &own, &mut pk, "  Ada \n Lovelace ").await;
    assert_eq!(first["natter"], "session");
    assert_eq!(first["site"], "blog");
    assert_eq!(
        first["origin"], BLOG,
        "handed to the page that asked, and only there"
    );
    assert_eq!(
        first["identity"],
        json!({"provider": "passkey", "name": "Ada Lovelace"})
    );
    assert!(token(&first).starts_with("ns1."));

    // Signed in: the comment carries the identity and its name, whatever the form said.
    let res = post_signed(&app, &token(&first), "from the laptop").await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["comment"]["id"].as_i64().unwrap();
    assert_eq!(created["comment"]["signed_in"], "passkey");
    assert_eq!(created["comment"]["author"], "Ada Lovelace");
    let public: Value = app
        .get(&format!("/api/comments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["signed_in"], "passkey");

    // The same passkey on another device (synced): a new browser, a new session, same person.
    let second = login(&app, &own, &mut pk).await;
    assert_eq!(second["identity"], first["identity"]);
    assert_ne!(token(&second), token(&first));
    let res = with(
        &app,
        Method::PATCH,
        &format!("/api/comments/{id}"),
        &token(&second),
    )
    .json(&json!({"text": "edited on the phone", "author": "Mallory"}))
    .send()
    .await
    .unwrap();
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["html"], "<p>edited on the phone</p>\n", "{edited}");
    assert_eq!(
        edited["author"], "Ada Lovelace",
        "a signed-in comment keeps its name"
    );

    // Someone else signed in can't touch it.
    let mut other = SoftPasskey::new();
    let bob = register(&app, &own, &mut other, "Bob").await;
    let res = with(
        &app,
        Method::DELETE,
        &format!("/api/comments/{id}"),
        &token(&bob),
    )
    .send()
    .await
    .unwrap();
    assert_error(res, 401, "unauthorized").await;
    let res = with(
        &app,
        Method::DELETE,
        &format!("/api/comments/{id}"),
        &token(&second),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn the_edit_window_still_closes_for_a_signed_in_author() {
    let (app, own) = app_with(|s| s.sites.get_mut("blog").unwrap().edit_window = 0).await;
    let mut pk = SoftPasskey::new();
    let t = token(&register(&app, &own, &mut pk, "Ada").await);
    let created: Value = post_signed(&app, &t, "hello").await.json().await.unwrap();
    let id = created["comment"]["id"].as_i64().unwrap();
    let res = with(&app, Method::PATCH, &format!("/api/comments/{id}"), &t)
        .json(&json!({"text": "too late"}))
        .send()
        .await
        .unwrap();
    assert_error(res, 403, "edit_window_closed").await;
}

#[tokio::test]
async fn a_replayed_assertion_and_a_lying_one_are_refused_without_a_session() {
    let (app, own) = app_with(|_| {}).await;
    let mut pk = SoftPasskey::new();
    register(&app, &own, &mut pk, "Ada").await;
    let before = live_sessions(&app).await.len();

    let (cookie, start) = login_start(&app, &own).await;
    let answer = pk.assert(&start["options"], &Claims::honest(&own));
    let body = json!({"ceremony": start["ceremony"], "credential": answer});
    ok_json(call(&app, &own, &cookie, "/api/auth/passkey/login/finish", &body).await).await;
    // The very same request again: the ceremony was used.
    let err = assert_error(
        call(&app, &own, &cookie, "/api/auth/passkey/login/finish", &body).await,
        400,
        "malformed_request",
    )
    .await;
    assert!(err.to_string().contains("used already"), "{err}");
    // The same assertion in a new ceremony: its challenge is not this ceremony's.
    let (cookie2, start2) = login_start(&app, &own).await;
    let replay = json!({"ceremony": start2["ceremony"], "credential": body["credential"]});
    assert_error(
        call(
            &app,
            &own,
            &cookie2,
            "/api/auth/passkey/login/finish",
            &replay,
        )
        .await,
        401,
        "unauthorized",
    )
    .await;

    // Signed for another origin (a phishing page's), for another RP ID, or without user
    // verification: refused.
    for lie in [
        Claims {
            origin: "https://evil.example".into(),
            ..Claims::honest(&own)
        },
        Claims {
            rp_id: "evil.example".into(),
            ..Claims::honest(&own)
        },
        Claims {
            user_verified: false,
            ..Claims::honest(&own)
        },
    ] {
        let (cookie, start) = login_start(&app, &own).await;
        let answer = pk.assert(&start["options"], &lie);
        let res = call(
            &app,
            &own,
            &cookie,
            "/api/auth/passkey/login/finish",
            &json!({"ceremony": start["ceremony"], "credential": answer}),
        )
        .await;
        let err = assert_error(res, 401, "unauthorized").await;
        assert!(err.to_string().contains("refused"), "{err}");
    }
    // A registration signed for another origin is refused too.
    let cookie = open_popup(&app).await;
    let start = ok_json(
        call(
            &app,
            &own,
            &cookie,
            "/api/auth/passkey/register",
            &json!({"site": "blog", "origin": BLOG, "name": "Eve"}),
        )
        .await,
    )
    .await;
    let lie = Claims {
        origin: "https://evil.example".into(),
        ..Claims::honest(&own)
    };
    let cred = SoftPasskey::new().register(&start["options"], &lie);
    assert_error(
        call(
            &app,
            &own,
            &cookie,
            "/api/auth/passkey/register/finish",
            &json!({"ceremony": start["ceremony"], "credential": cred}),
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(
        live_sessions(&app).await.len(),
        before + 1,
        "only the honest sign-in"
    );
}

#[tokio::test]
async fn a_ceremony_belongs_to_the_browser_and_the_page_that_started_it() {
    let (app, own) =
        app_with(|s| s.sites.get_mut("blog").unwrap().owners = vec!["Owner".into()]).await;
    let start_body = json!({"site": "blog", "origin": BLOG, "name": "Ada"});
    // Not from Natter's own page: the blog, another site, or no Origin at all.
    let cookie = open_popup(&app).await;
    for origin in [BLOG, "https://evil.example"] {
        let res = call(
            &app,
            origin,
            &cookie,
            "/api/auth/passkey/register",
            &start_body,
        )
        .await;
        assert_error(res, 403, "origin_not_allowed").await;
    }
    let res = app
        .client
        .post(app.url("/api/auth/passkey/login"))
        .header("cookie", &cookie)
        .json(&json!({"site": "blog", "origin": BLOG}))
        .send()
        .await
        .unwrap();
    assert_error(res, 403, "origin_not_allowed").await;
    // No binding cookie: not started from the popup.
    let res = call(&app, &own, "", "/api/auth/passkey/register", &start_body).await;
    let err = assert_error(res, 400, "malformed_request").await;
    assert!(err.to_string().contains("binding cookie"), "{err}");
    // Finished by another browser (another cookie): refused, and the ceremony is spent.
    let mut pk = SoftPasskey::new();
    let start = ok_json(
        call(
            &app,
            &own,
            &cookie,
            "/api/auth/passkey/register",
            &start_body,
        )
        .await,
    )
    .await;
    let cred = pk.register(&start["options"], &Claims::honest(&own));
    let finish = json!({"ceremony": start["ceremony"], "credential": cred});
    let other = open_popup(&app).await;
    let err = assert_error(
        call(
            &app,
            &own,
            &other,
            "/api/auth/passkey/register/finish",
            &finish,
        )
        .await,
        400,
        "malformed_request",
    )
    .await;
    assert!(err.to_string().contains("another browser"), "{err}");
    assert_error(
        call(
            &app,
            &own,
            &cookie,
            "/api/auth/passkey/register/finish",
            &finish,
        )
        .await,
        400,
        "malformed_request",
    )
    .await;
    // The session goes only to an origin the site lists by name.
    for origin in ["https://evil.example", "*", ""] {
        let res = call(
            &app,
            &own,
            &cookie,
            "/api/auth/passkey/login",
            &json!({"site": "blog", "origin": origin}),
        )
        .await;
        assert_invalid(res, "origin").await;
    }
    // Natter's own origin is always allowed (the demo page).
    ok_json(
        call(
            &app,
            &own,
            &cookie,
            "/api/auth/passkey/login",
            &json!({"site": "blog", "origin": own}),
        )
        .await,
    )
    .await;
    // The owner's name is not for a passkey; nor an empty one.
    for name in ["Owner", "  "] {
        let res = call(
            &app,
            &own,
            &cookie,
            "/api/auth/passkey/register",
            &json!({"site": "blog", "origin": BLOG, "name": name}),
        )
        .await;
        assert_invalid(res, "name").await;
    }
    assert!(live_sessions(&app).await.is_empty());
}

#[tokio::test]
async fn the_popup_refuses_what_it_cannot_hand_a_session_to() {
    let (app, _own) = app_with(|s| {
        s.sites.insert(
            "open".into(),
            natter::config::SiteConfig {
                sign_in: vec!["passkey".into()],
                ..natter::config::SiteConfig::open_default()
            },
        );
        s.sites.insert("plain".into(), crate::helpers::blog_site());
    })
    .await;
    let enc = crate::helpers::enc;
    for (query, why) in [
        (format!("site=nope&origin={}", enc(BLOG)), "site"),
        (format!("site=plain&origin={}", enc(BLOG)), "does not offer"),
        (
            "site=blog&origin=https%3A%2F%2Fevil.example".to_string(),
            "origins",
        ),
        // `*` lets anyone post, but a session only goes to an origin named in the config.
        (
            "site=open&origin=https%3A%2F%2Fevil.example".to_string(),
            "origins",
        ),
    ] {
        let res = app.get(&format!("/auth/signin?{query}")).await;
        assert_eq!(res.status(), 400, "{query}");
        assert!(res.headers().get("set-cookie").is_none(), "{query}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains(r#"data-mode="error""#) && page.contains(why),
            "{query}: {page}"
        );
    }
    let res = app
        .get(&format!("/auth/signin?site=blog&origin={}", enc(BLOG)))
        .await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="passkey-create""#) && page.contains(r#"id="passkey-signin""#));
    assert!(!page.contains("class=\"oidc\""), "no provider on this site");
    let js = app.get("/auth.js").await;
    assert_eq!(js.status(), 200);
    let js = js.text().await.unwrap();
    assert!(
        js.contains("postMessage(session, session.origin)"),
        "never to *"
    );
}

#[tokio::test]
async fn signing_out_and_the_desk_revoking_end_a_session_everywhere() {
    let (app, own) = app_with(|_| {}).await;
    let mut pk = SoftPasskey::new();
    let a = token(&register(&app, &own, &mut pk, "Ada").await);
    let b = token(&login(&app, &own, &mut pk).await);
    let me: Value = ok_json(
        with(&app, Method::GET, "/api/auth/session", &a)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        me["identity"],
        json!({"provider": "passkey", "name": "Ada"})
    );
    assert_eq!(me["site"], "blog");

    // The desk lists both, with who they are.
    let listed = live_sessions(&app).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["identity"]["provider"], "passkey");
    assert_eq!(listed[0]["identity"]["name"], "Ada");
    assert_eq!(
        listed[0]["identity"]["subject"].as_str().unwrap().len(),
        36,
        "the passkey's user handle, a UUID"
    );
    // Signing out: that session stops working; the other lives on.
    let res = with(&app, Method::DELETE, "/api/auth/session", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    for res in [
        with(&app, Method::GET, "/api/auth/session", &a)
            .send()
            .await
            .unwrap(),
        post_signed(&app, &a, "after signing out").await,
        with(&app, Method::DELETE, "/api/auth/session", &a)
            .send()
            .await
            .unwrap(),
    ] {
        assert_error(res, 401, "unauthorized").await;
    }
    assert_eq!(
        app.list_ids("/p", "").await,
        Vec::<i64>::new(),
        "nothing was posted"
    );
    // The desk revokes the other.
    let admin = app.admin_token();
    let id = live_sessions(&app).await[0]["id"].as_i64().unwrap();
    let path = format!("/api/admin/sessions/{id}");
    let res = app.client.delete(app.url(&path)).send().await.unwrap();
    assert_error(res, 401, "unauthorized").await;
    let res = app
        .admin(Method::DELETE, &path, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_error(
        with(&app, Method::GET, "/api/auth/session", &b)
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    let res = app
        .admin(Method::DELETE, &path, &admin)
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "not_found").await;
    assert!(live_sessions(&app).await.is_empty());
    let audit: Value = app
        .admin(Method::GET, "/api/admin/audit", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["entries"][0]["action"], "revoke_session", "{audit}");
    // Forged and foreign tokens are refused the same way.
    let forged = format!("{}x", &b[..b.len() - 1]);
    for t in [
        forged.as_str(),
        "ns1.1.99999999999.AAAA",
        "ns1.",
        "ns1.-1.0.x",
    ] {
        assert_error(
            with(&app, Method::GET, "/api/auth/session", t)
                .send()
                .await
                .unwrap(),
            401,
            "unauthorized",
        )
        .await;
    }
    assert_error(app.get("/api/auth/session").await, 401, "unauthorized").await;
}

#[tokio::test]
async fn under_first_moderation_trust_follows_the_identity_not_a_typed_name() {
    let (app, own) = app_with(|s| {
        s.sites.get_mut("blog").unwrap().moderation = natter::config::Moderation::First
    })
    .await;
    let mut pk = SoftPasskey::new();
    let t = token(&register(&app, &own, &mut pk, "Ada").await);
    let first: Value = post_signed(&app, &t, "my first")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["comment"]["status"], "pending");
    let id = first["comment"]["id"].as_i64().unwrap();
    let admin = app.admin_token();
    // The desk sees who it is.
    let queue: Value = app
        .admin(Method::GET, "/api/admin/comments", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let held = &queue["comments"][0];
    assert_eq!(held["held_reason"], "first_comment");
    assert_eq!(held["identity"]["provider"], "passkey");
    assert_eq!(held["identity"]["name"], "Ada");
    assert_eq!(held["identity"]["subject"].as_str().unwrap().len(), 36);
    let res = app
        .admin(
            Method::POST,
            &format!("/api/admin/comments/{id}/approve"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Approved once: the next one publishes, from any device.
    let t2 = token(&login(&app, &own, &mut pk).await);
    let second: Value = post_signed(&app, &t2, "my second")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["comment"]["status"], "approved");
    // The same name (and any email) typed without signing in is somebody else: held.
    let typed = app
        .create_with(json!({"page": "/p", "text": "pretending", "author": "Ada", "email": "ada@example.org", "author_key": "k".repeat(32)}))
        .await;
    assert_eq!(typed["comment"]["status"], "pending");
    assert_eq!(typed["comment"]["signed_in"], Value::Null);
    // Another passkey under the same name is another identity: held too.
    let mut twin = SoftPasskey::new();
    let t3 = token(&register(&app, &own, &mut twin, "Ada").await);
    let third: Value = post_signed(&app, &t3, "also Ada")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(third["comment"]["status"], "pending");
    // The picture follows the identity too: the same on every device, another for another.
    assert_eq!(second["comment"]["avatar"], first["comment"]["avatar"]);
    assert_ne!(third["comment"]["avatar"], first["comment"]["avatar"]);
    assert_ne!(typed["comment"]["avatar"], first["comment"]["avatar"]);
}

#[tokio::test]
async fn a_site_that_requires_sign_in_takes_only_signed_in_comments_of_its_own() {
    let (app, own) = app_with(|s| {
        s.sites.get_mut("blog").unwrap().require_sign_in = true;
        let mut other = crate::helpers::blog_site();
        other.sign_in = vec!["passkey".into()];
        s.sites.insert("other".into(), other);
    })
    .await;
    let cfg: Value = app.get("/api/config?site=blog").await.json().await.unwrap();
    assert_eq!(cfg["require_sign_in"], true);
    assert_eq!(
        cfg["sign_in"],
        json!([{"id": "passkey", "label": "Passkey"}])
    );
    let res = app
        .post_comment(json!({"page": "/p", "text": "anonymous"}))
        .await;
    let err = assert_error(res, 401, "unauthorized").await;
    assert!(err.to_string().contains("sign in"), "{err}");
    let mut pk = SoftPasskey::new();
    let t = token(&register(&app, &own, &mut pk, "Ada").await);
    assert_eq!(post_signed(&app, &t, "signed").await.status(), 201);
    // A session of this site is no session on another one.
    let res = with(&app, Method::POST, "/api/comments", &t)
        .json(&json!({"site": "other", "page": "/p", "text": "elsewhere"}))
        .send()
        .await
        .unwrap();
    let err = assert_error(res, 401, "unauthorized").await;
    assert!(err.to_string().contains("another site"), "{err}");
    // The owner still writes with an admin token.
    let admin = app.admin_token();
    let res = app
        .admin(Method::POST, "/api/comments", &admin)
        .json(&json!({"site": "blog", "page": "/p", "text": "owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_commenter_sees_and_erases_everything_kept_about_them() {
    let (app, own) = app_with(|_| {}).await;
    let mut pk = SoftPasskey::new();
    let t = token(&register(&app, &own, &mut pk, "Ada").await);
    let a: Value = post_signed(&app, &t, "one").await.json().await.unwrap();
    let a = a["comment"]["id"].as_i64().unwrap();
    let res = with(&app, Method::POST, "/api/comments", &t)
        .json(&json!({"site": "blog", "page": "/q", "text": "two", "email": "ada@example.org", "notify": true}))
        .send()
        .await
        .unwrap();
    let b: Value = res.json().await.unwrap();
    let b = b["comment"]["id"].as_i64().unwrap();
    let reply = app
        .create_with(json!({"page": "/p", "text": "a reply", "parent": a}))
        .await;
    let someone_else = app.create("/p", "not hers").await["comment"]["id"]
        .as_i64()
        .unwrap();
    let mine: Value = ok_json(
        with(&app, Method::GET, "/api/auth/me", &t)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(mine["identity"]["name"], "Ada");
    assert_eq!(mine["identity"]["provider"], "passkey");
    let ids: Vec<i64> = mine["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![b, a], "hers, newest first, and no one else's");
    assert_eq!(mine["comments"][0]["email"], "ada@example.org");
    assert_eq!(mine["comments"][0]["page"], "/q");
    assert_eq!(mine["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(mine["sessions"][0]["current"], true);

    // Erase: not from another site's page.
    let res = app
        .client
        .delete(app.url("/api/auth/me"))
        .bearer_auth(&t)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_error(res, 403, "origin_not_allowed").await;
    let done: Value = ok_json(
        with(&app, Method::DELETE, "/api/auth/me", &t)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(done, json!({"erased": 2}));
    // Her comments are gone (a tombstone keeps the reply's place), the reply and the
    // other commenter's stay, and her session, identity and passkey are gone.
    assert_error(
        app.get(&format!("/api/comments/{b}")).await,
        404,
        "not_found",
    )
    .await;
    let list = app.list("/p", "").await;
    let shown: Vec<(i64, String)> = list["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_i64().unwrap(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(shown.contains(&(a, "deleted".into())), "{list}");
    assert!(shown.contains(&(reply["comment"]["id"].as_i64().unwrap(), "approved".into())));
    assert!(shown.contains(&(someone_else, "approved".into())));
    assert_eq!(list["comments"][0]["signed_in"], Value::Null);
    assert_error(
        with(&app, Method::GET, "/api/auth/me", &t)
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    let (cookie, start) = login_start(&app, &own).await;
    let answer = pk.assert(&start["options"], &Claims::honest(&own));
    let err = assert_error(
        call(
            &app,
            &own,
            &cookie,
            "/api/auth/passkey/login/finish",
            &json!({"ceremony": start["ceremony"], "credential": answer}),
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    assert!(err.to_string().contains("not known"), "{err}");
    for table in ["identities", "passkeys", "sessions"] {
        let left: i64 =
            app.db()
                .query_row(&format!("SELECT count(*) FROM {table}"), params![], |r| {
                    r.get(0)
                });
        assert_eq!(left, 0, "{table}");
    }
}

#[tokio::test]
async fn each_signed_in_write_checks_its_origin() {
    let (app, own) = app_with(|_| {}).await;
    let mut pk = SoftPasskey::new();
    let t = token(&register(&app, &own, &mut pk, "Ada").await);
    // A session's writes: from the site's pages (or Natter's own), never from elsewhere.
    for (method, path) in [
        (Method::DELETE, "/api/auth/session"),
        (Method::DELETE, "/api/auth/me"),
    ] {
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&t)
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_error(res, 403, "origin_not_allowed").await;
    }
    let res = app
        .client
        .patch(app.url("/api/comments/1"))
        .bearer_auth(&t)
        .header("origin", "https://evil.example")
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == 403 || res.status() == 404,
        "{}",
        res.status()
    );
    assert_eq!(
        with(&app, Method::GET, "/api/auth/session", &t)
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "still signed in"
    );
    // The ceremonies: only from Natter's own page (the blog's origin is not enough).
    let cookie = open_popup(&app).await;
    for path in [
        "/api/auth/passkey/register",
        "/api/auth/passkey/login",
        "/api/auth/passkey/register/finish",
        "/api/auth/passkey/login/finish",
    ] {
        let body =
            json!({"site": "blog", "origin": BLOG, "name": "x", "ceremony": "c", "credential": {}});
        let res = call(&app, BLOG, &cookie, path, &body).await;
        assert_error(res, 403, "origin_not_allowed").await;
    }
}

#[tokio::test]
async fn sign_in_answers_fit_their_documented_schemas() {
    let (app, own) = app_with(|_| {}).await;
    let doc = crate::openapi::Doc::fetch(&app).await;
    let cookie = open_popup(&app).await;
    let start = |path: &str, body: Value| {
        app.client
            .post(app.url(path))
            .header("origin", &own)
            .header("cookie", &cookie)
            .json(&body)
    };
    let body = json!({"site": "blog", "origin": BLOG, "name": "Ada"});
    let started = doc
        .send(
            "post",
            "/api/auth/passkey/register",
            200,
            start("/api/auth/passkey/register", body),
        )
        .await;
    let mut pk = SoftPasskey::new();
    let cred = pk.register(&started["options"], &Claims::honest(&own));
    let finish = json!({"ceremony": started["ceremony"], "credential": cred});
    let handover = doc
        .send(
            "post",
            "/api/auth/passkey/register/finish",
            200,
            start("/api/auth/passkey/register/finish", finish),
        )
        .await;
    let started = doc
        .send(
            "post",
            "/api/auth/passkey/login",
            200,
            start(
                "/api/auth/passkey/login",
                json!({"site": "blog", "origin": BLOG}),
            ),
        )
        .await;
    let answer = pk.assert(&started["options"], &Claims::honest(&own));
    let finish = json!({"ceremony": started["ceremony"], "credential": answer});
    doc.send(
        "post",
        "/api/auth/passkey/login/finish",
        200,
        start("/api/auth/passkey/login/finish", finish.clone()),
    )
    .await;
    doc.send(
        "post",
        "/api/auth/passkey/login/finish",
        400,
        start("/api/auth/passkey/login/finish", finish),
    )
    .await;
    let t = token(&handover);
    post_signed(&app, &t, "hello").await;
    doc.send(
        "get",
        "/api/auth/session",
        200,
        with(&app, Method::GET, "/api/auth/session", &t),
    )
    .await;
    doc.send(
        "get",
        "/api/auth/me",
        200,
        with(&app, Method::GET, "/api/auth/me", &t),
    )
    .await;
    let admin = app.admin_token();
    let listed = doc
        .send(
            "get",
            "/api/admin/sessions",
            200,
            app.admin(Method::GET, "/api/admin/sessions", &admin),
        )
        .await;
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 2);
    let queue = doc
        .send(
            "get",
            "/api/admin/comments",
            200,
            app.admin(Method::GET, "/api/admin/comments?status=all", &admin),
        )
        .await;
    assert_eq!(queue["comments"][0]["identity"]["name"], "Ada");
    doc.send(
        "delete",
        "/api/auth/me",
        200,
        with(&app, Method::DELETE, "/api/auth/me", &t),
    )
    .await;
    doc.send(
        "get",
        "/api/auth/session",
        401,
        with(&app, Method::GET, "/api/auth/session", &t),
    )
    .await;
}

/// Two real `natter serve` processes on one PostgreSQL database: a ceremony started on one
/// node finishes on the other, the session works on both, and signing out on one ends it on
/// the other (nothing of it lives in a process's memory). Skipped without PostgreSQL.
#[tokio::test]
async fn ceremonies_and_sessions_hold_across_nodes() {
    let Some(db) = crate::cluster::cluster_db("ceremonies_and_sessions_hold_across_nodes") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let extra = "sign_in = [\"passkey\"]\n";
    let cfg = crate::cluster::config(dir.path(), "none", 0, extra);
    let (a, b) = (
        crate::cluster::node(&db, &cfg),
        crate::cluster::node(&db, &cfg),
    );
    let url = |s: &crate::cli::Server, p: &str| format!("http://127.0.0.1:{}{p}", s.port);
    // Both nodes' public URL is the default http://localhost:8080: the passkey's origin.
    let own = "http://localhost:8080";
    let c = reqwest::Client::new();
    let res = c
        .get(url(
            &a,
            &format!(
                "/auth/signin?site=blog&origin={}",
                crate::helpers::enc(BLOG)
            ),
        ))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let post = |node: &crate::cli::Server, path: &str, body: Value| {
        c.post(url(node, path))
            .header("origin", own)
            .header("cookie", &cookie)
            .json(&body)
            .send()
    };
    let started = ok_json(
        post(
            &a,
            "/api/auth/passkey/register",
            json!({"site": "blog", "origin": BLOG, "name": "Ada"}),
        )
        .await
        .unwrap(),
    )
    .await;
    let mut pk = SoftPasskey::new();
    let cred = pk.register(&started["options"], &Claims::honest(own));
    let t = token(
        &ok_json(
            post(
                &b,
                "/api/auth/passkey/register/finish",
                json!({"ceremony": started["ceremony"], "credential": cred}),
            )
            .await
            .unwrap(),
        )
        .await,
    );
    let started = ok_json(
        post(
            &b,
            "/api/auth/passkey/login",
            json!({"site": "blog", "origin": BLOG}),
        )
        .await
        .unwrap(),
    )
    .await;
    let answer = pk.assert(&started["options"], &Claims::honest(own));
    let t2 = token(
        &ok_json(
            post(
                &a,
                "/api/auth/passkey/login/finish",
                json!({"ceremony": started["ceremony"], "credential": answer}),
            )
            .await
            .unwrap(),
        )
        .await,
    );
    let session = |node: &crate::cli::Server, t: &str| {
        c.get(url(node, "/api/auth/session")).bearer_auth(t).send()
    };
    for node in [&a, &b] {
        assert_eq!(session(node, &t).await.unwrap().status(), 200);
        assert_eq!(session(node, &t2).await.unwrap().status(), 200);
    }
    let res = c
        .delete(url(&a, "/api/auth/session"))
        .bearer_auth(&t)
        .header("origin", BLOG)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_error(session(&b, &t).await.unwrap(), 401, "unauthorized").await;
    assert_eq!(
        session(&b, &t2).await.unwrap().status(),
        200,
        "the other device stays in"
    );
    crate::cli::stop(a);
    crate::cli::stop(b);
}

#[tokio::test]
async fn the_desk_sees_when_a_session_last_wrote() {
    let (app, own) = app_with(|_| {}).await;
    let mut pk = SoftPasskey::new();
    let t = token(&register(&app, &own, &mut pk, "Ada").await);
    let listed = live_sessions(&app).await;
    assert_eq!(listed[0]["last_seen_at"], listed[0]["created_at"]);
    // A write when the time noted is older than a minute notes it again…
    app.db()
        .execute("UPDATE sessions SET last_seen_at = 1000", params![]);
    app.db()
        .execute("UPDATE sessions SET created_at = 1000", params![]);
    assert_eq!(post_signed(&app, &t, "one").await.status(), 201);
    let seen = live_sessions(&app).await[0]["last_seen_at"].clone();
    assert_ne!(
        seen, "1970-01-01T00:16:40Z",
        "older than a minute: noted now"
    );
    let noted = chrono::DateTime::parse_from_rfc3339(seen.as_str().unwrap()).unwrap();
    assert!((chrono::Utc::now().timestamp() - noted.timestamp()).abs() < 60);
    let last_at: i64 = app
        .db()
        .query_row("SELECT last_seen_at FROM sessions", params![], |r| r.get(0));
    app.db().execute(
        "UPDATE sessions SET last_seen_at = last_seen_at - 30",
        params![],
    );
    assert_eq!(post_signed(&app, &t, "two").await.status(), 201);
    let again: i64 = app
        .db()
        .query_row("SELECT last_seen_at FROM sessions", params![], |r| r.get(0));
    assert_eq!(again, last_at - 30, "within a minute: left as it was");
}

#[tokio::test]
async fn sign_in_steps_spend_the_rate_limits() {
    let (app, own) = app_with(|s| {
        s.limits.comments_per_minute = 1;
        s.limits.edits_per_minute = 2;
        s.limits.reads_per_minute = 1;
    })
    .await;
    // A new passkey makes an identity: it spends a create; each other step an edit.
    let mut pk = SoftPasskey::new();
    let t = token(&register(&app, &own, &mut pk, "Ada").await);
    let cookie = open_popup(&app).await;
    let body = json!({"site": "blog", "origin": BLOG, "name": "Bea"});
    let start = ok_json(call(&app, &own, &cookie, "/api/auth/passkey/register", &body).await).await;
    let cred = SoftPasskey::new().register(&start["options"], &Claims::honest(&own));
    let finish = json!({"ceremony": start["ceremony"], "credential": cred});
    let res = call(
        &app,
        &own,
        &cookie,
        "/api/auth/passkey/register/finish",
        &finish,
    )
    .await;
    assert_error(res, 429, "rate_limited").await;
    let res = call(
        &app,
        &own,
        &cookie,
        "/api/auth/passkey/login",
        &json!({"site": "blog", "origin": BLOG}),
    )
    .await;
    assert_error(res, 429, "rate_limited").await;
    let res = app.get("/auth/oidc/x/start?site=blog&origin=x").await;
    assert_eq!(res.status(), 429, "the provider redirects spend edits too");
    // Reading one's session is a read.
    let read = || with(&app, Method::GET, "/api/auth/session", &t).send();
    assert_eq!(read().await.unwrap().status(), 200);
    assert_error(read().await.unwrap(), 429, "rate_limited").await;
}
