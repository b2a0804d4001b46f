//! Tests of the comment, page, thread and vote SQL, over real SQLite files.

use super::*;
use crate::domain::thread::{self, Sort};
use crate::store::threads::*;

/// The plan SQLite picks for a statement, one line per step (parameters left unbound).
fn plan(conn: &Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let nulls = std::iter::repeat_n(rusqlite::types::Null, stmt.parameter_count());
    let rows = stmt
        .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
        .unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}

fn migrated() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("q.db")).unwrap();
    crate::store::migrate::run(&mut conn).unwrap();
    (dir, conn)
}

#[test]
fn the_duplicate_check_reads_only_one_network_s_recent_comments_on_the_page() {
    let (_d, conn) = migrated();
    let p = plan(&conn, DUPLICATE_SQL);
    assert!(
        p.contains("comments_by_page (page_id=? AND status=? AND ip=? AND created_at>?)"),
        "{p}"
    );
}

#[test]
fn a_page_s_comments_and_counts_use_the_page_index() {
    let (_d, conn) = migrated();
    let p = plan(
        &conn,
        "SELECT count(*) FROM comments WHERE page_id = ?1 AND status = 'approved'",
    );
    assert!(
        p.contains("comments_by_page (page_id=? AND status=?)"),
        "{p}"
    );
    let p = plan(&conn, "SELECT id FROM comments WHERE page_id = ?1");
    assert!(p.contains("comments_by_page (page_id=?)"), "{p}");
}

fn new_comment(text: &str, created_at: Timestamp) -> NewComment {
    NewComment {
        parent: None,
        author: Some("Ada".into()),
        email: Some("ada@example.com".into()),
        website: None,
        text: text.into(),
        html: format!("<p>{text}</p>"),
        status: Status::Pending,
        created_at,
        ip: "10.0.0.0".into(),
        avatar: "ab12".into(),
        author_key_hash: Some("k".into()),
        edit_token_hash: "t".into(),
        edit_until: created_at + 900,
        notify: true,
        request_key_hash: None,
        via: None,
        held_reason: None,
        badge: None,
        identity: None,
    }
}

#[test]
fn a_created_comment_is_answered_exactly_as_stored_and_the_first_one_names_the_page() {
    let (_d, conn) = migrated();
    sync_sites(&conn, &["blog".into()], 100).unwrap();
    let p = ensure_page(&conn, "blog", "/a/", 100).unwrap();
    assert_eq!(p.first_comment_at, None);
    let first = insert_comment(
        &conn,
        &p,
        "blog",
        "/a/",
        new_comment("one", 200),
        Some("A"),
        None,
    )
    .unwrap();
    assert_eq!(
        Some(&first),
        find_comment(&conn, first.id).unwrap().as_ref()
    );

    // A later comment keeps the first one's time, title and URL.
    let p = ensure_page(&conn, "blog", "/a/", 300).unwrap();
    assert_eq!(
        (p.first_comment_at, p.title.as_deref()),
        (Some(200), Some("A"))
    );
    let mut later = new_comment("two", 300);
    later.parent = Some(first.id);
    later.status = Status::Approved;
    later.notify = false;
    let second = insert_comment(
        &conn,
        &p,
        "blog",
        "/a/",
        later,
        Some("B"),
        Some("https://b/"),
    )
    .unwrap();
    assert_eq!(
        Some(&second),
        find_comment(&conn, second.id).unwrap().as_ref()
    );
    let p = find_page(&conn, "blog", "/a/").unwrap().unwrap();
    assert_eq!(
        (p.first_comment_at, p.title.as_deref(), p.url.as_deref()),
        (Some(200), Some("A"), None)
    );
}

