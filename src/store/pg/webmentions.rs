//! PostgreSQL statements for `webmentions` (SQLite's, with the why, are in
//! `store/webmentions.rs`).

use postgres::{GenericClient, Row};

use crate::domain::webmention::{
    Load, Mention, MentionStatus, NewMention, Outcome, Reaction, Reactions, MAX_REACTORS,
};
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::webmentions::LEASE;

/// See the trait method in `store/tx.rs`.
pub fn receive(c: &mut impl GenericClient, m: &NewMention, now: Timestamp) -> ApiResult<String> {
    let row = c.query_one(
        "INSERT INTO webmentions (id, site, page, source, target, source_host, sender_ip, status,
            next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $8)
         ON CONFLICT (source, target) DO UPDATE SET
            status = 'queued', reason = NULL, attempts = 0, sender_ip = excluded.sender_ip,
            next_attempt_at = excluded.next_attempt_at, claimed_by = NULL, claimed_until = NULL,
            updated_at = excluded.updated_at
         RETURNING id",
        &[
            &m.id,
            &m.site,
            &m.page,
            &m.source,
            &m.target,
            &m.source_host,
            &m.sender_ip,
            &now,
        ],
    )?;
    Ok(row.try_get(0)?)
}

/// See the trait method in `store/tx.rs`.
pub fn load(c: &mut impl GenericClient, m: &NewMention, since: Timestamp) -> ApiResult<Load> {
    let r = c.query_one(
        "SELECT (SELECT count(*) FROM webmentions WHERE source_host = $1 AND created_at >= $4),
                (SELECT count(*) FROM webmentions WHERE site = $2 AND page = $3 AND created_at >= $4),
                (SELECT count(*) FROM webmentions WHERE status = 'queued'),
                EXISTS (SELECT 1 FROM webmentions WHERE source = $5 AND target = $6)",
        &[&m.source_host, &m.site, &m.page, &since, &m.source, &m.target],
    )?;
    Ok(Load {
        from_host: r.try_get(0)?,
        for_page: r.try_get(1)?,
        queued: r.try_get(2)?,
        known: r.try_get(3)?,
    })
}

/// See the trait method in `store/tx.rs`.
pub fn state(
    c: &mut impl GenericClient,
    id: &str,
) -> ApiResult<Option<(MentionStatus, Option<String>)>> {
    match c.query_opt(
        "SELECT status, reason FROM webmentions WHERE id = $1",
        &[&id],
    )? {
        Some(r) => Ok(Some((
            MentionStatus::parse(&r.try_get::<_, String>(0)?),
            r.try_get(1)?,
        ))),
        None => Ok(None),
    }
}

/// See the trait method in `store/tx.rs`.
pub fn due(c: &mut impl GenericClient, now: Timestamp) -> ApiResult<bool> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM webmentions WHERE status = 'queued'
           AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1))",
        &[&now],
    )?
    .try_get(0)?)
}

fn mention(r: &Row) -> Result<Mention, postgres::Error> {
    Ok(Mention {
        id: r.try_get(0)?,
        site: r.try_get(1)?,
        page: r.try_get(2)?,
        source: r.try_get(3)?,
        target: r.try_get(4)?,
        source_host: r.try_get(5)?,
        sender_ip: r.try_get(6)?,
        kind: r.try_get(7)?,
        comment_id: r.try_get(8)?,
        attempts: r.try_get(9)?,
        created_at: r.try_get(10)?,
    })
}

/// See the trait method in `store/tx.rs`.
pub fn claim(
    c: &mut impl GenericClient,
    owner: &str,
    now: Timestamp,
) -> ApiResult<Option<Mention>> {
    let sql = format!(
        "UPDATE webmentions SET claimed_by = $2, claimed_until = $1 + {LEASE},
            attempts = attempts + 1
         WHERE id = (SELECT id FROM webmentions WHERE status = 'queued' AND next_attempt_at <= $1
                       AND (claimed_until IS NULL OR claimed_until <= $1)
                     ORDER BY next_attempt_at, created_at LIMIT 1
                     FOR UPDATE SKIP LOCKED)
         RETURNING id, site, page, source, target, source_host, sender_ip, kind, comment_id,
            attempts, created_at"
    );
    match c.query_opt(&sql, &[&now, &owner])? {
        Some(r) => Ok(Some(mention(&r)?)),
        None => Ok(None),
    }
}

