//! Shared helpers of the import tests: fixtures, running `natter import` for real, reading
//! the resulting database.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::{natter, run};
pub(crate) use crate::testdb::params;
use crate::testdb::TestDb;

/// A fixture file of `tests/fixtures/import`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

/// A temp dir with a config declaring `sites` (all open to every origin).
pub fn dir_with_sites(sites: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("natter.toml");
    let mut body = String::from("[limits]\ncomments_per_minute = 0\nreads_per_minute = 0\n");
    for s in sites {
        body.push_str(&format!("[sites.{s}]\norigins = [\"*\"]\n"));
    }
    std::fs::write(&cfg, body).unwrap();
    (dir, cfg)
}

/// `natter --config CFG ARGS…` in `dir`.
pub fn natter_cfg(dir: &tempfile::TempDir, cfg: &Path) -> Command {
    let mut cmd = natter(dir);
    cmd.arg("--config").arg(cfg);
    cmd
}

/// Runs an import and insists it succeeded; returns its standard output.
pub fn import_ok(dir: &tempfile::TempDir, cfg: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(natter_cfg(dir, cfg).arg("import").args(args));
    assert_eq!(code, 0, "import {args:?} failed: {err}\n{out}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.contains('\x1b') && !err.contains('\r'),
        "no progress bar when standard error is not a terminal: {err:?}"
    );
    out
}

/// The test directory's database (see [`crate::helpers::dir_database`]).
pub fn db(dir: &tempfile::TempDir) -> TestDb {
    crate::helpers::dir_db(dir.path())
}

/// One imported comment, as the tests look at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: i64,
    pub page: String,
    pub parent: Option<i64>,
    pub author: Option<String>,
    pub email: Option<String>,
    pub text: String,
    pub html: String,
    pub status: String,
    pub created_at: i64,
    pub ip: Option<String>,
    pub source_id: Option<String>,
}

/// Every comment of a site, by id.
pub fn rows(conn: &TestDb, site: &str) -> Vec<Row> {
    conn.query(
        "SELECT c.id, p.key, c.parent, c.author, c.email, c.text, c.html, c.status, c.created_at,
                c.ip, c.source_id
         FROM comments c JOIN pages p ON p.id = c.page_id WHERE p.site = ?1 ORDER BY c.id",
        params![site],
    )
    .iter()
    .map(|r| Row {
        id: r.get(0),
        page: r.get(1),
        parent: r.get(2),
        author: r.get(3),
        email: r.get(4),
        text: r.get(5),
        html: r.get(6),
        status: r.get(7),
        created_at: r.get(8),
        ip: r.get(9),
        source_id: r.get(10),
    })
    .collect()
}

/// The row whose author is `name`.
pub fn by_author<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.author.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no comment by {name}: {rows:#?}"))
}

/// Writes a Disqus export with one thread per page and the given posts.
/// `posts`: (id, thread link, parent id, created_at) with a generated message.
pub fn disqus_xml(threads: &[(&str, &str)], posts: &[(&str, &str, Option<&str>, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<disqus xmlns=\"http://disqus.com\" xmlns:dsq=\"http://disqus.com/disqus-internals\">\n",
    );
    for (id, link) in threads {
        s.push_str(&format!(
            "<thread dsq:id=\"{id}\"><link>{link}</link><title>Thread {id}</title><isClosed>false</isClosed></thread>\n"
        ));
    }
    for (id, thread, parent, at) in posts {
        let parent = parent
            .map(|p| format!("<parent dsq:id=\"{p}\"/>"))
            .unwrap_or_default();
        s.push_str(&format!(
            "<post dsq:id=\"{id}\"><message><![CDATA[<p>message {id}</p>]]></message><createdAt>{at}</createdAt>\
             <isDeleted>false</isDeleted><isSpam>false</isSpam><author><name>author {id}</name>\
             <email>a{id}@example.org</email></author><ipAddress>198.51.100.7</ipAddress>\
             <thread dsq:id=\"{thread}\"/>{parent}</post>\n"
        ));
    }
    s.push_str("</disqus>\n");
    s
}
