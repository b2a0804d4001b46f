//! The rules every route shares: CORS and preflights, the JSON content-type rule for
//! writes, the early rate-limit charge, and the small-body marks around `Compress`.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::error::ApiError;
use crate::http::extract::is_json;
use crate::http::limits::Class;
use crate::http::state::{origin_header, State};

fn has_body(req: &ServiceRequest) -> bool {
    let h = req.headers();
    h.contains_key(header::TRANSFER_ENCODING)
        || h.get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
}

/// The origin a response may be shared with: allowed for the site named in the query,
/// or (for bodies and preflights, which name none in the URL) by any configured site.
fn cors_origin(state: &State, req: &HttpRequest) -> Option<String> {
    let origin = origin_header(req)?;
    let site = crate::http::extract::Query::parse(req.query_string())
        .ok()
        .and_then(|q| q.get("site").map(str::to_owned));
    let allowed = match site.as_deref().and_then(|s| state.sites.get(s)) {
        Some(cfg) => cfg.allows_origin(origin),
        None => state.any_site_allows(req, origin),
    };
    allowed.then(|| origin.to_string())
}

fn add_cors(headers: &mut header::HeaderMap, origin: &str) {
    if let Ok(v) = header::HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            header::HeaderValue::from_static("Retry-After, ETag"),
        );
    }
    headers.append(header::VARY, header::HeaderValue::from_static("Origin"));
}

/// Bodies smaller than this go out as they are, even to a client that takes gzip: they fit
/// one packet either way, and setting up a compressor cost ~0.25 ms of CPU per answer
/// (three times the rest of a 20-page `/api/counts`).
pub const COMPRESS_FROM: u64 = 1024;

/// Inside `Compress`: marks a small body as already encoded (`Content-Encoding: identity`),
/// the one sign `Compress` honours to leave a body alone. [`unmark_small`] removes the mark.
pub async fn mark_small(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let small = matches!(
        res.response().body().size(),
        actix_web::body::BodySize::Sized(n) if n < COMPRESS_FROM
    );
    let headers = res.headers_mut();
    if small && !headers.contains_key(header::CONTENT_ENCODING) {
        headers.insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static("identity"),
        );
    }
    Ok(res)
}

/// Outside `Compress`: drops the mark [`mark_small`] set, so no answer claims a coding.
pub async fn unmark_small(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "identity")
    {
        headers.remove(header::CONTENT_ENCODING);
    }
    Ok(res)
}

/// The rate-limit class each route spends, charged here before its handler runs (and,
/// for routes with a body, before the body is read, so a client over its limit is refused
/// without it): the one table of which route costs what. Admin routes need a token
/// instead; preflights and unknown `/api/` routes cost nothing.
fn route_class(method: &Method, path: &str) -> Option<Class> {
    let comment = path.strip_prefix("/api/comments/");
    let one_comment = comment.is_some_and(|c| !c.is_empty() && !c.contains('/'));
    match (method, path) {
        (_, p) if p.starts_with("/api/admin/") => None,
        (&Method::OPTIONS, _) => None,
        (&Method::POST, "/api/comments" | "/api/privacy/erase") => Some(Class::Create),
        (&Method::GET, "/api/comments" | "/api/comments.html" | "/api/counts" | "/api/config") => {
            Some(Class::Read)
        }
        (&Method::POST, "/api/preview" | "/api/counts") => Some(Class::Read),
        (&Method::GET, _) if one_comment => Some(Class::Read),
        (&Method::POST, _) if comment.is_some_and(|c| c.ends_with("/vote")) => Some(Class::Vote),
        (&Method::PATCH | &Method::DELETE, _) if comment.is_some() => Some(Class::Edit),
        // A Webmention is a write that is not a comment (each costs a fetch later).
        (&Method::POST, "/webmention") => Some(Class::Edit),
        // Sign-in: a new passkey makes an identity (as a comment is made); every other
        // ceremony step and a session's own writes store or spend a row; reading one's
        // session or data is a read.
        (&Method::POST, "/api/auth/passkey/register/finish") => Some(Class::Create),
        (&Method::POST, p) if p.starts_with("/api/auth/passkey/") => Some(Class::Edit),
        (&Method::GET, "/api/auth/session" | "/api/auth/me") => Some(Class::Read),
        (&Method::DELETE, "/api/auth/session" | "/api/auth/me") => Some(Class::Edit),
        (&Method::GET, p)
            if p.starts_with("/auth/oidc/")
                && (p.ends_with("/start") || p.ends_with("/callback")) =>
        {
            Some(Class::Edit)
        }
        (&Method::GET, p) if p.starts_with("/feed/") => Some(Class::Read),
        (_, p) if p.starts_with("/feed/") => None,
        (_, "/api/openapi.json") => Some(Class::Asset),
        (_, p) if p.starts_with("/api/avatar/") => Some(Class::Asset),
        (_, p) if p.starts_with("/api/") => None,
        _ => Some(Class::Asset),
    }
}

/// Spends the request's class (see [`route_class`]); a 429 answer when over it.
async fn charge(req: &ServiceRequest, state: &State) -> Option<HttpResponse> {
    let class = route_class(req.method(), req.path())?;
    state
        .limit(req.request(), class)
        .await
        .err()
        .map(|e| e.error_response())
}

/// CORS, preflights and the JSON content-type rule for `/api/*`; every route's per-client
/// limit (see [`route_class`]).
pub async fn api_rules(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<State>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    if !req.path().starts_with("/api/") {
        if let Some(res) = charge(&req, &state).await {
            return Ok(req.into_response(res).map_into_right_body());
        }
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let origin = cors_origin(&state, req.request());

    if req.method() == Method::OPTIONS {
        let mut res = match &origin {
            Some(o) => {
                let mut r = HttpResponse::NoContent().finish();
                add_cors(r.headers_mut(), o);
                let h = r.headers_mut();
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    header::HeaderValue::from_static("GET, POST, PATCH, DELETE, OPTIONS"),
                );
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    header::HeaderValue::from_static(
                        "Content-Type, Authorization, If-None-Match, Idempotency-Key",
                    ),
                );
                h.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    header::HeaderValue::from_static("86400"),
                );
                r
            }
            None => ApiError::OriginNotAllowed.error_response(),
        };
        res.headers_mut()
            .append(header::VARY, header::HeaderValue::from_static("Origin"));
        return Ok(req.into_response(res).map_into_right_body());
    }

    let writes = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if writes && has_body(&req) {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json);
        if !json {
            let mut res = ApiError::UnsupportedMediaType.error_response();
            if let Some(o) = &origin {
                add_cors(res.headers_mut(), o);
            }
            return Ok(req.into_response(res).map_into_right_body());
        }
    }

    if let Some(mut res) = charge(&req, &state).await {
        if let Some(o) = &origin {
            add_cors(res.headers_mut(), o);
        }
        return Ok(req.into_response(res).map_into_right_body());
    }

    let mut res = next.call(req).await?;
    if let Some(o) = &origin {
        add_cors(res.headers_mut(), o);
    } else {
        res.headers_mut()
            .append(header::VARY, header::HeaderValue::from_static("Origin"));
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
#[path = "middleware_tests.rs"]
mod tests;
