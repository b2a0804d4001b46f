//! Pages behind signed one-click links from moderation emails. `GET` only shows the
//! comment and a button (email scanners prefetch links); the form's `POST` acts, once.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::domain::comment::{Comment, Status};
use crate::domain::moderate::{self, Action, LinkError};
use crate::domain::{now, rfc3339};
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::state::State;
use crate::render::html::{escape, page, PAGE_CSP};
use crate::store::comments as q;
use crate::store::moderation as m;

/// A server-rendered page with the strict headers every such page gets.
pub fn respond(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", PAGE_CSP))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page(title, body))
}

fn refused(why: &str) -> HttpResponse {
    respond(
        StatusCode::FORBIDDEN,
        "This link does not work",
        &format!("<p>{}</p>", escape(why)),
    )
}

fn describe(c: &Comment) -> String {
    format!(
        "<div class=\"comment\"><p class=\"meta\">{} on <code>{}</code> ({}), {}</p>{}</div>",
        escape(c.author.as_deref().unwrap_or("Anonymous")),
        escape(&c.page),
        escape(&c.site),
        escape(&rfc3339(c.created_at)),
        c.html
    )
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
    let found = crate::store::read(&state.pool, move |conn| {
        Ok((q::find_comment(conn, id)?, m::link_used(conn, &hash)?))
    })
    .await;
    let (comment, used) = match found {
        Ok(v) => v,
        Err(_) => {
            return respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again later",
                "<p>The database is busy.</p>",
            )
        }
    };
    if used {
        return respond(
            StatusCode::GONE,
            "Link already used",
            "<p>This link has already been used.</p>",
        );
    }
    let Some(c) = comment.filter(|c| c.status != Status::Deleted) else {
        return respond(
            StatusCode::NOT_FOUND,
            "Comment not found",
            "<p>This comment no longer exists.</p>",
        );
    };
    let verb = link.action.as_str();
    let body = format!(
        "{}<p>Status now: <strong>{}</strong></p><form method=\"post\"><button type=\"submit\">{}{} this comment</button></form>",
        describe(&c),
        c.status.as_str(),
        verb[..1].to_uppercase(),
        &verb[1..]
    );
    respond(
        StatusCode::OK,
        &format!(
            "{}{} comment #{}",
            verb[..1].to_uppercase(),
            &verb[1..],
            c.id
        ),
        &body,
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
    let st = state.clone();
    let result = state
        .writer
        .write(move |conn| {
            let c = q::find_comment(conn, id)?
                .filter(|c| c.status != Status::Deleted)
                .ok_or_else(ApiError::no_comment)?;
            if !m::use_link(conn, &hash, expires, now())? {
                return Err(ApiError::Duplicate("link already used".into()));
            }
            match action {
                Action::Approve | Action::Reject => {
                    let status = if action == Action::Approve {
                        Status::Approved
                    } else {
                        Status::Rejected
                    };
                    m::set_status(conn, id, status)?;
                    let after = q::find_comment(conn, id)?.ok_or_else(ApiError::no_comment)?;
                    crate::notify::status_changed(conn, &st, c.status, &after)?;
                }
                Action::Delete => {
                    crate::notify::deleted(conn, &st, &c)?;
                    q::delete_comment(conn, id)?;
                }
            }
            Ok(c)
        })
        .await;
    match result {
        Ok(c) => {
            let done = match action {
                Action::Approve => "Comment approved",
                Action::Reject => "Comment rejected",
                Action::Delete => "Comment deleted",
            };
            respond(StatusCode::OK, done, &describe(&c))
        }
        Err(ApiError::Duplicate(_)) => respond(
            StatusCode::GONE,
            "Link already used",
            "<p>This link has already been used.</p>",
        ),
        Err(ApiError::NotFound(_)) => respond(
            StatusCode::NOT_FOUND,
            "Comment not found",
            "<p>This comment no longer exists.</p>",
        ),
        Err(_) => respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again later",
            "<p>Nothing was changed.</p>",
        ),
    }
}