#[test]
fn a_thread_page_reads_top_level_comments_from_the_roots_index() {
    let (_d, conn) = migrated();
    for (sql, wanted) in [
        (ROOTS_OLDEST, "comments_roots (page_id=?)"),
        (
            ROOTS_OLDEST_AFTER,
            "comments_roots (page_id=? AND created_at>?)",
        ),
        (ROOTS_NEWEST, "comments_roots (page_id=?)"),
        (
            ROOTS_NEWEST_AFTER,
            "comments_roots (page_id=? AND created_at<?)",
        ),
    ] {
        let p = plan(&conn, sql);
        // In the index's order: no sort of the page's comments before the LIMIT.
        assert!(
            p.contains(&format!("SEARCH c USING INDEX {wanted}")) && !p.contains("TEMP B-TREE"),
            "{sql}\n{p}"
        );
    }
    for sql in [ROOTS_TOP, ROOTS_TOP_AFTER] {
        let p = plan(&conn, sql);
        // Sorted by score from the index entries alone; rows only for the ones kept.
        assert!(
            p.contains("SEARCH comments USING COVERING INDEX comments_roots (page_id=?)"),
            "{sql}\n{p}"
        );
        assert!(
            p.contains("SEARCH c USING INTEGER PRIMARY KEY"),
            "{sql}\n{p}"
        );
        assert!(
            !p.contains("SCAN c") && !p.contains("SCAN comments"),
            "{sql}\n{p}"
        );
    }
}

#[test]
fn a_thread_page_reads_orphans_and_replies_through_their_indexes() {
    let (_d, conn) = migrated();
    let p = plan(&conn, ORPHAN_ROOTS_SQL);
    assert!(
        p.contains("SEARCH o USING COVERING INDEX thread_orphans_by_page (page_id=?)"),
        "{p}"
    );
    for sql in [VISIBLE_REPLY_SQL, SUBTREE_SQL] {
        let p = plan(&conn, sql);
        assert!(
            p.contains("SEARCH c USING INDEX comments_by_parent (parent=?)"),
            "{sql}\n{p}"
        );
        // Every read of `comments` goes by parent or by id, never over the page.
        for line in p
            .lines()
            .filter(|l| l.contains("comments") || l.contains(" c "))
        {
            assert!(
                line.contains("comments_by_parent") || line.contains("PRIMARY KEY"),
                "{sql}\n{p}"
            );
        }
    }
}

/// A small deterministic generator (xorshift64*), so the random threads are the same in
/// every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A comment row as a hand-edited database may hold it (the connection has no foreign
/// keys: parents may be missing, on another page, the comment itself).
#[allow(clippy::too_many_arguments)]
fn raw_insert(
    conn: &Connection,
    id: i64,
    page_id: i64,
    parent: Option<i64>,
    status: &str,
    created_at: i64,
    likes: i64,
    dislikes: i64,
) {
    conn.execute(
        "INSERT INTO comments (id, page_id, parent, text, html, status, created_at, likes, dislikes)
         VALUES (?1, ?2, ?3, 't', '<p>t</p>', ?4, ?5, ?6, ?7)",
        params![id, page_id, parent, status, created_at, likes, dislikes],
    )
    .unwrap();
}

