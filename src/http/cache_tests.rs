//! Tests of the thread cache, over real SQLite files.

use super::*;
use rusqlite::Connection;

fn key(page: &str) -> ThreadKey {
    ThreadKey(format!("site=s&page={page}"))
}

fn db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let c = Connection::open(&path).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.execute("CREATE TABLE t (x)", []).unwrap();
    (dir, path)
}

/// A write by another connection, then a stale body offered under the old version.
fn invalidation_works(path: &Path, cache: &ThreadCache) {
    let (hit, v) = cache.get(&key("/a").0, 0);
    assert!(hit.is_none());
    cache.put(
        key("/a"),
        v.unwrap(),
        Arc::new(Body::new("[1]".into(), None)),
    );
    let (hit, _) = cache.get(&key("/a").0, 0);
    assert_eq!(&hit.unwrap().json[..], b"[1]");

    let other = Connection::open(path).unwrap();
    other.execute("INSERT INTO t VALUES (1)", []).unwrap();
    std::thread::sleep(FOREIGN_CHECK * 2);
    let (hit, v2) = cache.get(&key("/a").0, 0);
    assert!(hit.is_none(), "a write elsewhere must invalidate");
    assert_eq!(cache.size().0, 0);
    assert_ne!(v, v2);
    // A body loaded under the old version is refused.
    cache.put(
        key("/a"),
        v.unwrap(),
        Arc::new(Body::new("[1]".into(), None)),
    );
    assert_eq!(cache.size().0, 0);
    cache.put(
        key("/a"),
        v2.unwrap(),
        Arc::new(Body::new("[2]".into(), None)),
    );
    assert_eq!(&cache.get(&key("/a").0, 0).0.unwrap().json[..], b"[2]");
    // A write that changes nothing visible still counts as a commit.
    other.execute("DELETE FROM t WHERE x = 42", []).unwrap();
    other.execute("INSERT INTO t VALUES (2)", []).unwrap();
    std::thread::sleep(FOREIGN_CHECK * 2);
    assert!(cache.get(&key("/a").0, 0).0.is_none());
}

/// A cache over a database whose `-shm` file exists, as it does under the server: while
/// the returned connection stays open.
fn over_shm(path: &Path) -> (Connection, ThreadCache) {
    let keep = Connection::open(path).unwrap();
    keep.query_row("SELECT count(*) FROM t", [], |_| Ok(()))
        .unwrap();
    let cache = ThreadCache::open(path, DEFAULT_BUDGET);
    assert!(matches!(cache.watch, Watch::Shm(_)));
    (keep, cache)
}

#[test]
fn a_commit_by_this_process_s_writer_shows_on_the_very_next_lookup() {
    let (_d, path) = db();
    let (_keep, cache) = over_shm(&path);
    let (_, v) = cache.get(&key("/a").0, 0);
    cache.put(
        key("/a"),
        v.unwrap(),
        Arc::new(Body::new("[1]".into(), None)),
    );
    assert!(cache.get(&key("/a").0, 0).0.is_some());
    // What the writer does after each commit; no pause before the lookup.
    cache.commits().fetch_add(1, Ordering::Release);
    let (hit, v2) = cache.get(&key("/a").0, 0);
    assert!(hit.is_none());
    assert_ne!(v, v2);
    cache.put(
        key("/a"),
        v.unwrap(),
        Arc::new(Body::new("[1]".into(), None)),
    );
    assert_eq!(
        cache.size().0,
        0,
        "a body loaded before the commit is refused"
    );
}

#[test]
fn a_write_by_another_connection_empties_the_cache_through_the_shm_header() {
    let (_d, path) = db();
    let (_keep, cache) = over_shm(&path);
    invalidation_works(&path, &cache);
}

#[test]
fn without_a_shm_file_data_version_is_asked_instead() {
    let (_d, path) = db();
    let cache = ThreadCache::open(&path, DEFAULT_BUDGET);
    assert!(matches!(cache.watch, Watch::Pragma(_)));
    invalidation_works(&path, &cache);
}

#[test]
fn entries_expire_at_their_time() {
    let (_d, path) = db();
    let cache = ThreadCache::open(&path, DEFAULT_BUDGET);
    let (_, v) = cache.get(&key("/a").0, 0);
    cache.put(
        key("/a"),
        v.unwrap(),
        Arc::new(Body::new("x".into(), Some(100))),
    );
    assert!(cache.get(&key("/a").0, 99).0.is_some());
    assert!(cache.get(&key("/a").0, 100).0.is_none());
    assert_eq!(cache.size(), (0, 0));
}

#[test]
fn the_budget_bounds_the_bytes_and_keeps_the_recently_used() {
    let (_d, path) = db();
    let body = "y".repeat(1000);
    let one = key("/p0").weight() + Body::new(body.clone(), None).weight();
    let budget = one * 10;
    let cache = ThreadCache::open(&path, budget);
    let (_, v) = cache.get(&key("/p0").0, 0);
    for i in 0..10 {
        cache.put(
            key(&format!("/p{i}")),
            v.unwrap(),
            Arc::new(Body::new(body.clone(), None)),
        );
    }
    assert_eq!(cache.size(), (10, budget));
    assert!(cache.get(&key("/p0").0, 0).0.is_some()); // p0 is now the most recently used
    for i in 10..40 {
        cache.put(
            key(&format!("/p{i}")),
            v.unwrap(),
            Arc::new(Body::new(body.clone(), None)),
        );
        assert!(cache.size().1 <= budget);
    }
    assert!(cache.get(&key("/p39").0, 0).0.is_some());
    assert!(cache.get(&key("/p1").0, 0).0.is_none());
    // Too big for the cache at all: not stored.
    cache.put(
        key("/big"),
        v.unwrap(),
        Arc::new(Body::new("z".repeat(budget), None)),
    );
    assert!(cache.get(&key("/big").0, 0).0.is_none());
}

#[test]
fn without_a_database_nothing_is_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ThreadCache::open(&dir.path().join("missing/x.db"), DEFAULT_BUDGET);
    assert!(matches!(cache.get(&key("/a").0, 0), (None, None)));
}

#[test]
fn gzip_is_negotiated() {
    let req = |v: &str| {
        actix_web::test::TestRequest::default()
            .insert_header((header::ACCEPT_ENCODING, v))
            .to_http_request()
    };
    assert!(accepts_gzip(&req("gzip")));
    assert!(accepts_gzip(&req("br, GZIP;q=0.5")));
    assert!(accepts_gzip(&req("*")));
    assert!(!accepts_gzip(&req("gzip;q=0")));
    assert!(!accepts_gzip(&req("br, deflate")));
    assert!(!accepts_gzip(
        &actix_web::test::TestRequest::default().to_http_request()
    ));
}
