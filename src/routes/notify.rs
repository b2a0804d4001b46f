//! Pages behind the signed links of notification emails (opt-in, unsubscribe, erase) and
//! the self-service erase request. `GET` shows a button; only the form's `POST` acts.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::actions::subscriptions;
use crate::domain::links::LinkError;
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::http::state::State;
use crate::render::pages;
use crate::routes::answers::StatusBody;
use crate::routes::{message, respond};

/// What a `/notify/{purpose}/{id}` link does.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // only described: the handlers match the path segment
pub enum Purpose {
    /// Opt in to reply emails.
    Confirm,
    /// Stop them.
    Unsubscribe,
}

fn refused(e: LinkError) -> HttpResponse {
    let why = match e {
        LinkError::Expired => "This link has expired.",
        LinkError::Forged => "This link is not valid.",
    };
    message(StatusCode::FORBIDDEN, "This link does not work", why)
}

fn form(title: &str, text: &str, button: &str) -> HttpResponse {
    respond(StatusCode::OK, pages::form(title, text, button))
}

fn unavailable() -> HttpResponse {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again later",
        "Nothing was changed.",
    )
}

/// The verified comment id of a `/notify/{purpose}/{id}` link.
fn verified(state: &State, purpose: &str, id: &str, query: &Query) -> Result<i64, LinkError> {
    let id: i64 = id.parse().map_err(|_| LinkError::Forged)?;
    subscriptions::verify_link(&state.core, purpose, id, query.get("sig").unwrap_or(""))?;
    Ok(id)
}

fn foreign_post(state: &State, req: &HttpRequest) -> bool {
    crate::http::state::origin_header(req).is_some_and(|o| !state.is_own_origin(req, o))
}

#[utoipa::path(get, path = "/notify/{purpose}/{id}", tag = "privacy",
    operation_id = "notify_show",
    summary = "Signed reply-notification link (confirm or unsubscribe): a page",
    params(
        ("purpose" = inline(Purpose), Path),
        ("id" = i64, Path),
        ("sig" = String, Query, description = "the signature from the email"),
    ),
    responses(
        (status = 200, description = "a page with a button that POSTs", body = String, content_type = "text/html"),
        (status = 403, description = "a bad or expired signature", body = String, content_type = "text/html"),
    ))]
/// `GET /notify/{purpose}/{id}`: confirm or unsubscribe, shown with a button.
pub async fn show(state: State, path: web::Path<(String, String)>, query: Query) -> HttpResponse {
    let (purpose, id) = path.into_inner();
    if let Err(e) = verified(&state, &purpose, &id, &query) {
        return refused(e);
    }
    match purpose.as_str() {
        "confirm" => form(
            "Email me about replies",
            "Confirm that you want an email when someone replies to your comment.",
            "Yes, email me about replies",
        ),
        "unsubscribe" => form(
            "Stop reply emails",
            "Stop emails about replies to this comment.",
            "Unsubscribe",
        ),
        _ => refused(LinkError::Forged),
    }
}

#[utoipa::path(post, path = "/notify/{purpose}/{id}", tag = "privacy",
    operation_id = "notify_act",
    summary = "Carry out a signed notification link",
    params(
        ("purpose" = inline(Purpose), Path),
        ("id" = i64, Path),
        ("sig" = String, Query, description = "the signature from the email"),
    ),
    responses(
        (status = 200, description = "done", body = String, content_type = "text/html"),
        (status = 403, description = "a bad or expired signature", body = String, content_type = "text/html"),
    ))]
