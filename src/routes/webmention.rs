//! `POST /webmention` (W3C Webmention: a form-encoded `source` and `target`) and
//! `GET /webmention/{id}`, the status of one.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::actions::webmention;
use crate::error::{ApiError, ApiResult};
use crate::http::body::Form;
use crate::http::error::ErrorBody;
use crate::http::state::State;

/// The state of a received Webmention.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MentionState {
    /// `queued`, `accepted` or `rejected`
    #[schema(schema_with = statuses)]
    pub status: &'static str,
    /// why it was rejected (or why the last try failed, while queued)
    #[schema(required = true)]
    pub reason: Option<String>,
}

fn statuses() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["queued", "accepted", "rejected"]))
        .build()
}

/// The form of `POST /webmention`, as documented (the handler reads it as a form).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only described
pub struct WebmentionForm {
    /// the page that links to the target
    source: String,
    /// a page of a site here that takes Webmentions
    target: String,
}

#[utoipa::path(post, path = "/webmention", tag = "webmention",
    summary = "Receive a Webmention (W3C): queued for verification",
    request_body(content = WebmentionForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 202, description = "queued; `Location` is its status URL", body = MentionState),
        (status = 400, description = "a missing or bad `source` or `target`, or a target that \
            is not a page of a site taking Webmentions (`malformed_request`)", body = ErrorBody),
        (status = 403, description = "an `Origin` the target's site does not allow", body = ErrorBody),
        (status = 415, description = "not form-encoded", body = ErrorBody),
        (status = 429, description = "too many from this source host or for this page", body = ErrorBody),
        (status = 503, description = "too many waiting for verification", body = ErrorBody),
    ))]
/// `POST /webmention`.
pub async fn receive(state: State, req: HttpRequest, form: Form) -> ApiResult<HttpResponse> {
    let one = |key: &str| -> ApiResult<String> {
        match form.0.all(key).as_slice() {
            [v] => Ok(v.clone()),
            [] => Err(ApiError::Malformed(format!("`{key}` is required"))),
            _ => Err(ApiError::Malformed(format!(
                "`{key}` is given more than once"
            ))),
        }
    };
    let (source, target) = (one("source")?, one("target")?);
    let ip = state.client(&req).as_str().to_string();
    let origin = state.origin_check(&req);
    let id = webmention::receive(&state.core, &source, &target, ip, origin).await?;
    let location = format!(
        "{}/webmention/{id}",
        state.settings.public_url.trim_end_matches('/')
    );
    Ok(HttpResponse::build(StatusCode::ACCEPTED)
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MentionState {
            status: "queued",
            reason: None,
        }))
}

#[utoipa::path(get, path = "/webmention/{id}", tag = "webmention",
    summary = "The state of a received Webmention",
    params(("id" = String, Path, description = "from the `Location` of its 202")),
    responses(
        (status = 200, description = "its state", body = MentionState),
        (status = 404, description = "no such Webmention (`not_found`)", body = ErrorBody),
    ))]
/// `GET /webmention/{id}`.
pub async fn status(state: State, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    if id.is_empty() || id.len() > 64 {
        return Err(ApiError::NotFound("no such Webmention".into()));
    }
    let (status, reason) = webmention::status(&state.core, id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MentionState {
            status: status.as_str(),
            reason,
        }))
}
