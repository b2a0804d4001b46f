//! Pages behind signed one-click links from moderation emails. `GET` only shows the
//! comment and a button (email scanners prefetch links); the form's `POST` acts, once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::actions::moderation;
use crate::domain::moderate::{self, Action, LinkError};
use crate::domain::now;
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::state::State;
use crate::render::pages;
use crate::routes::{message, respond};

fn refused(why: &str) -> HttpResponse {
    message(StatusCode::FORBIDDEN, "This link does not work", why)
}

struct Checked {
    id: i64,
    action: Action,
    sig: String,
    expires: i64,
}

const NOT_VALID: &str = "This link is not valid.";
const EXPIRED: &str = "This link has expired (links work for 7 days). Use the admin page instead.";

/// Parses and verifies the link; on failure, why (for the refusal page).
fn check(state: &State, path: &(String, String), query: &Query) -> Result<Checked, &'static str> {
    let (id, action) = path;
    let id = id.parse::<i64>().map_err(|_| NOT_VALID)?;
    let action = Action::parse(action).ok_or(NOT_VALID)?;
    let sig = query.get("sig").unwrap_or("").to_string();
    match moderate::verify(&state.key, id, action, &sig, now()) {
        Ok(expires) => Ok(Checked {
            id,
            action,
            sig,
            expires,
        }),
        Err(LinkError::Expired) => Err(EXPIRED),
        Err(LinkError::Forged) => Err(NOT_VALID),
    }
}

fn sig_hash(sig: &str) -> String {
    crate::domain::crypto::token_hash(sig)
}

/// `GET /moderate/{id}/{action}?sig=…`: shows the comment and a button; changes nothing.
#[utoipa::path(get, path = "/moderate/{id}/{action}", tag = "admin",
    operation_id = "moderate_show",
    summary = "One-click moderation link from an email: a confirmation page",
    params(
        ("id" = i64, Path),
        ("action" = inline(Action), Path),
        ("sig" = String, Query, description = "the signature from the email"),
    ),
    responses(
        (status = 200, description = "a page with a button that POSTs", body = String, content_type = "text/html"),
        (status = 403, description = "a bad or expired signature", body = String, content_type = "text/html"),
    ))]
pub async fn show(state: State, path: web::Path<(String, String)>, query: Query) -> HttpResponse {
    let link = match check(&state, &path, &query) {
        Ok(l) => l,
        Err(why) => return refused(why),
    };
    let hash = sig_hash(&link.sig);
    let id = link.id;
    let found = moderation::link_state(&state.core, id, hash).await;
    let (comment, used) = match found {
        Ok(v) => v,
        Err(_) => {
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again later",
                "The database is busy.",
            )
        }
    };
    if used {
        return message(
            StatusCode::GONE,
            "Link already used",
            "This link has already been used.",
        );
    }
    let Some(c) = comment else {
        return message(
            StatusCode::NOT_FOUND,
            "Comment not found",
            "This comment no longer exists.",
        );
    };
    respond(
        StatusCode::OK,
        pages::moderation_confirm(&c, link.action.as_str()),
    )
}

#[utoipa::path(post, path = "/moderate/{id}/{action}", tag = "admin",
    operation_id = "moderate_act",
    summary = "Carry out a signed moderation link",
    params(
        ("id" = i64, Path),
        ("action" = inline(Action), Path),
        ("sig" = String, Query, description = "the signature from the email"),
    ),
    responses(
        (status = 200, description = "done", body = String, content_type = "text/html"),
        (status = 403, description = "a bad or expired signature", body = String, content_type = "text/html"),
    ))]
/// `POST /moderate/{id}/{action}?sig=…`: acts, once, from this server's own pages only.
pub async fn act(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: Query,
) -> HttpResponse {
    if let Some(origin) = crate::http::state::origin_header(&req) {
        if !state.is_own_origin(&req, origin) {
            return refused("This form must be sent from this server's own page.");
        }
    }
    let link = match check(&state, &path, &query) {
        Ok(l) => l,
        Err(why) => return refused(why),
    };
    let Checked {
        id,
        action,
        sig,
        expires,
    } = link;
    let hash = sig_hash(&sig);
    let result = moderation::use_link(&state.core, id, action, hash, expires).await;
    match result {
        Ok(c) => {
            let done = match action {
                Action::Approve => "Comment approved",
                Action::Reject => "Comment rejected",
                Action::Delete => "Comment deleted",
            };
            respond(StatusCode::OK, pages::moderation_done(done, &c))
        }
        Err(ApiError::Duplicate(_)) => message(
            StatusCode::GONE,
            "Link already used",
            "This link has already been used.",
        ),
        Err(ApiError::NotFound(_)) => message(
            StatusCode::NOT_FOUND,
            "Comment not found",
            "This comment no longer exists.",
        ),
        Err(_) => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again later",
            "Nothing was changed.",
        ),
    }
}
