//! The public comment routes: list, create, get, edit, delete, vote.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use std::sync::Arc;

use crate::actions::comments as actions;
use crate::domain::comment::PublicComment;
use crate::domain::input::{RawSubmission, Submission};
use crate::domain::thread::{Cursor, Sort};
use crate::domain::validate;
use crate::domain::validate::max;
use crate::domain::{now, rfc3339, Timestamp};
use crate::error::{ApiError, ApiResult};
use crate::http::cache::{Body, ThreadKey};
use crate::http::error::ErrorBody;
use crate::http::extract::{bearer_token, form_encode_into, Json, Query};
use crate::http::state::State;
use crate::routes::answers::{Created, Reactions, Thread, Votes};
use crate::routes::openapi::{opt_email, opt_text, opt_uri, text, PageKey};
use crate::routes::{parse_id, EditComment};

#[utoipa::path(get, path = "/api/comments", tag = "comments",
    summary = "The page's visible comments, flat, in thread order",
    description = "Parameters the list does not know are ignored.",
    params(
        ("site" = String, Query, description = "a configured site id"),
        ("page" = inline(PageKey), Query, description = "the page key (a path such as /posts/hello/)"),
        ("sort" = inline(Option<Sort>), Query, description = "default oldest"),
        ("limit" = Option<u8>, Query, minimum = 1, maximum = 200,
            description = "top-level comments per answer, default 50"),
        ("after" = Option<String>, Query, description = "the `next` cursor of the previous answer"),
    ),
    responses(
        (status = 200, description = "with an `ETag`; `If-None-Match` with it answers 304", body = Thread),
        (status = 304, description = "the client's copy is current"),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `GET /api/comments`: the page's visible comments in thread order, from the thread cache
/// when it holds this list, else loaded and cached.
///
/// The cache is keyed by the list's normal form (`ThreadQuery::cache_key`): parameters the
/// list does not know are ignored, so `&x=1`, `&x=2`… are all the same list, one entry and one
/// database read, not a way around the cache. A query already in normal form (the widget's
/// spelling) is looked up before it is even parsed.
pub async fn list_comments(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let raw = req.query_string();
    if let Some(body) = state.threads.get_if_present(raw, now()) {
        return Ok(body.respond(&req));
    }
    let list = ThreadQuery::parse(raw, |site| state.site(site).map(drop))?;
    let key = list.cache_key();
    let (hit, _) = state.threads.get(&key, now());
    if let Some(body) = hit {
        return Ok(body.respond(&req));
    }
    // One load per list at a time: a request that waited finds the first one's answer.
    let _loading = state.threads.loading.lock(&key).await;
    let (hit, version) = state.threads.get_again(&key, now());
    if let Some(body) = hit {
        return Ok(body.respond(&req));
    }
    let (json, expires) = db_list(&state, list).await?;
    let body = Arc::new(Body::new(json, expires));
    if let Some(v) = version {
        state.threads.put(ThreadKey(key), v, body.clone());
    }
    Ok(body.respond(&req))
}

/// A validated list query.
#[derive(Debug, PartialEq)]
struct ThreadQuery {
    site: String,
    page: String,
    sort: Sort,
    limit: usize,
    after: Option<Cursor>,
}

/// `limit` when the query names none.
const DEFAULT_LIMIT: usize = 50;

impl ThreadQuery {
    /// Reads and checks the list's parameters (`site_ok` refuses a site that isn't
    /// configured); any others are ignored.
    fn parse(raw: &str, site_ok: impl FnOnce(&str) -> ApiResult<()>) -> ApiResult<ThreadQuery> {
        let query = Query::parse(raw)?;
        let site = query.require("site")?.to_string();
        site_ok(&site)?;
        let page = validate::page(query.require("page")?)?;
        let sort = match query.get("sort") {
            None => Sort::Oldest,
            Some(s) => Sort::parse(s)
                .ok_or_else(|| ApiError::invalid("sort", "sort must be oldest, newest or top"))?,
        };
        let limit = query
            .int_in("limit", 1..=200)?
            .map_or(DEFAULT_LIMIT, |n| n as usize);
        let after = match query.get("after") {
            None | Some("") => None,
            Some(c) => Some(Cursor::decode(c, sort).ok_or_else(|| {
                ApiError::invalid("after", "after is not a cursor from this list")
            })?),
        };
        Ok(ThreadQuery {
            site,
            page,
            sort,
            limit,
            after,
        })
    }

    /// The list's normal form, which keys the thread cache: `site=S&page=P`, then
    /// `&sort=` unless oldest, `&limit=` unless 50 and `&after=` when there is a cursor,
    /// encoded as browsers encode a query (`URLSearchParams`), the way the widget asks.
    /// Parsing it gives this very list back.
    fn cache_key(&self) -> String {
        let mut key = String::with_capacity(self.page.len() * 3 + 64);
        key.push_str("site=");
        form_encode_into(&mut key, &self.site);
        key.push_str("&page=");
        form_encode_into(&mut key, &self.page);
        match self.sort {
            Sort::Oldest => {}
            Sort::Newest => key.push_str("&sort=newest"),
            Sort::Top => key.push_str("&sort=top"),
        }
        if self.limit != DEFAULT_LIMIT {
            key.push_str(&format!("&limit={}", self.limit));
        }
        if let Some(c) = &self.after {
            key.push_str("&after=");
            key.push_str(&c.encode());
        }
        key
    }
}

/// Loads and serializes one answer; also says when it goes stale by itself, if ever.
async fn db_list(state: &State, list: ThreadQuery) -> ApiResult<(String, Option<Timestamp>)> {
    let ThreadQuery {
        site,
        page,
        sort,
        limit,
        after,
    } = list;
    let t = actions::thread(&state.core, site.clone(), page.clone(), sort, limit, after).await?;
    let json = Thread {
        site,
        page,
        total: t.total,
        locked: t.locked,
        comments: t.comments,
        next: t.next.map(|c| c.encode()),
        reactions: t.reactions.map(Reactions::of),
    };
    Ok((serde_json::to_string(&json)?, t.expires))
}

/// Body of `POST /api/comments`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = NewComment)]
pub struct CreateComment {
    site: String,
    #[schema(schema_with = text::<1, { max::PAGE }>)]
    page: String,
    #[schema(schema_with = opt_text::<0, { max::TITLE }>)]
    title: Option<String>,
    #[schema(schema_with = opt_uri::<{ max::URL }>)]
    url: Option<String>,
    parent: Option<i64>,
    #[schema(schema_with = opt_text::<0, { max::AUTHOR }>)]
    author: Option<String>,
    #[schema(schema_with = opt_email::<{ max::EMAIL }>)]
    email: Option<String>,
    #[schema(schema_with = opt_uri::<{ max::WEBSITE }>)]
    website: Option<String>,
    #[schema(schema_with = text::<1, { max::TEXT }>)]
    text: String,
    notify: Option<bool>,
    author_key: Option<String>,
    /// honeypot: leave empty
    hp: Option<String>,
    /// from GET /api/config
    form_token: Option<String>,
}

#[utoipa::path(post, path = "/api/comments", tag = "comments",
    summary = "Create a comment (approved or held)",
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 16, max_length = 128,
        description = "a random key per comment the author submits: a retry with the same key \
            (after a 503 or a lost answer) answers 201 with the comment the first try made and \
            the same edit token")),
    request_body = CreateComment,
    responses(
        (status = 201, description = "stored; keep the edit token", body = Created),
        (status = 403, description = "thread locked (`thread_locked`) or origin not allowed", body = ErrorBody),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
        (status = 409, description = "the same text on this page within minutes (`duplicate`)", body = ErrorBody),
    ))]
