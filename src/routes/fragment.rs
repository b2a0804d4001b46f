//! `GET /api/comments.html`: the approved thread as a sanitized HTML fragment (no script)
//! for static-site builds, crawlers and readers without JavaScript. The widget takes it
//! over when it loads. Built with a loop over depths: reply chains are user-controlled.

use std::fmt::Write as _;

use actix_web::{HttpRequest, HttpResponse};

use crate::domain::comment::Status;
use crate::domain::thread::{self, Sort};
use crate::domain::{rfc3339, validate};
use crate::error::ApiResult;
use crate::http::error::ErrorBody;
use crate::http::etag::etagged;
use crate::http::extract::Query;
use crate::http::state::State;
use crate::render::html::escape;
use crate::store::comments as q;

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
    state.limit(&req, crate::http::limits::Class::Read)?;
    let site = query.require("site")?.to_string();
    let max_depth = state.site(&site)?.max_depth as usize;
    let page = validate::page(query.require("page")?)?;
    let base = state.settings.public_url.trim_end_matches('/').to_string();
    let html = crate::store::read(&state.pool, move |conn| {
        let rows = match q::find_page(conn, &site, &page)? {
            Some(p) => q::page_comments(conn, p.id)?,
            None => Vec::new(),
        };
        let ordered = thread::order_comments(&rows, Sort::Oldest, None, usize::MAX);
        let total = rows.iter().filter(|c| c.status == Status::Approved).count();
        let mut depth_of = std::collections::HashMap::new();
        let mut out = format!(
            "<div class=\"natter-static\" data-natter-site=\"{}\" data-natter-page=\"{}\" data-natter-total=\"{total}\">\n<ol class=\"natter-thread\">\n",
            escape(&site),
            escape(&page)
        );
        let mut open = 0usize; // depth of the innermost open <li>, +1; 0 = none open
        for placed in &ordered.items {
            let c = &rows[placed.index];
            let depth = c
                .parent
                .and_then(|p| depth_of.get(&p))
                .map_or(0, |d: &usize| (d + 1).min(max_depth));
            depth_of.insert(c.id, depth);
            // Close the items at or below this depth, open a list if going one deeper.
            if open > depth + 1 {
                while open > depth + 1 {
                    out.push_str("</li>\n</ol>\n");
                    open -= 1;
                }
                out.push_str("</li>\n");
            } else if open == depth + 1 {
                out.push_str("</li>\n");
            } else if open == depth && open > 0 {
                out.push_str("<ol class=\"natter-replies\">\n");
            }
            open = depth + 1;
            let _ = write!(out, "<li class=\"natter-comment{}\" id=\"natter-{id}\" data-natter-id=\"{id}\">",
                if placed.tombstone { " natter-deleted" } else { "" }, id = c.id);
            if placed.tombstone {
                out.push_str("<p class=\"natter-tombstone\">[deleted]</p>");
                continue;
            }
            out.push_str("<article><header>");
            if let Some(a) = &c.avatar {
                let _ = write!(out, "<img class=\"natter-avatar\" src=\"{}/api/avatar/{}.svg\" alt=\"\" width=\"32\" height=\"32\" loading=\"lazy\"> ", escape(&base), escape(a));
            }
            let name = escape(c.author.as_deref().unwrap_or("Anonymous"));
            match &c.website {
                Some(w) if validate::origin_of(w).is_some() => {
                    let _ = write!(out, "<a class=\"natter-author\" href=\"{}\" rel=\"nofollow ugc noopener noreferrer\">{name}</a>", escape(w));
                }
                _ => {
                    let _ = write!(out, "<span class=\"natter-author\">{name}</span>");
                }
            }
            let when = rfc3339(c.created_at);
            let _ = write!(out, " <time datetime=\"{when}\">{when}</time></header>\n<div class=\"natter-body\">{}</div></article>", c.html);
        }
        while open > 1 {
            out.push_str("</li>\n</ol>\n");
            open -= 1;
        }
        if open == 1 {
            out.push_str("</li>\n");
        }
        out.push_str("</ol>\n</div>\n");
        Ok(out)
    })
    .await?;
    let mut res = etagged(&req, "text/html; charset=utf-8", html.into_bytes());
    res.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("content-security-policy"),
        actix_web::http::header::HeaderValue::from_static(
            "default-src 'none'; img-src *; style-src 'unsafe-inline'",
        ),
    );
    Ok(res)
}
