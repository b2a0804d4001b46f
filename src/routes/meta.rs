//! Small public routes: site config, preview, health, avatars, feeds, the demo page and the widget.

use std::fmt::Write as _;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::actions::reads;
use crate::domain::{now, validate};
use crate::error::{ApiError, ApiResult};
use crate::http::error::ErrorBody;
use crate::http::etag::etagged;
use crate::http::extract::{Json, Query};
use crate::http::state::State;
use crate::render::markdown;
use crate::routes::answers::{Html, SiteConfig, StatusBody};
use crate::routes::openapi::PageKey;

#[utoipa::path(get, path = "/api/openapi.json", tag = "operations", summary = "This document",
    responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
/// `GET /api/openapi.json`: the API description (built once).
pub async fn openapi(req: HttpRequest) -> HttpResponse {
    etagged(
        &req,
        "application/json",
        crate::routes::openapi::document().as_bytes().to_vec(),
    )
}

#[utoipa::path(get, path = "/api/config", tag = "comments",
    summary = "A site's widget settings and a form token",
    params(("site" = String, Query, description = "a configured site id")),
    responses(
        (status = 200, description = "the settings", body = SiteConfig),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `GET /api/config?site=S`: what the widget needs to know about a site.
pub async fn get_config(state: State, query: Query) -> ApiResult<HttpResponse> {
    let id = query.require("site")?;
    let s = state.site(id)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(SiteConfig {
            site: id,
            moderation: s.moderation,
            edit_window: s.edit_window,
            max_depth: s.max_depth,
            require_name: s.require_name,
            require_email: s.require_email,
            images: s.images,
            form_token: crate::actions::spam::issue_form_token(&state.key, id, now()),
            sign_in: s
                .sign_in
                .iter()
                .map(|w| crate::routes::answers::SignInWay {
                    id: w.clone(),
                    label: match w.strip_prefix("oidc:") {
                        Some(name) => state.core.signin.oidc.label(name).unwrap_or_default(),
                        None => "Passkey".into(),
                    },
                })
                .collect(),
            require_sign_in: s.require_sign_in,
        }))
}

/// Body of `POST /api/preview`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = Preview)]
pub struct PreviewBody {
    text: String,
    site: Option<String>,
}

#[utoipa::path(post, path = "/api/preview", tag = "comments",
    summary = "Render markdown as the server would store it",
    request_body = PreviewBody,
    responses((status = 200, description = "sanitized HTML", body = Html)))]
/// `POST /api/preview`: renders markdown exactly as a create would.
pub async fn preview(
    state: State,
    req: HttpRequest,
    body: Json<PreviewBody>,
) -> ApiResult<HttpResponse> {
    // Rendering costs about what a read does, and writes nothing: it spends a read.
    let b = body.0;
    let images = match &b.site {
        Some(id) => {
            let s = state.site(id)?;
            state.check_origin(&req, s)?;
            s.images
        }
        None => {
            if let Some(o) = crate::http::state::origin_header(&req) {
                if !state.any_site_allows(&req, o) {
                    return Err(ApiError::OriginNotAllowed);
                }
            }
            false
        }
    };
    let text = validate::text(&b.text)?;
    let html =
        web::block(move || markdown::render(&text, markdown::Format::Markdown, images)).await?;
    Ok(HttpResponse::Ok().json(Html { html }))
}

#[utoipa::path(get, path = "/healthz", tag = "operations", summary = "Checks the database",
    responses(
        (status = 200, description = "healthy", body = StatusBody),
        (status = 503, description = "the database does not answer (`unavailable`)", body = ErrorBody),
    ))]
/// `GET /healthz`: 200 when the database answers a read of a real table, else 503 (a bare
/// `SELECT 1` would answer on a pooled connection whatever became of the file's tables).
pub async fn healthz(state: State) -> ApiResult<HttpResponse> {
    if state.health.damaged().is_some() {
        return Err(ApiError::Unavailable(
            "the database is damaged; see the log".into(),
        ));
    }
    reads::database_answers(&state.core).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(StatusBody { status: "ok" }))
}

