//! Loading settings: the file, the environment, and errors naming the file and the key.
//!
//! Environment variables here carry a prefix of each test's own, never `NATTER_`: the
//! process environment is shared with the servers other tests spawn at the same time.

use figment::providers::Env;
use natter::config::{Durability, Moderation, Settings};

fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("natter.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// An environment provider reading only variables with this test's own prefix.
fn env(prefix: &str) -> Env {
    Env::prefixed(prefix)
}

#[test]
fn no_file_means_the_documented_defaults() {
    let s = Settings::load_from(None, env("NATTER_TEST_NONE_")).unwrap();
    assert_eq!(s.bind, "127.0.0.1:8080");
    assert_eq!(s.database, std::path::PathBuf::from("./natter.db"));
    assert_eq!(s.public_url, "http://localhost:8080");
    assert_eq!(s.durability, Durability::Full);
    assert_eq!(s.limits.comments_per_minute, 5);
    assert_eq!(s.limits.votes_per_minute, 30);
    assert_eq!(s.limits.reads_per_minute, 600);
    assert_eq!(s.limits.edits_per_minute, 30);
    assert_eq!(s.limits.max_body_bytes, 262_144);
    let sites = s.effective_sites();
    assert_eq!(sites.keys().collect::<Vec<_>>(), vec!["default"]);
    assert_eq!(sites["default"].origins, vec!["*"]);
}

#[test]
fn a_full_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        r#"
bind = "0.0.0.0:9000"
database = "/tmp/x.db"
durability = "normal"
trusted_proxies = ["10.0.0.1"]
[limits]
comments_per_minute = 0
[sites.myblog]
origins = ["https://myblog.example"]
moderation = "first"
edit_window = 60
images = true
[smtp]
host = "mail.example"
moderators = ["me@myblog.example"]
[[webhooks]]
url = "https://hooks.example/natter"
events = ["comment.created"]
secret = "s"
"#,
    );
    let s = Settings::load_from(Some(&path), env("NATTER_TEST_FULL_")).unwrap();
    assert_eq!(s.bind, "0.0.0.0:9000");
    assert_eq!(s.durability, Durability::Normal);
    assert_eq!(s.limits.comments_per_minute, 0);
    assert_eq!(s.limits.votes_per_minute, 30);
    let site = &s.sites["myblog"];
    assert_eq!(site.moderation, Moderation::First);
    assert_eq!(site.edit_window, 60);
    assert!(site.images);
    assert_eq!(site.max_depth, 5);
    assert_eq!(site.min_form_seconds, 3);
    assert_eq!(s.smtp.as_ref().unwrap().port, 25);
    assert_eq!(s.webhooks.len(), 1);
}

fn error_of(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, text);
    let e = Settings::load_from(Some(&path), env("NATTER_TEST_ERR_"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("natter.toml"), "names the file: {e}");
    e
}

#[test]
fn bad_files_name_the_file_and_the_key() {
    assert!(error_of("bnid = \"x\"").contains("bnid"));
    assert!(error_of("[limits]\ncomments_per_minit = 1").contains("comments_per_minit"));
    assert!(error_of("[limits]\ncomments_per_minute = \"five\"").contains("comments_per_minute"));
    assert!(error_of("[limits]\nmax_body_bytes = 1023").contains("limits.max_body_bytes"));
    assert!(error_of("durability = \"sometimes\"").contains("durability"));
    assert!(error_of("[sites.Bad_Id]\norigins = [\"*\"]").contains("sites.Bad_Id"));
    assert!(
        error_of("[sites.b]\norigins = [\"https://x.example/path\"]").contains("sites.b.origins")
    );
    assert!(error_of("[sites.b]\norigins = [\"*\"]\nmoderation = \"some\"").contains("moderation"));
    assert!(error_of("[sites.b]\norigins = [\"*\"]\ncolour = 1").contains("colour"));
    assert!(error_of("[sites.b]\nmoderation = \"all\"").contains("origins"));
    assert!(error_of("this is not toml").contains("natter.toml"));
    // A misspelt event would silently never be delivered.
    let e = error_of("[[webhooks]]\nurl = \"https://h.example/\"\nevents = [\"approved\"]");
    assert!(
        e.contains("webhooks[0].events") && e.contains("comment.approved"),
        "{e}"
    );
}

