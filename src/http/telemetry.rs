//! Logging: one line per request with a request id, human on a terminal, JSON when
//! `NATTER_LOG_FORMAT=json`; never a query string, token, email, IP or comment text.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::Error;

use crate::http::state::State;

/// The header that carries a request's id back to the client (and into the log line).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Logs one line per request (method, route pattern, status, milliseconds, a random request
/// id, which the answer carries as `X-Request-Id`) and counts it for `/metrics`. The route
/// is the pattern (`/api/comments/{id}`), never the raw URL: query strings can hold
/// signatures and emails. One event, no span: this runs on every request.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let start = Instant::now();
    let state = req.app_data::<State>().cloned();
    let method = req.method().clone();
    let id = format!("{:016x}", rand::random::<u64>());
    // (No clone of the request before routing: actix needs it unshared to route.)
    let outcome = next.call(req).await;
    let seconds = start.elapsed().as_secs_f64();
    let (route, status) = match &outcome {
        Ok(res) => (res.request().match_pattern(), res.status().as_u16()),
        Err(e) => (None, e.as_response_error().status_code().as_u16()),
    };
    let route = route.as_deref().unwrap_or("unmatched");
    if let Some(state) = &state {
        state.metrics.request(route, status, seconds);
    }
    let ms = (seconds * 1e5).round() / 100.0;
    if status >= 500 {
        tracing::warn!(request_id = %id, %method, route, status, ms, "request");
    } else {
        tracing::info!(request_id = %id, %method, route, status, ms, "request");
    }
    let mut res = outcome?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

/// Installs the global subscriber (logs go to standard error, through [`Batched`]). Keep the
/// guard until the end of `main`: dropping it writes out what is still buffered.
pub fn init() -> FlushGuard {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("NATTER_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("NATTER_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let writer = Batched::start();
    let guard = FlushGuard(writer.shared.clone());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_timer(LogTime)
        .with_writer(writer);
    let _ = if json {
        builder.json().try_init()
    } else if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        builder.with_ansi(true).try_init()
    } else {
        builder.with_ansi(false).fmt_fields(LeanFields).try_init()
    };
    guard
}

/// The time of a log line, as tracing's default prints it (`2026-12-02T09:26:45.951780Z`),
/// with the part up to the second formatted once a second per thread instead of per line.
struct LogTime;

impl tracing_subscriber::fmt::time::FormatTime for LogTime {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        use std::cell::RefCell;
        thread_local! {
            static SECOND: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
        }
        let now = chrono::Utc::now();
        let second = now.timestamp();
        SECOND.with_borrow_mut(|(at, text)| {
            if *at != second {
                *at = second;
                *text = now.format("%Y-%m-%dT%H:%M:%S").to_string();
            }
            write!(w, "{text}.{:06}Z", now.timestamp_subsec_micros())
        })
    }
}

/// The fields of a plain (not a terminal's) log line, written exactly as tracing's default
/// writes them without colours, by a shorter path: a string that needs no escaping is
/// written as it is, between quotes, instead of through `Debug` and an escaping writer
/// (together ~5 % of a cached read's CPU). A test compares the two on hostile values.
struct LeanFields;

impl<'w> tracing_subscriber::fmt::FormatFields<'w> for LeanFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: tracing_subscriber::fmt::format::Writer<'w>,
        fields: R,
    ) -> std::fmt::Result {
        let mut v = LeanVisitor {
            w: writer,
            result: Ok(()),
            first: true,
        };
        fields.record(&mut v);
        v.result
    }
}

struct LeanVisitor<'w> {
    w: tracing_subscriber::fmt::format::Writer<'w>,
    result: std::fmt::Result,
    first: bool,
}

/// Whether `Debug` writes `s` as itself between quotes (and the message as itself).
fn plain(s: &str) -> bool {
    s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

impl LeanVisitor<'_> {
    /// Writes the separator and `name=`; `false` for fields that are not written.
    fn start(&mut self, name: &str) -> bool {
        if self.result.is_err() || name.starts_with("log.") {
            return false;
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        let sep = if self.first { "" } else { " " };
        self.first = false;
        self.result = if name == "message" {
            self.w.write_str(sep)
        } else {
            write!(self.w, "{sep}{name}=")
        };
        self.result.is_ok()
    }
}

impl tracing::field::Visit for LeanVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if !plain(value) {
            return if field.name() == "message" {
                self.record_debug(field, &format_args!("{value}"))
            } else {
                self.record_debug(field, &value)
            };
        }
        if self.start(field.name()) {
            self.result = if field.name() == "message" {
                self.w.write_str(value)
            } else {
                write!(self.w, "\"{value}\"")
            };
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if !self.start(field.name()) {
            return;
        }
        self.result = if field.name() == "message" {
            std::fmt::Write::write_fmt(&mut AnsiEscaping(&mut self.w), format_args!("{value:?}"))
        } else {
            write!(self.w, "{value:?}")
        };
    }
}

