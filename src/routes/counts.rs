//! Approved-comment counts for many pages at once (GET for short lists, POST for long ones).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::http::etag::etagged;
use crate::http::extract::{Json, Query};
use crate::http::state::State;
use crate::store::comments as q;

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
    let body = crate::store::read(&state.pool, move |conn| {
        let mut counts: BTreeMap<String, i64> = pages.iter().map(|p| (p.clone(), 0)).collect();
        if !pages.is_empty() {
            for (key, n) in q::approved_counts(conn, &site, &pages)? {
                counts.insert(key, n);
            }
        }
        Ok(json!({"counts": counts}).to_string())
    })
    .await?;
    Ok(etagged(&req, "application/json", body.into_bytes()))
}
