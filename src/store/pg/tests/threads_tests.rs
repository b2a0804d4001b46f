//! `thread_page` against the whole thread ordered at once, on random threads; its order;
//! a deep thread.

use std::time::Duration;

use postgres::Client;

use super::{fresh, loose_pages, orphans_kept, raw_insert, Rng};
use crate::domain::comment::{Comment, Status};
use crate::domain::thread::{self, Sort};
use crate::store::pg::{pages, threads};

/// Pages through a thread both ways, the whole thread ordered at once and `thread_page`,
/// and compares every page: ids, tombstones, cursors.
fn assert_pages_match(c: &mut Client, page_id: i64, sort: Sort, limit: usize) {
    let all = threads::page_comments(c, page_id).unwrap();
    let mut after = None;
    for n in 0.. {
        let expected = thread::order_comments(&all, sort, after, limit);
        let got = threads::thread_page(c, page_id, sort, after, limit).unwrap();
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
    let Some((_db, mut c)) = fresh("thread pages") else {
        return;
    };
    let pages = loose_pages(&mut c, 2);
    let (page, other) = (pages[0], pages[1]);
    for seed in 1..=25u64 {
        c.batch_execute("DELETE FROM comments").unwrap();
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        raw_insert(&mut c, 1000, other, None, "approved", 5, 0, 0);
        let n = 20 + rng.below(60) as i64;
        for id in 1..=n {
            let parent = match rng.below(20) {
                0..=7 => None,
                8..=15 if id > 1 => Some(1 + rng.below(id as u64 - 1) as i64),
                16 => Some(1 + rng.below(n as u64) as i64),
                17 => Some(1000),
                18 => Some(id),
                _ => Some(5000 + id),
            };
            let status = rng.pick(&[
                "approved", "approved", "approved", "approved", "approved", "pending", "rejected",
                "deleted",
            ]);
            let (t, likes, dislikes) = (
                rng.below(12) as i64,
                rng.below(4) as i64,
                rng.below(3) as i64,
            );
            raw_insert(&mut c, id, page, parent, status, t, likes, dislikes);
        }
        for id in 2000..2004 {
            let parent = 1 + rng.below(n as u64) as i64;
            raw_insert(&mut c, id, other, Some(parent), "approved", 3, 0, 0);
        }
        if n > 10 {
            c.batch_execute(
                "UPDATE comments SET parent = 10 WHERE id = 9;
                 UPDATE comments SET parent = 9 WHERE id = 10",
            )
            .unwrap();
        }
        for sort in [Sort::Oldest, Sort::Newest, Sort::Top] {
            for limit in [1, 2, 3, 7, 200] {
                assert_pages_match(&mut c, page, sort, limit);
            }
        }
    }
}

#[test]
fn a_thread_page_gives_each_subtree_breadth_first_as_sqlite_does() {
    let Some((_db, mut c)) = fresh("subtree order") else {
        return;
    };
    let p = loose_pages(&mut c, 1)[0];
    // 1 ─ 5 ─ 2
    //   └ 3 ─ 6
    //         └ 4
    for (id, parent, t) in [(1, None, 0), (5, Some(1), 1), (3, Some(1), 2)] {
        raw_insert(&mut c, id, p, parent, "approved", t, 0, 0);
    }
    for (id, parent) in [(2, 5), (6, 3), (4, 3)] {
        raw_insert(&mut c, id, p, Some(parent), "approved", 9, 0, 0);
    }
    raw_insert(&mut c, 7, p, None, "approved", 10, 0, 0);
    let got = threads::thread_page(&mut c, p, Sort::Oldest, None, 5).unwrap();
    let ids: Vec<i64> = got.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![1, 3, 5, 4, 6, 2, 7]);
}

#[test]
fn a_ten_thousand_deep_reply_chain_reads_in_one_walk() {
    let Some((_db, mut c)) = fresh("deep chain") else {
        return;
    };
    let p = pages::ensure_page(&mut c, "s", "/deep/", 0).unwrap().id;
    // Just written, never analyzed: the planner knows nothing of the table. Only the last
    // reply is shown, so the walk for a visible reply goes all the way down too.
    c.batch_execute("ALTER TABLE comments SET (autovacuum_enabled = false)")
        .unwrap();
    c.execute(
        "INSERT INTO comments (id, page_id, parent, text, html, status, created_at)
         SELECT g, $1, nullif(g - 1, 0), 't', 'h',
                CASE WHEN g = 10001 THEN 'approved' ELSE 'pending' END, g
         FROM generate_series(1, 10001) g",
        &[&p],
    )
    .unwrap();
    let start = std::time::Instant::now();
    let got = threads::thread_page(&mut c, p, Sort::Newest, None, 10).unwrap();
    let ids: Vec<i64> = got.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, (1..=10001).collect::<Vec<i64>>());
    assert!(got.next.is_none());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(orphans_kept(&mut c), vec![]);
}