/// What `thread_orphans` must hold, worked out from the comments alone.
fn orphans_from_scratch(conn: &Connection) -> Vec<(i64, i64)> {
    conn.prepare(
        "SELECT c.id, c.page_id FROM comments c WHERE c.parent IS NOT NULL
           AND (c.parent = c.id OR NOT EXISTS
                (SELECT 1 FROM comments p WHERE p.id = c.parent AND p.page_id = c.page_id))
         ORDER BY c.id",
    )
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn orphans_kept(conn: &Connection) -> Vec<(i64, i64)> {
    conn.prepare("SELECT id, page_id FROM thread_orphans ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Pages `/p0/`… of a site `s`, on a connection that from now on enforces no foreign
/// keys, as the `sqlite3` shell doesn't.
fn pages(conn: &Connection, n: usize) -> Vec<i64> {
    conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
    sync_sites(conn, &["s".into()], 0).unwrap();
    (0..n)
        .map(|i| ensure_page(conn, "s", &format!("/p{i}/"), 0).unwrap().id)
        .collect()
}

#[test]
fn the_orphans_table_follows_every_change_to_ids_parents_and_pages() {
    let (_d, conn) = migrated();
    let pages = pages(&conn, 3);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut next_id = 1;
    for step in 0..3000 {
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM comments")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let any_id = |rng: &mut Rng| {
            if ids.is_empty() || rng.below(5) == 0 {
                rng.below(next_id as u64 + 3) as i64 // maybe missing, maybe not
            } else {
                rng.pick(&ids)
            }
        };
        let parent = |rng: &mut Rng| (rng.below(4) > 0).then(|| any_id(rng));
        let what = if ids.len() < 10 { 0 } else { rng.below(9) };
        let page = rng.pick(&pages);
        match what {
            0..=2 => {
                // Often an id that replies are already waiting for.
                let waiting: Vec<i64> = conn
                    .prepare(
                        "SELECT DISTINCT parent FROM comments
                         WHERE parent NOT IN (SELECT id FROM comments)",
                    )
                    .unwrap()
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                let id = match rng.below(3) {
                    0 if !waiting.is_empty() => rng.pick(&waiting),
                    1 => any_id(&mut rng),
                    _ => next_id,
                };
                if !ids.contains(&id) {
                    let parent = if rng.below(20) == 0 {
                        Some(id)
                    } else {
                        parent(&mut rng)
                    };
                    raw_insert(&conn, id, page, parent, "approved", 0, 0, 0);
                    next_id = next_id.max(id + 1);
                }
            }
            3 => {
                let id = any_id(&mut rng);
                conn.execute("DELETE FROM comments WHERE id = ?1", [id])
                    .unwrap();
            }
            4 => {
                let (id, p) = (any_id(&mut rng), parent(&mut rng));
                conn.execute(
                    "UPDATE comments SET parent = ?2 WHERE id = ?1",
                    params![id, p],
                )
                .unwrap();
            }
            5 => {
                let id = any_id(&mut rng);
                conn.execute(
                    "UPDATE comments SET page_id = ?2 WHERE id = ?1",
                    params![id, page],
                )
                .unwrap();
            }
            6 => {
                let id = any_id(&mut rng);
                conn.execute(
                    "UPDATE comments SET id = ?2 WHERE id = ?1",
                    params![id, next_id],
                )
                .unwrap();
                next_id += 1;
            }
            7 => {
                // Several rows at once: a thread moved, or half of one.
                let from = rng.pick(&pages);
                let m = rng.below(3) as i64 + 2;
                conn.execute(
                    "UPDATE comments SET page_id = ?2 WHERE page_id = ?1 AND id % ?3 != 0",
                    params![from, page, m],
                )
                .unwrap();
            }
            _ => {
                let m = rng.below(4) as i64 + 3;
                conn.execute("DELETE FROM comments WHERE id % ?1 = 0", [m])
                    .unwrap();
            }
        }
        assert_eq!(
            orphans_kept(&conn),
            orphans_from_scratch(&conn),
            "after step {step} ({what})"
        );
    }
}

#[test]
fn the_migration_finds_the_orphans_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
    conn.execute_batch(
        "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .unwrap();
    let before = crate::store::migrate::MIGRATIONS
        .iter()
        .position(|(v, _)| *v == "0009_thread_roots")
        .unwrap();
    for (version, sql) in &crate::store::migrate::MIGRATIONS[..before] {
        conn.execute_batch(sql).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)",
            [version],
        )
        .unwrap();
    }
    let pages = pages(&conn, 2);
    raw_insert(&conn, 1, pages[0], None, "approved", 0, 0, 0);
    raw_insert(&conn, 2, pages[0], Some(1), "approved", 0, 0, 0);
    raw_insert(&conn, 3, pages[0], Some(99), "approved", 0, 0, 0);
    raw_insert(&conn, 4, pages[1], Some(1), "approved", 0, 0, 0);
    raw_insert(&conn, 5, pages[1], Some(5), "approved", 0, 0, 0);
    crate::store::migrate::run(&mut conn).unwrap();
    assert_eq!(
        orphans_kept(&conn),
        vec![(3, pages[0]), (4, pages[1]), (5, pages[1])]
    );
}

