//! Strong ETags over answer bytes, and `If-None-Match`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

/// A response with a strong ETag over its bytes, or 304 when the client already has them.
pub fn etagged(req: &HttpRequest, content_type: &str, body: Vec<u8>) -> HttpResponse {
    let tag = format!("\"{}\"", crate::domain::crypto::digest_hex(&body));
    let matches = etag_matches(req, &tag);
    let mut res = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if matches {
        res.finish()
    } else {
        res.content_type(content_type).body(body)
    }
}

/// Whether the request's `If-None-Match` names `tag` (or `*`).
pub fn etag_matches(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t == tag || t.strip_prefix("W/") == Some(tag))
}
