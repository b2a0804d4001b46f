//! Received Webmentions: the row per source and target, which is also the verifier's job
//! (claimed with a lease, like the outbox's deliveries), and the reactions of a page.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::webmention::{
    Load, Mention, MentionStatus, NewMention, Outcome, Reaction, Reactions, MAX_REACTORS,
};
use crate::domain::Timestamp;

/// Seconds a verifier holds its claim: past the fetch deadline with room to store the
/// result. A verifier that died lets the job become due again after this.
pub const LEASE: i64 = 60;

/// Records a received Webmention and returns its id. The same source and target again is
/// the same row, queued again at once; a verification under way of it loses its claim, so
/// its result is not stored and the pair is verified again from the start.
pub fn receive(conn: &Connection, m: &NewMention, now: Timestamp) -> rusqlite::Result<String> {
    conn.prepare_cached(
        "INSERT INTO webmentions (id, site, page, source, target, source_host, sender_ip, status,
            next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8, ?8)
         ON CONFLICT (source, target) DO UPDATE SET
            status = 'queued', reason = NULL, attempts = 0, sender_ip = excluded.sender_ip,
            next_attempt_at = excluded.next_attempt_at, claimed_by = NULL, claimed_until = NULL,
            updated_at = excluded.updated_at",
    )?
    .execute(params![
        m.id,
        m.site,
        m.page,
        m.source,
        m.target,
        m.source_host,
        m.sender_ip,
        now
    ])?;
    conn.prepare_cached("SELECT id FROM webmentions WHERE source = ?1 AND target = ?2")?
        .query_row(params![m.source, m.target], |r| r.get(0))
}

/// Webmentions from `host` and for `page` since `since`, and every queued one.
pub fn load(conn: &Connection, m: &NewMention, since: Timestamp) -> rusqlite::Result<Load> {
    conn.prepare_cached(
        "SELECT (SELECT count(*) FROM webmentions WHERE source_host = ?1 AND created_at >= ?4),
                (SELECT count(*) FROM webmentions WHERE site = ?2 AND page = ?3 AND created_at >= ?4),
                (SELECT count(*) FROM webmentions WHERE status = 'queued'),
                EXISTS (SELECT 1 FROM webmentions WHERE source = ?5 AND target = ?6)",
    )?
    .query_row(params![m.source_host, m.site, m.page, since, m.source, m.target], |r| {
        Ok(Load {
            from_host: r.get(0)?,
            for_page: r.get(1)?,
            queued: r.get(2)?,
            known: r.get(3)?,
        })
    })
}

/// A Webmention's status and reason.
pub fn state(
    conn: &Connection,
    id: &str,
) -> rusqlite::Result<Option<(MentionStatus, Option<String>)>> {
    conn.prepare_cached("SELECT status, reason FROM webmentions WHERE id = ?1")?
        .query_row([id], |r| {
            Ok((MentionStatus::parse(&r.get::<_, String>(0)?), r.get(1)?))
        })
        .optional()
}

/// Whether a verification is due (a read: most polls find none).
pub fn due(conn: &Connection, now: Timestamp) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM webmentions WHERE status = 'queued'
           AND next_attempt_at <= ?1 AND (claimed_until IS NULL OR claimed_until <= ?1))",
    )?
    .query_row([now], |r| r.get(0))
}

const MENTION_COLUMNS: &str = "id, site, page, source, target, source_host, sender_ip, kind, \
                               comment_id, attempts, created_at";

fn mention(r: &Row<'_>) -> rusqlite::Result<Mention> {
    Ok(Mention {
        id: r.get(0)?,
        site: r.get(1)?,
        page: r.get(2)?,
        source: r.get(3)?,
        target: r.get(4)?,
        source_host: r.get(5)?,
        sender_ip: r.get(6)?,
        kind: r.get(7)?,
        comment_id: r.get(8)?,
        attempts: r.get(9)?,
        created_at: r.get(10)?,
    })
}

