//! PostgreSQL statements for the Fediverse's queues (SQLite's, with the why, are in
//! `store/fedi_queue.rs`); a claim skips rows another node has locked.

use postgres::GenericClient;

use crate::domain::fediverse::Delivery;
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::fedi_queue::LEASE;

/// See the trait method in `store/fedi_tx.rs`.
pub fn first_sight(
    c: &mut impl GenericClient,
    id: &str,
    now: Timestamp,
    forget_before: Timestamp,
) -> ApiResult<bool> {
    c.execute(
        "DELETE FROM fedi_seen WHERE seen_at < $1",
        &[&forget_before],
    )?;
    Ok(c.execute(
        "INSERT INTO fedi_seen (id, seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&id, &now],
    )? == 1)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn published(c: &mut impl GenericClient, comment_id: i64) -> ApiResult<Option<Vec<String>>> {
    let inboxes: Option<String> = c
        .query_opt(
            "SELECT inboxes FROM fedi_published WHERE comment_id = $1",
            &[&comment_id],
        )?
        .map(|r| r.try_get(0))
        .transpose()?;
    Ok(inboxes.map(|s| s.lines().map(str::to_string).collect()))
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn set_published(
    c: &mut impl GenericClient,
    comment_id: i64,
    site: &str,
    inboxes: &[String],
    now: Timestamp,
) -> ApiResult<()> {
    if inboxes.is_empty() {
        c.execute(
            "DELETE FROM fedi_published WHERE comment_id = $1",
            &[&comment_id],
        )?;
        return Ok(());
    }
    c.execute(
        "INSERT INTO fedi_published (comment_id, site, inboxes, created_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (comment_id) DO UPDATE SET inboxes = excluded.inboxes",
        &[&comment_id, &site, &inboxes.join("\n"), &now],
    )?;
    Ok(())
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn push(
    c: &mut impl GenericClient,
    site: &str,
    inbox: &str,
    body: &str,
    now: Timestamp,
) -> ApiResult<()> {
    c.execute(
        "INSERT INTO fedi_deliveries (site, inbox, body, status, next_attempt_at, created_at)
         VALUES ($1, $2, $3, 'pending', $4, $4)",
        &[&site, &inbox, &body, &now],
    )?;
    Ok(())
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn due(c: &mut impl GenericClient, now: Timestamp) -> ApiResult<bool> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM fedi_deliveries WHERE status = 'pending'
           AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1))",
        &[&now],
    )?
    .try_get(0)?)
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn claim(
    c: &mut impl GenericClient,
    owner: &str,
    now: Timestamp,
) -> ApiResult<Option<Delivery>> {
    let sql = format!(
        "UPDATE fedi_deliveries SET claimed_by = $2, claimed_until = $1 + {LEASE},
            attempts = attempts + 1
         WHERE id = (SELECT id FROM fedi_deliveries WHERE status = 'pending'
                       AND next_attempt_at <= $1
                       AND (claimed_until IS NULL OR claimed_until <= $1)
                     ORDER BY next_attempt_at, id LIMIT 1
                     FOR UPDATE SKIP LOCKED)
         RETURNING id, site, inbox, body, attempts"
    );
    match c.query_opt(&sql, &[&now, &owner])? {
        Some(r) => Ok(Some(Delivery {
            id: r.try_get(0)?,
            site: r.try_get(1)?,
            inbox: r.try_get(2)?,
            body: r.try_get(3)?,
            attempts: r.try_get(4)?,
        })),
        None => Ok(None),
    }
}

/// See the trait method in `store/fedi_tx.rs`.
pub fn finish(
    c: &mut impl GenericClient,
    id: i64,
    owner: &str,
    outcome: Result<(), (&str, Option<Timestamp>)>,
    now: Timestamp,
    forget_before: Timestamp,
) -> ApiResult<bool> {
    let n = match outcome {
        Ok(()) => c.execute(
            "UPDATE fedi_deliveries SET status = 'sent', last_error = NULL, done_at = $3,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = $1 AND claimed_by = $2",
            &[&id, &owner, &now],
        )?,
        Err((error, Some(at))) => c.execute(
            "UPDATE fedi_deliveries SET last_error = $3, next_attempt_at = $4,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = $1 AND claimed_by = $2",
            &[&id, &owner, &error, &at],
        )?,
        Err((error, None)) => c.execute(
            "UPDATE fedi_deliveries SET status = 'failed', last_error = $3, done_at = $4,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = $1 AND claimed_by = $2",
            &[&id, &owner, &error, &now],
        )?,
    };
    c.execute(
        "DELETE FROM fedi_deliveries WHERE status <> 'pending' AND done_at < $1",
        &[&forget_before],
    )?;
    Ok(n == 1)
}
