//! Approved-comment counts for many pages at once (GET for short lists, POST for long ones).

use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::actions::reads;
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::http::etag::etagged;
use crate::http::extract::{Json, Query};
use crate::http::state::State;

/// Most pages one call may ask about.
pub const MAX_PAGES: usize = 100;

/// `GET /api/counts?site=S&page=P1&page=P2…`.
pub async fn get_counts(state: State, req: HttpRequest, query: Query) -> ApiResult<HttpResponse> {
    let site = query.require("site")?.to_string();
    counts(state, req, site, query.all("page"), "page").await
}

/// Body of `POST /api/counts`.
#[derive(Debug, Deserialize)]
pub struct CountsBody {
    site: String,
    pages: Vec<String>,
}

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
    state.limit(&req, crate::http::limits::Class::Read)?;
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
    let body = json!({"counts": counts}).to_string();
    Ok(etagged(&req, "application/json", body.into_bytes()))
}
