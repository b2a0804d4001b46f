//! Sign-in's routes: the popup on Natter's own origin (`/auth/signin`, its script, the
//! passkey ceremonies' JSON calls, the OpenID Connect redirect and callback), and what the
//! embedding page does with a session is in `routes/me.rs`, the desk's list of sessions in
//! `routes/sessions.rs`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::actions::signin::{self as act, Ceremony, Handover};
use crate::domain::crypto;
use crate::domain::rfc3339;
use crate::domain::signin::BINDING_COOKIE;
use crate::error::{ApiError, ApiResult};
use crate::http::error::ErrorBody;
use crate::http::extract::{Json, Query};
use crate::http::state::State;
use crate::render::signin::{self as page, Way, SIGNIN_CSP};

const AUTH_JS: &str = include_str!("../../widget/auth.js");

/// A popup page with its strict headers.
pub(crate) fn popup(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", SIGNIN_CSP))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The browser's binding cookie, when it sent one of the form Natter sets (a random
/// token); else empty.
pub(crate) fn binding(req: &HttpRequest) -> String {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == BINDING_COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() == crypto::TOKEN_LEN)
        .unwrap_or_default()
}

/// The `Set-Cookie` of a new binding cookie: this origin only, never sent by other sites'
/// requests, unreadable by scripts, ten minutes.
fn binding_cookie(state: &State, value: &str) -> String {
    let secure = if state.public_origin.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{BINDING_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600{secure}")
}

/// The hand-over: for the popup's script to post to `origin`, and only there.
pub(crate) fn handover(h: &Handover) -> SessionHandover {
    SessionHandover {
        natter: "session",
        site: h.site.clone(),
        origin: h.origin.clone(),
        token: h.token.clone(),
        expires_at: rfc3339(h.expires_at),
        identity: IdentityView {
            provider: h.identity.provider.clone(),
            name: h.identity.name.clone(),
        },
    }
}

/// The popup's own writes come from its page on Natter's origin, and nowhere else.
fn own_page_only(state: &State, req: &HttpRequest) -> ApiResult<()> {
    match crate::http::state::origin_header(req) {
        Some(o) if state.is_own_origin(req, o) => Ok(()),
        _ => Err(ApiError::OriginNotAllowed),
    }
}

#[utoipa::path(get, path = "/auth/signin", tag = "sign-in",
    summary = "The sign-in popup: a passkey or a provider, for one site and page origin",
    params(
        ("site" = String, Query, description = "a site whose `sign_in` is not empty"),
        ("origin" = String, Query, description = "the embedding page's exact origin: Natter's own or one the site lists by name"),
    ),
    responses(
        (status = 200, description = "the page (sets the binding cookie)", content_type = "text/html", body = String),
        (status = 400, description = "unknown site, no sign-in, or an origin the site doesn't list", content_type = "text/html", body = String),
    ))]
/// `GET /auth/signin`: the popup's first page.
pub async fn signin_page(state: State, req: HttpRequest, query: Query) -> HttpResponse {
    let site = query.get("site").unwrap_or_default().to_string();
    let origin = query.get("origin").unwrap_or_default().to_string();
    let cfg = match act::check_start(&state.core, &site, &origin, &state.public_origin, None) {
        Ok(cfg) => cfg,
        Err(e) => return popup(StatusCode::BAD_REQUEST, page::refused(&e.to_string())),
    };
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let ways: Vec<Way> = cfg
        .sign_in
        .iter()
        .filter_map(|w| match w.strip_prefix("oidc:") {
            None => Some(Way {
                id: w.clone(),
                label: "a passkey".into(),
                href: None,
            }),
            Some(name) => Some(Way {
                id: w.clone(),
                label: state.core.signin.oidc.label(name)?,
                href: Some(format!(
                    "/auth/oidc/{name}/start?site={}&origin={}",
                    enc(&site),
                    enc(&origin)
                )),
            }),
        })
        .collect();
    let mut res = popup(StatusCode::OK, page::choose(&site, &origin, &ways));
    if binding(&req).is_empty() {
        let cookie = binding_cookie(&state, &crypto::random_token());
        if let Ok(v) = header::HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[utoipa::path(get, path = "/auth.js", tag = "assets", summary = "The sign-in popup's script",
    responses((status = 200, description = "JavaScript", body = String, content_type = "application/javascript")))]
/// `GET /auth.js`.
pub async fn auth_js(req: HttpRequest) -> HttpResponse {
    crate::http::etag::etagged(
        &req,
        "application/javascript; charset=utf-8",
        AUTH_JS.as_bytes().to_vec(),
    )
}

/// Body of a ceremony's first call.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StartBody {
    site: String,
    /// the embedding page's origin
    origin: String,
    /// a new passkey's display name (registration only)
    #[schema(max_length = 200)]
    name: Option<String>,
}

/// Body of a ceremony's second call.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FinishBody {
    /// the id the first call gave
    ceremony: String,
    /// what `navigator.credentials` answered, as JSON (ArrayBuffers in base64url)
    #[schema(value_type = Object)]
    credential: Value,
}

