//! The Fediverse's routes: WebFinger, each site's actor with its outbox and followers, the
//! announced posts and local comments as ActivityPub objects, the inboxes, and the admin's
//! announcement. ActivityPub answers are `application/activity+json`; errors keep the
//! usual shape.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::actions::fediverse::{self as fedi, documents, Inbound};
use crate::error::{ApiError, ApiResult};
use crate::fediverse::{is_activity_type, wants_activity, ACTIVITY_JSON};
use crate::http::body::Body;
use crate::http::error::ErrorBody;
use crate::http::extract::{Json, Query};
use crate::http::state::State;
use crate::routes::admin::Actor;

/// The largest inbox body: 256 KiB.
pub const MAX_INBOX_BYTES: usize = 262_144;

/// An ActivityPub answer.
fn activity(status: StatusCode, doc: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ACTIVITY_JSON)
        .insert_header((header::CACHE_CONTROL, "max-age=60"))
        .insert_header((header::VARY, "Accept"))
        .body(doc.to_string())
}

/// Whether the request comes from a browser that wants a page rather than JSON.
fn browser(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("text/html") && !wants_activity(accept)
}

#[utoipa::path(get, path = "/.well-known/webfinger", tag = "fediverse",
    summary = "WebFinger (RFC 7033): the actor of a site with `fediverse = true`",
    params(("resource" = String, Query,
        description = "`acct:<fediverse_handle>@<host of public_url>`, or the actor's URL")),
    responses(
        (status = 200, description = "a JRD whose `self` link is the actor",
            content_type = "application/jrd+json"),
        (status = 400, description = "no or a malformed `resource` (`malformed_request`)", body = ErrorBody),
        (status = 404, description = "no such account here (`not_found`)", body = ErrorBody),
    ))]
/// `GET /.well-known/webfinger`.
pub async fn webfinger(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let resource = match query.all("resource").as_slice() {
        [r] if !r.trim().is_empty() && r.len() <= 2048 => r.trim().to_string(),
        [] => return Err(ApiError::Malformed("`resource` is required".into())),
        _ => return Err(ApiError::Malformed("one `resource` is required".into())),
    };
    let jrd = documents::webfinger(&state.core, &resource)?;
    Ok(HttpResponse::Ok()
        .content_type("application/jrd+json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "max-age=300"))
        .body(jrd.to_string()))
}

#[utoipa::path(get, path = "/ap/sites/{site}", tag = "fediverse",
    summary = "A site's ActivityPub actor (a `Service`), with its public key",
    params(("site" = String, Path, description = "a site with `fediverse = true`")),
    responses(
        (status = 200, description = "the actor document", content_type = "application/activity+json"),
        (status = 404, description = "no such actor (`not_found`)", body = ErrorBody),
    ))]
/// `GET /ap/sites/{site}`.
pub async fn get_actor(state: State, site: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(activity(
        StatusCode::OK,
        &documents::actor(&state.core, &site)?,
    ))
}

#[utoipa::path(get, path = "/ap/sites/{site}/outbox", tag = "fediverse",
    summary = "A site's outbox: the newest announced posts' `Create` activities",
    params(("site" = String, Path, description = "a site with `fediverse = true`")),
    responses(
        (status = 200, description = "an OrderedCollection", content_type = "application/activity+json"),
        (status = 404, description = "no such actor (`not_found`)", body = ErrorBody),
    ))]
/// `GET /ap/sites/{site}/outbox`.
pub async fn get_outbox(state: State, site: web::Path<String>) -> ApiResult<HttpResponse> {
    let doc = documents::outbox(&state.core, &site).await?;
    Ok(activity(StatusCode::OK, &doc))
}

#[utoipa::path(get, path = "/ap/sites/{site}/followers", tag = "fediverse",
    summary = "A site's followers: how many (`totalItems`), never who",
    params(("site" = String, Path, description = "a site with `fediverse = true`")),
    responses(
        (status = 200, description = "an OrderedCollection without items", content_type = "application/activity+json"),
        (status = 404, description = "no such actor (`not_found`)", body = ErrorBody),
    ))]
/// `GET /ap/sites/{site}/followers`.
pub async fn get_followers(state: State, site: web::Path<String>) -> ApiResult<HttpResponse> {
    let doc = documents::followers(&state.core, &site).await?;
    Ok(activity(StatusCode::OK, &doc))
}

#[utoipa::path(get, path = "/ap/sites/{site}/posts/{id}", tag = "fediverse",
    summary = "An announced post as an `Article` (a browser is sent to the post itself)",
    params(("site" = String, Path, description = "a site with `fediverse = true`"),
        ("id" = i64, Path, description = "the post's id")),
    responses(
        (status = 200, description = "the Article", content_type = "application/activity+json"),
        (status = 302, description = "to the blog post, for a browser"),
        (status = 404, description = "no such post (`not_found`)", body = ErrorBody),
    ))]
/// `GET /ap/sites/{site}/posts/{id}`.
pub async fn get_post(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (site, id) = path.into_inner();
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::NotFound("no such post".into()))?;
    let (doc, url) = documents::post(&state.core, &site, id).await?;
    if browser(&req) {
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .finish());
    }
    Ok(activity(StatusCode::OK, &doc))
}

