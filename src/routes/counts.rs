//! Approved-comment counts for many pages at once (GET for short lists, POST for long ones).

use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::actions::reads;
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::http::error::ErrorBody;
use crate::http::etag::etagged;
use crate::http::extract::{Json, Query};
use crate::http::state::State;
use crate::routes::answers::Counts;
use crate::routes::openapi::pages;

/// Most pages one call may ask about.
pub const MAX_PAGES: usize = 100;

#[utoipa::path(get, path = "/api/counts", tag = "comments",
    summary = "Approved-comment counts of up to 100 pages",
    params(
        ("site" = String, Query, description = "a configured site id"),
        ("page" = inline(Pages), Query, description = "repeat for each page"),
    ),
    responses(
        (status = 200, description = "with an `ETag`; `If-None-Match` with it answers 304", body = Counts),
        (status = 304, description = "the client's copy is current"),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `GET /api/counts?site=S&page=P1&page=P2…`.
pub async fn get_counts(state: State, req: HttpRequest, query: Query) -> ApiResult<HttpResponse> {
    let site = query.require("site")?.to_string();
    counts(state, req, site, query.all("page"), "page").await
}

/// Body of `POST /api/counts`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = CountsQuery)]
pub struct CountsBody {
    site: String,
    #[schema(schema_with = pages::<MAX_PAGES>)]
    pages: Vec<String>,
}

/// Up to [`MAX_PAGES`] page keys, as a parameter.
pub struct Pages;

impl utoipa::PartialSchema for Pages {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        pages::<MAX_PAGES>().into()
    }
}

impl utoipa::ToSchema for Pages {}

#[utoipa::path(post, path = "/api/counts", tag = "comments",
    summary = "The same counts, for long lists",
    request_body = CountsBody,
    responses(
        (status = 200, description = "with an `ETag`; `If-None-Match` with it answers 304", body = Counts),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `POST /api/counts`: the same answer for lists too long for a URL.
pub async fn post_counts(
    state: State,
    req: HttpRequest,
    body: Json<CountsBody>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    counts(state, req, b.site, b.pages, "pages").await
}

async fn counts(
    state: State,
    req: HttpRequest,
    site: String,
    pages: Vec<String>,
    field: &'static str,
) -> ApiResult<HttpResponse> {
    state.site(&site)?;
    if pages.len() > MAX_PAGES {
        return Err(ApiError::invalid(
            field,
            format!("at most {MAX_PAGES} pages per request"),
        ));
    }
    for p in &pages {
        validate::page(p).map_err(|e| ApiError::invalid(field, e.message))?;
    }
    let counts = reads::counts(&state.core, site, pages).await?;
    let body = serde_json::to_string(&Counts { counts })?;
    Ok(etagged(&req, "application/json", body.into_bytes()))
}