/// A ceremony's first answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Started {
    ceremony: String,
    /// the options for `navigator.credentials.create()` / `.get()`
    #[schema(value_type = Object)]
    options: Value,
}

/// A new session, for the popup to post to `origin`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionHandover {
    /// always `session`
    #[schema(value_type = String)]
    natter: &'static str,
    site: String,
    origin: String,
    token: String,
    #[schema(format = DateTime)]
    expires_at: String,
    identity: IdentityView,
}

/// A signed-in commenter, as they see themselves.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdentityView {
    /// `passkey` or `oidc:<name>`
    pub provider: String,
    /// their display name
    pub name: String,
}

async fn start(
    state: State,
    req: HttpRequest,
    body: StartBody,
    register: bool,
) -> ApiResult<HttpResponse> {
    own_page_only(&state, &req)?;
    let way = "passkey";
    act::check_start(
        &state.core,
        &body.site,
        &body.origin,
        &state.public_origin,
        Some(way),
    )?;
    let bind = binding(&req);
    if bind.is_empty() {
        return Err(ApiError::Malformed(
            "open sign-in from the comment form (no binding cookie)".into(),
        ));
    }
    let c = Ceremony {
        site: &body.site,
        origin: &body.origin,
        binding: &bind,
    };
    let (ceremony, options) = if register {
        let name = body.name.as_deref().unwrap_or_default();
        if name.chars().count() > 200 {
            return Err(ApiError::invalid("name", "a name is at most 64 characters"));
        }
        act::passkey_register_start(&state.core, c, name).await?
    } else {
        act::passkey_login_start(&state.core, c).await?
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Started { ceremony, options }))
}

#[utoipa::path(post, path = "/api/auth/passkey/register", tag = "sign-in",
    summary = "Start making a passkey (from the popup only)",
    request_body = StartBody,
    responses(
        (status = 200, description = "the ceremony and the browser's options", body = Started),
        (status = 400, description = "no binding cookie (`malformed_request`)", body = ErrorBody),
        (status = 403, description = "not from Natter's own page (`origin_not_allowed`)", body = ErrorBody),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `POST /api/auth/passkey/register`.
pub async fn register_start(
    state: State,
    req: HttpRequest,
    body: Json<StartBody>,
) -> ApiResult<HttpResponse> {
    start(state, req, body.0, true).await
}

#[utoipa::path(post, path = "/api/auth/passkey/login", tag = "sign-in",
    summary = "Start signing in with a passkey (from the popup only)",
    request_body = StartBody,
    responses(
        (status = 200, description = "the ceremony and the browser's options", body = Started),
        (status = 400, description = "no binding cookie (`malformed_request`)", body = ErrorBody),
        (status = 403, description = "not from Natter's own page (`origin_not_allowed`)", body = ErrorBody),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `POST /api/auth/passkey/login`.
pub async fn login_start(
    state: State,
    req: HttpRequest,
    body: Json<StartBody>,
) -> ApiResult<HttpResponse> {
    start(state, req, body.0, false).await
}

async fn finish(
    state: State,
    req: HttpRequest,
    body: FinishBody,
    register: bool,
) -> ApiResult<HttpResponse> {
    own_page_only(&state, &req)?;
    let bind = binding(&req);
    let h = if register {
        act::passkey_register_finish(&state.core, &body.ceremony, &bind, &body.credential).await?
    } else {
        act::passkey_login_finish(&state.core, &body.ceremony, &bind, &body.credential).await?
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(handover(&h)))
}

#[utoipa::path(post, path = "/api/auth/passkey/register/finish", tag = "sign-in",
    summary = "Finish making a passkey: a new identity, signed in",
    request_body = FinishBody,
    responses(
        (status = 200, description = "the session, for the popup to hand over", body = SessionHandover),
        (status = 400, description = "unknown, used, expired or other browser's ceremony (`malformed_request`)", body = ErrorBody),
        (status = 401, description = "the credential was refused (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "not from Natter's own page (`origin_not_allowed`)", body = ErrorBody),
        (status = 409, description = "the passkey is registered already (`duplicate`)", body = ErrorBody),
    ))]
/// `POST /api/auth/passkey/register/finish`.
pub async fn register_finish(
    state: State,
    req: HttpRequest,
    body: Json<FinishBody>,
) -> ApiResult<HttpResponse> {
    finish(state, req, body.0, true).await
}

#[utoipa::path(post, path = "/api/auth/passkey/login/finish", tag = "sign-in",
    summary = "Finish signing in with a passkey",
    request_body = FinishBody,
    responses(
        (status = 200, description = "the session, for the popup to hand over", body = SessionHandover),
        (status = 400, description = "unknown, used, expired or other browser's ceremony (`malformed_request`)", body = ErrorBody),
        (status = 401, description = "the assertion was refused (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "not from Natter's own page (`origin_not_allowed`)", body = ErrorBody),
    ))]
/// `POST /api/auth/passkey/login/finish`.
pub async fn login_finish(
    state: State,
    req: HttpRequest,
    body: Json<FinishBody>,
) -> ApiResult<HttpResponse> {
    finish(state, req, body.0, false).await
}
