//! The route table, shared by `serve` and the tests, and the error shape for unknown routes
//! and methods. The rules every route shares (CORS, content type, early limits) are in
//! `http::middleware`.

pub mod admin;
pub mod answers;
pub mod comments;
pub mod counts;
pub mod desk;
pub mod fediverse;
pub mod fragment;
pub mod me;
pub mod meta;
pub mod moderate;
pub mod notify;
pub mod oidc;
pub mod openapi;
pub mod sessions;
pub mod signin;
pub mod webmention;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse, ResponseError};
use serde::Deserialize;

use crate::domain::input::Edit;
use crate::domain::validate::max;
use crate::error::{ApiError, ApiResult};
use crate::render::pages::{self, PAGE_CSP};
use crate::routes::openapi::{opt_text, opt_uri};

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // The hot routes first: the router tries resources in this order.
    cfg.service(
        resource("/api/comments")
            .route(web::get().to(comments::list_comments))
            .route(web::post().to(comments::create_comment)),
    )
    .service(
        resource("/api/counts")
            .route(web::get().to(counts::get_counts))
            .route(web::post().to(counts::post_counts)),
    )
    .service(resource("/").route(web::get().to(meta::demo)))
    .service(resource("/embed.js").route(web::get().to(meta::embed_js)))
    .service(resource("/admin").route(web::get().to(meta::admin_page)))
    .service(resource("/admin.js").route(web::get().to(meta::admin_js)))
    .service(resource("/admin.css").route(web::get().to(meta::admin_css)))
    .service(resource("/i18n/{file}").route(web::get().to(meta::locale)))
    .service(resource("/healthz").route(web::get().to(meta::healthz)))
    .service(resource("/metrics").route(web::get().to(meta::metrics)))
    .service(resource("/api/config").route(web::get().to(meta::get_config)))
    .service(resource("/api/openapi.json").route(web::get().to(meta::openapi)))
    .service(resource("/api/comments.html").route(web::get().to(fragment::thread_html)))
    .service(
        resource("/api/comments/{id}")
            .route(web::get().to(comments::get_comment))
            .route(web::patch().to(comments::edit_comment))
            .route(web::delete().to(comments::delete_comment)),
    )
    .service(resource("/api/comments/{id}/vote").route(web::post().to(comments::vote_comment)))
    .service(resource("/api/preview").route(web::post().to(meta::preview)))
    .service(resource("/api/avatar/{file}").route(web::get().to(meta::avatar)))
    .service(resource("/feed/{file}").route(web::get().to(meta::feed)))
    .service(
        resource("/moderate/{id}/{action}")
            .route(web::get().to(moderate::show))
            .route(web::post().to(moderate::act)),
    )
    .service(
        resource("/notify/{purpose}/{id}")
            .route(web::get().to(notify::show))
            .route(web::post().to(notify::act)),
    )
    .service(
        resource("/privacy/erase")
            .route(web::get().to(notify::show_erase))
            .route(web::post().to(notify::act_erase)),
    )
    .service(resource("/webmention").route(web::post().to(webmention::receive)))
    .service(resource("/webmention/{id}").route(web::get().to(webmention::status)))
    .service(resource("/auth/signin").route(web::get().to(signin::signin_page)))
    .service(resource("/auth.js").route(web::get().to(signin::auth_js)))
    .service(resource("/auth/oidc/{name}/start").route(web::get().to(oidc::oidc_start)))
    .service(resource("/auth/oidc/{name}/callback").route(web::get().to(oidc::oidc_callback)))
    .service(resource("/api/auth/passkey/register").route(web::post().to(signin::register_start)))
    .service(
        resource("/api/auth/passkey/register/finish")
            .route(web::post().to(signin::register_finish)),
    )
    .service(resource("/api/auth/passkey/login").route(web::post().to(signin::login_start)))
    .service(resource("/api/auth/passkey/login/finish").route(web::post().to(signin::login_finish)))
    .service(
        resource("/api/auth/session")
            .route(web::get().to(me::get_session))
            .route(web::delete().to(me::delete_session)),
    )
    .service(
        resource("/api/auth/me")
            .route(web::get().to(me::get_me))
            .route(web::delete().to(me::delete_me)),
    )
    .service(resource("/api/privacy/erase").route(web::post().to(notify::request_erase)))
    .service(resource("/.well-known/webfinger").route(web::get().to(fediverse::webfinger)))
    .service(resource("/ap/inbox").route(web::post().to(fediverse::post_shared_inbox)))
    .service(resource("/ap/comments/{id}").route(web::get().to(fediverse::get_note)))
    .service(resource("/ap/sites/{site}").route(web::get().to(fediverse::get_actor)))
    .service(resource("/ap/sites/{site}/inbox").route(web::post().to(fediverse::post_inbox)))
    .service(resource("/ap/sites/{site}/outbox").route(web::get().to(fediverse::get_outbox)))
    .service(resource("/ap/sites/{site}/followers").route(web::get().to(fediverse::get_followers)))
    .service(resource("/ap/sites/{site}/posts/{id}").route(web::get().to(fediverse::get_post)))
    .service(
        web::scope("/api/admin")
            .wrap(actix_web::middleware::from_fn(admin::require_admin))
            .service(resource("/comments").route(web::get().to(admin::list_queue)))
            // Before `/comments/{id}`, which would take `bulk` for an id.
            .service(resource("/comments/bulk").route(web::post().to(desk::bulk_comments)))
            .service(
                resource("/comments/{id}")
                    .route(web::patch().to(admin::edit_comment))
                    .route(web::delete().to(admin::delete_comment)),
            )
            .service(
                resource("/comments/{id}/approve").route(web::post().to(admin::approve_comment)),
            )
            .service(resource("/comments/{id}/reject").route(web::post().to(admin::reject_comment)))
            .service(resource("/comments/{id}/spam").route(web::post().to(desk::spam_comment)))
            .service(
                resource("/blocks")
                    .route(web::get().to(desk::list_blocks))
                    .route(web::post().to(desk::add_block)),
            )
            .service(resource("/blocks/{id}").route(web::delete().to(desk::remove_block)))
            .service(resource("/audit").route(web::get().to(desk::audit)))
            .service(resource("/sessions").route(web::get().to(sessions::list_sessions)))
            .service(resource("/sessions/{id}").route(web::delete().to(sessions::revoke_session)))
            .service(resource("/threads/lock").route(web::post().to(admin::lock_thread)))
            .service(resource("/erase").route(web::post().to(admin::erase_email)))
            .service(resource("/sites").route(web::get().to(admin::list_sites)))
            .service(resource("/outbox").route(web::get().to(admin::outbox)))
            .service(
                resource("/fediverse/announce").route(web::post().to(fediverse::announce_post)),
            )
            .default_service(web::to(not_found)),
    )
    .default_service(web::to(not_found));
}

