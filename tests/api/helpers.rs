//! Spawning the real app on a random port with its own database, and request helpers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use natter::cli::serve::Application;
use natter::config::{Settings, SiteConfig};
use reqwest::{Client, Response};
use serde_json::{json, Value};

use crate::testdb::{params, TestDb};

/// A running server and what a test needs to talk to it. The server runs on a thread of
/// its own and is stopped when the `TestApp` is dropped (see [`Drop`] below).
pub struct TestApp {
    pub address: String,
    pub client: Client,
    /// Its `database` setting: a SQLite file, or a `postgres://` URL.
    pub db_path: PathBuf,
    db: OnceLock<TestDb>,
    stop: actix_web::dev::ServerHandle,
}

/// The origin every test site allows.
pub const BLOG: &str = "https://blog.example";

/// A site open to [`BLOG`] with no moderation.
pub fn blog_site() -> SiteConfig {
    SiteConfig {
        origins: vec![BLOG.into()],
        ..SiteConfig::open_default()
    }
}

/// The PostgreSQL server the suite runs against: `NATTER_TEST_PG`, a URL of a role that may
/// create databases (scripts/test.sh starts a throwaway cluster and sets it). Unset: SQLite.
pub fn test_pg() -> Option<String> {
    std::env::var("NATTER_TEST_PG")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A new, empty database on the test PostgreSQL server; returns its URL.
pub fn fresh_pg_database(admin: &str) -> String {
    let name = format!("natter_t{}_{}", std::process::id(), rand_suffix());
    let (base, _) = admin
        .rsplit_once('/')
        .expect("NATTER_TEST_PG is a URL with a database");
    let (admin, create) = (admin.to_string(), format!("CREATE DATABASE {name}"));
    // The blocking client runs a runtime of its own: not on a test's runtime thread.
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("test PostgreSQL");
        c.batch_execute(&create).expect("CREATE DATABASE");
    })
    .join()
    .unwrap();
    format!("{base}/{name}")
}

/// Whether the suite runs on PostgreSQL (`NATTER_TEST_PG`).
pub fn on_postgres() -> bool {
    test_pg().is_some()
}

/// Ends a test that is about SQLite itself (its files, its backups, its fsyncs) when the
/// suite runs on PostgreSQL, saying why: `sqlite_only!("why");` as its first line.
macro_rules! sqlite_only {
    ($why:literal) => {
        if $crate::helpers::on_postgres() {
            eprintln!("SQLite-only: {}", $why);
            return;
        }
    };
}
pub(crate) use sqlite_only;

/// The `database` of the test directory `dir`, the same at every call: `dir/natter.db`, or
/// on PostgreSQL a database made at the first call (what `natter` run in `dir` uses).
pub fn dir_database(dir: &Path) -> PathBuf {
    let Some(admin) = test_pg() else {
        return dir.join("natter.db");
    };
    static MADE: OnceLock<Mutex<HashMap<PathBuf, PathBuf>>> = OnceLock::new();
    let mut made = MADE.get_or_init(Mutex::default).lock().unwrap();
    made.entry(dir.to_path_buf())
        .or_insert_with(|| PathBuf::from(fresh_pg_database(&admin)))
        .clone()
}

/// A connection to the database of the test directory `dir` (see [`dir_database`]).
pub fn dir_db(dir: &Path) -> TestDb {
    TestDb::open(&dir_database(dir))
}

/// The schema migrations of the engine under test, in order.
pub fn migrations() -> &'static [(&'static str, &'static str)] {
    if on_postgres() {
        natter::store::pg::migrate::MIGRATIONS
    } else {
        natter::store::migrate::MIGRATIONS
    }
}

/// Settings for a fresh temp database and a random port, with the site `blog`.
pub fn settings() -> (Settings, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Settings {
        bind: "127.0.0.1:0".into(),
        database: dir_database(dir.path()),
        ..Settings::default()
    };
    // Limits are tested on their own (limits.rs); elsewhere they would only get in the way.
    s.limits.comments_per_minute = 0;
    s.limits.votes_per_minute = 0;
    s.limits.reads_per_minute = 0;
    s.limits.edits_per_minute = 0;
    s.sites.insert("blog".into(), blog_site());
    (s, dir)
}

