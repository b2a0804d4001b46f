//! PostgreSQL statements for the Fediverse's rows (SQLite's, with the why, are in
//! `store/fediverse.rs`).

use postgres::{GenericClient, Row};

use crate::domain::comment::Comment;
use crate::domain::fediverse::{Follower, NewPost, NewReaction, NoteLink, Post, RemoteActor};
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::fediverse::{ACTOR_COLUMNS, POST_COLUMNS};
use crate::store::pg::comments::comment_from_row;

fn actor(r: &Row) -> Result<(RemoteActor, Timestamp), postgres::Error> {
    Ok((
        RemoteActor {
            id: r.try_get(0)?,
            inbox: r.try_get(1)?,
            shared_inbox: r.try_get(2)?,
            name: r.try_get(3)?,
            username: r.try_get(4)?,
            url: r.try_get(5)?,
            key_id: r.try_get(6)?,
            public_pem: r.try_get(7)?,
        },
        r.try_get(8)?,
    ))
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn actor_by_key(
    c: &mut impl GenericClient,
    key_id: &str,
) -> ApiResult<Option<(RemoteActor, Timestamp)>> {
    let sql = format!(
        "SELECT {ACTOR_COLUMNS} FROM fedi_actors WHERE key_id = $1 ORDER BY fetched_at DESC LIMIT 1"
    );
    Ok(c.query_opt(&sql, &[&key_id])?
        .map(|r| actor(&r))
        .transpose()?)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn actor_by_id(
    c: &mut impl GenericClient,
    id: &str,
) -> ApiResult<Option<(RemoteActor, Timestamp)>> {
    let sql = format!("SELECT {ACTOR_COLUMNS} FROM fedi_actors WHERE id = $1");
    Ok(c.query_opt(&sql, &[&id])?.map(|r| actor(&r)).transpose()?)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn store_actor(c: &mut impl GenericClient, a: &RemoteActor, now: Timestamp) -> ApiResult<()> {
    c.execute(
        "INSERT INTO fedi_actors (id, inbox, shared_inbox, name, username, url, key_id,
            public_pem, fetched_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET inbox = excluded.inbox,
            shared_inbox = excluded.shared_inbox, name = excluded.name,
            username = excluded.username, url = excluded.url, key_id = excluded.key_id,
            public_pem = excluded.public_pem, fetched_at = excluded.fetched_at",
        &[
            &a.id,
            &a.inbox,
            &a.shared_inbox,
            &a.name,
            &a.username,
            &a.url,
            &a.key_id,
            &a.public_pem,
            &now,
        ],
    )?;
    Ok(())
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn follow(
    c: &mut impl GenericClient,
    site: &str,
    f: &Follower,
    now: Timestamp,
) -> ApiResult<()> {
    c.execute(
        "INSERT INTO fedi_followers (site, actor, inbox, shared_inbox, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (site, actor) DO UPDATE SET inbox = excluded.inbox,
            shared_inbox = excluded.shared_inbox",
        &[&site, &f.actor, &f.inbox, &f.shared_inbox, &now],
    )?;
    Ok(())
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn unfollow(c: &mut impl GenericClient, site: &str, actor: &str) -> ApiResult<bool> {
    Ok(c.execute(
        "DELETE FROM fedi_followers WHERE site = $1 AND actor = $2",
        &[&site, &actor],
    )? > 0)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn followers(c: &mut impl GenericClient, site: &str) -> ApiResult<Vec<Follower>> {
    let rows = c.query(
        "SELECT actor, inbox, shared_inbox FROM fedi_followers WHERE site = $1
         ORDER BY actor COLLATE \"C\"",
        &[&site],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Follower {
                actor: r.try_get(0)?,
                inbox: r.try_get(1)?,
                shared_inbox: r.try_get(2)?,
            })
        })
        .collect()
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn follower_count(c: &mut impl GenericClient, site: &str) -> ApiResult<i64> {
    Ok(c.query_one(
        "SELECT count(*) FROM fedi_followers WHERE site = $1",
        &[&site],
    )?
    .try_get(0)?)
}

fn post(r: &Row) -> Result<Post, postgres::Error> {
    Ok(Post {
        id: r.try_get(0)?,
        site: r.try_get(1)?,
        page: r.try_get(2)?,
        url: r.try_get(3)?,
        title: r.try_get(4)?,
        summary: r.try_get(5)?,
        created_at: r.try_get(6)?,
        updated_at: r.try_get(7)?,
    })
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn announce(
    c: &mut impl GenericClient,
    p: &NewPost,
    now: Timestamp,
) -> ApiResult<(Post, bool)> {
    let n = c.execute(
        "INSERT INTO fedi_posts (site, page, url, title, summary, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site, page) DO NOTHING",
        &[&p.site, &p.page, &p.url, &p.title, &p.summary, &now],
    )?;
    if n == 0 {
        c.execute(
            "UPDATE fedi_posts SET url = $3, title = $4, summary = $5, updated_at = $6
             WHERE site = $1 AND page = $2",
            &[&p.site, &p.page, &p.url, &p.title, &p.summary, &now],
        )?;
    }
    let sql = format!("SELECT {POST_COLUMNS} FROM fedi_posts WHERE site = $1 AND page = $2");
    let row = c.query_one(&sql, &[&p.site, &p.page])?;
    Ok((post(&row)?, n == 1))
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn find_post(c: &mut impl GenericClient, site: &str, id: i64) -> ApiResult<Option<Post>> {
    let sql = format!("SELECT {POST_COLUMNS} FROM fedi_posts WHERE site = $1 AND id = $2");
    Ok(c.query_opt(&sql, &[&site, &id])?
        .map(|r| post(&r))
        .transpose()?)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn posts(c: &mut impl GenericClient, site: &str, limit: i64) -> ApiResult<(Vec<Post>, i64)> {
    let sql =
        format!("SELECT {POST_COLUMNS} FROM fedi_posts WHERE site = $1 ORDER BY id DESC LIMIT $2");
    let rows = c
        .query(&sql, &[&site, &limit])?
        .iter()
        .map(post)
        .collect::<Result<Vec<_>, _>>()?;
    let total = c
        .query_one("SELECT count(*) FROM fedi_posts WHERE site = $1", &[&site])?
        .try_get(0)?;
    Ok((rows, total))
}

fn link(r: &Row) -> Result<NoteLink, postgres::Error> {
    Ok(NoteLink {
        note_id: r.try_get(0)?,
        comment_id: r.try_get(1)?,
        site: r.try_get(2)?,
        actor: r.try_get(3)?,
    })
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn note(c: &mut impl GenericClient, note_id: &str) -> ApiResult<Option<NoteLink>> {
    Ok(c.query_opt(
        "SELECT note_id, comment_id, site, actor FROM fedi_notes WHERE note_id = $1",
        &[&note_id],
    )?
    .map(|r| link(&r))
    .transpose()?)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn note_of(c: &mut impl GenericClient, comment_id: i64) -> ApiResult<Option<NoteLink>> {
    Ok(c.query_opt(
        "SELECT note_id, comment_id, site, actor FROM fedi_notes WHERE comment_id = $1 LIMIT 1",
        &[&comment_id],
    )?
    .map(|r| link(&r))
    .transpose()?)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn link_note(c: &mut impl GenericClient, l: &NoteLink, now: Timestamp) -> ApiResult<()> {
    c.execute(
        "INSERT INTO fedi_notes (note_id, comment_id, site, actor, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (note_id) DO NOTHING",
        &[&l.note_id, &l.comment_id, &l.site, &l.actor, &now],
    )?;
    Ok(())
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn actor_trusted(c: &mut impl GenericClient, site: &str, actor: &str) -> ApiResult<bool> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM fedi_notes n JOIN comments c ON c.id = n.comment_id
           WHERE n.site = $1 AND n.actor = $2 AND c.status = 'approved')",
        &[&site, &actor],
    )?
    .try_get(0)?)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn react(c: &mut impl GenericClient, r: &NewReaction, now: Timestamp) -> ApiResult<()> {
    c.execute(
        "INSERT INTO fedi_reactions (post_id, kind, actor, activity_id, site, page, name, url,
            created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (post_id, kind, actor) DO UPDATE SET activity_id = excluded.activity_id,
            name = excluded.name, url = excluded.url",
        &[
            &r.post_id,
            &r.kind,
            &r.actor,
            &r.activity_id,
            &r.site,
            &r.page,
            &r.name,
            &r.url,
            &now,
        ],
    )?;
    Ok(())
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn unreact(c: &mut impl GenericClient, actor: &str, activity_id: &str) -> ApiResult<bool> {
    Ok(c.execute(
        "DELETE FROM fedi_reactions WHERE actor = $1 AND activity_id = $2",
        &[&actor, &activity_id],
    )? > 0)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn actor_comments(
    c: &mut impl GenericClient,
    site: &str,
    actor: &str,
) -> ApiResult<Vec<Comment>> {
    let sql = format!(
        "SELECT {} FROM comments c JOIN pages p ON p.id = c.page_id
         WHERE c.id IN (SELECT comment_id FROM fedi_notes WHERE site = $1 AND actor = $2)
         ORDER BY c.id DESC",
        crate::store::comments::COMMENT_COLUMNS
    );
    c.query(&sql, &[&site, &actor])?
        .iter()
        .map(|r| comment_from_row(r).map_err(Into::into))
        .collect()
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn actors_at(c: &mut impl GenericClient, url: &str) -> ApiResult<Vec<String>> {
    let rows = c.query(
        "SELECT id FROM fedi_actors WHERE url = $1 ORDER BY id",
        &[&url],
    )?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn forget_actor(c: &mut impl GenericClient, site: &str, actor: &str) -> ApiResult<()> {
    for table in ["fedi_notes", "fedi_reactions", "fedi_followers"] {
        c.execute(
            &format!("DELETE FROM {table} WHERE site = $1 AND actor = $2"),
            &[&site, &actor],
        )?;
    }
    Ok(())
}
