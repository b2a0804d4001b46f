//! Blocks and the audit log (the moderation desk's tables).

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::desk::{AuditEntry, Author, Block, NewBlock};
use crate::domain::Timestamp;

const BLOCK_COLUMNS: &str = "id, site, kind, value, expires_at, created_at, created_by";

fn block(r: &Row<'_>) -> rusqlite::Result<Block> {
    Ok(Block {
        id: r.get(0)?,
        site: r.get(1)?,
        kind: r.get(2)?,
        value: r.get(3)?,
        expires_at: r.get(4)?,
        created_at: r.get(5)?,
        created_by: r.get(6)?,
    })
}

/// Stores a block and returns it.
pub fn add_block(conn: &Connection, b: &NewBlock) -> rusqlite::Result<Block> {
    let sql = format!(
        "INSERT INTO blocks (site, kind, value, match_key, expires_at, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {BLOCK_COLUMNS}"
    );
    conn.prepare_cached(&sql)?.query_row(
        params![
            b.site,
            b.kind.as_str(),
            b.value,
            b.match_key,
            b.expires_at,
            b.created_at,
            b.created_by
        ],
        block,
    )
}

/// The blocks of one site (or all), newest first.
pub fn blocks(conn: &Connection, site: Option<&str>) -> rusqlite::Result<Vec<Block>> {
    let sql = format!(
        "SELECT {BLOCK_COLUMNS} FROM blocks WHERE ?1 IS NULL OR site = ?1 ORDER BY id DESC"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([site], block)?;
    rows.collect()
}

/// Removes a block; returns it as it was, if there was one.
pub fn remove_block(conn: &Connection, id: i64) -> rusqlite::Result<Option<Block>> {
    let sql = format!("DELETE FROM blocks WHERE id = ?1 RETURNING {BLOCK_COLUMNS}");
    conn.prepare_cached(&sql)?.query_row([id], block).optional()
}

/// The keyed hash of the author key a comment was sent with, if it was sent with one.
pub fn author_key_of(conn: &Connection, comment_id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT author_key_hash FROM comments WHERE id = ?1")?
        .query_row([comment_id], |r| r.get(0))
        .optional()
        .map(Option::flatten)
}

/// Whether a block in force on `site` matches the author.
pub fn is_blocked(
    conn: &Connection,
    site: &str,
    a: &Author<'_>,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let email = a.email.map(str::to_lowercase);
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM blocks WHERE site = ?1
           AND (expires_at IS NULL OR expires_at > ?2)
           AND ((kind = 'email' AND match_key = ?3) OR (kind = 'network' AND match_key = ?4)
                OR (kind = 'author_key' AND match_key = ?5)))",
    )?
    .query_row(params![site, now, email, a.network, a.key_hash], |r| {
        r.get(0)
    })
}

/// Records one moderation action.
pub fn record(conn: &Connection, e: &AuditEntry) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit (at, actor, action, site, comment_id) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![e.at, e.actor, e.action, e.site, e.comment_id])?;
    Ok(())
}

/// One page of the audit log (of one site, or all), newest first, and how many in all.
pub fn audit(
    conn: &Connection,
    site: Option<&str>,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<(Vec<AuditEntry>, i64)> {
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM audit WHERE ?1 IS NULL OR site = ?1")?
        .query_row([site], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, site, comment_id FROM audit WHERE ?1 IS NULL OR site = ?1
         ORDER BY id DESC LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(params![site, limit, offset], |r| {
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            site: r.get(4)?,
            comment_id: r.get(5)?,
        })
    })?;
    Ok((rows.collect::<Result<_, _>>()?, total))
}