/// `POST /notify/{purpose}/{id}`: acts (also the one-click `List-Unsubscribe-Post`).
pub async fn act(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: Query,
) -> HttpResponse {
    let (purpose, id) = path.into_inner();
    if foreign_post(&state, &req) {
        return refused(LinkError::Forged);
    }
    let id = match verified(&state, &purpose, &id, &query) {
        Ok(id) => id,
        Err(e) => return refused(e),
    };
    let result = match purpose.as_str() {
        "confirm" => subscriptions::confirm(&state.core, id).await,
        "unsubscribe" => subscriptions::unsubscribe(&state.core, id).await,
        _ => return refused(LinkError::Forged),
    };
    match (purpose.as_str(), result) {
        ("confirm", Ok(true)) => message(
            StatusCode::OK,
            "Confirmed",
            "You will get an email when someone replies.",
        ),
        ("unsubscribe", Ok(_)) => message(
            StatusCode::OK,
            "Unsubscribed",
            "No more emails about replies to this comment.",
        ),
        (_, Ok(false)) => message(
            StatusCode::NOT_FOUND,
            "Comment not found",
            "This comment no longer exists.",
        ),
        _ => unavailable(),
    }
}

/// Body of `POST /api/privacy/erase`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EraseRequest {
    site: String,
    email: String,
}

#[utoipa::path(post, path = "/api/privacy/erase", tag = "privacy",
    summary = "Ask for a signed link that erases everything stored about an email",
    request_body = EraseRequest,
    responses(
        (status = 202, description = "a link is mailed if anything is stored", body = StatusBody),
    ))]
/// `POST /api/privacy/erase`: always 202; mails a signed erase link when the address has
/// comments on the site (at most one an hour per address, and rate-limited per client).
pub async fn request_erase(
    state: State,
    req: HttpRequest,
    body: Json<EraseRequest>,
) -> ApiResult<HttpResponse> {
    let EraseRequest { site, email } = body.0;
    let cfg = state.site(&site)?;
    state.check_origin(&req, cfg)?;
    let email = validate::email(Some(&email))?
        .ok_or_else(|| ApiError::invalid("email", "an email is required"))?;
    subscriptions::request_erase(&state.core, site, email).await?;
    Ok(HttpResponse::Accepted().json(StatusBody { status: "accepted" }))
}

fn erase_params(state: &State, query: &Query) -> Result<(String, String), LinkError> {
    let site = query.get("site").unwrap_or("").to_string();
    let email = query.get("email").unwrap_or("").to_string();
    let sig = query.get("sig").unwrap_or("");
    subscriptions::verify_erase(&state.core, &site, &email, sig)?;
    Ok((site, email))
}

#[utoipa::path(get, path = "/privacy/erase", tag = "privacy",
    summary = "Signed erase link from an email: a confirmation page",
    responses(
        (status = 200, description = "a page with a button that POSTs", body = String, content_type = "text/html"),
        (status = 403, description = "a bad or expired signature", body = String, content_type = "text/html"),
    ))]
/// `GET /privacy/erase?site&email&sig`: shows what will happen and a button.
pub async fn show_erase(state: State, query: Query) -> HttpResponse {
    match erase_params(&state, &query) {
        Ok((site, _)) => form(
            "Erase your data",
            &format!("Erase every comment and everything else stored about this email address on {site}. This cannot be undone."),
            "Erase my data",
        ),
        Err(e) => refused(e),
    }
}

#[utoipa::path(post, path = "/privacy/erase", tag = "privacy",
    summary = "Carry out a signed erase link",
    responses(
        (status = 200, description = "done", body = String, content_type = "text/html"),
        (status = 403, description = "a bad or expired signature", body = String, content_type = "text/html"),
    ))]
/// `POST /privacy/erase?site&email&sig`: erases, as the admin erase does.
pub async fn act_erase(state: State, req: HttpRequest, query: Query) -> HttpResponse {
    if foreign_post(&state, &req) {
        return refused(LinkError::Forged);
    }
    let (site, email) = match erase_params(&state, &query) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let actor = crate::actions::moderation::LINK.to_string();
    match crate::actions::moderation::erase(&state.core, site, email, actor).await {
        Ok(n) => message(
            StatusCode::OK,
            "Erased",
            &format!("{n} comment(s) and the data stored with them were erased."),
        ),
        Err(_) => unavailable(),
    }
}