/// `POST /api/comments`: stores a comment (approved or held) and hands its author the edit token.
pub async fn create_comment(
    state: State,
    req: HttpRequest,
    body: Json<CreateComment>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let site = state.site(&b.site)?;
    state.check_origin(&req, site)?;
    let raw = RawSubmission {
        page: &b.page,
        title: b.title.as_deref(),
        url: b.url.as_deref(),
        parent: b.parent,
        author: b.author.as_deref(),
        email: b.email.as_deref(),
        website: b.website.as_deref(),
        text: &b.text,
        notify: b.notify,
        author_key: b.author_key.as_deref(),
    };
    let new = Submission::parse(raw, |o| {
        site.allows_origin(o) || state.is_own_origin(&req, o)
    })?;
    // With an admin token the site's owner is writing (the admin page's reply, or a
    // script): approved at once and badged. Any other bearer (a reader's edit token sent
    // along) makes no difference.
    // A session token: a signed-in commenter (its signature and expiry checked here, the
    // session itself in the create's own transaction). A bad one is refused rather than
    // ignored: the commenter meant to sign.
    let mut session = None;
    let owner = match bearer_token(&req) {
        Some(token) if crate::domain::signin::is_session_token(&token) => {
            let id = crate::domain::signin::read_session_token(&state.key, &token, now());
            session = Some(id.ok_or_else(crate::actions::sessions::refused)?);
            None
        }
        Some(token) => {
            crate::actions::moderation::admin_name(
                &state.core,
                state.admin_env_hash.as_deref(),
                &token,
            )
            .await?
        }
        None => None,
    };
    let sender = actions::Sender {
        ip: state.client(&req),
        request_key: idempotency_key(&req)?.map(str::to_owned),
        honeypot: b.hp,
        form_token: b.form_token,
        owner,
        session,
    };
    let created = actions::create(&state.core, &b.site, new, sender).await?;
    Ok(HttpResponse::Created().json(Created {
        edit_until: rfc3339(created.comment.edit_until),
        comment: created.comment.public(false),
        edit_token: created.edit_token,
    }))
}