/// Pages through a thread both ways, the whole thread ordered at once (what a read did
/// before) and [`thread_page`], and compares every page: ids, tombstones, cursors.
fn assert_pages_match(conn: &Connection, page_id: i64, sort: Sort, limit: usize) {
    let all = page_comments(conn, page_id).unwrap();
    let mut after = None;
    for n in 0.. {
        let expected = thread::order_comments(&all, sort, after, limit);
        let got = thread_page(conn, page_id, sort, after, limit).unwrap();
        let ordered = thread::order_comments(&got.rows, sort, None, limit);
        let shown = |rows: &[Comment], o: &thread::Ordered| {
            o.items
                .iter()
                .map(|p| (rows[p.index].id, p.tombstone))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shown(&got.rows, &ordered),
            shown(&all, &expected),
            "{sort:?}, limit {limit}, page {n}"
        );
        // Nothing loaded that the page does not show, hidden comments below it aside.
        let shown_ids: Vec<i64> = ordered.items.iter().map(|p| got.rows[p.index].id).collect();
        assert!(
            got.rows
                .iter()
                .all(|c| shown_ids.contains(&c.id) || c.status != Status::Approved),
            "{sort:?}, limit {limit}, page {n}"
        );
        assert_eq!(got.next, expected.next, "{sort:?}, limit {limit}, page {n}");
        after = expected.next;
        if after.is_none() {
            break;
        }
    }
}

#[test]
fn a_thread_page_is_the_same_slice_of_the_thread_in_every_sort() {
    for seed in 1..=60u64 {
        let (_d, conn) = migrated();
        let pages = pages(&conn, 2);
        let (page, other) = (pages[0], pages[1]);
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        raw_insert(&conn, 1000, other, None, "approved", 5, 0, 0);
        let n = 20 + rng.below(60) as i64;
        for id in 1..=n {
            let parent = match rng.below(20) {
                0..=7 => None,
                8..=15 if id > 1 => Some(1 + rng.below(id as u64 - 1) as i64),
                16 => Some(1 + rng.below(n as u64) as i64), // maybe a later comment
                17 => Some(1000),                           // on another page
                18 => Some(id),                             // itself
                _ => Some(5000 + id),                       // gone
            };
            let status = rng.pick(&[
                "approved", "approved", "approved", "approved", "approved", "pending", "rejected",
                "deleted",
            ]);
            // Few distinct times and scores: ties everywhere.
            let (t, likes, dislikes) = (
                rng.below(12) as i64,
                rng.below(4) as i64,
                rng.below(3) as i64,
            );
            raw_insert(&conn, id, page, parent, status, t, likes, dislikes);
        }
        // Replies on the other page to comments of this one: not part of this thread.
        for id in 2000..2004 {
            let parent = 1 + rng.below(n as u64) as i64;
            raw_insert(&conn, id, other, Some(parent), "approved", 3, 0, 0);
        }
        // A cycle, which no top-level comment reaches.
        if n > 10 {
            conn.execute("UPDATE comments SET parent = 10 WHERE id = 9", [])
                .unwrap();
            conn.execute("UPDATE comments SET parent = 9 WHERE id = 10", [])
                .unwrap();
        }
        for sort in [Sort::Oldest, Sort::Newest, Sort::Top] {
            for limit in [1, 2, 3, 7, 200] {
                assert_pages_match(&conn, page, sort, limit);
            }
        }
    }
}

/// SQLite's virtual machine steps spent by `f` on `conn`: the work of the queries,
/// whatever the machine's speed.
fn vm_steps<T>(conn: &Connection, f: impl FnOnce() -> T) -> (T, u64) {
    let steps = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = steps.clone();
    conn.progress_handler(
        1,
        Some(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            false
        }),
    )
    .unwrap();
    let out = f();
    conn.progress_handler(0, None::<fn() -> bool>).unwrap();
    (out, steps.load(std::sync::atomic::Ordering::Relaxed))
}

