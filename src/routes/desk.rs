//! The moderation desk's routes under `/api/admin`: marking spam, bulk actions, blocks, the
//! audit log.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::actions::desk;
use crate::actions::moderation as m;
use crate::domain::comment::Status;
use crate::domain::desk::{AuditEntry, Block};
use crate::domain::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::http::error::ErrorBody;
use crate::http::extract::{Json, Query};
use crate::http::state::State;
use crate::routes::admin::Actor;
use crate::routes::answers::AdminComment;
use crate::routes::parse_id;

#[utoipa::path(post, path = "/api/admin/comments/{id}/spam", tag = "admin",
    summary = "Mark a comment as spam (never public, apart from rejected ones)",
    security(("admin" = [])),
    params(("id" = u64, Path, minimum = 1)),
    responses(
        (status = 200, description = "the comment", body = AdminComment),
        (status = 404, description = "no such comment (`not_found`)", body = ErrorBody),
    ))]
/// `POST /api/admin/comments/{id}/spam`.
pub async fn spam_comment(
    state: State,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let c = m::set_status(&state.core, parse_id(&id)?, Status::Spam, actor.0).await?;
    Ok(HttpResponse::Ok().json(AdminComment::of(&c)))
}

/// What `POST /api/admin/comments/bulk` does to each comment.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BulkAction {
    Approve,
    Reject,
    Spam,
    Delete,
}

/// Body of `POST /api/admin/comments/bulk`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BulkRequest)]
pub struct BulkBody {
    /// 1 to 200 comment ids; a repeated id is acted on once
    #[schema(min_items = 1, max_items = 200)]
    ids: Vec<i64>,
    action: BulkAction,
}

/// A comment a bulk action could not act on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkFailure {
    pub id: i64,
    /// an error code of the contract (`not_found`)
    pub code: &'static str,
    pub message: String,
}

/// The answer of `POST /api/admin/comments/bulk`, in the order of the ids asked for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAnswer {
    /// approve, reject, spam: each comment as it is now (empty for delete)
    pub comments: Vec<AdminComment>,
    /// delete: the ids deleted (empty for the others)
    pub deleted: Vec<i64>,
    /// the ids not acted on (unknown or deleted comments); the others still were
    pub failed: Vec<BulkFailure>,
}

/// The most ids one bulk request takes.
pub const BULK_MAX: usize = 200;

#[utoipa::path(post, path = "/api/admin/comments/bulk", tag = "admin",
    summary = "Approve, reject, mark as spam or delete many comments in one request",
    description = "One write transaction: each comment is acted on and audited as by its own \
        route; an unknown id is listed in `failed` and the others still act.",
    security(("admin" = [])),
    request_body = BulkBody,
    responses(
        (status = 200, description = "what was done", body = BulkAnswer),
        (status = 422, description = "no ids or more than 200 (`field: ids`), an unknown \
            action (`field: action`)", body = ErrorBody),
    ))]
/// `POST /api/admin/comments/bulk`.
pub async fn bulk_comments(
    state: State,
    actor: Actor,
    body: Json<BulkBody>,
) -> ApiResult<HttpResponse> {
    let BulkBody { ids, action } = body.0;
    if !(1..=BULK_MAX).contains(&ids.len()) {
        return Err(ApiError::invalid(
            "ids",
            format!("ids must list 1 to {BULK_MAX} comment ids"),
        ));
    }
    let action = match action {
        BulkAction::Approve => m::Bulk::Status(Status::Approved),
        BulkAction::Reject => m::Bulk::Status(Status::Rejected),
        BulkAction::Spam => m::Bulk::Status(Status::Spam),
        BulkAction::Delete => m::Bulk::Delete,
    };
    let done = m::bulk(&state.core, ids, action, actor.0).await?;
    Ok(HttpResponse::Ok().json(BulkAnswer {
        comments: done.changed.iter().map(AdminComment::of).collect(),
        deleted: done.deleted,
        failed: done
            .failed
            .into_iter()
            .map(|(id, e)| BulkFailure {
                id,
                code: e.code(),
                message: e.to_string(),
            })
            .collect(),
    }))
}

/// A block, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Block)]
pub struct BlockAnswer {
    pub id: i64,
    pub site: String,
    /// `email`, `network` or `author_key`
    pub kind: String,
    /// as given
    pub value: String,
    #[schema(required = true, format = DateTime)]
    pub expires_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// the admin token's name that made it
    pub created_by: String,
}

impl BlockAnswer {
    fn of(b: Block) -> BlockAnswer {
        BlockAnswer {
            id: b.id,
            site: b.site,
            kind: b.kind,
            value: b.value,
            expires_at: b.expires_at.map(rfc3339),
            created_at: rfc3339(b.created_at),
            created_by: b.created_by,
        }
    }
}

