//! The thread cache: `GET /api/comments` answers, already serialized and gzipped, kept until
//! the database changes.
//!
//! Commits by this process all go through the writer, which counts them: every lookup
//! compares that count, so a write answered here is seen by the very next read. Every commit
//! by any process (a CLI import, a second server) also rewrites the WAL-index header at the
//! start of the `-shm` file: its change counter, its last frame and its salts (a documented
//! part of SQLite's file format, shared by every process that opens the database,
//! <https://sqlite.org/walformat.html>). A lookup reads those 48 bytes with one `pread`
//! when the last reading is older than [`FOREIGN_CHECK`] (a millisecond), without taking a
//! lock (a torn read only looks like one more change), so another process's commit shows
//! within a millisecond; a busy server pays one `pread` a millisecond instead of one a
//! request. Where there is no `-shm` file to read, the cache asks `PRAGMA data_version` of a
//! connection of its own instead.
//!
//! An entry is stored only under the version read *before* its rows were loaded, and served
//! only to a lookup that read that same version, so a body built from an older snapshot can
//! never outlive the next commit. The total size is bounded; the least recently used entries
//! go first.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use crate::domain::Timestamp;
use crate::store::watch::{Watch, HEADER};

/// Bytes of bodies (plain and gzipped) the cache may hold.
pub const DEFAULT_BUDGET: usize = 4 << 20;

/// How old the last look at other processes' commits may be before a lookup looks again.
pub const FOREIGN_CHECK: Duration = Duration::from_millis(1);

/// What identifies one answer of `GET /api/comments`: its query in normal form, built from
/// the validated parameters alone (see `routes::comments`), so every spelling of one list
/// (another order, other escapes, a default written out, parameters the list doesn't know)
/// is one entry and one database read. A request spelled in the normal form itself (the
/// widget's spelling) is found before any parsing; a key was valid when stored and is valid
/// now (sites and rules don't change while the server runs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThreadKey(pub String);

impl std::borrow::Borrow<str> for ThreadKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl ThreadKey {
    fn weight(&self) -> usize {
        self.0.len() + 64
    }
}

/// One cached answer: the JSON, its gzip form, its ETag.
#[derive(Debug)]
pub struct Body {
    json: Bytes,
    gzip: Bytes,
    etag: String,
    /// Unix time after which the answer is stale without any write (a thread that locks by age).
    expires: Option<Timestamp>,
}

impl Body {
    /// Serializes once: the ETag over the JSON and the gzip form.
    pub fn new(json: String, expires: Option<Timestamp>) -> Self {
        let etag = format!("\"{}\"", crate::domain::crypto::digest_hex(json.as_bytes()));
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(json.len() / 3),
            flate2::Compression::default(),
        );
        let gzip = match gz.write_all(json.as_bytes()).and_then(|()| gz.finish()) {
            Ok(v) => Bytes::from(v),
            Err(_) => Bytes::new(),
        };
        Self {
            json: Bytes::from(json),
            gzip,
            etag,
            expires,
        }
    }

    fn weight(&self) -> usize {
        self.json.len() + self.gzip.len() + self.etag.len() + 64
    }

    fn fresh(&self, now: Timestamp) -> bool {
        self.expires.is_none_or(|t| now < t)
    }

    /// The answer for this request: 304 when its `If-None-Match` holds the ETag, else the
    /// body, gzipped when the client takes gzip.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let not_modified = crate::http::etag::etag_matches(req, &self.etag);
        let mut res = if not_modified {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        res.insert_header((header::ETAG, self.etag.as_str()))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::VARY, "Accept-Encoding"));
        if not_modified {
            return res.finish();
        }
        res.content_type("application/json");
        if !self.gzip.is_empty() && accepts_gzip(req) {
            res.insert_header((header::CONTENT_ENCODING, "gzip"))
                .body(self.gzip.clone())
        } else {
            // The compression middleware may still encode it for a client that takes only
            // another coding (say, brotli).
            res.body(self.json.clone())
        }
    }
}

/// Whether `Accept-Encoding` takes gzip (a `q=0` refuses it).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            if !(coding.eq_ignore_ascii_case("gzip") || coding == "*") {
                return false;
            }
            !parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            })
        })
}

struct Entry {
    body: Arc<Body>,
    version: Version,
    used: u64,
}

struct Inner {
    version: Option<Version>,
    /// The last look at every process's commits, and when it was taken.
    foreign: Option<[u8; HEADER]>,
    checked: Option<Instant>,
    map: HashMap<ThreadKey, Entry>,
    bytes: usize,
    clock: u64,
    hits: u64,
    misses: u64,
}

/// The cache (see the module documentation).
pub struct ThreadCache {
    watch: Watch,
    /// Commits by this process's writer.
    commits: Arc<AtomicU64>,
    inner: Mutex<Inner>,
    budget: usize,
    /// The lists being loaded after a miss (one load per list at a time).
    pub loading: crate::http::loading::Loading,
}

