//! The one error type every use case can end in, each variant with its contract code.
//! Its mapping to HTTP statuses and `{"error": {code, message, field}}` bodies lives in
//! `http::error`; nothing here knows HTTP.

use crate::domain::validate::Invalid;

/// Every way a request can fail, each with its status and contract code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: not JSON, or an unparseable query string.
    #[error("{0}")]
    Malformed(String),
    /// 401: missing or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the request's origin may not write to this site.
    #[error("this origin may not write to this site")]
    OriginNotAllowed,
    /// 403: the edit window is over.
    #[error("the time to edit or delete this comment is over")]
    EditWindowClosed,
    /// 403: the thread takes no more comments.
    #[error("this thread is locked")]
    ThreadLocked,
    /// 404: unknown site.
    #[error("no such site")]
    UnknownSite,
    /// 404: unknown comment, route or page.
    #[error("{0}")]
    NotFound(String),
    /// 408: the request body did not arrive within this many seconds.
    #[error("the request body did not arrive within {0} seconds")]
    BodyTimeout(u64),
    /// 405: the route exists with other methods.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the same comment was just posted.
    #[error("{0}")]
    Duplicate(String),
    /// 413: body over the limit.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 415: body without `Content-Type: application/json`.
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    /// 422: a field broke its rule.
    #[error("{}", .0.message)]
    Validation(Invalid),
    /// 429: over a rate limit.
    #[error("too many requests; try again in {0} seconds")]
    RateLimited(u64),
    /// 500: a bug or an I/O failure; details go to the log, never to the client.
    #[error("internal error")]
    Internal(String),
    /// 503: the database can't be reached.
    #[error("the service is temporarily unavailable")]
    Unavailable(String),
}

impl ApiError {
    /// Every code [`ApiError::code`] can answer (the OpenAPI document lists them).
    pub const CODES: &'static [&'static str] = &[
        "malformed_request",
        "unauthorized",
        "origin_not_allowed",
        "edit_window_closed",
        "thread_locked",
        "unknown_site",
        "not_found",
        "method_not_allowed",
        "duplicate",
        "payload_too_large",
        "unsupported_media_type",
        "validation_failed",
        "rate_limited",
        "internal",
        "unavailable",
    ];

    /// The contract's error code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) | ApiError::BodyTimeout(_) => "malformed_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::OriginNotAllowed => "origin_not_allowed",
            ApiError::EditWindowClosed => "edit_window_closed",
            ApiError::ThreadLocked => "thread_locked",
            ApiError::UnknownSite => "unknown_site",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Duplicate(_) => "duplicate",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Internal(_) => "internal",
            ApiError::Unavailable(_) => "unavailable",
        }
    }

    /// A 422 for `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(Invalid::new(field, message))
    }

    /// A 404 for a comment that doesn't exist or isn't visible.
    pub fn no_comment() -> ApiError {
        ApiError::NotFound("no such comment".into())
    }
}

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> Self {
        ApiError::Validation(i)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                ApiError::Unavailable(e.to_string())
            }
            _ => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<postgres::Error> for ApiError {
    fn from(e: postgres::Error) -> Self {
        let detail = pg_detail(&e);
        if pg_unreachable(&e) {
            ApiError::Unavailable(format!("the database is out of reach or busy: {detail}"))
        } else {
            ApiError::Internal(detail)
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Whether a PostgreSQL error is one a retry may not meet (the database out of reach or
/// going away, a conflict with another node's transaction) rather than a wrong statement:
/// those answer 503, which clients retry.
pub fn pg_unreachable(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    if e.is_closed() {
        return true;
    }
    if e.code().is_none() {
        // No SQLSTATE: the connection failed (I/O, connecting, a timeout), or a value did
        // not convert (a row the program cannot read, which is not the network's fault).
        let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
        return io || e.to_string().starts_with("timeout");
    }
    matches!(
        e.code(),
        Some(c) if pg_server_away(c)
            || *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::QUERY_CANCELED
            // Two nodes wrote the same unique value at the same moment (the same
            // Idempotency-Key, say): a retry finds what the other one wrote.
            || *c == SqlState::UNIQUE_VIOLATION
    )
}

/// Whether PostgreSQL's answer says the server is going away, starting or full, or the
/// connection broke: a later try may succeed by itself.
pub fn pg_server_away(c: &postgres::error::SqlState) -> bool {
    use postgres::error::SqlState;
    *c == SqlState::ADMIN_SHUTDOWN
        || *c == SqlState::CRASH_SHUTDOWN
        || *c == SqlState::CANNOT_CONNECT_NOW
        || *c == SqlState::TOO_MANY_CONNECTIONS
        || c.code().starts_with("08")
}

/// A PostgreSQL error as a person reads it (the crate's own Display says only "db error"):
/// the server's severity, code and message when it sent one, else the cause (connection
/// refused, a certificate…).
pub fn pg_detail(e: &postgres::Error) -> String {
    match (e.as_db_error(), std::error::Error::source(e)) {
        (Some(db), _) => format!("{} ({}): {}", db.severity(), db.code().code(), db.message()),
        (None, Some(cause)) => format!("{e}: {cause}"),
        (None, None) => e.to_string(),
    }
}

/// Shorthand for results that end in an [`ApiError`].
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_lists_every_variant_s_code_once() {
        let all = [
            ApiError::Malformed(String::new()),
            ApiError::Unauthorized(String::new()),
            ApiError::OriginNotAllowed,
            ApiError::EditWindowClosed,
            ApiError::ThreadLocked,
            ApiError::UnknownSite,
            ApiError::NotFound(String::new()),
            ApiError::MethodNotAllowed,
            ApiError::Duplicate(String::new()),
            ApiError::PayloadTooLarge(1),
            ApiError::UnsupportedMediaType,
            ApiError::Validation(Invalid::new("f", "m")),
            ApiError::RateLimited(1),
            ApiError::Internal(String::new()),
            ApiError::Unavailable(String::new()),
        ];
        let codes: Vec<&str> = all.iter().map(ApiError::code).collect();
        assert_eq!(codes, ApiError::CODES);
    }
}
