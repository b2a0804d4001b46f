//! The Fediverse's rows on SQLite: other servers' actors, followers, announced posts, the
//! notes that became comments, reactions. The keys (read and made at start) too; the
//! delivery queue is in `fedi_queue.rs`.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::comments::{comment_from_row, COMMENT_COLUMNS};
use crate::domain::comment::Comment;
use crate::domain::fediverse::{Follower, NewPost, NewReaction, NoteLink, Post, RemoteActor};
use crate::domain::Timestamp;

/// Every stored key pair: `(site, private PEM, public PEM)`.
pub fn keys(conn: &Connection) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare("SELECT site, private_pem, public_pem FROM fedi_keys")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// Stores a site's key pair unless it has one.
pub fn add_key(
    conn: &Connection,
    site: &str,
    private_pem: &str,
    public_pem: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO fedi_keys (site, private_pem, public_pem, created_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (site) DO NOTHING",
        params![site, private_pem, public_pem, now],
    )?;
    Ok(())
}

pub(crate) const ACTOR_COLUMNS: &str =
    "id, inbox, shared_inbox, name, username, url, key_id, public_pem, fetched_at";

fn actor(r: &Row<'_>) -> rusqlite::Result<(RemoteActor, Timestamp)> {
    Ok((
        RemoteActor {
            id: r.get(0)?,
            inbox: r.get(1)?,
            shared_inbox: r.get(2)?,
            name: r.get(3)?,
            username: r.get(4)?,
            url: r.get(5)?,
            key_id: r.get(6)?,
            public_pem: r.get(7)?,
        },
        r.get(8)?,
    ))
}

/// See the trait method in `fedi_tx.rs`.
pub fn actor_by_key(
    conn: &Connection,
    key_id: &str,
) -> rusqlite::Result<Option<(RemoteActor, Timestamp)>> {
    conn.prepare_cached(&format!(
        "SELECT {ACTOR_COLUMNS} FROM fedi_actors WHERE key_id = ?1 ORDER BY fetched_at DESC LIMIT 1"
    ))?
    .query_row([key_id], actor)
    .optional()
}

/// See the trait method in `fedi_tx.rs`.
pub fn actor_by_id(
    conn: &Connection,
    id: &str,
) -> rusqlite::Result<Option<(RemoteActor, Timestamp)>> {
    conn.prepare_cached(&format!(
        "SELECT {ACTOR_COLUMNS} FROM fedi_actors WHERE id = ?1"
    ))?
    .query_row([id], actor)
    .optional()
}

/// See the trait method in `fedi_tx.rs`.
pub fn store_actor(conn: &Connection, a: &RemoteActor, now: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO fedi_actors (id, inbox, shared_inbox, name, username, url, key_id,
            public_pem, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET inbox = excluded.inbox,
            shared_inbox = excluded.shared_inbox, name = excluded.name,
            username = excluded.username, url = excluded.url, key_id = excluded.key_id,
            public_pem = excluded.public_pem, fetched_at = excluded.fetched_at",
    )?
    .execute(params![
        a.id,
        a.inbox,
        a.shared_inbox,
        a.name,
        a.username,
        a.url,
        a.key_id,
        a.public_pem,
        now
    ])?;
    Ok(())
}

/// See the trait method in `fedi_tx.rs`.
pub fn follow(conn: &Connection, site: &str, f: &Follower, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO fedi_followers (site, actor, inbox, shared_inbox, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (site, actor) DO UPDATE SET inbox = excluded.inbox,
            shared_inbox = excluded.shared_inbox",
        params![site, f.actor, f.inbox, f.shared_inbox, now],
    )?;
    Ok(())
}

/// See the trait method in `fedi_tx.rs`.
pub fn unfollow(conn: &Connection, site: &str, actor: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM fedi_followers WHERE site = ?1 AND actor = ?2",
        params![site, actor],
    )? > 0)
}

/// See the trait method in `fedi_tx.rs`.
pub fn followers(conn: &Connection, site: &str) -> rusqlite::Result<Vec<Follower>> {
    let mut stmt = conn.prepare_cached(
        "SELECT actor, inbox, shared_inbox FROM fedi_followers WHERE site = ?1 ORDER BY actor",
    )?;
    let rows = stmt.query_map([site], |r| {
        Ok(Follower {
            actor: r.get(0)?,
            inbox: r.get(1)?,
            shared_inbox: r.get(2)?,
        })
    })?;
    rows.collect()
}

/// See the trait method in `fedi_tx.rs`.
pub fn follower_count(conn: &Connection, site: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM fedi_followers WHERE site = ?1")?
        .query_row([site], |r| r.get(0))
}

pub(crate) const POST_COLUMNS: &str = "id, site, page, url, title, summary, created_at, updated_at";