/// The database version a lookup saw; a body loaded after it may be stored under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    foreign: [u8; HEADER],
    local: u64,
}

impl ThreadCache {
    /// A cache over the database at `path`, holding at most `budget` bytes. When nothing
    /// can watch the database's commits the cache stays empty and every read goes to it.
    pub fn open(path: &Path, budget: usize) -> Self {
        Self::over(Watch::open(path), budget)
    }

    /// A cache over any watch (PostgreSQL's commit listener).
    pub fn over(watch: Watch, budget: usize) -> Self {
        Self {
            watch,
            commits: Arc::default(),
            inner: Mutex::new(Inner {
                version: None,
                foreign: None,
                checked: None,
                map: HashMap::new(),
                bytes: 0,
                clock: 0,
                hits: 0,
                misses: 0,
            }),
            budget,
            loading: Default::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The counter the writer bumps after each commit, before it answers anyone.
    pub fn commits(&self) -> Arc<AtomicU64> {
        self.commits.clone()
    }

    /// Looks a thread up. Returns the cached body, if any, and the version to store a freshly
    /// loaded body under (`None`: the database could not say, so don't store). Counts a hit
    /// or a miss.
    pub fn get(&self, key: &str, now: Timestamp) -> (Option<Arc<Body>>, Option<Version>) {
        self.lookup(key, now, true)
    }

    /// Looks a thread up again after waiting for another request's load of it: a hit is
    /// counted, a miss is not (the first look counted it).
    pub fn get_again(&self, key: &str, now: Timestamp) -> (Option<Arc<Body>>, Option<Version>) {
        self.lookup(key, now, false)
    }

    /// The cached body under `key`, if there is one, counted as a hit; nothing is counted when
    /// there is none (the caller goes on to [`ThreadCache::get`] under another key).
    pub fn get_if_present(&self, key: &str, now: Timestamp) -> Option<Arc<Body>> {
        self.lookup(key, now, false).0
    }

    fn lookup(
        &self,
        key: &str,
        now: Timestamp,
        count_miss: bool,
    ) -> (Option<Arc<Body>>, Option<Version>) {
        let local = self.commits.load(Ordering::Acquire);
        let mut inner = self.lock();
        let at = Instant::now();
        if inner
            .checked
            .is_none_or(|t| at.duration_since(t) >= FOREIGN_CHECK)
        {
            inner.foreign = self.watch.version();
            inner.checked = Some(at);
        }
        let seen = inner.foreign.map(|foreign| Version { foreign, local });
        if seen != inner.version || seen.is_none() {
            // Changed (or unknown): nothing held can be trusted any more.
            inner.clear();
            inner.version = seen;
        }
        inner.clock += 1;
        let clock = inner.clock;
        let hit = match (seen, inner.map.get_mut(key)) {
            (Some(v), Some(e)) if e.version == v && e.body.fresh(now) => {
                e.used = clock;
                Some(e.body.clone())
            }
            (_, Some(_)) => {
                inner.remove(key);
                None
            }
            _ => None,
        };
        if hit.is_some() {
            inner.hits += 1;
        } else if count_miss {
            inner.misses += 1;
        }
        (hit, seen)
    }

    /// Stores a body loaded after `get` returned `version`, unless the database has moved on
    /// since (as far as this cache has seen) or the body alone exceeds an eighth of the budget.
    pub fn put(&self, key: ThreadKey, version: Version, body: Arc<Body>) {
        let weight = key.weight() + body.weight();
        if weight > self.budget / 8 {
            return;
        }
        let mut inner = self.lock();
        if inner.version != Some(version) {
            return;
        }
        inner.remove(&key.0);
        while inner.bytes + weight > self.budget && !inner.map.is_empty() {
            inner.evict_oldest_quarter();
        }
        inner.clock += 1;
        let used = inner.clock;
        inner.bytes += weight;
        inner.map.insert(
            key,
            Entry {
                body,
                version,
                used,
            },
        );
    }

    /// Entries and bytes held, for `/metrics` and the tests.
    pub fn size(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.map.len(), inner.bytes)
    }

    /// Lookups answered from the cache and lookups that went to the database.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        let inner = self.lock();
        (inner.hits, inner.misses)
    }
}

impl Inner {
    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }

    fn remove(&mut self, key: &str) {
        if let Some((k, e)) = self.map.remove_entry(key) {
            self.bytes -= k.weight() + e.body.weight();
        }
    }

    /// Drops the least recently used quarter (at least one entry): amortized, so a full cache
    /// does not sort on every insert.
    fn evict_oldest_quarter(&mut self) {
        let mut ages: Vec<u64> = self.map.values().map(|e| e.used).collect();
        ages.sort_unstable();
        let cut = ages[(ages.len() / 4).min(ages.len() - 1)];
        let old: Vec<ThreadKey> = self
            .map
            .iter()
            .filter(|(_, e)| e.used <= cut)
            .map(|(k, _)| k.clone())
            .collect();
        for k in old {
            self.remove(&k.0);
        }
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