#[test]
fn at_the_body_limit_floor_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "[limits]\nmax_body_bytes = 1024");
    assert_eq!(
        Settings::load_from(Some(&path), env("NATTER_TEST_FLOOR_"))
            .unwrap()
            .limits
            .max_body_bytes,
        1024
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let e = Settings::load_from(
        Some(std::path::Path::new("/nonexistent/natter.toml")),
        env("NATTER_TEST_MISSING_"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("/nonexistent/natter.toml"));
}

/// Sets `prefix` + each name in this process's environment (names no other test uses).
fn set_env(prefix: &str, vars: &[(&str, &str)]) {
    for (k, v) in vars {
        std::env::set_var(format!("{prefix}{k}"), v);
    }
}

#[test]
fn the_environment_overrides_top_level_limits_and_smtp_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "bind = \"127.0.0.1:1\"\n[limits]\nvotes_per_minute = 7\n[sites.a]\norigins = [\"*\"]",
    );
    let prefix = "NTEST_OVERRIDES_";
    set_env(
        prefix,
        &[
            ("BIND", "127.0.0.1:9999"),
            ("LIMITS__COMMENTS_PER_MINUTE", "0"),
            ("TRUSTED_PROXIES", "[\"10.0.0.1\", \"10.0.0.2\"]"),
            ("SMTP__HOST", "smtp.example"),
            // Read elsewhere (the CLI, start-up), never keys of the settings:
            ("CONFIG", "ignored.toml"),
            ("ADMIN_TOKEN", "not-a-key"),
            ("LOG_FORMAT", "json"),
            // Somebody else's variable with the same prefix.
            ("SOMETHING_ELSE", "not ours"),
        ],
    );
    let s = Settings::load_from(Some(&file), env(prefix)).unwrap();
    assert_eq!(s.bind, "127.0.0.1:9999");
    assert_eq!(s.limits.comments_per_minute, 0);
    assert_eq!(s.limits.votes_per_minute, 7);
    assert_eq!(s.trusted_proxies, vec!["10.0.0.1", "10.0.0.2"]);
    assert_eq!(s.smtp.unwrap().host, "smtp.example");
}

#[test]
fn edits_per_minute_is_read_from_the_file_and_the_environment_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "[limits]\nedits_per_minute = 4\n[sites.a]\norigins = [\"*\"]",
    );
    let s = Settings::load_from(Some(&file), env("NTEST_EDITS_FILE_")).unwrap();
    assert_eq!(s.limits.edits_per_minute, 4);
    let prefix = "NTEST_EDITS_ENV_";
    set_env(prefix, &[("LIMITS__EDITS_PER_MINUTE", "0")]);
    let s = Settings::load_from(Some(&file), env(prefix)).unwrap();
    assert_eq!(
        s.limits.edits_per_minute, 0,
        "0 = unlimited, from the environment"
    );
    for bad in ["-1", "\"lots\"", "4294967296"] {
        let e = error_of(&format!("[limits]\nedits_per_minute = {bad}\n"));
        assert!(e.contains("edits_per_minute"), "{bad}: {e}");
    }
}

#[test]
fn a_bad_environment_value_names_the_key() {
    let prefix = "NTEST_BAD_VALUE_";
    set_env(prefix, &[("LIMITS__VOTES_PER_MINUTE", "lots")]);
    let e = Settings::load_from(None, env(prefix))
        .unwrap_err()
        .to_string();
    assert!(e.contains("votes_per_minute"), "{e}");
}

#[test]
fn the_digest_keys_have_defaults_and_are_read_from_the_file_and_the_environment_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(&dir, "[smtp]\nhost = \"mail.example\"");
    let smtp = Settings::load_from(Some(&plain), env("NTEST_DIGEST_DEFAULT_"))
        .unwrap()
        .smtp
        .unwrap();
    assert_eq!((smtp.digest_after, smtp.digest_window), (10, 600));
    let file = write(
        &dir,
        "[smtp]\nhost = \"mail.example\"\ndigest_after = 0\ndigest_window = 5",
    );
    let smtp = Settings::load_from(Some(&file), env("NTEST_DIGEST_FILE_"))
        .unwrap()
        .smtp
        .unwrap();
    assert_eq!((smtp.digest_after, smtp.digest_window), (0, 5));
    let prefix = "NTEST_DIGEST_ENV_";
    set_env(prefix, &[("SMTP__DIGEST_AFTER", "25")]);
    let smtp = Settings::load_from(Some(&file), env(prefix))
        .unwrap()
        .smtp
        .unwrap();
    assert_eq!((smtp.digest_after, smtp.digest_window), (25, 5));
    for bad in ["0", "86401", "-1", "\"soon\""] {
        let e = error_of(&format!("[smtp]\ndigest_window = {bad}\n"));
        assert!(e.contains("smtp.digest_window"), "{bad}: {e}");
    }
    for bad in ["-1", "\"ten\""] {
        let e = error_of(&format!("[smtp]\ndigest_after = {bad}\n"));
        assert!(e.contains("digest_after"), "{bad}: {e}");
    }
}

#[test]
fn database_names_its_engine_sqlite_by_path_or_scheme_postgres_by_url() {
    let dir = tempfile::tempdir().unwrap();
    let load = |value: &str| {
        let f = write(&dir, &format!("database = \"{value}\"\n"));
        Settings::load_from(Some(&f), env("NATTER_TEST_ENGINE_")).unwrap()
    };
    let s = load("sqlite:///var/lib/natter/natter.db");
    assert_eq!(
        s.database,
        std::path::PathBuf::from("/var/lib/natter/natter.db")
    );
    assert_eq!(s.postgres_url(), None);
    let s = load("./here.db");
    assert_eq!(s.database, std::path::PathBuf::from("./here.db"));
    assert_eq!(s.postgres_url(), None);
    for url in [
        "postgres://natter:pw@db.internal:5432/natter?sslmode=require",
        "postgresql:///natter?host=/run/postgresql",
    ] {
        assert_eq!(load(url).postgres_url(), Some(url));
    }
    // A scheme Natter doesn't know is refused, naming the key.
    let f = write(&dir, "database = \"mysql://x/y\"\n");
    let e = Settings::load_from(Some(&f), env("NATTER_TEST_ENGINE_"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`database`") && e.contains("postgres://"), "{e}");
}