#[utoipa::path(get, path = "/api/comments/{id}", tag = "comments", summary = "One visible comment",
    params(("id" = u64, Path, minimum = 1)),
    responses(
        (status = 200, description = "the comment", body = PublicComment),
        (status = 404, description = "no visible comment with this id (`not_found`)", body = ErrorBody),
    ))]
/// `GET /api/comments/{id}`: one visible comment.
pub async fn get_comment(state: State, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let c = actions::get(&state.core, parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(c.public(false)))
}

fn bearer(req: &HttpRequest) -> ApiResult<String> {
    crate::http::extract::bearer_token(req).ok_or_else(|| {
        ApiError::Unauthorized(
            "an edit token or a session is required (Authorization: Bearer …)".into(),
        )
    })
}

/// The `Idempotency-Key` header of a create: 16 to 128 visible ASCII characters, when sent.
fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<&str>> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .filter(|k| (16..=128).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 16 to 128 visible ASCII characters",
            )
        })
}

#[utoipa::path(patch, path = "/api/comments/{id}", tag = "comments",
    summary = "Edit one's own comment within the edit window",
    params(("id" = u64, Path, minimum = 1)),
    request_body = EditComment,
    security(("editToken" = [])),
    responses(
        (status = 200, description = "the edited comment", body = PublicComment),
        (status = 401, description = "wrong edit token (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "after `edit_until` (`edit_window_closed`)", body = ErrorBody),
        (status = 404, description = "no such comment (`not_found`)", body = ErrorBody),
    ))]
/// `PATCH /api/comments/{id}`: the author edits within the window.
pub async fn edit_comment(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<EditComment>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let token = bearer(&req)?;
    let edit = body.0.parse()?;
    let origin = state.origin_check(&req);
    let proof = actions::Proof::of(&state.core, &token)?;
    let updated = actions::edit(&state.core, id, proof, origin, edit).await?;
    Ok(HttpResponse::Ok().json(updated.public(false)))
}

#[utoipa::path(delete, path = "/api/comments/{id}", tag = "comments",
    summary = "Delete one's own comment (a tombstone if it has replies)",
    params(("id" = u64, Path, minimum = 1)),
    security(("editToken" = [])),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, description = "wrong edit token (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "after `edit_until` (`edit_window_closed`)", body = ErrorBody),
        (status = 404, description = "no such comment (`not_found`)", body = ErrorBody),
    ))]
/// `DELETE /api/comments/{id}`: the author deletes within the window.
pub async fn delete_comment(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let token = bearer(&req)?;
    let proof = actions::Proof::of(&state.core, &token)?;
    actions::delete(&state.core, id, proof, state.origin_check(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `POST /api/comments/{id}/vote`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Vote {
    /// 1, -1, or 0 to withdraw
    #[schema(minimum = -1, maximum = 1)]
    value: i64,
}

#[utoipa::path(post, path = "/api/comments/{id}/vote", tag = "comments",
    summary = "Vote: 1, -1, or 0 to withdraw (one vote per voter)",
    params(("id" = u64, Path, minimum = 1)),
    request_body = Vote,
    responses(
        (status = 200, description = "the comment's counts", body = Votes),
        (status = 404, description = "no visible comment with this id (`not_found`)", body = ErrorBody),
    ))]
/// `POST /api/comments/{id}/vote`: one vote per comment per network.
pub async fn vote_comment(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<Vote>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let value = match body.0.value {
        v @ (-1..=1) => v as i8,
        _ => return Err(ApiError::invalid("value", "value must be 1, -1 or 0")),
    };
    let voter = state.client(&req);
    let origin = state.origin_check(&req);
    let (likes, dislikes) = actions::vote(&state.core, id, &voter, origin, value).await?;
    Ok(HttpResponse::Ok().json(Votes { likes, dislikes }))
}

#[cfg(test)]
#[path = "comments_tests.rs"]
mod tests;