/// See the trait method in `store/tx.rs`.
pub fn finish(
    c: &mut impl GenericClient,
    id: &str,
    owner: &str,
    outcome: &Outcome,
    now: Timestamp,
) -> ApiResult<bool> {
    let n = match outcome {
        Outcome::Accepted {
            kind,
            comment_id,
            author_name,
            author_url,
        } => c.execute(
            "UPDATE webmentions SET status = 'accepted', reason = NULL, kind = $3,
                comment_id = $4, author_name = $5, author_url = $6, updated_at = $7,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = $1 AND claimed_by = $2",
            &[&id, &owner, kind, comment_id, author_name, author_url, &now],
        )?,
        Outcome::Rejected { reason } => c.execute(
            "UPDATE webmentions SET status = 'rejected', reason = $3, kind = NULL,
                comment_id = NULL, author_name = NULL, author_url = NULL, updated_at = $4,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = $1 AND claimed_by = $2",
            &[&id, &owner, reason, &now],
        )?,
        Outcome::Retry { reason, at } => c.execute(
            "UPDATE webmentions SET reason = $3, next_attempt_at = $4, updated_at = $5,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = $1 AND claimed_by = $2",
            &[&id, &owner, reason, at, &now],
        )?,
    };
    Ok(n == 1)
}

/// See the trait method in `store/tx.rs`.
pub fn reactions(c: &mut impl GenericClient, site: &str, page: &str) -> ApiResult<Reactions> {
    let mut out = Reactions::default();
    for r in c.query(
        "SELECT kind, count(*) FROM (
           SELECT kind FROM webmentions
           WHERE site = $1 AND page = $2 AND status = 'accepted'
             AND kind IN ('like', 'repost', 'bookmark')
           UNION ALL SELECT kind FROM fedi_reactions WHERE site = $1 AND page = $2) r
         GROUP BY kind",
        &[&site, &page],
    )? {
        let n: i64 = r.try_get(1)?;
        match r.try_get::<_, String>(0)?.as_str() {
            "like" => out.likes = n,
            "repost" => out.reposts = n,
            _ => out.bookmarks = n,
        }
    }
    if out.likes + out.reposts + out.bookmarks == 0 {
        return Ok(out);
    }
    let limit = MAX_REACTORS as i64;
    for r in c.query(
        "SELECT kind, name, url FROM (
           SELECT kind, coalesce(author_name, source_host) AS name,
             coalesce(author_url, source) AS url, updated_at AS at, id
           FROM webmentions
           WHERE site = $1 AND page = $2 AND status = 'accepted'
             AND kind IN ('like', 'repost', 'bookmark')
           UNION ALL SELECT kind, name, url, created_at, activity_id FROM fedi_reactions
           WHERE site = $1 AND page = $2) r
         ORDER BY at DESC, id COLLATE \"C\" LIMIT $3",
        &[&site, &page, &limit],
    )? {
        out.people.push(Reaction {
            kind: r.try_get(0)?,
            name: r.try_get(1)?,
            url: r.try_get(2)?,
        });
    }
    Ok(out)
}

/// See the trait method in `store/tx.rs`.
pub fn host_trusted(c: &mut impl GenericClient, site: &str, host: &str) -> ApiResult<bool> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM webmentions w JOIN comments c ON c.id = w.comment_id
           WHERE w.site = $1 AND w.source_host = $2 AND w.status = 'accepted'
             AND c.status = 'approved')",
        &[&site, &host],
    )?
    .try_get(0)?)
}
