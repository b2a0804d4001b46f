//! The moderation API under `/api/admin`: bearer-token auth, the queue, status changes,
//! edits, deletes, thread locks, GDPR erasure and per-site counts.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;

use crate::actions::moderation as m;
use crate::domain::comment::Status;
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::http::error::ErrorBody;
use crate::http::extract::{bearer_token, Json, Query};
use crate::http::state::State;
use crate::routes::answers::{
    AdminComment, DeliveryCounts, Erased, Outbox, Queue, SiteInfo, Sites, StatusCounts, ThreadLock,
    Undelivered,
};
use crate::routes::openapi::PageKey;
use crate::routes::{parse_id, EditComment};

/// Guards every `/api/admin/*` route, known or not: 401 without a valid token.
pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<State>().cloned();
    let verdict = match (state, bearer_token(req.request())) {
        (Some(state), Some(token)) => {
            m::admin_name(&state.core, state.admin_env_hash.as_deref(), &token).await
        }
        _ => Ok(None),
    };
    let refusal = match verdict {
        Ok(Some(name)) => {
            req.extensions_mut().insert(Actor(name));
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_left_body);
        }
        Ok(None) => ApiError::Unauthorized(
            "a valid admin token is required (Authorization: Bearer …)".into(),
        ),
        Err(e) => e,
    };
    Ok(req
        .into_response(refusal.error_response())
        .map_into_right_body())
}

/// The name of the admin token a request under `/api/admin` was let in with (the audit
/// log's actor), put there by [`require_admin`].
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<Actor>().cloned().ok_or_else(|| {
            ApiError::Unauthorized(
                "a valid admin token is required (Authorization: Bearer …)".into(),
            )
        }))
    }
}

#[utoipa::path(get, path = "/api/admin/comments", tag = "admin",
    summary = "The moderation queue, newest first, with private fields",
    security(("admin" = [])),
    params(
        ("site" = Option<String>, Query, description = "default: every site"),
        ("status" = inline(Option<QueueStatus>), Query, description = "default pending"),
        ("page" = inline(Option<PageKey>), Query, description = "the page key (a path such as /posts/hello/)"),
        ("q" = Option<String>, Query, description = "text, author or email contains"),
        ("limit" = Option<u8>, Query, minimum = 1, maximum = 200, description = "default 50"),
        ("offset" = Option<u32>, Query, minimum = 0, description = "default 0"),
    ),
    responses(
        (status = 200, description = "one page of the queue", body = Queue),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
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
                "status must be pending, approved, rejected, spam, deleted or all",
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
    let mut comments: Vec<AdminComment> = rows.iter().map(AdminComment::of).collect();
    // Who wrote them signed in, looked up once for the page.
    let ids: Vec<i64> = rows.iter().filter_map(|c| c.identity_id).collect();
    if !ids.is_empty() {
        let found = crate::actions::sessions::identities(&state.core, ids).await?;
        for c in &mut comments {
            if let Some(view) = c.identity.as_mut() {
                if let Some(i) = found.iter().find(|i| i.id == view.id) {
                    *view = crate::routes::answers::AdminIdentity::of(i);
                }
            }
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Queue { comments, total }))
}

/// The queue's `status` filter: one status, or `all`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // only described: the handler reads the parameter with `Status::parse`
pub enum QueueStatus {
    Pending,
    Approved,
    Rejected,
    Spam,
    Deleted,
    All,
}

#[utoipa::path(post, path = "/api/admin/comments/{id}/approve", tag = "admin", summary = "Approve a comment",
    security(("admin" = [])),
    params(("id" = u64, Path, minimum = 1)),
    responses(
        (status = 200, description = "the comment", body = AdminComment),
        (status = 404, description = "no such comment (`not_found`)", body = ErrorBody),
    ))]
/// `POST /api/admin/comments/{id}/approve`.
pub async fn approve_comment(
    state: State,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let c = m::set_status(&state.core, parse_id(&id)?, Status::Approved, actor.0).await?;
    Ok(HttpResponse::Ok().json(AdminComment::of(&c)))
}

#[utoipa::path(post, path = "/api/admin/comments/{id}/reject", tag = "admin", summary = "Reject a comment",
    security(("admin" = [])),
    params(("id" = u64, Path, minimum = 1)),
    responses(
        (status = 200, description = "the comment", body = AdminComment),
        (status = 404, description = "no such comment (`not_found`)", body = ErrorBody),
    ))]
/// `POST /api/admin/comments/{id}/reject`.
pub async fn reject_comment(
    state: State,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let c = m::set_status(&state.core, parse_id(&id)?, Status::Rejected, actor.0).await?;
    Ok(HttpResponse::Ok().json(AdminComment::of(&c)))
}

#[utoipa::path(delete, path = "/api/admin/comments/{id}", tag = "admin",
    operation_id = "admin_delete_comment",
    summary = "Delete a comment (a tombstone if it has replies)",
    security(("admin" = [])),
    params(("id" = u64, Path, minimum = 1)),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, description = "no such comment (`not_found`)", body = ErrorBody),
    ))]