fn post(r: &Row<'_>) -> rusqlite::Result<Post> {
    Ok(Post {
        id: r.get(0)?,
        site: r.get(1)?,
        page: r.get(2)?,
        url: r.get(3)?,
        title: r.get(4)?,
        summary: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

/// See the trait method in `fedi_tx.rs`.
pub fn announce(conn: &Connection, p: &NewPost, now: Timestamp) -> rusqlite::Result<(Post, bool)> {
    let n = conn.execute(
        "INSERT INTO fedi_posts (site, page, url, title, summary, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (site, page) DO NOTHING",
        params![p.site, p.page, p.url, p.title, p.summary, now],
    )?;
    if n == 0 {
        conn.execute(
            "UPDATE fedi_posts SET url = ?3, title = ?4, summary = ?5, updated_at = ?6
             WHERE site = ?1 AND page = ?2",
            params![p.site, p.page, p.url, p.title, p.summary, now],
        )?;
    }
    let row = conn
        .prepare_cached(&format!(
            "SELECT {POST_COLUMNS} FROM fedi_posts WHERE site = ?1 AND page = ?2"
        ))?
        .query_row(params![p.site, p.page], post)?;
    Ok((row, n == 1))
}

/// See the trait method in `fedi_tx.rs`.
pub fn find_post(conn: &Connection, site: &str, id: i64) -> rusqlite::Result<Option<Post>> {
    conn.prepare_cached(&format!(
        "SELECT {POST_COLUMNS} FROM fedi_posts WHERE site = ?1 AND id = ?2"
    ))?
    .query_row(params![site, id], post)
    .optional()
}

/// See the trait method in `fedi_tx.rs`.
pub fn posts(conn: &Connection, site: &str, limit: i64) -> rusqlite::Result<(Vec<Post>, i64)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {POST_COLUMNS} FROM fedi_posts WHERE site = ?1 ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(params![site, limit], post)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let total = conn
        .prepare_cached("SELECT count(*) FROM fedi_posts WHERE site = ?1")?
        .query_row([site], |r| r.get(0))?;
    Ok((rows, total))
}

fn link(r: &Row<'_>) -> rusqlite::Result<NoteLink> {
    Ok(NoteLink {
        note_id: r.get(0)?,
        comment_id: r.get(1)?,
        site: r.get(2)?,
        actor: r.get(3)?,
    })
}

/// See the trait method in `fedi_tx.rs`.
pub fn note(conn: &Connection, note_id: &str) -> rusqlite::Result<Option<NoteLink>> {
    conn.prepare_cached(
        "SELECT note_id, comment_id, site, actor FROM fedi_notes WHERE note_id = ?1",
    )?
    .query_row([note_id], link)
    .optional()
}

/// See the trait method in `fedi_tx.rs`.
pub fn note_of(conn: &Connection, comment_id: i64) -> rusqlite::Result<Option<NoteLink>> {
    conn.prepare_cached(
        "SELECT note_id, comment_id, site, actor FROM fedi_notes WHERE comment_id = ?1 LIMIT 1",
    )?
    .query_row([comment_id], link)
    .optional()
}

/// See the trait method in `fedi_tx.rs`.
pub fn link_note(conn: &Connection, l: &NoteLink, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO fedi_notes (note_id, comment_id, site, actor, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (note_id) DO NOTHING",
        params![l.note_id, l.comment_id, l.site, l.actor, now],
    )?;
    Ok(())
}

/// See the trait method in `fedi_tx.rs`.
pub fn actor_trusted(conn: &Connection, site: &str, actor: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM fedi_notes n JOIN comments c ON c.id = n.comment_id
           WHERE n.site = ?1 AND n.actor = ?2 AND c.status = 'approved')",
    )?
    .query_row(params![site, actor], |r| r.get(0))
}

/// See the trait method in `fedi_tx.rs`.
pub fn react(conn: &Connection, r: &NewReaction, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO fedi_reactions (post_id, kind, actor, activity_id, site, page, name, url,
            created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (post_id, kind, actor) DO UPDATE SET activity_id = excluded.activity_id,
            name = excluded.name, url = excluded.url",
        params![
            r.post_id,
            r.kind,
            r.actor,
            r.activity_id,
            r.site,
            r.page,
            r.name,
            r.url,
            now
        ],
    )?;
    Ok(())
}

/// See the trait method in `fedi_tx.rs`.
pub fn unreact(conn: &Connection, actor: &str, activity_id: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM fedi_reactions WHERE actor = ?1 AND activity_id = ?2",
        params![actor, activity_id],
    )? > 0)
}

/// See the trait method in `fedi_tx.rs`.
pub fn actor_comments(
    conn: &Connection,
    site: &str,
    actor: &str,
) -> rusqlite::Result<Vec<Comment>> {
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN pages p ON p.id = c.page_id
         WHERE c.id IN (SELECT comment_id FROM fedi_notes WHERE site = ?1 AND actor = ?2)
         ORDER BY c.id DESC"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![site, actor], comment_from_row)?;
    rows.collect()
}

/// See the trait method in `fedi_tx.rs`.
pub fn actors_at(conn: &Connection, url: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT id FROM fedi_actors WHERE url = ?1 ORDER BY id")?;
    let rows = stmt.query_map(params![url], |r| r.get(0))?;
    rows.collect()
}

/// See the trait method in `fedi_tx.rs`.
pub fn forget_actor(conn: &Connection, site: &str, actor: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM fedi_notes WHERE site = ?1 AND actor = ?2",
        params![site, actor],
    )?;
    conn.execute(
        "DELETE FROM fedi_reactions WHERE site = ?1 AND actor = ?2",
        params![site, actor],
    )?;
    conn.execute(
        "DELETE FROM fedi_followers WHERE site = ?1 AND actor = ?2",
        params![site, actor],
    )?;
    Ok(())
}
