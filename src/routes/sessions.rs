//! The desk's view of signed-in commenters' sessions: list, revoke.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::actions::sessions as act;
use crate::domain::rfc3339;
use crate::error::ApiResult;
use crate::http::error::ErrorBody;
use crate::http::extract::Query;
use crate::http::state::State;
use crate::routes::admin::Actor;
use crate::routes::answers::AdminIdentity;
use crate::routes::parse_id;

/// One live session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdminSession {
    id: i64,
    site: String,
    identity: AdminIdentity,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
    /// when it last wrote a comment (or was made)
    #[schema(format = DateTime)]
    last_seen_at: String,
}

/// `GET /api/admin/sessions`' answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Sessions {
    sessions: Vec<AdminSession>,
}

#[utoipa::path(get, path = "/api/admin/sessions", tag = "admin",
    summary = "Live sessions of signed-in commenters, newest first (at most 1000)",
    security(("admin" = [])),
    params(("site" = Option<String>, Query, description = "default: every site")),
    responses(
        (status = 200, description = "the sessions", body = Sessions),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `GET /api/admin/sessions`.
pub async fn list_sessions(state: State, query: Query) -> ApiResult<HttpResponse> {
    let site = query.get("site").map(str::to_string);
    if let Some(s) = &site {
        state.site(s)?;
    }
    let rows = act::sessions(&state.core, site).await?;
    let sessions = rows
        .into_iter()
        .map(|(s, i)| AdminSession {
            id: s.id,
            site: s.site,
            identity: AdminIdentity::of(&i),
            created_at: rfc3339(s.created_at),
            expires_at: rfc3339(s.expires_at),
            last_seen_at: rfc3339(s.last_seen_at),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Sessions { sessions }))
}

#[utoipa::path(delete, path = "/api/admin/sessions/{id}", tag = "admin",
    summary = "Revoke a session: its token stops working on every node",
    security(("admin" = [])),
    params(("id" = u64, Path, minimum = 1)),
    responses(
        (status = 204, description = "revoked"),
        (status = 404, description = "no live session with this id (`not_found`)", body = ErrorBody),
    ))]
/// `DELETE /api/admin/sessions/{id}`.
pub async fn revoke_session(
    state: State,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)
        .map_err(|_| crate::error::ApiError::NotFound("no live session with this id".into()))?;
    act::revoke(&state.core, id, actor.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
