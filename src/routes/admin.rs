//! The moderation API under `/api/admin`: bearer-token auth, the queue, status changes,
//! edits, deletes, thread locks, GDPR erasure and per-site counts.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::actions::moderation as m;
use crate::domain::comment::{Comment, Status};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{bearer_token, Json, Query};
use crate::http::state::State;
use crate::routes::{parse_id, EditComment};

/// Guards every `/api/admin/*` route, known or not: 401 without a valid token.
pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<State>().cloned();
    let verdict = match (state, bearer_token(req.request())) {
        (Some(state), Some(token)) => {
            m::is_admin(&state.core, state.admin_env_hash.as_deref(), &token).await
        }
        _ => Ok(false),
    };
    let refusal = match verdict {
        Ok(true) => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_left_body)
        }
        Ok(false) => ApiError::Unauthorized(
            "a valid admin token is required (Authorization: Bearer …)".into(),
        ),
        Err(e) => e,
    };
    Ok(req
        .into_response(refusal.error_response())
        .map_into_right_body())
}

/// The moderator's view of a comment: the public object plus the private fields.
pub fn admin_json(c: &Comment) -> Value {
    let mut v = serde_json::to_value(c.public(false)).unwrap_or_default();
    if c.status != Status::Deleted {
        v["status"] = json!(c.status.as_str());
    }
    v["site"] = json!(c.site);
    v["page"] = json!(c.page);
    v["email"] = json!(c.email);
    v["text"] = json!(c.text);
    v["format"] = json!(c.format);
    v["ip"] = json!(c.ip);
    v
}

/// `GET /api/admin/comments`: the queue, newest first.
pub async fn list_queue(state: State, query: Query) -> ApiResult<HttpResponse> {
    let site = query.get("site").map(str::to_owned);
    if let Some(s) = &site {
        state.site(s)?;
    }
    let status = match query.get("status").unwrap_or("pending") {
        "all" => None,
        s => Some(Status::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "status",
                "status must be pending, approved, rejected, deleted or all",
            )
        })?),
    };
    let page = query.get("page").map(validate::page).transpose()?;
    let q = query
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .map(|q| q.trim().to_string());
    let filter = m::QueueFilter {
        site,
        status,
        page,
        q,
        limit: query.int_in("limit", 1..=200)?.unwrap_or(50),
        offset: query
            .int_in("offset", 0..=i64::from(u32::MAX))?
            .unwrap_or(0),
    };
    let (rows, total) = m::queue(&state.core, filter).await?;
    let comments: Vec<Value> = rows.iter().map(admin_json).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({"comments": comments, "total": total})))
}

/// `POST /api/admin/comments/{id}/approve`.
pub async fn approve_comment(state: State, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let c = m::set_status(&state.core, parse_id(&id)?, Status::Approved).await?;
    Ok(HttpResponse::Ok().json(admin_json(&c)))
}

/// `POST /api/admin/comments/{id}/reject`.
pub async fn reject_comment(state: State, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let c = m::set_status(&state.core, parse_id(&id)?, Status::Rejected).await?;
    Ok(HttpResponse::Ok().json(admin_json(&c)))
}

/// `DELETE /api/admin/comments/{id}`.
pub async fn delete_comment(state: State, id: web::Path<String>) -> ApiResult<HttpResponse> {
    m::delete(&state.core, parse_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PATCH /api/admin/comments/{id}`: a moderator's edit, rendered with the comment's own format.
pub async fn edit_comment(
    state: State,
    id: web::Path<String>,
    body: Json<EditComment>,
) -> ApiResult<HttpResponse> {
    let c = m::edit(&state.core, parse_id(&id)?, body.0.parse()?).await?;
    Ok(HttpResponse::Ok().json(admin_json(&c)))
}

/// Body of `POST /api/admin/threads/lock`.
#[derive(Debug, Deserialize)]
pub struct LockBody {
    site: String,
    page: String,
    locked: bool,
}

/// `POST /api/admin/threads/lock`: locks or unlocks a thread, even one with no comments yet.
pub async fn lock_thread(state: State, body: Json<LockBody>) -> ApiResult<HttpResponse> {
    let LockBody { site, page, locked } = body.0;
    state.site(&site)?;
    let page = validate::page(&page)?;
    m::lock(&state.core, site.clone(), page.clone(), locked).await?;
    Ok(HttpResponse::Ok().json(json!({"site": site, "page": page, "locked": locked})))
}

/// Body of `POST /api/admin/erase`.
#[derive(Debug, Deserialize)]
pub struct EraseBody {
    site: String,
    email: String,
}

/// `POST /api/admin/erase`.
pub async fn erase_email(state: State, body: Json<EraseBody>) -> ApiResult<HttpResponse> {
    let EraseBody { site, email } = body.0;
    state.site(&site)?;
    let email = validate::email(Some(&email))?
        .ok_or_else(|| ApiError::invalid("email", "an email is required"))?;
    let n = m::erase(&state.core, site, email).await?;
    Ok(HttpResponse::Ok().json(json!({"erased": n})))
}

/// `GET /api/admin/sites`.
pub async fn list_sites(state: State) -> ApiResult<HttpResponse> {
    let counts = m::site_counts(&state.core).await?;
    let sites: Vec<Value> = state
        .sites
        .iter()
        .map(|(id, cfg)| {
            let mut c = json!({"approved": 0, "pending": 0, "rejected": 0, "deleted": 0});
            for (site, status, n) in &counts {
                if site == id {
                    c[status.as_str()] = json!(n);
                }
            }
            json!({"id": id, "origins": cfg.origins, "moderation": cfg.moderation.as_str(), "counts": c})
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({"sites": sites})))
}

/// `GET /api/admin/outbox`: delivery state (counts per status, the undelivered rows).
pub async fn outbox(state: State) -> ApiResult<HttpResponse> {
    let (counts, items) = m::outbox_state(&state.core).await?;
    let mut c = json!({"pending": 0, "sent": 0, "failed": 0});
    for (status, n) in counts {
        c[status.as_str()] = json!(n);
    }
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            json!({"id": i.id, "kind": i.kind, "target": i.target, "status": i.status,
                "attempts": i.attempts, "last_error": i.last_error,
                "created_at": crate::domain::rfc3339(i.created_at),
                "next_attempt_at": crate::domain::rfc3339(i.next_attempt_at),
                "attempt_started_at": i.attempt_started_at.map(crate::domain::rfc3339)})
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({"counts": c, "undelivered": items})))
}