/// Escapes terminal control characters in a log message as tracing's default does.
struct AnsiEscaping<'a, 'w>(&'a mut tracing_subscriber::fmt::format::Writer<'w>);

impl std::fmt::Write for AnsiEscaping<'_, '_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        // 0xc2 starts every C1 control character (U+0080–U+009F) in UTF-8.
        if !s
            .bytes()
            .any(|b| matches!(b, 0x1b | 0x07 | 0x08 | 0x0c | 0x7f | 0xc2))
        {
            return self.0.write_str(s);
        }
        for ch in s.chars() {
            match ch {
                '\x1b' => self.0.write_str("\\x1b")?,
                '\x07' => self.0.write_str("\\x07")?,
                '\x08' => self.0.write_str("\\x08")?,
                '\x0c' => self.0.write_str("\\x0c")?,
                '\x7f' => self.0.write_str("\\x7f")?,
                c if ('\u{80}'..='\u{9f}').contains(&c) => write!(self.0, "\\u{{{:x}}}", c as u32)?,
                c => self.0.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Standard error, written by a thread of its own: each log line is appended to a buffer;
/// the thread, woken by the first line, lets lines gather for [`GATHER`] and writes them in
/// one call. A busy server's requests then share a `write` and a wake-up instead of paying
/// one each (together ~10 % of a cached read's CPU in `bench/`); a line reaches standard
/// error within milliseconds. Should the thread not start, lines are written directly.
/// Against `tracing-appender`'s non-blocking writer it saves ~15 % of the CPU of a logged
/// cached read (`bench/logs.sh`, figures in `bench/README.md`).
#[derive(Clone)]
pub struct Batched {
    shared: Arc<Shared>,
}

/// Buffered bytes past which logging waits for the writer thread.
const MAX_PENDING: usize = 1 << 20;

/// How long the writer thread lets lines gather once the first arrives.
const GATHER: std::time::Duration = std::time::Duration::from_millis(2);

#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    /// The thread is waiting for a first line (only then is a wake-up needed).
    idle: bool,
    /// The thread holds a batch it has not finished writing.
    writing: bool,
    /// No thread writes: write directly.
    direct: bool,
}

#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    /// Signalled when the buffer gets its first line, and when the thread finishes a batch.
    changed: Condvar,
}

impl Batched {
    fn start() -> Batched {
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("natter-log".into())
            .spawn(move || s.run());
        if spawned.is_err() {
            shared.lock().direct = true;
        }
        Batched { shared }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, g: MutexGuard<'a, Pending>) -> MutexGuard<'a, Pending> {
        self.changed
            .wait_timeout(g, std::time::Duration::from_millis(100))
            .unwrap_or_else(|p| p.into_inner())
            .0
    }

    fn run(&self) {
        let mut out = Vec::with_capacity(16 << 10);
        loop {
            {
                let mut p = self.lock();
                while p.buf.is_empty() {
                    p.idle = true;
                    p = self.wait(p);
                }
                p.idle = false;
            }
            std::thread::sleep(GATHER);
            {
                let mut p = self.lock();
                std::mem::swap(&mut p.buf, &mut out);
                p.writing = true;
            }
            let _ = std::io::stderr().lock().write_all(&out);
            out.clear();
            self.lock().writing = false;
            self.changed.notify_all();
        }
    }

    /// Waits (two seconds at most) until everything buffered so far is written.
    fn flush(&self) {
        let deadline = Instant::now() + std::time::Duration::from_secs(2);
        let mut p = self.lock();
        while (!p.buf.is_empty() || p.writing) && !p.direct && Instant::now() < deadline {
            p = self.wait(p);
        }
    }
}

impl Write for Batched {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut p = self.shared.lock();
        if p.direct {
            drop(p);
            return std::io::stderr().write(line);
        }
        // Backpressure, as a direct write would give: a stuck standard error must not
        // turn into unbounded memory.
        while p.buf.len() > MAX_PENDING {
            p = self.shared.wait(p);
        }
        p.buf.extend_from_slice(line);
        let wake = p.idle;
        p.idle = false;
        drop(p);
        if wake {
            self.shared.changed.notify_all();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Batched {
    type Writer = Batched;
    fn make_writer(&'a self) -> Batched {
        self.clone()
    }
}

/// Writes out buffered log lines when dropped (end of `main`).
pub struct FlushGuard(Arc<Shared>);

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.0.flush();
    }
}

#[cfg(test)]
#[path = "telemetry_tests.rs"]
mod tests;