/// A resource whose other methods get 405 in the error shape.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        ApiError::MethodNotAllowed.error_response()
    }))
}

async fn not_found() -> HttpResponse {
    ApiError::NotFound("no such route".into()).error_response()
}

/// A server-rendered page (from `render::pages`) with the strict headers every such page gets.
pub fn respond(status: StatusCode, page: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", PAGE_CSP))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page)
}

/// A page that only says `text`.
pub fn message(status: StatusCode, title: &str, text: &str) -> HttpResponse {
    respond(status, pages::message(title, text))
}

/// A comment id from the path; anything else names no comment.
pub fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::no_comment)
}

/// Body of `PATCH /api/comments/{id}` (and of a moderator's edit).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = Edit)]
pub struct EditComment {
    #[schema(schema_with = opt_text::<1, { max::TEXT }>)]
    text: Option<String>,
    #[schema(schema_with = opt_text::<0, { max::AUTHOR }>)]
    author: Option<String>,
    #[schema(schema_with = opt_uri::<{ max::WEBSITE }>)]
    website: Option<String>,
}

impl EditComment {
    /// Checks each given field with the same rules as a create.
    pub fn parse(&self) -> ApiResult<Edit> {
        Ok(Edit::parse(
            self.text.as_deref(),
            self.author.as_deref(),
            self.website.as_deref(),
        )?)
    }
}