#[utoipa::path(get, path = "/ap/comments/{id}", tag = "fediverse",
    summary = "An approved comment of a Fediverse site as a `Note` of the site's actor",
    params(("id" = i64, Path, description = "the comment's id")),
    responses(
        (status = 200, description = "the Note", content_type = "application/activity+json"),
        (status = 302, description = "to the comment on its page, for a browser"),
        (status = 404, description = "no such comment, or not one shown (`not_found`)", body = ErrorBody),
    ))]
/// `GET /ap/comments/{id}`.
pub async fn get_note(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = crate::routes::parse_id(&id)?;
    let (doc, url) = documents::comment(&state.core, id).await?;
    match url {
        Some(url) if browser(&req) => Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .finish()),
        _ => Ok(activity(StatusCode::OK, &doc)),
    }
}

#[utoipa::path(post, path = "/ap/sites/{site}/inbox", tag = "fediverse",
    summary = "A site's inbox: activities signed by their actor (HTTP signatures)",
    params(("site" = String, Path, description = "a site with `fediverse = true`")),
    request_body(content = Object, content_type = "application/activity+json"),
    responses(
        (status = 202, description = "accepted (applied, or ignored when Natter does nothing with it)"),
        (status = 400, description = "not JSON, or not an activity (`malformed_request`)", body = ErrorBody),
        (status = 401, description = "unsigned, or the signature does not hold (`unauthorized`)", body = ErrorBody),
        (status = 404, description = "no such actor (`not_found`)", body = ErrorBody),
        (status = 413, description = "over 256 KiB (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "not activity+json, ld+json or json (`unsupported_media_type`)", body = ErrorBody),
    ))]
/// `POST /ap/sites/{site}/inbox`.
pub async fn post_inbox(
    state: State,
    req: HttpRequest,
    site: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    state.core.actor_site(&site)?;
    receive(state, req, Some(site.into_inner()), payload).await
}

#[utoipa::path(post, path = "/ap/inbox", tag = "fediverse",
    summary = "The shared inbox of every site's actor",
    request_body(content = Object, content_type = "application/activity+json"),
    responses(
        (status = 202, description = "accepted (applied, or ignored when Natter does nothing with it)"),
        (status = 400, description = "not JSON, or not an activity (`malformed_request`)", body = ErrorBody),
        (status = 401, description = "unsigned, or the signature does not hold (`unauthorized`)", body = ErrorBody),
        (status = 413, description = "over 256 KiB (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "not activity+json, ld+json or json (`unsupported_media_type`)", body = ErrorBody),
    ))]
/// `POST /ap/inbox`.
pub async fn post_shared_inbox(
    state: State,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    receive(state, req, None, payload).await
}

async fn receive(
    state: State,
    req: HttpRequest,
    site: Option<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let mut payload = payload.into_inner();
    let (content_type, body) = Body::of(&req, &mut payload)
        .with_limit(MAX_INBOX_BYTES)
        .read()
        .await?;
    if !content_type.as_deref().is_some_and(is_activity_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let headers = req
        .headers()
        .iter()
        .filter_map(|(n, v)| {
            Some((
                n.as_str().to_ascii_lowercase(),
                v.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    let inbound = Inbound {
        site,
        method: req.method().as_str().to_string(),
        target: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_string(), |p| p.as_str().to_string()),
        headers,
        body: body.to_vec(),
        ip: state.client(&req).as_str().to_string(),
    };
    fedi::receive(&state.core, inbound).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Body of `POST /api/admin/fediverse/announce`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = Announcement)]
pub struct AnnounceBody {
    /// a site with `fediverse = true`
    site: String,
    /// the page key the widget uses for the post (its path)
    page: String,
    /// the post's URL
    url: String,
    /// the post's title
    title: String,
    /// a line or two about it
    summary: Option<String>,
}

/// What an announcement made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Announced {
    /// the post's id
    id: i64,
    /// its ActivityPub object (`<public_url>/ap/sites/{site}/posts/{id}`)
    object_id: String,
    /// `true` when announced for the first time (a `Create`), `false` for an `Update`
    created: bool,
    /// how many inboxes it goes to (each follower's server once)
    inboxes: usize,
}

#[utoipa::path(post, path = "/api/admin/fediverse/announce", tag = "admin",
    summary = "Announce a blog post to a site's followers on the Fediverse",
    security(("admin" = [])),
    request_body = AnnounceBody,
    responses(
        (status = 201, description = "announced (a `Create` to each follower's inbox)", body = Announced),
        (status = 200, description = "announced before: updated (an `Update` goes out)", body = Announced),
    ))]
/// `POST /api/admin/fediverse/announce`.
pub async fn announce_post(
    state: State,
    _admin: Actor,
    body: Json<AnnounceBody>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let done = fedi::announce(
        &state.core,
        &b.site,
        &b.page,
        &b.url,
        &b.title,
        b.summary.as_deref(),
    )
    .await?;
    let status = if done.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(Announced {
        id: done.id,
        object_id: done.object_id,
        created: done.created,
        inboxes: done.inboxes,
    }))
}
