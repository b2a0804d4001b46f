//! How an [`ApiError`] answers over HTTP: its status, the contract's error body, and
//! `Retry-After` for a rate limit. Internal details go to the log, never to the client.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::ApiError;

/// Every error answer: `{"error": {code, message, field}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    /// What went wrong.
    pub error: ErrorDetail<'a>,
}

/// The inside of an [`ErrorBody`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail<'a> {
    /// One of [`ApiError::CODES`].
    #[schema(schema_with = error_codes)]
    pub code: &'static str,
    /// A human sentence.
    pub message: String,
    /// The offending field of a `validation_failed`, else null.
    #[schema(required = true)]
    pub field: Option<&'a str>,
    /// Seconds, with `rate_limited`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub retry_after: Option<u64>,
}

/// The schema of `code`: the enum of every code [`ApiError::code`] can answer.
fn error_codes() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(ApiError::CODES.iter().copied()))
        .build()
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::OriginNotAllowed | ApiError::EditWindowClosed | ApiError::ThreadLocked => {
                StatusCode::FORBIDDEN
            }
            ApiError::UnknownSite | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Duplicate(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(detail) => tracing::error!(error = %detail, "internal error"),
            ApiError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable")
            }
            _ => {}
        }
        let field = match self {
            ApiError::Validation(i) => i.field.as_deref(),
            _ => None,
        };
        let mut body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field,
                retry_after: None,
            },
        };
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let ApiError::RateLimited(secs) = self {
            body.error.retry_after = Some(*secs);
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let ApiError::Unavailable(_) = self {
            // The database is restarting, a node is catching up: worth another try soon.
            res.insert_header((header::RETRY_AFTER, "1"));
        }
        res.json(body)
    }
}