/// A page with `n` top-level comments (one in ten held, without replies), each other one
/// with a reply and a reply to that, and one reply whose parent is gone; ids from `first`.
fn big_thread(conn: &Connection, page: i64, first: i64, n: i64) {
    conn.execute_batch("BEGIN").unwrap();
    for i in 0..n {
        let id = first + i * 3;
        let status = if i % 10 == 5 { "pending" } else { "approved" };
        raw_insert(conn, id, page, None, status, 1000 + i, i % 7, i % 3);
        if status == "approved" {
            raw_insert(conn, id + 1, page, Some(id), "approved", 5000 + i, 0, 0);
            raw_insert(conn, id + 2, page, Some(id + 1), "approved", 9000 + i, 0, 0);
        }
    }
    let orphan = first + 3 * n;
    raw_insert(
        conn,
        orphan,
        page,
        Some(orphan + 1),
        "approved",
        1000 + n / 2,
        2,
        0,
    );
    conn.execute_batch("COMMIT").unwrap();
}

#[test]
fn a_thread_page_reads_no_more_of_a_big_thread_than_of_a_small_one() {
    let (_d, conn) = migrated();
    let pages = pages(&conn, 2);
    let (small, big) = (pages[0], pages[1]);
    big_thread(&conn, small, 1, 100);
    big_thread(&conn, big, 1_000_000, 5_000);
    // What reading the big thread whole costs (as every read did before).
    let (_, whole) = vm_steps(&conn, || page_comments(&conn, big).unwrap());

    for sort in [Sort::Oldest, Sort::Newest, Sort::Top] {
        let work = |page: i64| {
            // The first page, then the one after it.
            let (first, a) = vm_steps(&conn, || thread_page(&conn, page, sort, None, 10).unwrap());
            let (second, b) = vm_steps(&conn, || {
                thread_page(&conn, page, sort, first.next, 10).unwrap()
            });
            assert!(first.next.is_some() && second.next.is_some());
            (first.rows.len() + second.rows.len(), a.max(b))
        };
        let (small_rows, small_steps) = work(small);
        let (big_rows, big_steps) = work(big);
        // 20 top-level comments with two replies each, give or take the held ones and
        // the orphan: no more rows from a thread 50 times the size.
        assert!((50..=62).contains(&small_rows), "{sort:?}: {small_rows}");
        assert!((50..=62).contains(&big_rows), "{sort:?}: {big_rows}");
        let said = format!(
            "{sort:?}: {big_steps} steps for the big thread, {small_steps} for the small \
             one, {whole} to read the big one whole"
        );
        if sort == Sort::Top {
            // `top` sorts the index entries of all 5,000 top-level comments, but reads
            // no more rows (about a quarter of the steps here, and far less of the time:
            // no text is read or copied).
            assert!(big_steps * 3 < whole, "{said}");
        } else {
            // The same work, give or take a deeper b-tree.
            assert!(big_steps * 10 < small_steps * 13, "{said}");
        }
    }
}

#[test]
fn the_orphan_triggers_cost_a_create_the_same_on_a_big_database() {
    let (_d, conn) = migrated();
    let pages = pages(&conn, 2);
    big_thread(&conn, pages[1], 1, 100);
    let p = find_page(&conn, "s", "/p0/").unwrap().unwrap();
    let create = |parent: Option<i64>, text: &str| {
        let mut c = new_comment(text, 100);
        c.parent = parent;
        vm_steps(&conn, || {
            insert_comment(&conn, &p, "s", "/p0/", c, None, None)
                .unwrap()
                .id
        })
    };
    let (root, small_top) = create(None, "a");
    let (_, small_reply) = create(Some(root), "b");
    big_thread(&conn, pages[1], 10_000, 5_000);
    let (root, big_top) = create(None, "c");
    let (_, big_reply) = create(Some(root), "d");
    for (small, big) in [(small_top, big_top), (small_reply, big_reply)] {
        assert!(
            big * 10 < small * 13,
            "{big} steps, {small} on the small database"
        );
    }
}
