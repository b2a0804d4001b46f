//! Tests of the PostgreSQL statements on the server `NATTER_TEST_PG` names: each test
//! makes a database of its own and drops it at the end; without `NATTER_TEST_PG` they say
//! so and pass. Here what they share; the tests by subject in the files beside it.

mod claims_tests;
mod moderation_tests;
mod orphans_tests;
mod outbox_tests;
mod statements_tests;
mod threads_tests;

use postgres::{Client, NoTls};

use super::pages;
use crate::domain::comment::Status;
use crate::domain::Timestamp;
use crate::store::comments::NewComment;

/// A database of one test, dropped at the end.
pub(super) struct Db {
    admin: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl Db {
    /// A fresh, migrated database; `None` (and a note) when `NATTER_TEST_PG` is unset.
    pub(super) fn new(tag: &str) -> Option<Db> {
        let Some(admin) = std::env::var("NATTER_TEST_PG")
            .ok()
            .filter(|u| !u.trim().is_empty())
        else {
            eprintln!("NATTER_TEST_PG is unset: skipping the PostgreSQL test {tag}");
            return None;
        };
        let name = format!(
            "natter_unit_{}_{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let (base, _) = admin.rsplit_once('/').expect("NATTER_TEST_PG is a URL");
        let url = format!("{base}/{name}");
        Client::connect(&admin, NoTls)
            .expect("the test PostgreSQL server answers")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("CREATE DATABASE");
        let db = Db { admin, name, url };
        super::migrate::run(&mut db.connect()).expect("migrations");
        Some(db)
    }

    /// A new connection (in autocommit, as the outbox worker's).
    pub(super) fn connect(&self) -> Client {
        Client::connect(&self.url, NoTls).expect("connect to the test database")
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Ok(mut a) = Client::connect(&self.admin, NoTls) {
            let _ = a.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A new database with Natter's schema and a site `s`, and a connection to it; `None`
/// (with a note) when no server is given.
fn fresh(test: &str) -> Option<(Db, Client)> {
    let db = Db::new(test)?;
    let mut c = db.connect();
    c.batch_execute("INSERT INTO sites (id, created_at) VALUES ('s', 0)")
        .unwrap();
    Some((db, c))
}

/// Inserts an outbox row due at `due`; returns its id.
pub(super) fn put(c: &mut Client, kind: &str, target: &str, payload: &str, due: Timestamp) -> i64 {
    c.query_one(
        "INSERT INTO outbox (kind, target, payload, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
        &[&kind, &target, &payload, &due],
    )
    .unwrap()
    .get(0)
}

/// Pages `/p0/`… of site `s`, after which `comments` enforces no foreign keys (a database
/// edited by hand may hold anything).
fn loose_pages(c: &mut Client, n: usize) -> Vec<i64> {
    c.batch_execute(
        "ALTER TABLE comments DROP CONSTRAINT comments_parent_fkey,
                              DROP CONSTRAINT comments_page_id_fkey",
    )
    .unwrap();
    (0..n)
        .map(|i| {
            pages::ensure_page(c, "s", &format!("/p{i}/"), 0)
                .unwrap()
                .id
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn raw_insert(
    c: &mut Client,
    id: i64,
    page_id: i64,
    parent: Option<i64>,
    status: &str,
    created_at: i64,
    likes: i64,
    dislikes: i64,
) {
    c.execute(
        "INSERT INTO comments (id, page_id, parent, text, html, status, created_at, likes, dislikes)
         VALUES ($1, $2, $3, 't', '<p>t</p>', $4, $5, $6, $7)",
        &[&id, &page_id, &parent, &status, &created_at, &likes, &dislikes],
    )
    .unwrap();
}

/// What `thread_orphans` must hold, worked out from the comments alone.
fn orphans_from_scratch(c: &mut Client) -> Vec<(i64, i64)> {
    c.query(
        "SELECT c.id, c.page_id FROM comments c WHERE c.parent IS NOT NULL
           AND (c.parent = c.id OR NOT EXISTS
                (SELECT 1 FROM comments p WHERE p.id = c.parent AND p.page_id = c.page_id))
         ORDER BY c.id",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

fn orphans_kept(c: &mut Client) -> Vec<(i64, i64)> {
    c.query("SELECT id, page_id FROM thread_orphans ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// xorshift64*, as in the SQLite tests: the same random steps in every run.
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

fn new_comment(text: &str, created_at: Timestamp) -> NewComment {
    NewComment {
        parent: None,
        author: Some("Ada".into()),
        email: Some("Ada@Example.com".into()),
        website: None,
        text: text.into(),
        html: format!("<p>{text}</p>"),
        status: Status::Approved,
        created_at,
        ip: "10.0.0.0".into(),
        avatar: "ab12".into(),
        author_key_hash: Some("k".into()),
        edit_token_hash: "e".into(),
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
fn natter_s_sessions_carry_its_settings() {
    use crate::config::Durability;
    let Some(db) = Db::new("sessions") else {
        return;
    };
    let show = |d: super::Database, what: &str| -> String {
        let mut c = d.connect().expect("connect");
        c.query_one(&format!("SELECT current_setting('{what}')"), &[])
            .unwrap()
            .get(0)
    };
    let base = || super::config(&db.url).expect("the test URL");
    assert_eq!(show(base(), "jit"), "off");
    assert_eq!(show(base(), "statement_timeout"), "15s");
    assert_eq!(
        show(base().durability(Durability::Full), "synchronous_commit"),
        "on"
    );
    assert_eq!(
        show(base().durability(Durability::Normal), "synchronous_commit"),
        "off"
    );
    assert_eq!(show(base().for_node("node-7"), "natter.node"), "node-7");
    assert_eq!(show(base(), "application_name"), "natter");
}
