//! Comments, pages, votes and confirmations as stored; pages and votes raced from two
//! connections.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use postgres::{Client, NoTls};

use super::{fresh, new_comment};
use crate::domain::comment::{Notify, Status};
use crate::store::pg::{comments, pages, subscriptions, votes};

#[test]
fn comments_are_stored_counted_deleted_and_voted_on_as_on_sqlite() {
    let Some((_db, mut c)) = fresh("comments") else {
        return;
    };
    let page = pages::ensure_page(&mut c, "s", "/a/", 7).unwrap();
    assert_eq!(
        (page.locked, page.first_comment_at, page.title.clone()),
        (false, None, None)
    );
    let made = comments::insert_comment(
        &mut c,
        &page,
        "s",
        "/a/",
        new_comment("one", 100),
        Some("A"),
        Some("https://x/a"),
    )
    .unwrap();
    assert_eq!(
        comments::find_comment(&mut c, made.id).unwrap().as_ref(),
        Some(&made)
    );
    assert_eq!(made.notify, Notify::Asked);
    let page = pages::find_page(&mut c, "s", "/a/").unwrap().unwrap();
    assert_eq!(
        (
            page.first_comment_at,
            page.title.as_deref(),
            page.url.as_deref()
        ),
        (Some(100), Some("A"), Some("https://x/a"))
    );
    // A later comment names the page no more.
    let mut reply = new_comment("two", 200);
    reply.parent = Some(made.id);
    let reply =
        comments::insert_comment(&mut c, &page, "s", "/a/", reply, Some("B"), None).unwrap();
    let page = pages::find_page(&mut c, "s", "/a/").unwrap().unwrap();
    assert_eq!(
        (page.first_comment_at, page.title.as_deref()),
        (Some(100), Some("A"))
    );
    assert_eq!(
        subscriptions::page_meta(&mut c, page.id).unwrap(),
        (Some("A".into()), Some("https://x/a".into()))
    );
    assert_eq!(subscriptions::page_meta(&mut c, -1).unwrap(), (None, None));

    assert!(comments::is_duplicate(&mut c, page.id, "10.0.0.0", "one", 100).unwrap());
    assert!(!comments::is_duplicate(&mut c, page.id, "10.0.0.0", "one", 101).unwrap());
    // Emails match in any ASCII case, as SQLite's lower() folds them; nothing else.
    assert!(comments::is_trusted(&mut c, "s", "ada@EXAMPLE.com", "k").unwrap());
    assert!(!comments::is_trusted(&mut c, "s", "ada@example.com", "other").unwrap());
    assert!(comments::has_comments_from(&mut c, "s", "ADA@example.COM").unwrap());
    let mut accented = new_comment("three", 300);
    accented.email = Some("Émile@example.com".into());
    comments::insert_comment(&mut c, &page, "s", "/a/", accented, None, None).unwrap();
    assert!(comments::has_comments_from(&mut c, "s", "Émile@EXAMPLE.com").unwrap());
    assert!(!comments::has_comments_from(&mut c, "s", "émile@example.com").unwrap());

    assert_eq!(comments::approved_total(&mut c, page.id).unwrap(), 3);
    pages::ensure_page(&mut c, "s", "/empty/", 7).unwrap();
    let keys: Vec<String> = ["/z/", "/empty/", "/a/", "/a/", "/none/"]
        .map(String::from)
        .to_vec();
    assert_eq!(
        comments::approved_counts(&mut c, "s", &keys).unwrap(),
        vec![("/a/".to_string(), 3), ("/empty/".to_string(), 0)]
    );
    let feed = comments::newest_approved(&mut c, "s", Some("/a/"), 2).unwrap();
    let feed: Vec<(i64, Option<String>)> =
        feed.into_iter().map(|f| (f.comment.id, f.title)).collect();
    assert_eq!(feed[1], (reply.id, Some("A".into())));
    assert_eq!(
        comments::newest_approved(&mut c, "s", None, 9)
            .unwrap()
            .len(),
        3
    );

    // Votes: replaced, repeated, withdrawn; the counts never go below zero.
    assert_eq!(votes::vote(&mut c, made.id, "v1", 1).unwrap(), (1, 0));
    assert_eq!(votes::vote(&mut c, made.id, "v1", 1).unwrap(), (1, 0));
    assert_eq!(votes::vote(&mut c, made.id, "v2", -1).unwrap(), (1, 1));
    assert_eq!(votes::vote(&mut c, made.id, "v1", -1).unwrap(), (0, 2));
    assert_eq!(votes::vote(&mut c, made.id, "v1", 0).unwrap(), (0, 1));
    assert_eq!(votes::vote(&mut c, made.id, "v1", 0).unwrap(), (0, 1));
    assert!(votes::vote(&mut c, made.id, "v1", 2).is_err());

    // A comment with a reply stays as a scrubbed tombstone, without its votes.
    assert!(comments::delete_comment(&mut c, made.id).unwrap());
    let tomb = comments::find_comment(&mut c, made.id).unwrap().unwrap();
    assert_eq!(
        (tomb.status, tomb.text.as_str(), tomb.email, tomb.dislikes),
        (Status::Deleted, "", None, 0)
    );
    let n: i64 = c
        .query_one("SELECT count(*) FROM votes", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    // One without replies goes.
    assert!(!comments::delete_comment(&mut c, reply.id).unwrap());
    assert_eq!(comments::find_comment(&mut c, reply.id).unwrap(), None);
}

#[test]
fn confirmations_fold_ascii_case_and_turn_on_waiting_requests() {
    let Some((_db, mut c)) = fresh("confirmations") else {
        return;
    };
    let page = pages::ensure_page(&mut c, "s", "/a/", 7).unwrap();
    let made = comments::insert_comment(&mut c, &page, "s", "/a/", new_comment("x", 1), None, None)
        .unwrap();
    assert!(!subscriptions::is_confirmed(&mut c, "s", "ada@example.com").unwrap());
    subscriptions::confirm_email(&mut c, "s", "ADA@example.com", 5).unwrap();
    subscriptions::confirm_email(&mut c, "s", "ada@example.com", 6).unwrap();
    assert!(subscriptions::is_confirmed(&mut c, "s", "Ada@Example.Com").unwrap());
    let stored: String = c
        .query_one("SELECT email FROM confirmed_emails", &[])
        .unwrap()
        .get(0);
    assert_eq!(stored, "ada@example.com");
    let notify = comments::find_comment(&mut c, made.id)
        .unwrap()
        .unwrap()
        .notify;
    assert_eq!(notify, Notify::On);
    assert!(subscriptions::set_notify(&mut c, made.id, Notify::Off).unwrap());
    assert!(!subscriptions::set_notify(&mut c, -5, Notify::Off).unwrap());
    subscriptions::forget_confirmation(&mut c, "s", "ADA@EXAMPLE.COM").unwrap();
    assert!(!subscriptions::is_confirmed(&mut c, "s", "ada@example.com").unwrap());
}

#[test]
fn ensure_page_racing_on_two_connections_finds_one_page() {
    let Some((db, mut a)) = fresh("ensure_page race") else {
        return;
    };
    // A makes the page and holds it uncommitted; B, asking meanwhile, waits on the insert
    // and, once A commits, finds A's row (its own statement's snapshot could not see it).
    let mut ta = a.transaction().unwrap();
    let made = pages::ensure_page(&mut ta, "s", "/race/", 1).unwrap();
    let url = db.url.clone();
    let b = std::thread::spawn(move || {
        let mut b = Client::connect(&url, NoTls).unwrap();
        let mut tb = b.transaction().unwrap();
        let found = pages::ensure_page(&mut tb, "s", "/race/", 2).unwrap();
        tb.commit().unwrap();
        found.id
    });
    std::thread::sleep(Duration::from_millis(300));
    ta.commit().unwrap();
    assert_eq!(b.join().unwrap(), made.id);

    // Many connections at once, each asking for the same new pages.
    let n = 6;
    let start = Arc::new(Barrier::new(n));
    let workers: Vec<_> = (0..n)
        .map(|_| {
            let (url, start) = (db.url.clone(), start.clone());
            std::thread::spawn(move || {
                let mut c = Client::connect(&url, NoTls).unwrap();
                start.wait();
                (0..30)
                    .map(|i| {
                        let mut t = c.transaction().unwrap();
                        let p = pages::ensure_page(&mut t, "s", &format!("/k{i}/"), 3).unwrap();
                        t.commit().unwrap();
                        p.id
                    })
                    .collect::<Vec<i64>>()
            })
        })
        .collect();
    let ids: Vec<Vec<i64>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert!(ids.iter().all(|v| *v == ids[0]));
    let pages: i64 = a
        .query_one("SELECT count(*) FROM pages", &[])
        .unwrap()
        .get(0);
    assert_eq!(pages, 31);
}

#[test]
fn the_same_vote_on_two_connections_counts_once() {
    let Some((db, mut a)) = fresh("vote race") else {
        return;
    };
    let page = pages::ensure_page(&mut a, "s", "/v/", 1).unwrap();
    let id = comments::insert_comment(&mut a, &page, "s", "/v/", new_comment("x", 1), None, None)
        .unwrap()
        .id;
    // The counts the votes make.
    let tally = |c: &mut Client| -> (i64, i64) {
        let r = c
            .query_one(
                "SELECT count(*) FILTER (WHERE value = 1), count(*) FILTER (WHERE value = -1)
                 FROM votes WHERE comment_id = $1",
                &[&id],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    // A votes (inside a savepoint, as the writer runs each request) and holds it
    // uncommitted; B's vote meanwhile waits, then counts from what A left.
    // (A's vote, B's vote, B's answer when the order is fixed: B's withdrawal does not see
    // a vote A has not committed, as it would not have on SQLite had it come first.)
    let cases = [
        (1, 1, Some((1, 0))),
        (-1, -1, Some((0, 1))),
        (1, -1, Some((0, 1))),
        (0, 1, Some((1, 0))),
        (-1, 0, None),
    ];
    for (first, second, want) in cases {
        let mut ta = a.transaction().unwrap();
        let mut sp = ta.savepoint("w").unwrap();
        votes::vote(&mut sp, id, "same", first).unwrap();
        sp.commit().unwrap();
        let url = db.url.clone();
        let b = std::thread::spawn(move || {
            let mut b = Client::connect(&url, NoTls).unwrap();
            let mut tb = b.transaction().unwrap();
            let counts = votes::vote(&mut tb, id, "same", second).unwrap();
            tb.commit().unwrap();
            counts
        });
        std::thread::sleep(Duration::from_millis(200));
        ta.commit().unwrap();
        let answered = b.join().unwrap();
        // Whichever order they took, the counts are those of the votes, and B answered them.
        let stored = comments::find_comment(&mut a, id).unwrap().unwrap();
        assert_eq!(
            (stored.likes, stored.dislikes),
            tally(&mut a),
            "{first} {second}"
        );
        assert_eq!(answered, tally(&mut a), "{first} then {second}");
        if let Some(want) = want {
            assert_eq!(answered, want, "{first} then {second}");
        }
        votes::vote(&mut a, id, "same", 0).unwrap();
        assert_eq!(tally(&mut a), (0, 0));
    }
}
