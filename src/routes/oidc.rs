//! The OpenID Connect redirect and callback of the sign-in popup (the rest of the popup is
//! in `routes/signin.rs`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

use crate::actions::signin::{self as act, Ceremony};
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::state::State;
use crate::render::signin as page;
use crate::routes::signin::{binding, handover, popup};

#[utoipa::path(get, path = "/auth/oidc/{name}/start", tag = "sign-in",
    summary = "Go to an OpenID Connect provider to sign in",
    params(
        ("name" = String, Path, description = "the provider's name in `[oidc.<name>]`"),
        ("site" = String, Query), ("origin" = String, Query),
    ),
    responses(
        (status = 303, description = "to the provider's authorization endpoint"),
        (status = 503, description = "the provider could not be reached or described (a page saying why)", content_type = "text/html", body = String),
        (status = 400, description = "refused (a page saying why)", content_type = "text/html", body = String),
    ))]
/// `GET /auth/oidc/{name}/start`.
pub async fn oidc_start(
    state: State,
    req: HttpRequest,
    name: web::Path<String>,
    query: Query,
) -> HttpResponse {
    let site = query.get("site").unwrap_or_default();
    let origin = query.get("origin").unwrap_or_default();
    let way = format!("oidc:{name}");
    if let Err(e) = act::check_start(&state.core, site, origin, &state.public_origin, Some(&way)) {
        return popup(StatusCode::BAD_REQUEST, page::refused(&e.to_string()));
    }
    let bind = binding(&req);
    if bind.is_empty() {
        return popup(
            StatusCode::BAD_REQUEST,
            page::refused("open sign-in from the comment form"),
        );
    }
    let c = Ceremony {
        site,
        origin,
        binding: &bind,
    };
    match act::oidc_start(&state.core, c, &name).await {
        Ok(url) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("referrer-policy", "no-referrer"))
            .finish(),
        Err(e) => popup(e.status_code(), page::refused(&why(&e))),
    }
}

/// What a refusal says: an unreachable provider's own reason, not only "unavailable".
fn why(e: &ApiError) -> String {
    match e {
        ApiError::Unavailable(reason) => reason.clone(),
        other => other.to_string(),
    }
}

#[utoipa::path(get, path = "/auth/oidc/{name}/callback", tag = "sign-in",
    summary = "Where the provider sends the browser back (the redirect URI to register)",
    params(
        ("name" = String, Path),
        ("state" = String, Query), ("code" = Option<String>, Query), ("error" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "signed in: the page hands the session to the embedding page", content_type = "text/html", body = String),
        (status = 400, description = "bad or used state, another browser, refused code or ID token", content_type = "text/html", body = String),
        (status = 503, description = "the provider could not be reached (a page saying why)", content_type = "text/html", body = String),
    ))]
/// `GET /auth/oidc/{name}/callback`.
pub async fn oidc_callback(
    state: State,
    req: HttpRequest,
    name: web::Path<String>,
    query: Query,
) -> HttpResponse {
    // The provider's refusal is shown only for a sign-in of this browser (and spends it):
    // a link can't make Natter's origin say what its author likes.
    if let Some(e) = query.get("error") {
        let st = query.get("state").unwrap_or_default();
        let said = match act::oidc_abandon(&state.core, st, &binding(&req)).await {
            Ok(()) => format!("the provider said: {}", crate::domain::one_line(e, 100)),
            Err(e) => why(&e),
        };
        return popup(StatusCode::BAD_REQUEST, page::refused(&said));
    }
    let (Some(st), Some(code)) = (query.get("state"), query.get("code")) else {
        return popup(
            StatusCode::BAD_REQUEST,
            page::refused("the provider's answer has no state or code"),
        );
    };
    match act::oidc_finish(&state.core, &name, st, code, &binding(&req)).await {
        Ok(h) => popup(
            StatusCode::OK,
            page::done(
                &h.origin,
                &serde_json::to_string(&handover(&h)).unwrap_or_default(),
                &h.identity.name,
            ),
        ),
        Err(e) => {
            let status = if e.status_code().is_server_error() {
                e.status_code()
            } else {
                StatusCode::BAD_REQUEST
            };
            popup(status, page::refused(&why(&e)))
        }
    }
}
