//! `natter backup FILE` while the real server runs and takes comments.

use std::time::Duration;

use serde_json::json;

use crate::cli::{run, start, stop};
use crate::helpers::sqlite_only;
use crate::import_common::*;
use crate::testdb::{params, TestDb};

#[tokio::test]
async fn a_backup_taken_during_writes_is_consistent_and_complete() {
    sqlite_only!("`natter backup` copies a SQLite file");
    let (dir, cfg) = dir_with_sites(&["default"]);
    let server = start(&dir, Some(&cfg));
    let base = format!("http://127.0.0.1:{}", server.port);
    let writer = tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut n = 0u32;
        loop {
            let res = client
                .post(format!("{base}/api/comments"))
                .json(&json!({"site": "default", "page": "/p/", "text": format!("comment {n}")}))
                .send()
                .await;
            match res {
                Ok(r) if r.status() == 201 => n += 1,
                _ => break,
            }
            if n >= 2000 {
                break;
            }
        }
        n
    });
    // Let some comments land, then back up while the writes go on.
    let conn = db(&dir);
    for _ in 0..200 {
        let n: i64 = conn.query_row("SELECT count(*) FROM comments", params![], |r| r.get(0));
        if n >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let before: i64 = conn.query_row("SELECT count(*) FROM comments", params![], |r| r.get(0));
    assert!(before > 0);
    let copy = dir.path().join("backups").join("natter-copy.db");
    std::fs::create_dir(copy.parent().unwrap()).unwrap();
    let (code, out, err) = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        let copy = copy.clone();
        let dir_path = dir.path().to_path_buf();
        move || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_natter"));
            cmd.current_dir(&dir_path)
                .env_remove("NATTER_CONFIG")
                .env("NATTER_DATABASE", dir_path.join("natter.db"))
                .args([
                    "--config",
                    cfg.to_str().unwrap(),
                    "backup",
                    copy.to_str().unwrap(),
                ]);
            run(&mut cmd)
        }
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("integrity ok"), "{out}");
    let written = writer.await.unwrap();
    stop(server);
    assert!(written > 0);

    let copy_conn = TestDb::open(&copy);
    let check: String = copy_conn.query_row("PRAGMA integrity_check", params![], |r| r.get(0));
    assert_eq!(check, "ok");
    let in_copy: i64 =
        copy_conn.query_row("SELECT count(*) FROM comments", params![], |r| r.get(0));
    assert!(
        in_copy >= before,
        "the copy has every comment written before it: {in_copy} < {before}"
    );
    let texts: Vec<String> = copy_conn
        .query("SELECT text FROM comments ORDER BY id", params![])
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<String> = (0..in_copy).map(|i| format!("comment {i}")).collect();
    assert_eq!(texts, expected, "a prefix of the writes, nothing torn");
    assert!(
        !dir.path()
            .join("backups")
            .join(".natter-copy.db.partial")
            .exists(),
        "no temporary file is left behind"
    );
}

#[test]
fn a_backup_refuses_to_overwrite_the_database_and_needs_one() {
    sqlite_only!("`natter backup` copies a SQLite file");
    let (dir, cfg) = dir_with_sites(&["default"]);
    let (code, _, err) = run(natter_cfg(&dir, &cfg).args(["backup", "copy.db"]));
    assert_eq!(code, 1);
    assert!(err.contains("no database"), "{err}");
    import_ok(
        &dir,
        &cfg,
        &["disqus", fixture("isso-tests-disqus.xml").to_str().unwrap()],
    );
    let db_path = dir.path().join("natter.db");
    let (code, _, err) = run(natter_cfg(&dir, &cfg).args(["backup", db_path.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(err.contains("must not overwrite"), "{err}");
    let (code, out, _) = run(natter_cfg(&dir, &cfg).args(["backup", "copy.db"]));
    assert_eq!(code, 0);
    assert!(out.contains("5 comments"), "{out}");
}

/// The names in a directory, sorted.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn a_backup_into_a_missing_directory_names_the_path_and_the_os_error() {
    sqlite_only!("`natter backup` copies a SQLite file");
    let (dir, cfg) = dir_with_sites(&["default"]);
    import_ok(
        &dir,
        &cfg,
        &["disqus", fixture("isso-tests-disqus.xml").to_str().unwrap()],
    );
    let before = names(dir.path());
    let (code, out, err) = run(natter_cfg(&dir, &cfg).args(["backup", "nowhere/natter.db"]));
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("nowhere/natter.db") && err.contains("No such file or directory (os error 2)"),
        "the cause, not only that it failed: {err}"
    );
    assert!(!dir.path().join("nowhere").exists());
    assert_eq!(names(dir.path()), before, "nothing is left behind");
}

/// A file that can't grow (a full disk, a quota; here RLIMIT_FSIZE) fails the backup with
/// the OS's reason and leaves no partial file, and an older backup of that name intact.
#[test]
fn a_backup_that_cannot_be_written_leaves_no_partial_file() {
    sqlite_only!("`natter backup` copies a SQLite file");
    use std::os::unix::process::CommandExt;
    let (dir, cfg) = dir_with_sites(&["default"]);
    import_ok(
        &dir,
        &cfg,
        &["disqus", fixture("isso-tests-disqus.xml").to_str().unwrap()],
    );
    let conn = db(&dir);
    conn.batch(
        "CREATE TABLE ballast (b BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 64)
         INSERT INTO ballast SELECT randomblob(4000) FROM n;",
    );
    drop(conn);
    let out_dir = dir.path().join("backups");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("natter.db"), "yesterday's backup").unwrap();
    let mut cmd = natter_cfg(&dir, &cfg);
    cmd.args(["backup", out_dir.join("natter.db").to_str().unwrap()]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 64 * 1024,
                rlim_max: 64 * 1024,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            // Past the limit, write() then fails with EFBIG instead of the process dying.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("backups/natter.db") && err.contains("File too large (os error 27)"),
        "{err}"
    );
    assert_eq!(names(&out_dir), ["natter.db"], "no partial file");
    assert_eq!(
        std::fs::read_to_string(out_dir.join("natter.db")).unwrap(),
        "yesterday's backup"
    );
}

/// Every command prints the whole chain of causes, not only its last words.
#[test]
fn cli_errors_name_the_path_and_the_os_error() {
    let (dir, cfg) = dir_with_sites(&["default"]);
    let (code, _, err) = run(natter_cfg(&dir, &cfg).args(["import", "disqus", "absent.xml"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("absent.xml") && err.contains("No such file or directory (os error 2)"),
        "{err}"
    );
    let (code, _, err) = run(natter_cfg(&dir, &cfg).args([
        "export",
        "--site",
        "default",
        "--out",
        "nowhere/site.jsonl",
    ]));
    assert_eq!(code, 1);
    assert!(
        err.contains("nowhere/") && err.contains("No such file or directory (os error 2)"),
        "{err}"
    );
}