/// The answer of `GET /api/admin/blocks`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Blocks {
    /// newest first, expired ones included (they no longer hold anything)
    pub blocks: Vec<BlockAnswer>,
}

/// Body of `POST /api/admin/blocks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewBlock)]
pub struct BlockBody {
    site: String,
    /// `email`, `network` (an address of it) or `author_key`
    kind: String,
    /// the email, an address of the network, or the author key (or give `comment_id`)
    #[serde(default)]
    value: Option<String>,
    /// instead of `value`: block the author of this comment of the site by `kind` (its
    /// email, its network, or the author key it was sent with)
    #[serde(default)]
    #[schema(minimum = 1)]
    comment_id: Option<i64>,
    /// RFC 3339, in the future; null: never
    #[schema(format = DateTime)]
    #[serde(default)]
    expires_at: Option<String>,
}

#[utoipa::path(get, path = "/api/admin/blocks", tag = "admin",
    summary = "Blocked authors",
    security(("admin" = [])),
    params(("site" = Option<String>, Query, description = "default: every site")),
    responses(
        (status = 200, description = "the blocks", body = Blocks),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `GET /api/admin/blocks[?site=S]`.
pub async fn list_blocks(state: State, query: Query) -> ApiResult<HttpResponse> {
    let site = query.get("site").map(str::to_owned);
    let blocks = desk::blocks(&state.core, site).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Blocks {
            blocks: blocks.into_iter().map(BlockAnswer::of).collect(),
        }))
}

#[utoipa::path(post, path = "/api/admin/blocks", tag = "admin",
    summary = "Block an author: their new comments are held (`held_reason: blocked`)",
    security(("admin" = [])),
    request_body = BlockBody,
    responses(
        (status = 201, description = "the block", body = BlockAnswer),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
        (status = 422, description = "a bad kind, value or expiry (`validation_failed`)", body = ErrorBody),
    ))]
/// `POST /api/admin/blocks`.
pub async fn add_block(
    state: State,
    actor: Actor,
    body: Json<BlockBody>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let expires_at = match b.expires_at.as_deref() {
        None => None,
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| {
                    ApiError::invalid("expires_at", "expires_at must be an RFC 3339 time")
                })?
                .timestamp(),
        ),
    };
    let request = desk::BlockRequest {
        site: b.site,
        kind: b.kind,
        value: b.value,
        comment_id: b.comment_id,
        expires_at,
    };
    let block = desk::block(&state.core, request, actor.0).await?;
    Ok(HttpResponse::Created().json(BlockAnswer::of(block)))
}

#[utoipa::path(delete, path = "/api/admin/blocks/{id}", tag = "admin",
    summary = "Lift a block",
    security(("admin" = [])),
    params(("id" = u64, Path, minimum = 1)),
    responses(
        (status = 204, description = "lifted"),
        (status = 404, description = "no such block (`not_found`)", body = ErrorBody),
    ))]
/// `DELETE /api/admin/blocks/{id}`.
pub async fn remove_block(
    state: State,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id).map_err(|_| ApiError::NotFound("no such block".into()))?;
    desk::unblock(&state.core, id, actor.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One audit entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// the admin token's name, or `link` for a signed link
    pub actor: String,
    /// `approve`, `reject`, `spam`, `delete`, `edit`, `lock`, `unlock`, `erase`, `block`,
    /// `unblock`
    pub action: String,
    #[schema(required = true)]
    pub site: Option<String>,
    #[schema(required = true)]
    pub comment_id: Option<i64>,
}

/// The answer of `GET /api/admin/audit`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    /// newest first
    pub entries: Vec<Entry>,
    pub total: i64,
}

#[utoipa::path(get, path = "/api/admin/audit", tag = "admin",
    summary = "Who did what: every moderation action, newest first",
    security(("admin" = [])),
    params(
        ("site" = Option<String>, Query, description = "default: every site"),
        ("limit" = Option<u8>, Query, minimum = 1, maximum = 200, description = "default 50"),
        ("offset" = Option<u32>, Query, minimum = 0, description = "default 0"),
    ),
    responses(
        (status = 200, description = "one page of the log", body = Audit),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
        (status = 422, description = "limit or offset out of range", body = ErrorBody),
    ))]
/// `GET /api/admin/audit`.
pub async fn audit(state: State, query: Query) -> ApiResult<HttpResponse> {
    let site = query.get("site").map(str::to_owned);
    let limit = query.int_in("limit", 1..=200)?.unwrap_or(50);
    let offset = query
        .int_in("offset", 0..=i64::from(u32::MAX))?
        .unwrap_or(0);
    let (rows, total) = desk::audit_log(&state.core, site, limit, offset).await?;
    let entries = rows
        .into_iter()
        .map(|e: AuditEntry| Entry {
            id: e.id,
            at: rfc3339(e.at),
            actor: e.actor,
            action: e.action,
            site: e.site,
            comment_id: e.comment_id,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Audit { entries, total }))
}
