//! What a signed-in commenter's page does with its session: who it is, signing out, their
//! data and erasing it. The session comes from the popup (`routes/signin.rs`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::actions::sessions as act;
use crate::domain::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::http::error::ErrorBody;
use crate::http::state::State;
use crate::routes::signin::IdentityView;

fn session_token(req: &HttpRequest) -> ApiResult<String> {
    crate::http::extract::bearer_token(req)
        .filter(|t| crate::domain::signin::is_session_token(t))
        .ok_or_else(|| {
            ApiError::Unauthorized("a session is required (Authorization: Bearer ns1.…)".into())
        })
}

/// `GET /api/auth/session`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    site: String,
    identity: IdentityView,
    #[schema(format = DateTime)]
    expires_at: String,
}

#[utoipa::path(get, path = "/api/auth/session", tag = "sign-in",
    summary = "Who the session signs in", security(("session" = [])),
    responses(
        (status = 200, description = "the live session", body = SessionInfo),
        (status = 401, description = "no session, or revoked, expired, forged (`unauthorized`)", body = ErrorBody),
    ))]
/// `GET /api/auth/session`.
pub async fn get_session(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (s, who) = act::session(&state.core, &session_token(&req)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(SessionInfo {
            site: s.site,
            identity: IdentityView {
                provider: who.provider,
                name: who.name,
            },
            expires_at: rfc3339(s.expires_at),
        }))
}

#[utoipa::path(delete, path = "/api/auth/session", tag = "sign-in",
    summary = "Sign out: the session stops working everywhere", security(("session" = [])),
    responses(
        (status = 204, description = "signed out"),
        (status = 401, description = "no live session (`unauthorized`)", body = ErrorBody),
    ))]
/// `DELETE /api/auth/session`.
pub async fn delete_session(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let token = session_token(&req)?;
    act::sign_out(&state.core, &token, state.origin_check(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One of the commenter's comments, as they see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyComment {
    id: i64,
    page: String,
    /// the stored status (`approved`, `pending`, `rejected`, `spam`)
    status: &'static str,
    text: String,
    html: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(required = true)]
    email: Option<String>,
    /// reply mail for it
    notify: bool,
}

/// One of the commenter's sessions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MySession {
    id: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
    /// the session asking
    current: bool,
}

/// `GET /api/auth/me`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Mine {
    identity: MyIdentity,
    comments: Vec<MyComment>,
    sessions: Vec<MySession>,
}

/// The identity as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyIdentity {
    provider: String,
    name: String,
    site: String,
    #[schema(format = DateTime)]
    created_at: String,
}

#[utoipa::path(get, path = "/api/auth/me", tag = "sign-in",
    summary = "Everything stored about the signed-in commenter", security(("session" = [])),
    responses(
        (status = 200, description = "their identity, comments and sessions", body = Mine),
        (status = 401, description = "no live session (`unauthorized`)", body = ErrorBody),
    ))]
/// `GET /api/auth/me`.
pub async fn get_me(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let m = act::mine(&state.core, &session_token(&req)?).await?;
    let current = m.session.id;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Mine {
            identity: MyIdentity {
                provider: m.identity.provider,
                name: m.identity.name,
                site: m.identity.site,
                created_at: rfc3339(m.identity.created_at),
            },
            comments: m
                .comments
                .into_iter()
                .map(|c| MyComment {
                    id: c.id,
                    page: c.page,
                    status: c.status.as_str(),
                    text: c.text,
                    html: c.html,
                    created_at: rfc3339(c.created_at),
                    email: c.email,
                    notify: c.notify == crate::domain::comment::Notify::On,
                })
                .collect(),
            sessions: m
                .sessions
                .into_iter()
                .map(|s| MySession {
                    id: s.id,
                    created_at: rfc3339(s.created_at),
                    expires_at: rfc3339(s.expires_at),
                    current: s.id == current,
                })
                .collect(),
        }))
}

/// `DELETE /api/auth/me`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Erased {
    /// how many comments were deleted
    erased: usize,
}

#[utoipa::path(delete, path = "/api/auth/me", tag = "sign-in",
    summary = "Erase the signed-in commenter: comments, passkeys, sessions, identity", security(("session" = [])),
    responses(
        (status = 200, description = "erased", body = Erased),
        (status = 401, description = "no live session (`unauthorized`)", body = ErrorBody),
    ))]
/// `DELETE /api/auth/me`.
pub async fn delete_me(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let token = session_token(&req)?;
    let erased = act::erase_mine(&state.core, &token, state.origin_check(&req)).await?;
    Ok(HttpResponse::Ok().json(Erased { erased }))
}
