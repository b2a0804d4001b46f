//! The orphan triggers: `thread_orphans` follows every change, as SQLite's triggers do.

use postgres::Client;

use super::{fresh, loose_pages, orphans_from_scratch, orphans_kept, raw_insert, Rng};
use crate::domain::thread::Sort;
use crate::store::pg::threads;

#[test]
fn a_reply_whose_parent_is_on_another_page_is_an_orphan_until_that_changes() {
    let Some((_db, mut c)) = fresh("orphans by hand") else {
        return;
    };
    let p = loose_pages(&mut c, 2);
    raw_insert(&mut c, 1, p[0], None, "approved", 1, 0, 0);
    raw_insert(&mut c, 2, p[1], Some(1), "approved", 2, 0, 0);
    assert_eq!(orphans_kept(&mut c), vec![(2, p[1])]);
    let shown = |c: &mut Client, page| -> Vec<i64> {
        threads::thread_page(c, page, Sort::Oldest, None, 10)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(shown(&mut c, p[1]), vec![2]);
    // The parent moves to the reply's page: a plain reply now.
    c.execute("UPDATE comments SET page_id = $1 WHERE id = 1", &[&p[1]])
        .unwrap();
    assert_eq!(orphans_kept(&mut c), vec![]);
    assert_eq!(shown(&mut c, p[1]), vec![1, 2]);
    // The reply moves away from it: an orphan of the other page.
    c.execute("UPDATE comments SET page_id = $1 WHERE id = 2", &[&p[0]])
        .unwrap();
    assert_eq!(orphans_kept(&mut c), vec![(2, p[0])]);
    // It moves back, and its parent is deleted: an orphan again, then a top-level one.
    c.execute("UPDATE comments SET page_id = $1 WHERE id = 2", &[&p[1]])
        .unwrap();
    assert_eq!(orphans_kept(&mut c), vec![]);
    c.execute("DELETE FROM comments WHERE id = 1", &[]).unwrap();
    assert_eq!(orphans_kept(&mut c), vec![(2, p[1])]);
    c.execute("UPDATE comments SET parent = NULL WHERE id = 2", &[])
        .unwrap();
    assert_eq!(orphans_kept(&mut c), vec![]);
    // A reply to itself; a reply waiting for an id that arrives later, on another page.
    raw_insert(&mut c, 3, p[0], Some(3), "approved", 3, 0, 0);
    raw_insert(&mut c, 4, p[0], Some(5), "approved", 4, 0, 0);
    assert_eq!(orphans_kept(&mut c), vec![(3, p[0]), (4, p[0])]);
    raw_insert(&mut c, 5, p[1], None, "approved", 5, 0, 0);
    assert_eq!(orphans_kept(&mut c), vec![(3, p[0]), (4, p[0])]);
    c.execute("UPDATE comments SET id = 6 WHERE id = 5", &[])
        .unwrap();
    raw_insert(&mut c, 5, p[0], None, "approved", 5, 0, 0);
    assert_eq!(orphans_kept(&mut c), vec![(3, p[0])]);
}

#[test]
fn the_orphans_table_follows_every_change_to_ids_parents_and_pages() {
    let Some((_db, mut c)) = fresh("orphan triggers") else {
        return;
    };
    let pages = loose_pages(&mut c, 3);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut next_id = 1;
    for step in 0..1500 {
        let ids: Vec<i64> = c
            // In id order: the same seed then makes the same steps on every run.
            .query("SELECT id FROM comments ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let any_id = |rng: &mut Rng| {
            if ids.is_empty() || rng.below(5) == 0 {
                rng.below(next_id as u64 + 3) as i64
            } else {
                rng.pick(&ids)
            }
        };
        let parent = |rng: &mut Rng| (rng.below(4) > 0).then(|| any_id(rng));
        let what = if ids.len() < 10 { 0 } else { rng.below(10) };
        let page = rng.pick(&pages);
        match what {
            0..=2 => {
                let waiting: Vec<i64> = c
                    .query(
                        "SELECT DISTINCT parent FROM comments
                         WHERE parent NOT IN (SELECT id FROM comments)",
                        &[],
                    )
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
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
                    raw_insert(&mut c, id, page, parent, "approved", 0, 0, 0);
                    next_id = next_id.max(id + 1);
                }
            }
            3 => {
                let id = any_id(&mut rng);
                c.execute("DELETE FROM comments WHERE id = $1", &[&id])
                    .unwrap();
            }
            4 => {
                let (id, p) = (any_id(&mut rng), parent(&mut rng));
                c.execute("UPDATE comments SET parent = $2 WHERE id = $1", &[&id, &p])
                    .unwrap();
            }
            5 => {
                let id = any_id(&mut rng);
                c.execute(
                    "UPDATE comments SET page_id = $2 WHERE id = $1",
                    &[&id, &page],
                )
                .unwrap();
            }
            6 => {
                let id = any_id(&mut rng);
                c.execute(
                    "UPDATE comments SET id = $2 WHERE id = $1",
                    &[&id, &next_id],
                )
                .unwrap();
                next_id += 1;
            }
            7 => {
                // Several rows at once: a thread moved, or half of one.
                let from = rng.pick(&pages);
                let m = rng.below(3) as i64 + 2;
                c.execute(
                    "UPDATE comments SET page_id = $2 WHERE page_id = $1 AND id % $3 <> 0",
                    &[&from, &page, &m],
                )
                .unwrap();
            }
            8 => {
                // Two ids swapped, by way of negative ones: two rows' ids change in each
                // statement, and each row's triggers see the other's change too.
                // (Not id 0: it is its own negative.)
                let (a, b) = (rng.pick(&ids), rng.pick(&ids));
                if a != b && a != 0 && b != 0 {
                    c.batch_execute(&format!(
                        "UPDATE comments SET id = -id WHERE id IN ({a}, {b});
                         UPDATE comments SET id = CASE id WHEN -{a} THEN {b} ELSE {a} END
                             WHERE id IN (-{a}, -{b})"
                    ))
                    .unwrap();
                }
            }
            _ => {
                let m = rng.below(4) as i64 + 3;
                c.execute("DELETE FROM comments WHERE id % $1 = 0", &[&m])
                    .unwrap();
            }
        }
        assert_eq!(
            orphans_kept(&mut c),
            orphans_from_scratch(&mut c),
            "after step {step} ({what})"
        );
    }
}
