//! `natter import disqus` with the real binary: the fixtures, page keys, parents,
//! idempotency, broken files, and a live server during an import.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::{run, start, stop};
use crate::import_common::*;

#[test]
fn the_isso_disqus_fixture_imports_its_posts_and_reports_the_orphan() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let out = import_ok(
        &dir,
        &cfg,
        &["disqus", fixture("isso-tests-disqus.xml").to_str().unwrap()],
    );
    assert!(
        out.contains("5 comments imported (4 approved, 0 pending, 0 rejected, 1 deleted)"),
        "{out}"
    );
    assert!(out.contains("its thread is not in the export"), "{out}");
    assert!(out.contains("post 6 (thread \"1337\")"), "{out}");
    let conn = db(&dir);
    let rows = rows(&conn, "default");
    assert_eq!(rows.len(), 5, "{rows:#?}");
    let peter = by_author(&rows, "peter");
    let source = |id: &str| {
        rows.iter()
            .find(|r| r.source_id.as_deref() == Some(&format!("default:{id}")))
            .unwrap_or_else(|| panic!("no post {id}: {rows:#?}"))
    };
    let user = source("5");
    assert_eq!(peter.page, "/");
    assert_eq!(user.parent, Some(peter.id), "the reply keeps its parent");
    assert_eq!(user.html, "<p>Hello, World.</p>");
    assert_eq!(user.created_at, 1_381_474_293); // 2013-10-11T06:51:33Z
    assert_eq!(user.ip.as_deref(), Some("127.0.0.0"), "IPs are anonymized");
    assert_eq!(user.email.as_deref(), Some("foo@bar.com"));
    let deleted = source("9");
    assert_eq!(deleted.status, "deleted");
    assert_eq!(
        source("11").parent,
        Some(deleted.id),
        "a reply to a deleted post hangs under its tombstone"
    );
    let empty_title = source("8");
    assert_eq!(empty_title.page, "/blog/2013/02/12/redacted/index.html");
    let title: Option<String> = conn.query_row(
        "SELECT title FROM pages WHERE key = '/blog/2013/02/12/redacted/index.html'",
        params![],
        |r| r.get(0),
    );
    assert_eq!(title, None, "an empty <title/> is no title");
    let (title, url): (String, String) = conn.query_row(
        "SELECT title, url FROM pages WHERE key = '/'",
        params![],
        |r| (r.get(0), r.get(1)),
    );
    assert_eq!(title, "Hello, World!");
    assert_eq!(url, "http://example.org/");
}

#[test]
fn the_remark42_fixture_imports_what_is_sound_and_reports_the_rest() {
    let (dir, cfg) = dir_with_sites(&["radiot"]);
    let file = fixture("remark42-testdata-disqus.xml");
    let out = import_ok(
        &dir,
        &cfg,
        &["disqus", file.to_str().unwrap(), "--site", "radiot"],
    );
    assert!(
        out.contains("5 comments imported (4 approved, 0 pending, 1 rejected, 0 deleted)"),
        "{out}"
    );
    // The post with an invalid date (and the unquoted attribute) is skipped and named.
    assert!(out.contains("its date cannot be read"), "{out}");
    assert!(
        out.contains("line 135: post x299986073") && out.contains("2011-x09-30"),
        "{out}"
    );
    assert!(
        out.contains("line 147") && out.contains("malformed attribute"),
        "{out}"
    );
    assert!(
        out.contains("ignored \"`\""),
        "the stray backtick is noted: {out}"
    );
    assert!(out.contains("a post without dsq:id"), "{out}");
    let conn = db(&dir);
    let rows = rows(&conn, "radiot");
    assert_eq!(rows.len(), 5);
    let spam = by_author(&rows, "Spam Noname");
    assert_eq!(spam.status, "rejected", "isSpam becomes rejected");
    let no_id = by_author(&rows, "Blah Noname");
    assert!(
        no_id.source_id.as_deref().unwrap().starts_with("radiot:h:"),
        "a post without an id is identified by a content hash: {no_id:?}"
    );
    assert_eq!(no_id.html, "This comment had no ID");
    let alex = by_author(&rows, "Alexander Blah");
    assert_eq!(alex.page, "/p/2011/03/05/podcast-229/");
    assert!(alex.email.is_none());
    assert!(
        alex.html
            .contains("rel=\"nofollow ugc noopener noreferrer\""),
        "bodies go through the sanitizer: {}",
        alex.html
    );
    let locked: bool = conn.query_row(
        "SELECT locked FROM pages WHERE key = '/p/2011/03/05/podcast-229/'",
        params![],
        |r| r.get(0),
    );
    assert!(locked, "a thread closed in Disqus is locked");
    let source: String = conn.query_row("SELECT DISTINCT source FROM comments", params![], |r| {
        r.get(0)
    });
    assert_eq!(source, "disqus");

    // A second run adds nothing.
    let again = import_ok(
        &dir,
        &cfg,
        &["disqus", file.to_str().unwrap(), "--site", "radiot"],
    );
    assert!(again.contains(" 0 comments imported"), "{again}");
    assert!(
        again.contains("already imported before (left alone): 5"),
        "{again}"
    );
    assert_eq!(crate::import_common::rows(&conn, "radiot"), rows);
}