#[utoipa::path(get, path = "/api/avatar/{hash}.svg", tag = "comments",
    summary = "An identicon (immutable)",
    params(("hash" = String, Path)),
    responses(
        (status = 200, description = "SVG", body = String, content_type = "image/svg+xml"),
        (status = 404, description = "not a hash (`not_found`)", body = ErrorBody),
    ))]
/// `GET /api/avatar/{hash}.svg`: an identicon, immutable.
pub async fn avatar(file: web::Path<String>) -> ApiResult<HttpResponse> {
    let hash = file
        .strip_suffix(".svg")
        .filter(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| ApiError::NotFound("no such avatar".into()))?;
    let bytes = hex::decode(hash).map_err(|_| ApiError::NotFound("no such avatar".into()))?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(crate::render::avatar::identicon_svg(&bytes)))
}

#[utoipa::path(get, path = "/feed/{site}.atom", tag = "comments",
    summary = "Atom feed of the newest approved comments",
    params(
        ("site" = String, Path),
        ("page" = inline(Option<PageKey>), Query, description = "the page key (a path such as /posts/hello/)"),
    ),
    responses(
        (status = 200, description = "Atom 1.0", body = String, content_type = "application/atom+xml"),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `GET /feed/{site}.atom[?page=P]`: the newest approved comments as Atom 1.0.
pub async fn feed(
    state: State,
    req: HttpRequest,
    file: web::Path<String>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let site = file
        .strip_suffix(".atom")
        .ok_or_else(|| ApiError::NotFound("feeds end in .atom".into()))?
        .to_string();
    state.site(&site)?;
    let page = query.get("page").map(validate::page).transpose()?;
    let public_url = state.settings.public_url.trim_end_matches('/').to_string();
    let rows = reads::newest(&state.core, site.clone(), page.clone()).await?;
    let xml = crate::render::feed::atom(&public_url, &site, page.as_deref(), &rows, &state.key);
    Ok(etagged(
        &req,
        "application/atom+xml; charset=utf-8",
        xml.into_bytes(),
    ))
}

/// The widget as served: widget/embed.js minified by build.rs.
const EMBED_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/embed.min.js"));

#[utoipa::path(get, path = "/", tag = "assets", summary = "A demo page embedding the widget",
    responses((status = 200, description = "the demo", body = String, content_type = "text/html")))]
/// `GET /`: a demo page embedding the widget for `default`, else the first site.
pub async fn demo(state: State) -> HttpResponse {
    let site = if state.sites.contains_key("default") {
        "default".to_string()
    } else {
        state.sites.keys().next().cloned().unwrap_or_default()
    };
    let page = crate::render::pages::demo(&site);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "content-security-policy",
            "default-src 'self'; img-src 'self' https: http: data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .insert_header(("x-frame-options", "DENY"))
        .body(page)
}

/// `LOCALES` from language codes: each one's table, `widget/i18n/<code>.json`, compiled in.
macro_rules! locales {
    ($($lang:literal),* $(,)?) => {
        &[$(($lang, include_str!(concat!("../../widget/i18n/", $lang, ".json")))),*]
    };
}

/// The widget's translations, each fetched only by readers who need it (the widget's `LANGS`
/// names the same languages).
const LOCALES: &[(&str, &str)] = locales![
    "ar", "cs", "da", "de", "es", "fi", "fr", "hi", "id", "it", "ja", "ko", "nl", "pl", "pt", "ru",
    "sv", "tr", "uk", "zh",
];

#[utoipa::path(get, path = "/i18n/{lang}.json", tag = "assets",
    summary = "The widget's strings in one language",
    params(("lang" = String, Path)),
    responses(
        (status = 200, description = "strings by key", body = Object),
        (status = 404, description = "no such language (`not_found`)", body = ErrorBody),
    ))]
