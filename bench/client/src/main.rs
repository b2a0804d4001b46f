//! Natter benchmark helper (std only):
//!
//! * `seed`    — fills a running Natter through its real HTTP API (`POST /api/comments`)
//!   from many keep-alive clients at once;
//! * `startup` — times exec → first `200` from `/healthz`, several runs;
//! * `report`  — turns the `key=value` results file written by `run.sh` into markdown;
//! * `report-pg` — the same for `run.sh --postgres`.

mod http;
mod report;
mod report_pg;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("seed") => seed(&Opts::parse(&args[1..])),
        Some("startup") => startup(&args[1..]),
        Some("report") => report::run(&Opts::parse(&args[1..])),
        Some("report-pg") => report_pg::run(&Opts::parse(&args[1..])),
        _ => Err("usage: natter-bench-client seed|startup|report|report-pg [options]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("natter-bench-client: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--key value` options.
pub struct Opts(HashMap<String, String>);

impl Opts {
    fn parse(args: &[String]) -> Opts {
        let mut m = HashMap::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(k) = a.strip_prefix("--") {
                m.insert(k.to_string(), it.next().cloned().unwrap_or_default());
            }
        }
        Opts(m)
    }
    pub fn str(&self, k: &str) -> Result<&str, String> {
        self.0
            .get(k)
            .map(String::as_str)
            .ok_or_else(|| format!("--{k} is required"))
    }
    fn num(&self, k: &str, default: usize) -> Result<usize, String> {
        match self.0.get(k) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{k} must be a number")),
        }
    }
}

/// splitmix64: deterministic, so every run seeds the same archive.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

const WORDS: &[&str] = &[
    "the",
    "post",
    "really",
    "interesting",
    "point",
    "about",
    "rust",
    "sqlite",
    "thanks",
    "for",
    "writing",
    "this",
    "I",
    "disagree",
    "with",
    "second",
    "part",
    "benchmark",
    "memory",
    "latency",
    "server",
    "because",
    "however",
    "great",
    "article",
    "maybe",
    "could",
    "you",
    "explain",
    "why",
    "cache",
    "works",
    "here",
    "and",
    "not",
    "there",
    "my",
    "experience",
    "was",
    "different",
    "when",
    "we",
    "tried",
    "it",
    "in",
    "production",
    "last",
    "year",
    "a",
    "small",
    "blog",
    "with",
    "few",
    "readers",
    "is",
    "fine",
    "too",
    "though",
    "numbers",
    "look",
    "good",
    "on",
    "paper",
    "typo",
];

/// A unique, realistic comment: 25–75 words of markdown, sometimes emphasis, a link, a
/// second paragraph or inline code (≈ 300 characters on average).
fn comment_text(k: u64) -> String {
    let mut r = mix(k ^ 0x5eed);
    let n = 25 + (r % 51) as usize;
    let mut s = format!("Comment {k}:");
    let mut links = 0;
    for i in 0..n {
        r = mix(r);
        let w = WORDS[(r % WORDS.len() as u64) as usize];
        match (r >> 20) % 40 {
            0 => write!(s, " *{w}*").unwrap(),
            1 => write!(s, " **{w}**").unwrap(),
            2 => write!(s, " `{w}()`").unwrap(),
            3 if i > 5 => write!(s, ".\n\n{w}").unwrap(),
            // At most two links: more than three would hold the comment for moderation.
            4 if links < 2 => {
                links += 1;
                write!(s, " [{w}](https://example.com/notes/{k}/{i})").unwrap()
            }
            _ => write!(s, " {w}").unwrap(),
        }
    }
    s.push('.');
    s
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => write!(o, "\\u{:04x}", c as u32).unwrap(),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Percent-encodes a query value.
pub fn qenc(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            write!(o, "%{b:02X}").unwrap();
        }
    }
    o
}

fn bulk_page(i: usize) -> String {
    format!("/posts/{i:06}/")
}

/// The id in a `201` body: `{"comment":{"id":123,…`.
fn created_id(body: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(body).ok()?;
    let at = s.find("\"id\":")? + 5;
    let digits: String = s[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Whether a `201` says the comment is visible (only those can be replied to, and a held
/// comment would make the seeded archive differ from the plan).
fn approved(body: &[u8]) -> bool {
    std::str::from_utf8(body).is_ok_and(|s| s.contains("\"status\":\"approved\""))
}

struct Plan {
    site: String,
    total: usize,
    bulk_pages: usize,
    hot_page: String,
    hot: usize,
    stride: usize,
}

impl Plan {
    /// Job `k` → (page, is_hot, round on its page).
    fn job(&self, k: usize) -> (String, bool, usize) {
        if k % self.stride == self.stride / 2 && k / self.stride < self.hot {
            return (self.hot_page.clone(), true, k / self.stride);
        }
        let p = k % self.bulk_pages;
        (bulk_page(p), false, k / self.bulk_pages)
    }
}

/// `seed --addr A --site S --comments N --pages P --concurrency C --out FILE`:
/// N comments over P pages, one of them (`/posts/hot/`) a 100-comment thread with
/// replies; every request a distinct text; ~30 % of the others are replies.
fn seed(o: &Opts) -> Result<(), String> {
    let addr = o.str("addr")?.to_string();
    let total = o.num("comments", 1000)?;
    let pages = o.num("pages", 100)?;
    let hot = o.num("hot", 100)?.min(total);
    let conc = o.num("concurrency", 16)?.max(1);
    let out = o.str("out")?.to_string();
    if pages < 21 || total < hot + pages {
        return Err("need at least 21 pages and one comment per page".into());
    }
    let plan = Arc::new(Plan {
        site: o.str("site")?.to_string(),
        total,
        bulk_pages: pages - 1,
        hot_page: "/posts/hot/".into(),
        hot,
        stride: (total / hot.max(1)).max(1),
    });
    let first_ids: Arc<Vec<AtomicI64>> =
        Arc::new((0..plan.bulk_pages).map(|_| AtomicI64::new(0)).collect());
    let hot_ids = Arc::new(Mutex::new(Vec::<i64>::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let hot_done = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc {
        let (plan, first_ids, hot_ids, next, done, errors, hot_done, first_error, addr) = (
            plan.clone(),
            first_ids.clone(),
            hot_ids.clone(),
            next.clone(),
            done.clone(),
            errors.clone(),
            hot_done.clone(),
            first_error.clone(),
            addr.clone(),
        );
        workers.push(std::thread::spawn(move || {
            let mut conn = http::Conn::new(&addr);
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= plan.total {
                    break;
                }
                // Too many failures: stop early rather than hammer a broken server.
                let e = errors.load(Ordering::Relaxed);
                if e > 50 && e * 100 > done.load(Ordering::Relaxed) {
                    break;
                }
                let (page, is_hot, round) = plan.job(k);
                let r = mix(k as u64);
                let parent = if is_hot {
                    let ids = hot_ids.lock().unwrap();
                    (round >= 5 && r % 10 < 4 && !ids.is_empty())
                        .then(|| ids[(r >> 8) as usize % ids.len()])
                } else {
                    let first = first_ids[k % plan.bulk_pages].load(Ordering::Relaxed);
                    (round > 0 && first > 0 && r % 10 < 3).then_some(first)
                };
                let who = (r >> 16) % 20_000;
                let mut body = format!(
                    "{{\"site\":{},\"page\":{},\"text\":{},\"author\":\"Reader {who}\"",
                    json_str(&plan.site),
                    json_str(&page),
                    json_str(&comment_text(k as u64)),
                );
                if round == 0 {
                    write!(body, ",\"title\":{}", json_str(&format!("Post {page}"))).unwrap();
                }
                if (r >> 32).is_multiple_of(2) {
                    write!(body, ",\"email\":\"reader{who}@example.com\"").unwrap();
                }
                if (r >> 40).is_multiple_of(10) {
                    write!(body, ",\"website\":\"https://reader{who}.example.org/\"").unwrap();
                }
                if let Some(p) = parent {
                    write!(body, ",\"parent\":{p}").unwrap();
                }
                body.push('}');
                let res = conn.send(
                    "POST",
                    "/api/comments",
                    &[("Content-Type", "application/json")],
                    body.as_bytes(),
                );
                match res {
                    Ok(res) if res.status == 201 && approved(&res.body) => {
                        let id = created_id(&res.body).unwrap_or(0);
                        if is_hot {
                            hot_ids.lock().unwrap().push(id);
                            hot_done.fetch_add(1, Ordering::Relaxed);
                        } else if parent.is_none() {
                            let _ = first_ids[k % plan.bulk_pages].compare_exchange(
                                0,
                                id,
                                Ordering::Relaxed,
                                Ordering::Relaxed,
                            );
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    other => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        let msg = match other {
                            Ok(r) => format!(
                                "HTTP {}: {}",
                                r.status,
                                String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
                            ),
                            Err(e) => e.to_string(),
                        };
                        first_error.lock().unwrap().get_or_insert(msg);
                    }
                }
            }
        }));
    }
    // Progress on a terminal-friendly line every 10 s.
    let mut last = Instant::now();
    while workers.iter().any(|w| !w.is_finished()) {
        std::thread::sleep(Duration::from_millis(200));
        if last.elapsed() >= Duration::from_secs(10) {
            last = Instant::now();
            let d = done.load(Ordering::Relaxed);
            let s = started.elapsed().as_secs_f64();
            eprintln!(
                "  seeded {d}/{total} ({:.0}/s, {} errors)",
                d as f64 / s,
                errors.load(Ordering::Relaxed)
            );
        }
    }
    for w in workers {
        let _ = w.join();
    }
    let secs = started.elapsed().as_secs_f64();
    let d = done.load(Ordering::Relaxed);
    let e = errors.load(Ordering::Relaxed);
    let count_pages: Vec<String> = (0..20)
        .map(|i| format!("page={}", qenc(&bulk_page(i * plan.bulk_pages / 20))))
        .collect();
    let summary = format!(
        "seed_comments={d}\nseed_errors={e}\nseed_seconds={secs:.1}\nseed_rate={:.0}\n\
         seed_concurrency={conc}\nhot_page_q={}\nhot_comments={}\ncount_query={}\n",
        d as f64 / secs,
        qenc(&plan.hot_page),
        hot_done.load(Ordering::Relaxed),
        count_pages.join("&"),
    );
    std::fs::write(&out, &summary).map_err(|e| format!("{out}: {e}"))?;
    eprint!("{summary}");
    if e > 0 {
        return Err(format!(
            "{e} creates failed; first: {}",
            first_error.lock().unwrap().clone().unwrap_or_default()
        ));
    }
    Ok(())
}

/// `startup --runs R --addr A --log FILE -- natter --config F serve`: each run execs the
/// server, polls `/healthz` every millisecond until it answers `200`, then stops it with
/// SIGTERM. Writes `startup_runs_ms` and `startup_median_ms` to `--out`.
fn startup(args: &[String]) -> Result<(), String> {
    let split = args
        .iter()
        .position(|a| a == "--")
        .ok_or("startup needs `-- COMMAND …`")?;
    let o = Opts::parse(&args[..split]);
    let cmd = &args[split + 1..];
    let runs = o.num("runs", 5)?.clamp(1, 50);
    let addr = o.str("addr")?.to_string();
    let log = o.str("log")?;
    let out = o.str("out")?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let logf = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("{log}: {e}"))?;
        let t0 = Instant::now();
        let mut child = Command::new(&cmd[0])
            .args(&cmd[1..])
            .stdin(Stdio::null())
            .stdout(logf.try_clone().map_err(|e| e.to_string())?)
            .stderr(logf)
            .spawn()
            .map_err(|e| format!("{}: {e}", cmd[0]))?;
        let ready = loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("the server exited during start-up: {status}"));
            }
            if t0.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                return Err("the server did not answer /healthz within 60 s".into());
            }
            let mut c = http::Conn::new(&addr);
            if let Ok(r) = c.send("GET", "/healthz", &[], b"") {
                if r.status == 200 {
                    break t0.elapsed();
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        times.push(ready.as_secs_f64() * 1000.0);
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = sorted[sorted.len() / 2];
    let list: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
    let text = format!(
        "startup_runs_ms={}\nstartup_median_ms={median:.1}\n",
        list.join(" ")
    );
    std::fs::write(out, &text).map_err(|e| format!("{out}: {e}"))?;
    eprint!("{text}");
    Ok(())
}
