//! `GET /api/comments.html`: the approved thread as a sanitized HTML fragment (no script)
//! for static-site builds, crawlers and readers without JavaScript. The widget takes it
//! over when it loads. The HTML itself is made in `render::fragment`.

use actix_web::{HttpRequest, HttpResponse};

use crate::actions::reads;
use crate::domain::validate;
use crate::error::ApiResult;
use crate::http::error::ErrorBody;
use crate::http::etag::etagged;
use crate::http::extract::Query;
use crate::http::state::State;
use crate::render::fragment;

#[utoipa::path(get, path = "/api/comments.html", tag = "comments",
    summary = "The approved thread as a script-free HTML fragment",
    params(
        ("site" = String, Query, description = "a configured site id"),
        ("page" = inline(crate::routes::openapi::PageKey), Query,
            description = "the page key (a path such as /posts/hello/)"),
    ),
    responses(
        (status = 200, description = "with an `ETag`; `If-None-Match` with it answers 304",
            body = String, content_type = "text/html"),
        (status = 304, description = "the client's copy is current"),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `GET /api/comments.html?site=S&page=P`.
pub async fn thread_html(state: State, req: HttpRequest, query: Query) -> ApiResult<HttpResponse> {
    let site = query.require("site")?.to_string();
    let max_depth = state.site(&site)?.max_depth as usize;
    let page = validate::page(query.require("page")?)?;
    let base = state.settings.public_url.trim_end_matches('/').to_string();
    let rows = reads::page_comments(&state.core, site.clone(), page.clone()).await?;
    let html = fragment::thread(&site, &page, &base, max_depth, &rows);
    let mut res = etagged(&req, "text/html; charset=utf-8", html.into_bytes());
    res.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("content-security-policy"),
        actix_web::http::header::HeaderValue::from_static(
            "default-src 'none'; img-src *; style-src 'unsafe-inline'",
        ),
    );
    Ok(res)
}