impl TestApp {
    /// The default test app: one site `blog`.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A test app after `tweak` adjusts its settings.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let (mut s, dir) = settings();
        tweak(&mut s);
        Self::start(s, dir).await
    }

    /// Starts the server on prepared settings.
    ///
    /// It runs on a thread and runtime of its own, not on the test's: a test's runtime ends
    /// with the test, and a server dropped with it would neither close its database nor
    /// drop its state off the runtime's threads (the PostgreSQL client may not be dropped
    /// on one: the whole test binary aborts). `dir` lives as long as the server.
    pub async fn start(settings: Settings, dir: tempfile::TempDir) -> TestApp {
        let app = Application::build(settings.clone()).expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let stop = app.stop_handle();
        std::thread::Builder::new()
            .name("test-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let _ = runtime.block_on(app.run_until_stopped());
                drop(dir);
            })
            .unwrap();
        TestApp {
            address,
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            db_path: settings.database.clone(),
            db: OnceLock::new(),
            stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a comment on `blog` and returns the 201 body.
    pub async fn create(&self, page: &str, text: &str) -> Value {
        self.create_with(json!({"page": page, "text": text})).await
    }

    /// Creates a comment from fields merged over `site: blog`; asserts 201.
    pub async fn create_with(&self, fields: Value) -> Value {
        let res = self.post_comment(fields).await;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "create failed: {body}");
        body
    }

    /// Posts a comment from fields merged over `site: blog`.
    pub async fn post_comment(&self, fields: Value) -> Response {
        let mut body = json!({"site": "blog"});
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.post_json("/api/comments", &body).await
    }

    /// The list body for a page of `blog`.
    pub async fn list(&self, page: &str, extra: &str) -> Value {
        let res = self
            .get(&format!(
                "/api/comments?site=blog&page={}{extra}",
                enc(page)
            ))
            .await;
        assert_eq!(res.status().as_u16(), 200);
        res.json().await.unwrap()
    }

    /// Ids of a list body's comments, in order.
    pub async fn list_ids(&self, page: &str, extra: &str) -> Vec<i64> {
        ids(&self.list(page, extra).await)
    }

    /// The test's own connection to the server's database (as another process would
    /// have), opened at the first use.
    pub fn db(&self) -> &TestDb {
        self.db.get_or_init(|| TestDb::open(&self.db_path))
    }
}

impl Drop for TestApp {
    /// Stops the server as SIGTERM would, without waiting: its thread finishes what is in
    /// flight, closes the database (every connection of a PostgreSQL server's pool, writer
    /// and listener) and ends, within about a second.
    fn drop(&mut self) {
        drop(self.stop.stop(true));
    }
}

pub fn ids(list: &Value) -> Vec<i64> {
    list["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Asserts the contract's error shape and returns it.
pub async fn assert_error(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status for {code}");
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert!(ct.unwrap_or_default().starts_with("application/json"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["error"].get("field").is_some(),
        "field key present: {body}"
    );
    body
}

/// Asserts a 422 naming `field`.
pub async fn assert_invalid(res: Response, field: &str) {
    let body = assert_error(res, 422, "validation_failed").await;
    assert_eq!(body["error"]["field"], field, "{body}");
}

impl TestApp {
    /// A fresh admin token, stored as the CLI stores it.
    pub fn admin_token(&self) -> String {
        use natter::domain::crypto;
        let name = format!("t{}", rand_suffix());
        let token = format!("natter_{}", crypto::random_token());
        self.db().execute(
            "INSERT INTO admin_tokens (name, hash, created_at) VALUES (?1, ?2, ?3)",
            params![name, crypto::token_hash(&token), natter::domain::now()],
        );
        token
    }

    /// An admin request with a bearer token.
    pub fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// Sets a comment's stored status directly.
    pub fn set_status(&self, id: i64, status: &str) {
        self.db().execute(
            "UPDATE comments SET status = ?2 WHERE id = ?1",
            params![id, status],
        );
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The id of a create's answer.
pub fn id_of(body: &Value) -> i64 {
    body["comment"]["id"].as_i64().unwrap()
}

/// Lets a write made by another process (a `natter` command, a direct SQL statement) reach
/// the thread cache: on SQLite within a millisecond (a lookup looks at the WAL index when
/// its last look is older than `cache::FOREIGN_CHECK`; a write on an open connection can
/// land inside that millisecond); on PostgreSQL through LISTEN/NOTIFY, within the 100 ms
/// the contract allows.
pub async fn after_foreign_write() {
    let bound = match test_pg() {
        Some(_) => std::time::Duration::from_millis(100),
        None => natter::http::cache::FOREIGN_CHECK * 2,
    };
    tokio::time::sleep(bound).await;
}
