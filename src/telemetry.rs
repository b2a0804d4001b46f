//! Logging: one line per request with a request id, human on a terminal, JSON when
//! `NATTER_LOG_FORMAT=json`; never a query string, token, email, IP or comment text.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage as _};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

/// Root spans that carry the route pattern, never the raw URL (query strings can hold
/// signatures and emails).
pub struct QuietSpans;

impl RootSpanBuilder for QuietSpans {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        let id = request
            .extensions()
            .get::<RequestId>()
            .map(|r| r.to_string())
            .unwrap_or_default();
        tracing::info_span!("request", method = %request.method(), route = %route, request_id = %id)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(res) => res.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        span.in_scope(|| tracing::info!(status, "request"));
    }
}

/// Installs the global subscriber (logs go to standard error).
pub fn init() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("NATTER_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("NATTER_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
