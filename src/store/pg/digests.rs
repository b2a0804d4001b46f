//! PostgreSQL statements for `digests` (SQLite's are in `store/digests.rs`).

use postgres::GenericClient;

use super::rows::same_lower;
use crate::config::MAX_DIGEST_WINDOW;
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult};
use crate::store::digests::DigestEntry;

/// SQLite's `json_extract(payload, '$.purpose')`: the payload's `purpose` member as text
/// (an error on a payload that is not JSON, as in SQLite). `json`, not `jsonb`: only the
/// member read is unescaped, so a `\u0000` elsewhere in a payload is no error.
const PURPOSE: &str = "(payload::json ->> 'purpose')";

/// See the trait method in `store/tx.rs`.
pub fn open_digest(
    c: &mut impl GenericClient,
    to: &str,
    site: &str,
    now: Timestamp,
) -> ApiResult<Option<i64>> {
    let sql = format!(
        "SELECT id FROM outbox
          WHERE kind = 'email' AND {} AND created_at > $3::bigint - $4::bigint
            AND site = $2 AND status = 'pending' AND attempts = 0 AND claimed_by IS NULL
            AND next_attempt_at > $3 AND {PURPOSE} = 'digest'
          ORDER BY id DESC LIMIT 1",
        same_lower("target", "$1")
    );
    let row = c.query_opt(&sql, &[&to, &site, &now, &i64::from(MAX_DIGEST_WINDOW)])?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// See the trait method in `store/tx.rs`.
pub fn mailed_alone(c: &mut impl GenericClient, to: &str, since: Timestamp) -> ApiResult<i64> {
    let sql = format!(
        "SELECT count(*) FROM outbox
          WHERE kind = 'email' AND {} AND created_at > $2 AND {PURPOSE} = 'moderation'",
        same_lower("target", "$1")
    );
    Ok(c.query_one(&sql, &[&to, &since])?.try_get(0)?)
}

/// See the trait method in `store/tx.rs`.
pub fn add_entry(
    c: &mut impl GenericClient,
    digest: i64,
    comment_id: i64,
    entry: &DigestEntry,
    now: Timestamp,
) -> ApiResult<()> {
    c.execute(
        "INSERT INTO digest_entries (outbox_id, comment_id, held, text, html, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &digest,
            &comment_id,
            &i64::from(entry.held),
            &entry.text,
            &entry.html,
            &now,
        ],
    )?;
    Ok(())
}

/// See the trait method in `store/tx.rs`. A row that is gone is an error, as in SQLite.
pub fn contents(c: &mut impl GenericClient, id: i64) -> ApiResult<(String, Vec<DigestEntry>)> {
    let site: String = c
        .query_opt(
            "SELECT coalesce(site, '') FROM outbox WHERE id = $1",
            &[&id],
        )?
        .ok_or_else(|| ApiError::Internal(format!("digest {id}: no such outbox row")))?
        .try_get(0)?;
    let rows = c.query(
        "SELECT held, text, html FROM digest_entries WHERE outbox_id = $1 ORDER BY id",
        &[&id],
    )?;
    let entries = rows
        .iter()
        .map(|r| {
            Ok(DigestEntry {
                held: r.try_get::<_, i64>(0)? != 0,
                text: r.try_get(1)?,
                html: r.try_get(2)?,
            })
        })
        .collect::<Result<_, postgres::Error>>()?;
    Ok((site, entries))
}

/// Removes the entries about the comments `ids` from every digest, pending or sent, and the
/// digests left with none. Returns how many entries and rows went (SQLite's
/// `digests::forget`, for `outbox::forget`).
pub fn forget(c: &mut impl GenericClient, ids: &[i64]) -> ApiResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let gone = c.query(
        "DELETE FROM digest_entries WHERE comment_id = ANY($1::bigint[]) RETURNING outbox_id",
        &[&ids],
    )?;
    let mut digests = gone
        .iter()
        .map(|r| r.try_get::<_, i64>(0))
        .collect::<Result<Vec<_>, _>>()?;
    digests.sort_unstable();
    digests.dedup();
    // A second statement: its snapshot sees the entries the first removed as gone.
    let emptied = c.execute(
        "DELETE FROM outbox o WHERE o.id = ANY($1::bigint[])
           AND NOT EXISTS (SELECT 1 FROM digest_entries d WHERE d.outbox_id = o.id)",
        &[&digests],
    )?;
    let n = gone
        .len()
        .saturating_add(usize::try_from(emptied).unwrap_or(usize::MAX));
    Ok(n)
}

/// See the trait method in `store/tx.rs`.
pub fn drop_claimed(c: &mut impl GenericClient, id: i64, owner: &str) -> ApiResult<bool> {
    Ok(c.execute(
        "DELETE FROM outbox WHERE id = $1 AND claimed_by = $2",
        &[&id, &owner],
    )? == 1)
}
