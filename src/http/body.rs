//! Reading a request body within its limits, and the form bodies of `POST /webmention`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt as _;

use crate::error::ApiError;
use crate::http::extract::{Query, BODY_DEADLINE};
use crate::http::state::State;

/// A form body (`application/x-www-form-urlencoded`), decoded as [`Query`] decodes a query
/// string: the one route that takes it is `POST /webmention`, as the W3C spec says.
pub struct Form(pub Query);

impl FromRequest for Form {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Body::of(req, payload);
        Box::pin(async move {
            let (content_type, body) = body.read().await?;
            let is_form = content_type.as_deref().is_some_and(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
            if !is_form {
                return Err(ApiError::UnsupportedMediaType);
            }
            let text = std::str::from_utf8(&body)
                .map_err(|_| ApiError::Malformed("the form body is not valid UTF-8".into()))?;
            Query::parse(text).map(Form)
        })
    }
}

/// A request's body as it arrives: at most `max_body_bytes` (413), within [`BODY_DEADLINE`]
/// (408), with the request's `Content-Type`.
pub(crate) struct Body {
    limit: usize,
    content_type: Option<String>,
    declared: Option<usize>,
    payload: Payload,
}

impl Body {
    pub(crate) fn of(req: &HttpRequest, payload: &mut Payload) -> Body {
        Body {
            limit: req
                .app_data::<State>()
                .map(|s| s.settings.limits.max_body_bytes)
                .unwrap_or(262_144),
            content_type: req
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            declared: req
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok()),
            payload: payload.take(),
        }
    }

    /// The same body with another cap (an inbox takes at most its own, whatever
    /// `max_body_bytes` says).
    pub(crate) fn with_limit(mut self, limit: usize) -> Body {
        self.limit = limit;
        self
    }

    pub(crate) async fn read(mut self) -> Result<(Option<String>, web::BytesMut), ApiError> {
        let limit = self.limit;
        if self.declared.is_some_and(|n| n > limit) {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        let mut body = web::BytesMut::new();
        let deadline = tokio::time::Instant::now() + BODY_DEADLINE;
        loop {
            let next = tokio::time::timeout_at(deadline, self.payload.next())
                .await
                .map_err(|_| ApiError::BodyTimeout(BODY_DEADLINE.as_secs()))?;
            let Some(chunk) = next else { break };
            let chunk =
                chunk.map_err(|e| ApiError::Malformed(format!("could not read the body: {e}")))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((self.content_type, body))
    }
}