/// `GET /i18n/{lang}.json`: one language's strings, readable from any blog's origin.
pub async fn locale(req: HttpRequest, file: web::Path<String>) -> ApiResult<HttpResponse> {
    let lang = file.strip_suffix(".json").unwrap_or("");
    let (_, text) = LOCALES
        .iter()
        .find(|(l, _)| *l == lang)
        .ok_or_else(|| ApiError::NotFound("no such language".into()))?;
    let mut res = etagged(&req, "application/json", text.as_bytes().to_vec());
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=3600"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    Ok(res)
}

const ADMIN_HTML: &str = include_str!("../../widget/admin.html");
const ADMIN_JS: &str = include_str!("../../widget/admin.js");
const ADMIN_CSS: &str = include_str!("../../widget/admin.css");

/// The admin page's policy: its own script and styles only, talking to this server only.
const ADMIN_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[utoipa::path(get, path = "/admin", tag = "assets",
    summary = "The moderation page (log in with an admin token)",
    responses((status = 200, description = "the page", body = String, content_type = "text/html")))]
/// `GET /admin`: the moderation page (it logs in with a token kept in sessionStorage).
pub async fn admin_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", ADMIN_CSP))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(ADMIN_HTML)
}

#[utoipa::path(get, path = "/admin.js", tag = "assets", summary = "The moderation page's script",
    responses((status = 200, description = "JavaScript", body = String,
        content_type = "application/javascript")))]
/// `GET /admin.js`: the admin page's script.
pub async fn admin_js(req: HttpRequest) -> HttpResponse {
    let ct = "application/javascript; charset=utf-8";
    etagged(&req, ct, ADMIN_JS.as_bytes().to_vec())
}

#[utoipa::path(get, path = "/admin.css", tag = "assets", summary = "The moderation page's styles",
    responses((status = 200, description = "CSS", body = String, content_type = "text/css")))]
/// `GET /admin.css`: the admin page's styles.
pub async fn admin_css(req: HttpRequest) -> HttpResponse {
    etagged(
        &req,
        "text/css; charset=utf-8",
        ADMIN_CSS.as_bytes().to_vec(),
    )
}

#[utoipa::path(get, path = "/embed.js", tag = "assets", summary = "The widget",
    responses((status = 200, description = "JavaScript", body = String,
        content_type = "application/javascript")))]
/// `GET /embed.js`: the widget; cached for an hour so a release reaches readers soon.
pub async fn embed_js(req: HttpRequest) -> HttpResponse {
    let mut res = etagged(
        &req,
        "application/javascript; charset=utf-8",
        EMBED_JS.as_bytes().to_vec(),
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

#[utoipa::path(get, path = "/metrics", tag = "operations", summary = "Prometheus metrics",
    responses((status = 200, description = "text exposition format", body = String, content_type = "text/plain")))]
/// `GET /metrics`.
pub async fn metrics(state: State) -> ApiResult<HttpResponse> {
    let (pending, failed, bytes) = reads::gauges(&state.core).await?;
    let (entries, cached_bytes) = state.threads.size();
    let (hits, misses) = state.threads.hits_and_misses();
    let mut text = state.metrics.render(&[
        (
            "natter_outbox_pending",
            "Notifications waiting to be delivered.",
            pending as f64,
        ),
        (
            "natter_outbox_failed",
            "Notifications given up.",
            failed as f64,
        ),
        (
            "natter_database_bytes",
            "Size of the main database file.",
            bytes as f64,
        ),
        (
            "natter_thread_cache_entries",
            "Thread answers held in memory.",
            entries as f64,
        ),
        (
            "natter_thread_cache_bytes",
            "Bytes of thread answers held in memory (plain and gzip).",
            cached_bytes as f64,
        ),
    ]);
    let _ = write!(
        text,
        "# HELP natter_thread_cache_lookups_total Thread reads, by whether the cache answered.\n\
         # TYPE natter_thread_cache_lookups_total counter\n\
         natter_thread_cache_lookups_total{{result=\"hit\"}} {hits}\n\
         natter_thread_cache_lookups_total{{result=\"miss\"}} {misses}\n"
    );
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .body(text))
}
