//! Request parsing with the contract's errors: JSON bodies (400 not JSON, 413 too large,
//! 415 wrong type, 422 wrong shape naming the field) and query strings (400 unparseable).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;

use crate::domain::validate::Invalid;
use crate::error::ApiError;
use crate::state::State;

/// Whether a `Content-Type` value is JSON.
pub fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// The token of an `Authorization: Bearer …` header, if any.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// A JSON body parsed into `T`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<State>()
            .map(|s| s.settings.limits.max_body_bytes)
            .unwrap_or(262_144);
        let content_type = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let declared: Option<usize> = req
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::Malformed(format!("could not read the body: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            if !body.is_empty() && !content_type.as_deref().is_some_and(is_json) {
                return Err(ApiError::UnsupportedMediaType);
            }
            if body.is_empty() {
                return Err(ApiError::Malformed("a JSON body is required".into()));
            }
            parse_json(&body).map(Json)
        })
    }
}

/// Parses JSON text into `T`: syntax errors are 400, shape errors 422 with the field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." || path.is_empty() {
            // serde names a missing field only in its message: "missing field `text`".
            inner
                .split('`')
                .nth(1)
                .filter(|_| inner.starts_with("missing field"))
                .map(str::to_owned)
        } else {
            Some(path)
        };
        let message = match &field {
            Some(f) => format!("{f}: {inner}"),
            None => format!("the body has the wrong shape: {inner}"),
        };
        ApiError::Validation(Invalid {
            field: field.map(Into::into),
            message,
        })
    })
}

/// A decoded query string, in order, repeated keys kept.
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// Decodes a raw query string; invalid percent-encoding or UTF-8 is 400.
    pub fn parse(raw: &str) -> Result<Query, ApiError> {
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode(k)?, decode(v)?));
        }
        Ok(Query(pairs))
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A required value, else 422 naming it.
    pub fn require(&self, key: &'static str) -> Result<&str, ApiError> {
        self.get(key)
            .ok_or_else(|| ApiError::invalid(key, format!("the query parameter {key} is required")))
    }

    /// An optional integer in `range`, else 422 naming it.
    pub fn int_in(
        &self,
        key: &'static str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid(
                key,
                format!(
                    "{key} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }
}

fn decode(s: &str) -> Result<String, ApiError> {
    let plus = s.replace('+', " ");
    if has_bad_escape(&plus) {
        return Err(ApiError::Malformed(
            "the query string has a broken %-escape".into(),
        ));
    }
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| ApiError::Malformed("the query string is not valid UTF-8".into()))
}

fn has_bad_escape(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok =
                b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
            if !ok {
                return true;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    false
}

impl FromRequest for Query {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Query::parse(req.query_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_and_keep_repeats() {
        let q = Query::parse("site=a&page=%2Fx%2F&page=%2Fy+z").unwrap();
        assert_eq!(q.get("site"), Some("a"));
        assert_eq!(q.all("page"), vec!["/x/", "/y z"]);
    }

    #[test]
    fn broken_queries_are_rejected() {
        assert!(Query::parse("page=%ZZ").is_err());
        assert!(Query::parse("page=%C3%28").is_err());
        assert!(Query::parse("page=%4").is_err());
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/jsonx"));
    }
}