/// Claims, for `owner`, the oldest due verification that nobody holds.
pub fn claim(conn: &Connection, owner: &str, now: Timestamp) -> rusqlite::Result<Option<Mention>> {
    let sql = format!(
        "UPDATE webmentions SET claimed_by = ?2, claimed_until = ?1 + {LEASE}, attempts = attempts + 1
         WHERE id = (SELECT id FROM webmentions WHERE status = 'queued' AND next_attempt_at <= ?1
                       AND (claimed_until IS NULL OR claimed_until <= ?1)
                     ORDER BY next_attempt_at, created_at LIMIT 1)
         RETURNING {MENTION_COLUMNS}"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![now, owner], mention)
        .optional()
}

/// Stores how a verification ended and releases the claim; `false` when `owner` no longer
/// held it (its lease ran out, or the pair was sent again meanwhile and is queued anew).
pub fn finish(
    conn: &Connection,
    id: &str,
    owner: &str,
    outcome: &Outcome,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let n = match outcome {
        Outcome::Accepted {
            kind,
            comment_id,
            author_name,
            author_url,
        } => conn.execute(
            "UPDATE webmentions SET status = 'accepted', reason = NULL, kind = ?3,
                comment_id = ?4, author_name = ?5, author_url = ?6, updated_at = ?7,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = ?1 AND claimed_by = ?2",
            params![id, owner, kind, comment_id, author_name, author_url, now],
        )?,
        Outcome::Rejected { reason } => conn.execute(
            "UPDATE webmentions SET status = 'rejected', reason = ?3, kind = NULL,
                comment_id = NULL, author_name = NULL, author_url = NULL, updated_at = ?4,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = ?1 AND claimed_by = ?2",
            params![id, owner, reason, now],
        )?,
        Outcome::Retry { reason, at } => conn.execute(
            "UPDATE webmentions SET reason = ?3, next_attempt_at = ?4, updated_at = ?5,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = ?1 AND claimed_by = ?2",
            params![id, owner, reason, at, now],
        )?,
    };
    Ok(n == 1)
}

/// A page's likes, reposts and bookmarks: by Webmention and from the Fediverse.
pub fn reactions(conn: &Connection, site: &str, page: &str) -> rusqlite::Result<Reactions> {
    let mut out = Reactions::default();
    let mut stmt = conn.prepare_cached(
        "SELECT kind, count(*) FROM (
           SELECT kind FROM webmentions
           WHERE site = ?1 AND page = ?2 AND status = 'accepted'
             AND kind IN ('like', 'repost', 'bookmark')
           UNION ALL SELECT kind FROM fedi_reactions WHERE site = ?1 AND page = ?2) r
         GROUP BY kind",
    )?;
    let mut rows = stmt.query(params![site, page])?;
    while let Some(r) = rows.next()? {
        let n: i64 = r.get(1)?;
        match r.get::<_, String>(0)?.as_str() {
            "like" => out.likes = n,
            "repost" => out.reposts = n,
            _ => out.bookmarks = n,
        }
    }
    if out.likes + out.reposts + out.bookmarks == 0 {
        return Ok(out);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT kind, name, url FROM (
           SELECT kind, coalesce(author_name, source_host) AS name,
             coalesce(author_url, source) AS url, updated_at AS at, id
           FROM webmentions
           WHERE site = ?1 AND page = ?2 AND status = 'accepted'
             AND kind IN ('like', 'repost', 'bookmark')
           UNION ALL SELECT kind, name, url, created_at, activity_id FROM fedi_reactions
           WHERE site = ?1 AND page = ?2) r
         ORDER BY at DESC, id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![site, page, MAX_REACTORS as i64], |r| {
        Ok(Reaction {
            kind: r.get(0)?,
            name: r.get(1)?,
            url: r.get(2)?,
        })
    })?;
    out.people = rows.collect::<Result<_, _>>()?;
    Ok(out)
}

/// Whether `site` has an approved comment that came as a Webmention from `host`: under
/// `first` moderation, trust is per source host.
pub fn host_trusted(conn: &Connection, site: &str, host: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM webmentions w JOIN comments c ON c.id = w.comment_id
           WHERE w.site = ?1 AND w.source_host = ?2 AND w.status = 'accepted'
             AND c.status = 'approved')",
    )?
    .query_row(params![site, host], |r| r.get(0))
}