#[test]
fn a_deleted_disqus_post_is_kept_as_a_scrubbed_tombstone() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let out = import_ok(
        &dir,
        &cfg,
        &[
            "disqus",
            fixture("remark42-testdata-disqus-deleted-post.xml")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(out.contains("1 deleted"), "{out}");
    let conn = db(&dir);
    let (author, email, text, html, ip): (
        Option<String>,
        Option<String>,
        String,
        String,
        Option<String>,
    ) = conn.query_row(
        "SELECT author, email, text, html, ip FROM comments WHERE status = 'deleted'",
        params![],
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)),
    );
    assert_eq!((author, email, ip), (None, None, None));
    assert_eq!((text.as_str(), html.as_str()), ("", ""));
}

#[test]
fn an_inline_svg_goes_and_the_rest_of_the_message_stays() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let out = import_ok(
        &dir,
        &cfg,
        &["disqus", fixture("disqus-inline-svg.xml").to_str().unwrap()],
    );
    assert!(out.contains("5 comments imported (5 approved"), "{out}");
    let rows = rows(&db(&dir), "default");
    let html = |name: &str| by_author(&rows, name).html.clone();
    assert_eq!(
        html("Inline Icon"),
        "<p>Here is the icon  that I mentioned, and it works.</p><p>Thanks for the post!</p>"
    );
    assert_eq!(
        html("Titled Logo"),
        "<p>A logo with a title:</p><p>The words after the logo survive.</p>",
        "the SVG's title and style go with it"
    );
    assert_eq!(
        html("Self Closing"),
        "<p>Self-closing parts  are whole elements inside SVG, so this sentence stays.</p>"
    );
    assert_eq!(
        html("Escaped Markup"),
        "<p>Escaped rather than CDATA:  and the rest is here.</p>"
    );
    assert_eq!(
        html("Math Markup"),
        "<p>A formula x=2 keeps its text, and so does the rest.</p>"
    );
    // The source is kept as it came, so a later sanitizer can render it again.
    assert!(by_author(&rows, "Inline Icon").text.contains("<svg"));
}

