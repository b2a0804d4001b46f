//! PostgreSQL statements for `blocks` and `audit` (SQLite's are in `store/desk.rs`).

use postgres::{GenericClient, Row};

use crate::domain::desk::{AuditEntry, Author, Block, NewBlock};
use crate::domain::Timestamp;
use crate::error::ApiResult;

const BLOCK_COLUMNS: &str = "id, site, kind, value, expires_at, created_at, created_by";

fn block(r: &Row) -> Result<Block, postgres::Error> {
    Ok(Block {
        id: r.try_get(0)?,
        site: r.try_get(1)?,
        kind: r.try_get(2)?,
        value: r.try_get(3)?,
        expires_at: r.try_get(4)?,
        created_at: r.try_get(5)?,
        created_by: r.try_get(6)?,
    })
}

/// See the trait method in `store/tx.rs`.
pub fn add_block(c: &mut impl GenericClient, b: &NewBlock) -> ApiResult<Block> {
    let sql = format!(
        "INSERT INTO blocks (site, kind, value, match_key, expires_at, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {BLOCK_COLUMNS}"
    );
    let r = c.query_one(
        &sql,
        &[
            &b.site,
            &b.kind.as_str(),
            &b.value,
            &b.match_key,
            &b.expires_at,
            &b.created_at,
            &b.created_by,
        ],
    )?;
    Ok(block(&r)?)
}

/// See the trait method in `store/tx.rs`.
pub fn blocks(c: &mut impl GenericClient, site: Option<&str>) -> ApiResult<Vec<Block>> {
    let sql = format!(
        "SELECT {BLOCK_COLUMNS} FROM blocks WHERE $1::text IS NULL OR site = $1 ORDER BY id DESC"
    );
    let rows = c.query(&sql, &[&site])?;
    Ok(rows.iter().map(block).collect::<Result<_, _>>()?)
}

/// See the trait method in `store/tx.rs`.
pub fn remove_block(c: &mut impl GenericClient, id: i64) -> ApiResult<Option<Block>> {
    let sql = format!("DELETE FROM blocks WHERE id = $1 RETURNING {BLOCK_COLUMNS}");
    match c.query_opt(&sql, &[&id])? {
        Some(r) => Ok(Some(block(&r)?)),
        None => Ok(None),
    }
}

/// See the trait method in `store/tx.rs`.
pub fn author_key_of(c: &mut impl GenericClient, comment_id: i64) -> ApiResult<Option<String>> {
    let row = c.query_opt(
        "SELECT author_key_hash FROM comments WHERE id = $1",
        &[&comment_id],
    )?;
    Ok(match row {
        Some(r) => r.try_get(0)?,
        None => None,
    })
}

/// See the trait method in `store/tx.rs`.
pub fn is_blocked(
    c: &mut impl GenericClient,
    site: &str,
    a: &Author<'_>,
    now: Timestamp,
) -> ApiResult<bool> {
    let email = a.email.map(str::to_lowercase);
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM blocks WHERE site = $1
           AND (expires_at IS NULL OR expires_at > $2)
           AND ((kind = 'email' AND match_key = $3::text)
                OR (kind = 'network' AND match_key = $4::text)
                OR (kind = 'author_key' AND match_key = $5::text)))",
        &[&site, &now, &email, &a.network, &a.key_hash],
    )?
    .try_get(0)?)
}

/// See the trait method in `store/tx.rs`.
pub fn record(c: &mut impl GenericClient, e: &AuditEntry) -> ApiResult<()> {
    c.execute(
        "INSERT INTO audit (at, actor, action, site, comment_id) VALUES ($1, $2, $3, $4, $5)",
        &[&e.at, &e.actor, &e.action, &e.site, &e.comment_id],
    )?;
    Ok(())
}

/// See the trait method in `store/tx.rs`.
pub fn audit(
    c: &mut impl GenericClient,
    site: Option<&str>,
    limit: i64,
    offset: i64,
) -> ApiResult<(Vec<AuditEntry>, i64)> {
    let total: i64 = c
        .query_one(
            "SELECT count(*) FROM audit WHERE $1::text IS NULL OR site = $1",
            &[&site],
        )?
        .try_get(0)?;
    let rows = c.query(
        "SELECT id, at, actor, action, site, comment_id FROM audit
         WHERE $1::text IS NULL OR site = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
        &[&site, &limit, &offset],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(AuditEntry {
            id: r.try_get(0)?,
            at: r.try_get(1)?,
            actor: r.try_get(2)?,
            action: r.try_get(3)?,
            site: r.try_get(4)?,
            comment_id: r.try_get(5)?,
        });
    }
    Ok((out, total))
}
