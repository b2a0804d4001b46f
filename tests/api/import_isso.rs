//! `natter import isso` with the real binary, on a database made by Isso 0.14.

use crate::cli::run;
use crate::import_common::*;

#[test]
fn the_isso_database_imports_with_votes_parents_and_statuses() {
    let (dir, cfg) = dir_with_sites(&["blog"]);
    let file = fixture("isso-0.14-comments.db");
    let out = import_ok(
        &dir,
        &cfg,
        &["isso", file.to_str().unwrap(), "--site", "blog"],
    );
    assert!(
        out.contains("9 comments imported (7 approved, 1 pending, 0 rejected, 1 deleted)"),
        "{out}"
    );
    let conn = db(&dir);
    let rows = rows(&conn, "blog");
    assert_eq!(rows.len(), 9);
    let ada = by_author(&rows, "Ada Lovelace");
    assert_eq!(ada.page, "/blog/2019/hello-world/");
    assert!(
        ada.html.contains("<strong>post</strong>"),
        "Isso text is markdown: {}",
        ada.html
    );
    assert_eq!(ada.ip.as_deref(), Some("127.0.0.0"));
    let (likes, dislikes, format, website): (i64, i64, String, Option<String>) = conn.query_row(
        "SELECT likes, dislikes, format, website FROM comments WHERE author = 'Ada Lovelace'",
        params![],
        |r| (r.get(0), r.get(1), r.get(2), r.get(3)),
    );
    assert_eq!(
        (likes, dislikes),
        (3, 1),
        "Isso's votes are starting counts"
    );
    assert_eq!(format, "markdown");
    assert_eq!(website.as_deref(), Some("https://ada.example.org"));
    assert_eq!(by_author(&rows, "Blog Owner").parent, Some(ada.id));
    assert_eq!(by_author(&rows, "Grace").parent, Some(ada.id));
    let deleted = rows.iter().find(|r| r.status == "deleted").unwrap();
    assert_eq!(by_author(&rows, "Margaret").parent, Some(deleted.id));
    assert_eq!((deleted.author.as_ref(), deleted.text.as_str()), (None, ""));
    assert_eq!(by_author(&rows, "Spammy?").status, "pending");
    let zofie = by_author(&rows, "Žofie Nováková");
    assert_eq!(zofie.page, "/blog/2020/unicode-post/");
    assert!(zofie.html.contains("日本語"), "{}", zofie.html);
    assert!(!zofie.html.contains("<script"), "{}", zofie.html);
    let anonymous = rows
        .iter()
        .find(|r| r.text.starts_with("Anonymous thought"))
        .unwrap();
    assert_eq!(anonymous.author, None);
    let edited: Option<i64> = conn.query_row(
        "SELECT edited_at FROM comments WHERE text LIKE 'Multi-line%'",
        params![],
        |r| r.get(0),
    );
    assert_eq!(
        edited,
        Some(1_795_331_143),
        "Isso's modified time is the edit time"
    );
    let title: String = conn.query_row(
        "SELECT title FROM pages WHERE key = '/blog/2020/unicode-post/'",
        params![],
        |r| r.get(0),
    );
    assert_eq!(title, "Unicode — test");

    let again = import_ok(
        &dir,
        &cfg,
        &["isso", file.to_str().unwrap(), "--site", "blog"],
    );
    assert!(again.contains(" 0 comments imported"), "{again}");
    assert!(again.contains("left alone): 9"), "{again}");
}

#[test]
fn a_file_that_is_not_an_isso_database_is_refused() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let xml = fixture("isso-tests-disqus.xml");
    let (code, _, err) =
        run(natter_cfg(&dir, &cfg).args(["import", "isso", xml.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(
        err.contains("not an SQLite database") || err.contains("not an Isso database"),
        "{err}"
    );
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE x (y)")
        .unwrap();
    let (code, _, err) =
        run(natter_cfg(&dir, &cfg).args(["import", "isso", other.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(err.contains("not an Isso database"), "{err}");
}

/// A row is read as far as the import needs it: a comment whose thread is gone is skipped
/// on that ground even when a column it never reaches holds a value of the wrong type.
#[test]
fn a_row_skipped_for_its_thread_is_not_read_further() {
    let (dir, cfg) = dir_with_sites(&["blog"]);
    let file = dir.path().join("isso.db");
    std::fs::copy(fixture("isso-0.14-comments.db"), &file).unwrap();
    let isso = rusqlite::Connection::open(&file).unwrap();
    // A thread deleted under Isso's feet: its comment points at nothing.
    isso.pragma_update(None, "foreign_keys", "OFF").unwrap();
    isso.execute(
        "INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text, author,
            email, website, likes, dislikes, voters)
         VALUES (9999, NULL, 'yesterday', NULL, 1, '127.0.0.1', 'orphan', 'Nobody', NULL, NULL,
            0, 0, x'00')",
        [],
    )
    .unwrap();
    drop(isso);
    let out = import_ok(
        &dir,
        &cfg,
        &["isso", file.to_str().unwrap(), "--site", "blog"],
    );
    assert!(out.contains("9 comments imported"), "{out}");
    assert!(out.contains("its thread is not in the database"), "{out}");
}