#[test]
fn http_and_https_links_and_tracking_parameters_land_on_one_page() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let xml = disqus_xml(
        &[
            ("1", "http://blog.example/a/?utm_source=feed"),
            ("2", "https://blog.example/a/#comments"),
            ("3", "http://blog.example/?p=4&amp;utm_medium=x"),
            ("4", "https://blog.example/блог/"),
        ],
        &[
            ("10", "1", None, "2020-01-01T00:00:00Z"),
            ("11", "2", None, "2020-01-02T00:00:00Z"),
            ("12", "3", None, "2020-01-03T00:00:00Z"),
            ("13", "4", None, "2020-01-04T00:00:00Z"),
        ],
    );
    let file = dir.path().join("d.xml");
    std::fs::write(&file, xml).unwrap();
    import_ok(&dir, &cfg, &["disqus", file.to_str().unwrap()]);
    let rows = rows(&db(&dir), "default");
    let pages: Vec<&str> = rows.iter().map(|r| r.page.as_str()).collect();
    assert_eq!(
        pages,
        vec!["/a/", "/a/", "/?p=4", "/%D0%B1%D0%BB%D0%BE%D0%B3/"]
    );
    let first_at: i64 = db(&dir).query_row(
        "SELECT first_comment_at FROM pages WHERE key = '/a/'",
        params![],
        |r| r.get(0),
    );
    assert_eq!(
        first_at, 1_577_836_800,
        "the page's first comment is the oldest imported"
    );
}