/// `DELETE /api/admin/comments/{id}`.
pub async fn delete_comment(
    state: State,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    m::delete(&state.core, parse_id(&id)?, actor.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(patch, path = "/api/admin/comments/{id}", tag = "admin",
    operation_id = "admin_edit_comment",
    summary = "Edit a comment's text, author or website",
    security(("admin" = [])),
    params(("id" = u64, Path, minimum = 1)),
    request_body = EditComment,
    responses(
        (status = 200, description = "the comment", body = AdminComment),
        (status = 404, description = "no such comment (`not_found`)", body = ErrorBody),
    ))]
/// `PATCH /api/admin/comments/{id}`: a moderator's edit, rendered with the comment's own format.
pub async fn edit_comment(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: Json<EditComment>,
) -> ApiResult<HttpResponse> {
    let c = m::edit(&state.core, parse_id(&id)?, body.0.parse()?, actor.0).await?;
    Ok(HttpResponse::Ok().json(AdminComment::of(&c)))
}

/// Body of `POST /api/admin/threads/lock`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = Lock)]
pub struct LockBody {
    site: String,
    page: String,
    locked: bool,
}

#[utoipa::path(post, path = "/api/admin/threads/lock", tag = "admin",
    summary = "Lock or unlock a thread",
    security(("admin" = [])),
    request_body = LockBody,
    responses(
        (status = 200, description = "the thread's state", body = ThreadLock),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `POST /api/admin/threads/lock`: locks or unlocks a thread, even one with no comments yet.
pub async fn lock_thread(
    state: State,
    actor: Actor,
    body: Json<LockBody>,
) -> ApiResult<HttpResponse> {
    let LockBody { site, page, locked } = body.0;
    state.site(&site)?;
    let page = validate::page(&page)?;
    m::lock(&state.core, site.clone(), page.clone(), locked, actor.0).await?;
    Ok(HttpResponse::Ok().json(ThreadLock { site, page, locked }))
}

/// Body of `POST /api/admin/erase`: an `email`, or (for comments from the Fediverse) an
/// `actor`'s id.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = SiteEmail)]
pub struct EraseBody {
    site: String,
    /// the commenter's email
    email: Option<String>,
    /// or a Fediverse actor's id (`https://…/users/ann`): every comment their notes became
    actor: Option<String>,
}

#[utoipa::path(post, path = "/api/admin/erase", tag = "admin",
    summary = "Erase everything stored about an email, or a Fediverse actor, on a site (GDPR)",
    security(("admin" = [])),
    request_body = EraseBody,
    responses(
        (status = 200, description = "how many comments were erased", body = Erased),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `POST /api/admin/erase`.
pub async fn erase_email(
    state: State,
    actor: Actor,
    body: Json<EraseBody>,
) -> ApiResult<HttpResponse> {
    let EraseBody {
        site,
        email,
        actor: fedi_actor,
    } = body.0;
    state.site(&site)?;
    let n = match (email, fedi_actor) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "actor",
                "give an email or an actor, not both",
            ))
        }
        (None, Some(a)) => {
            let a = a.trim().to_string();
            if !(a.starts_with("https://") || a.starts_with("http://")) || a.len() > 2048 {
                return Err(ApiError::invalid("actor", "an actor is its http(s) id"));
            }
            crate::actions::fediverse::erase_actor(&state.core, site, a, actor.0).await?
        }
        (email, None) => {
            let email = validate::email(email.as_deref())?
                .ok_or_else(|| ApiError::invalid("email", "an email is required"))?;
            m::erase(&state.core, site, email, actor.0).await?
        }
    };
    Ok(HttpResponse::Ok().json(Erased { erased: n }))
}

#[utoipa::path(get, path = "/api/admin/sites", tag = "admin",
    summary = "Configured sites with counts per status",
    security(("admin" = [])),
    responses((status = 200, description = "the sites", body = Sites)))]
/// `GET /api/admin/sites`.
pub async fn list_sites(state: State) -> ApiResult<HttpResponse> {
    let counts = m::site_counts(&state.core).await?;
    let sites = state
        .sites
        .iter()
        .map(|(id, cfg)| {
            let mut c = StatusCounts::default();
            for (site, status, n) in &counts {
                if site == id {
                    c.set(status, *n);
                }
            }
            SiteInfo {
                id,
                origins: &cfg.origins,
                moderation: cfg.moderation,
                counts: c,
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Sites { sites }))
}

#[utoipa::path(get, path = "/api/admin/outbox", tag = "admin",
    summary = "Notification delivery state",
    security(("admin" = [])),
    responses((status = 200, description = "counts and undelivered items", body = Outbox)))]
/// `GET /api/admin/outbox`: delivery state (counts per status, the undelivered rows).
pub async fn outbox(state: State) -> ApiResult<HttpResponse> {
    let (counts, items) = m::outbox_state(&state.core).await?;
    let mut c = DeliveryCounts::default();
    for (status, n) in counts {
        c.set(&status, n);
    }
    let undelivered = items
        .into_iter()
        .map(|i| Undelivered {
            id: i.id,
            kind: i.kind,
            target: i.target,
            status: i.status,
            attempts: i.attempts,
            last_error: i.last_error,
            created_at: crate::domain::rfc3339(i.created_at),
            next_attempt_at: crate::domain::rfc3339(i.next_attempt_at),
            attempt_started_at: i.attempt_started_at.map(crate::domain::rfc3339),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Outbox {
            counts: c,
            undelivered,
        }))
}
