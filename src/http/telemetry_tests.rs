//! Tests of the log format: the cached timestamp and the lean plain fields.

use super::*;
use tracing_subscriber::fmt::time::FormatTime;

fn stamp() -> String {
    let mut out = String::new();
    LogTime
        .format_time(&mut tracing_subscriber::fmt::format::Writer::new(&mut out))
        .unwrap();
    out
}

#[test]
fn log_times_are_rfc3339_utc_with_microseconds_and_follow_the_clock() {
    for _ in 0..3 {
        let before = chrono::Utc::now();
        let text = stamp();
        let after = chrono::Utc::now();
        assert_eq!(text.len(), 27, "{text}");
        assert!(text.ends_with('Z') && text.as_bytes()[19] == b'.', "{text}");
        let t = chrono::DateTime::parse_from_rfc3339(&text).unwrap();
        let micros = |d: chrono::DateTime<chrono::Utc>| d.timestamp_micros();
        assert!(
            micros(before) <= t.timestamp_micros(),
            "{text} before {before}"
        );
        assert!(
            t.timestamp_micros() <= micros(after),
            "{text} after {after}"
        );
        // Across a second boundary the cached part must move on.
        std::thread::sleep(std::time::Duration::from_millis(400));
    }
}

/// A log buffer shared with a test subscriber.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Sink {
    type Writer = Sink;
    fn make_writer(&'a self) -> Sink {
        self.clone()
    }
}

/// The plain lines `emit` logs, with tracing's default fields or with [`LeanFields`].
fn lines(lean: bool, emit: &dyn Fn()) -> String {
    let sink = Sink::default();
    let builder = tracing_subscriber::fmt()
        .with_writer(sink.clone())
        .with_ansi(false)
        .without_time();
    if lean {
        tracing::subscriber::with_default(builder.fmt_fields(LeanFields).finish(), emit);
    } else {
        tracing::subscriber::with_default(builder.finish(), emit);
    }
    let out = sink.0.lock().unwrap().clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn lean_fields_write_what_the_default_writes_for_hostile_values() {
    let values = [
        "plain",
        "",
        "with \"quotes\"",
        "a \\ backslash",
        "new\nline\ttab\r",
        "\x1b[31mred\x1b[0m",
        "bell\x07 bs\x08 ff\x0c del\x7f",
        "c1 \u{85} \u{9b}31m and \u{a0} nbsp",
        "unicode é ✓",
        "\u{200b} zero-width \u{301} combining",
        "'single'",
    ];
    let emit = || {
        for v in values {
            let id = format!("{:016x}", 0xabcdefu64);
            tracing::info!(request_id = %id, method = %"GET", route = v, status = 200u16, ms = 0.25, "request");
            tracing::warn!(error = %v, "failed: {v}");
            tracing::info!(r#type = v, n = -3i64, ok = true, "{}", v);
            tracing::info!(message = v, extra = ?v);
        }
    };
    let (default, lean) = (lines(false, &emit), lines(true, &emit));
    assert_eq!(
        lean.matches("natter::http::telemetry::tests:").count(),
        values.len() * 4
    );
    for (d, l) in default.lines().zip(lean.lines()) {
        assert_eq!(l, d);
    }
    assert_eq!(lean, default);
}
