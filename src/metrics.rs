//! Prometheus metrics: requests by route pattern and status, latency histograms, comment
//! and moderation events by configured site, rate-limited requests, outbox backlog and
//! database size. This file holds the counters and their text form; `/metrics` itself is
//! `routes::meta::metrics`. Labels never carry a page, IP, email or raw query value.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Requests of one route pattern: counts by status and the latency histogram.
#[derive(Default)]
struct Route {
    statuses: BTreeMap<u16, u64>,
    latency: Histogram,
}

/// The process's counters.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<String, Route>>,
    events: Mutex<BTreeMap<(&'static str, String, &'static str), u64>>,
}

impl Metrics {
    /// Counts one answered request (one lock, and no allocation once the route is known).
    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        let Ok(mut m) = self.routes.lock() else {
            return;
        };
        let r = match m.get_mut(route) {
            Some(r) => r,
            None => m.entry(route.to_string()).or_default(),
        };
        *r.statuses.entry(status).or_default() += 1;
        let h = &mut r.latency;
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Counts an event of a configured site: `metric` names the family, `value` its label.
    pub fn event(&self, metric: &'static str, site: &str, value: &'static str) {
        if let Ok(mut m) = self.events.lock() {
            *m.entry((metric, site.to_string(), value)).or_default() += 1;
        }
    }

    /// The text exposition format, with the gauges read at scrape time.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP natter_http_requests_total Requests answered, by route pattern and status.\n# TYPE natter_http_requests_total counter\n");
        let routes = self.routes.lock();
        if let Ok(m) = &routes {
            for (route, r) in m.iter() {
                for (status, n) in &r.statuses {
                    let _ = writeln!(
                        out,
                        "natter_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                        label(route)
                    );
                }
            }
        }
        out.push_str("# HELP natter_http_request_duration_seconds Time to answer, by route pattern.\n# TYPE natter_http_request_duration_seconds histogram\n");
        if let Ok(m) = &routes {
            for (route, r) in m.iter() {
                let h = &r.latency;
                let r = label(route);
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(out, "natter_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}", h.counts[i]);
                }
                let _ = writeln!(
                    out,
                    "natter_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "natter_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "natter_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                    h.count
                );
            }
        }
        if let Ok(m) = self.events.lock() {
            let mut last = "";
            for ((metric, site, value), n) in m.iter() {
                let (family, key) = match *metric {
                    "comments" => ("natter_comments_total", "status"),
                    "moderation" => ("natter_moderation_actions_total", "action"),
                    "webmentions" => ("natter_webmentions_total", "outcome"),
                    "fediverse" => ("natter_fediverse_deliveries_total", "outcome"),
                    _ => ("natter_rate_limited_total", "class"),
                };
                if family != last {
                    let _ = writeln!(out, "# TYPE {family} counter");
                    last = family;
                }
                let _ = writeln!(
                    out,
                    "{family}{{site=\"{}\",{key}=\"{value}\"}} {n}",
                    label(site)
                );
            }
        }
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}

/// Escapes a label value.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