#[test]
fn full_url_and_rewrite_options_shape_the_page_keys() {
    let xml = disqus_xml(
        &[
            ("1", "https://old.example/blog/a/"),
            ("2", "https://old.example/?p=4"),
        ],
        &[
            ("10", "1", None, "2020-01-01T00:00:00Z"),
            ("11", "2", None, "2020-01-02T00:00:00Z"),
        ],
    );
    let (dir, cfg) = dir_with_sites(&["default"]);
    let file = dir.path().join("d.xml");
    std::fs::write(&file, &xml).unwrap();
    import_ok(
        &dir,
        &cfg,
        &[
            "disqus",
            file.to_str().unwrap(),
            "--rewrite",
            "/blog/=/posts/",
            "--rewrite",
            "/?p=4=/hello/",
        ],
    );
    let pages: Vec<String> = rows(&db(&dir), "default")
        .into_iter()
        .map(|r| r.page)
        .collect();
    assert_eq!(pages, vec!["/posts/a/", "/hello/"]);

    let (dir, cfg) = dir_with_sites(&["default"]);
    let file = dir.path().join("d.xml");
    std::fs::write(&file, &xml).unwrap();
    import_ok(
        &dir,
        &cfg,
        &["disqus", file.to_str().unwrap(), "--full-url"],
    );
    let pages: Vec<String> = rows(&db(&dir), "default")
        .into_iter()
        .map(|r| r.page)
        .collect();
    assert_eq!(
        pages,
        vec!["https://old.example/blog/a/", "https://old.example/?p=4"]
    );

    let (code, _, err) = run(natter_cfg(&dir, &cfg).args([
        "import",
        "disqus",
        file.to_str().unwrap(),
        "--rewrite",
        "no-equals-sign",
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("OLD_PREFIX=NEW_PREFIX"), "{err}");
}

#[test]
fn a_reply_before_its_parent_is_linked_and_a_missing_parent_becomes_top_level() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let xml = disqus_xml(
        &[
            ("1", "https://blog.example/a/"),
            ("2", "https://blog.example/b/"),
        ],
        &[
            ("20", "1", Some("10"), "2020-01-02T00:00:00Z"),
            ("10", "1", None, "2020-01-01T00:00:00Z"),
            ("30", "1", Some("999"), "2020-01-03T00:00:00Z"),
            ("40", "2", Some("10"), "2020-01-03T00:00:00Z"),
        ],
    );
    let file = dir.path().join("d.xml");
    std::fs::write(&file, xml).unwrap();
    let out = import_ok(&dir, &cfg, &["disqus", file.to_str().unwrap()]);
    assert!(
        out.contains("replies kept as top-level comments (parent missing): 2"),
        "{out}"
    );
    let rows = rows(&db(&dir), "default");
    let parent = by_author(&rows, "author 10");
    assert_eq!(by_author(&rows, "author 20").parent, Some(parent.id));
    assert_eq!(by_author(&rows, "author 30").parent, None);
    assert_eq!(
        by_author(&rows, "author 40").parent,
        None,
        "a parent on another page is not a parent"
    );
    assert!(
        rows.iter()
            .all(|r| !["10", "20", "30", "40"].contains(&r.id.to_string().as_str())),
        "foreign ids are not Natter ids"
    );
    // A re-run links nothing twice and still reports the orphans.
    let out = import_ok(&dir, &cfg, &["disqus", file.to_str().unwrap()]);
    assert!(out.contains(" 0 comments imported"), "{out}");
}

#[test]
fn a_malformed_export_is_a_clear_error_naming_line_and_element_and_writes_nothing() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let mut xml = disqus_xml(
        &[("1", "https://blog.example/a/")],
        &[("10", "1", None, "2020-01-01T00:00:00Z")],
    );
    xml = xml.replace(
        "</disqus>",
        "<post dsq:id=\"11\">\n<message>broken</messag>\n</post>\n</disqus>",
    );
    let file = dir.path().join("d.xml");
    std::fs::write(&file, &xml).unwrap();
    let line = xml.lines().position(|l| l.contains("</messag>")).unwrap() + 1;
    let (code, out, err) =
        run(natter_cfg(&dir, &cfg).args(["import", "disqus", file.to_str().unwrap()]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(&format!("line {line}")), "{err}");
    assert!(err.contains("<disqus> > <post> > <message>"), "{err}");
    assert!(err.contains("not well-formed XML"), "{err}");
    assert!(!err.contains("panicked"));
    let n: i64 = db(&dir).query_row("SELECT count(*) FROM comments", params![], |r| r.get(0));
    assert_eq!(n, 0, "a broken file writes nothing");

    // A truncated file, and a file of the wrong kind.
    std::fs::write(&file, &xml[..xml.len() / 2]).unwrap();
    let (code, _, err) =
        run(natter_cfg(&dir, &cfg).args(["import", "disqus", file.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(err.contains("not well-formed XML"), "{err}");
    let wxr = fixture("isso-tests-wordpress.xml");
    let (code, _, err) =
        run(natter_cfg(&dir, &cfg).args(["import", "disqus", wxr.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(err.contains("not a Disqus export"), "{err}");
    let (code, _, err) = run(natter_cfg(&dir, &cfg).args(["import", "disqus", "/nonexistent.xml"]));
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent.xml"), "{err}");
}

#[test]
fn an_unknown_site_is_a_clear_error() {
    let (dir, cfg) = dir_with_sites(&["blog", "other"]);
    let file = fixture("isso-tests-disqus.xml");
    // No --site means the site `default`, which this config does not declare.
    for args in [
        vec!["import", "disqus", file.to_str().unwrap()],
        vec!["import", "disqus", file.to_str().unwrap(), "--site", "nope"],
    ] {
        let (code, _, err) = run(natter_cfg(&dir, &cfg).args(&args));
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("unknown site"), "{err}");
        assert!(err.contains("blog, other"), "{err}");
    }
    // With no config at all, `default` exists.
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) =
        run(crate::cli::natter(&dir).args(["import", "disqus", file.to_str().unwrap()]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("into site \"default\""), "{out}");
}

#[tokio::test]
async fn a_running_server_keeps_answering_and_sees_imported_comments_at_once() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let server = start(&dir, Some(&cfg));
    let base = format!("http://127.0.0.1:{}", server.port);
    let client = reqwest::Client::new();
    let before = client
        .get(format!("{base}/api/comments?site=default&page=/a/"))
        .send()
        .await
        .unwrap();
    let etag = before.headers()["etag"].to_str().unwrap().to_string();

    let n = 3000;
    let posts: Vec<(String, String)> = (0..n)
        .map(|i| {
            (
                format!("{}", 1000 + i),
                format!("2020-01-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60),
            )
        })
        .collect();
    let post_refs: Vec<(&str, &str, Option<&str>, &str)> = posts
        .iter()
        .map(|(id, at)| (id.as_str(), "1", None, at.as_str()))
        .collect();
    let file = dir.path().join("big.xml");
    std::fs::write(
        &file,
        disqus_xml(&[("1", "https://blog.example/a/")], &post_refs),
    )
    .unwrap();

    let mut import = crate::import_common::natter_cfg(&dir, &cfg);
    import.args(["import", "disqus", file.to_str().unwrap()]);
    let child = std::thread::spawn(move || run(&mut import));
    let started = Instant::now();
    let mut created = 0;
    while !child.is_finished() && started.elapsed() < Duration::from_secs(120) {
        let res = client
            .post(format!("{base}/api/comments"))
            .json(&json!({"site": "default", "page": "/live/", "text": format!("live {created}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            201,
            "the server keeps taking comments during an import"
        );
        created += 1;
    }
    let (code, out, err) = child.join().unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("{n} comments imported")), "{out}");
    assert!(created > 0);

    let res = client
        .get(format!("{base}/api/comments?site=default&page=/a/&limit=1"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "no stale ETag after an import");
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["total"], n);
    // An imported comment's identicon is derived like a posted one's.
    let imported_avatar = list["comments"][0]["avatar"].as_str().unwrap().to_string();
    let email = "a1000@example.org";
    let posted: Value = client
        .post(format!("{base}/api/comments"))
        .json(&json!({"site": "default", "page": "/x/", "text": "same person", "email": email}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted["comment"]["avatar"], imported_avatar.as_str());
    stop(server);
}

#[test]
fn a_killed_import_can_simply_be_run_again() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let n = 40_000;
    let posts: Vec<(String, String)> = (0..n)
        .map(|i| {
            (
                format!("{i}"),
                format!(
                    "2020-01-01T{:02}:{:02}:{:02}Z",
                    i / 3600 % 24,
                    i / 60 % 60,
                    i % 60
                ),
            )
        })
        .collect();
    let threads: Vec<(String, String)> = (0..100)
        .map(|t| (format!("t{t}"), format!("https://blog.example/{t}/")))
        .collect();
    let thread_refs: Vec<(&str, &str)> = threads
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let post_refs: Vec<(&str, &str, Option<&str>, &str)> = posts
        .iter()
        .enumerate()
        .map(|(i, (id, at))| {
            (
                id.as_str(),
                thread_refs[i % 100].0,
                (i >= 100).then(|| posts[i - 100].0.as_str()),
                at.as_str(),
            )
        })
        .collect();
    let file = dir.path().join("big.xml");
    std::fs::write(&file, disqus_xml(&thread_refs, &post_refs)).unwrap();
    let mut child = natter_cfg(&dir, &cfg)
        .args(["import", "disqus", file.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Opened only once the import has made the file: natter refuses a zero-byte database,
    // which is what opening a connection first would leave. (A PostgreSQL database is there
    // from the start; its tables, once the import has made them.)
    let db_file = crate::helpers::dir_database(dir.path());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let made =
            crate::helpers::on_postgres() || std::fs::metadata(&db_file).is_ok_and(|m| m.len() > 0);
        let count: i64 = if made {
            db(&dir)
                .try_query("SELECT count(*) FROM comments", params![])
                .map_or(0, |rows| rows[0].get(0))
        } else {
            0
        };
        if count > 0 || Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    let conn = db(&dir);
    let partial: i64 = conn.query_row("SELECT count(*) FROM comments", params![], |r| r.get(0));
    assert!(partial > 0, "batches are committed as the import goes");
    assert!(partial < n as i64, "the import was killed half-way");
    let out = import_ok(&dir, &cfg, &["disqus", file.to_str().unwrap()]);
    assert!(
        out.contains("replies kept as top-level comments (parent missing): 0"),
        "{out}"
    );
    let (total, distinct, linked): (i64, i64, i64) = conn.query_row(
        "SELECT count(*), count(DISTINCT source_id), count(parent) FROM comments",
        params![],
        |r| (r.get(0), r.get(1), r.get(2)),
    );
    assert_eq!(
        (total, distinct),
        (n as i64, n as i64),
        "after a kill: {partial}"
    );
    assert_eq!(linked, n as i64 - 100, "every reply has its parent");
}
