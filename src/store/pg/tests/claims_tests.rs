//! The outbox's claims across connections (as across nodes): each delivery once, the
//! per-URL and email-slot rules, leases.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use postgres::Client;

use super::{put, Db};
use crate::domain::Timestamp;
use crate::store::outbox::LEASE;
use crate::store::pg::outbox::{claim, mark_failed, mark_sent};

/// `n` threads, each on a connection of its own, claim at the same moment (once, or until
/// nothing is left when `drain`); returns every (owner, id) claimed.
fn race(db: &Db, n: usize, now: Timestamp, slots: i64, drain: bool) -> Vec<(String, i64)> {
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (mut c, barrier) = (db.connect(), barrier.clone());
            std::thread::spawn(move || {
                let owner = format!("node-{i}");
                let mut got = Vec::new();
                barrier.wait();
                while let Some(item) = claim(&mut c, &owner, now, slots).unwrap() {
                    got.push((owner.clone(), item.id));
                    if !drain {
                        break;
                    }
                }
                got
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect()
}

/// Releases every claim.
const CLEAR: &str = "UPDATE outbox SET claimed_by = NULL, claimed_at = NULL, claimed_until = NULL";

fn claimed_by(c: &mut Client, id: i64) -> Option<String> {
    c.query_one("SELECT claimed_by FROM outbox WHERE id = $1", &[&id])
        .unwrap()
        .get(0)
}

#[test]
fn each_delivery_is_claimed_once_among_concurrent_nodes() {
    let Some(db) = Db::new("once") else { return };
    let mut c = db.connect();
    let now = crate::domain::now();
    let mut ids = HashSet::new();
    for i in 0..40 {
        ids.insert(put(
            &mut c,
            "webhook",
            &format!("https://h{i}.example/"),
            "{}",
            now - 5,
        ));
    }
    for i in 0..10 {
        ids.insert(put(
            &mut c,
            "email",
            &format!("m{i}@example.com"),
            "{}",
            now - 5,
        ));
    }
    let got = race(&db, 4, now, 100, true);
    let claimed: HashSet<i64> = got.iter().map(|g| g.1).collect();
    assert_eq!(claimed.len(), got.len(), "a row was claimed twice: {got:?}");
    assert_eq!(claimed, ids);
    for (owner, id) in &got {
        assert_eq!(claimed_by(&mut c, *id).as_deref(), Some(owner.as_str()));
    }
}

#[test]
fn one_attempt_per_url_even_when_nodes_claim_at_once() {
    let Some(db) = Db::new("url") else { return };
    let mut c = db.connect();
    let now = crate::domain::now();
    for _ in 0..6 {
        put(
            &mut c,
            "webhook",
            "https://slow.example/hook",
            "{}",
            now - 5,
        );
    }
    for round in 0..25 {
        let got = race(&db, 4, now, 4, false);
        assert_eq!(got.len(), 1, "round {round}: {got:?}");
        c.execute(CLEAR, &[]).unwrap();
    }
}

#[test]
fn email_slots_hold_across_nodes() {
    let Some(db) = Db::new("slots") else { return };
    let mut c = db.connect();
    let now = crate::domain::now();
    for i in 0..10 {
        put(&mut c, "email", &format!("m{i}@example.com"), "{}", now - 5);
    }
    let hook = put(&mut c, "webhook", "https://h.example/", "{}", now + 1);
    for round in 0..10 {
        let got = race(&db, 6, now, 3, false);
        assert_eq!(got.len(), 3, "round {round}: {got:?}");
        // Slots full: only the webhook is left to claim, then nothing.
        let next = claim(&mut c, "other", now + 1, 3).unwrap().map(|i| i.id);
        assert_eq!(next, Some(hook));
        assert!(claim(&mut c, "other", now + 1, 3).unwrap().is_none());
        c.execute(CLEAR, &[]).unwrap();
    }
    // Email claims whose lease ran out take no slot.
    c.execute(
        "UPDATE outbox SET claimed_by = 'dead', claimed_at = $1, claimed_until = $1
          WHERE id IN (SELECT id FROM outbox WHERE kind = 'email' ORDER BY id LIMIT 3)",
        &[&(now - 1)],
    )
    .unwrap();
    for _ in 0..3 {
        let got = claim(&mut c, "live", now, 3).unwrap().expect("a free slot");
        assert_eq!(got.kind, "email");
    }
    assert!(claim(&mut c, "live", now, 3).unwrap().is_none());
}

#[test]
fn claims_take_the_oldest_due_and_run_out() {
    let Some(db) = Db::new("lease") else { return };
    let mut c = db.connect();
    let now = crate::domain::now();
    let later = put(&mut c, "webhook", "https://a.example/", "{}", now + 60);
    let b2 = put(&mut c, "webhook", "https://b.example/", "{}", now - 5);
    let a1 = put(&mut c, "webhook", "https://a.example/", "{}", now - 10);
    let a2 = put(&mut c, "webhook", "https://a.example/", "{}", now - 10);
    let sent = put(&mut c, "webhook", "https://c.example/", "{}", now - 20);
    c.execute("UPDATE outbox SET status = 'sent' WHERE id = $1", &[&sent])
        .unwrap();

    let first = claim(&mut c, "A", now, 4).unwrap().expect("a claim");
    assert_eq!(first.id, a1);
    assert_eq!((first.status.as_str(), first.attempts), ("pending", 0));
    assert_eq!(first.attempt_started_at, Some(now));
    // a.example is being attempted: its second row waits, b.example goes.
    assert_eq!(claim(&mut c, "A", now, 4).unwrap().map(|i| i.id), Some(b2));
    assert!(claim(&mut c, "A", now, 4).unwrap().is_none());

    // A's lease runs out: B takes the row over; A's marks no longer count.
    let expired = now + LEASE;
    let taken = claim(&mut c, "B", expired, 4).unwrap().expect("a takeover");
    assert_eq!(taken.id, a1);
    assert!(!mark_sent(&mut c, a1, "A", expired).unwrap());
    assert!(!mark_failed(&mut c, a1, "A", "late", Some(expired + 5), expired).unwrap());
    assert!(mark_sent(&mut c, a1, "B", expired).unwrap());
    // A lease that ran out but that nobody took over still counts for its owner.
    assert!(mark_sent(&mut c, b2, "A", expired).unwrap());
    let row = c
        .query_one(
            "SELECT status, attempts, done_at, claimed_by, claimed_until, last_error
               FROM outbox WHERE id = $1",
            &[&a1],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "sent");
    assert_eq!(row.get::<_, i64>(1), 1);
    assert_eq!(row.get::<_, Option<i64>>(2), Some(expired));
    assert_eq!(row.get::<_, Option<String>>(3), None);
    assert_eq!(row.get::<_, Option<i64>>(4), None);
    assert!(!mark_sent(&mut c, a1, "B", expired).unwrap(), "released");

    // Retry, then give up.
    let again = claim(&mut c, "B", expired, 4).unwrap().expect("a2 is due");
    assert_eq!(again.id, a2);
    assert!(mark_failed(&mut c, a2, "B", "boom", Some(expired + 30), expired).unwrap());
    let row = c
        .query_one(
            "SELECT status, attempts, next_attempt_at, last_error, claimed_by FROM outbox
              WHERE id = $1",
            &[&a2],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i64>(1), 1);
    assert_eq!(row.get::<_, i64>(2), expired + 30);
    assert_eq!(row.get::<_, Option<String>>(3).as_deref(), Some("boom"));
    assert_eq!(row.get::<_, Option<String>>(4), None);
    let t = expired + 30;
    let last = claim(&mut c, "C", t, 4).unwrap().map(|i| i.id);
    assert_eq!(last, Some(later), "the oldest due first");
    assert_eq!(
        claim(&mut c, "C", t, 4).unwrap().map(|i| i.id),
        None,
        "same URL"
    );
    assert!(mark_failed(&mut c, later, "C", "gone", None, t).unwrap());
    let row = c
        .query_one(
            "SELECT status, done_at, attempts FROM outbox WHERE id = $1",
            &[&later],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "failed");
    assert_eq!(row.get::<_, Option<i64>>(1), Some(t));
    assert_eq!(row.get::<_, i64>(2), 1);
    assert_eq!(claim(&mut c, "C", t, 4).unwrap().map(|i| i.id), Some(a2));
}

#[test]
fn a_claim_inside_a_transaction_is_a_savepoint() {
    let Some(db) = Db::new("sp") else { return };
    let mut c = db.connect();
    let now = crate::domain::now();
    let id = put(&mut c, "email", "x@example.com", "{}", now - 1);
    let mut t = c.transaction().unwrap();
    assert_eq!(claim(&mut t, "A", now, 1).unwrap().map(|i| i.id), Some(id));
    t.rollback().unwrap();
    assert_eq!(claimed_by(&mut c, id), None);
    assert_eq!(claim(&mut c, "B", now, 1).unwrap().map(|i| i.id), Some(id));
}
