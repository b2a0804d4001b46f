//! PostgreSQL statements for `outbox` (SQLite's are in `store/outbox.rs`).

use postgres::{GenericClient, Row};

use super::rows::{like, limit, same_lower, NO_ESCAPE};
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::outbox::{About, Email, Item, LEASE};

/// See the trait method in `store/tx.rs`.
pub fn push_email(
    c: &mut impl GenericClient,
    to: &str,
    mail: &Email,
    about: About<'_>,
    now: Timestamp,
) -> ApiResult<()> {
    let payload = serde_json::to_string(mail).unwrap_or_default();
    push(c, "email", to, &payload, about, now, now).map(drop)
}

/// See the trait method in `store/tx.rs`.
pub fn push_email_due(
    c: &mut impl GenericClient,
    to: &str,
    mail: &Email,
    about: About<'_>,
    now: Timestamp,
    due: Timestamp,
) -> ApiResult<i64> {
    let payload = serde_json::to_string(mail).unwrap_or_default();
    push(c, "email", to, &payload, about, now, due)
}

/// See the trait method in `store/tx.rs`.
pub fn push_webhook(
    c: &mut impl GenericClient,
    url: &str,
    body: &str,
    about: About<'_>,
    now: Timestamp,
) -> ApiResult<()> {
    push(c, "webhook", url, body, about, now, now).map(drop)
}

fn push(
    c: &mut impl GenericClient,
    kind: &str,
    target: &str,
    payload: &str,
    about: About<'_>,
    now: Timestamp,
    due: Timestamp,
) -> ApiResult<i64> {
    Ok(c.query_one(
        "INSERT INTO outbox (kind, target, payload, created_at, next_attempt_at, site, comment_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &[
            &kind,
            &target,
            &payload,
            &now,
            &due,
            &about.site,
            &about.comment,
        ],
    )?
    .try_get(0)?)
}

/// See the trait method in `store/tx.rs`. The same rows go as in SQLite's per-id loops, each
/// counted once, by one statement per kind of match.
pub fn forget(
    c: &mut impl GenericClient,
    site: &str,
    email: &str,
    ids: &[i64],
) -> ApiResult<usize> {
    let mut n = c.execute(
        &format!(
            "DELETE FROM outbox WHERE kind = 'email' AND {}
               AND (site = $1 OR site IS NULL)",
            same_lower("target", "$2")
        ),
        &[&site, &email],
    )?;
    if !ids.is_empty() {
        n += c.execute(
            "DELETE FROM outbox WHERE comment_id = ANY($1::bigint[])",
            &[&ids],
        )?;
        // Older moderator mail links `/moderate/{id}/delete?sig=`, older reply mail
        // `…#natter-{id}` followed by a line break (`\n`, two characters, inside the JSON
        // payload). As in SQLite, plain `LIKE` with no escape character, ASCII case aside.
        n += c.execute(
            &format!(
                "DELETE FROM outbox o WHERE o.comment_id IS NULL AND o.kind = 'email'
                   AND EXISTS (SELECT 1 FROM unnest($1::bigint[]) AS i (id)
                                WHERE {} OR {})",
                like(
                    "o.payload",
                    "'%/moderate/' || i.id || '/delete?sig=%'",
                    NO_ESCAPE
                ),
                like("o.payload", "'%#natter-' || i.id || E'\\\\n%'", NO_ESCAPE),
            ),
            &[&ids],
        )?;
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    Ok(n.saturating_add(super::digests::forget(c, ids)?))
}

/// See the trait method in `store/tx.rs`.
pub fn recently_mailed(
    c: &mut impl GenericClient,
    to: &str,
    purpose: &str,
    since: Timestamp,
) -> ApiResult<bool> {
    // As in SQLite, `purpose` goes into the pattern as it is (callers pass constants).
    let pattern = format!("%\"purpose\":\"{purpose}\"%");
    Ok(c.query_one(
        &format!(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE kind = 'email' AND {}
               AND created_at >= $2 AND {})",
            same_lower("target", "$1"),
            like("payload", "$3", NO_ESCAPE)
        ),
        &[&to, &since, &pattern],
    )?
    .try_get(0)?)
}

const ITEM_COLUMNS: &str = "id, kind, target, payload, created_at, attempts, status, last_error,
    next_attempt_at, claimed_at, claimed_until";

fn item(r: &Row) -> Result<Item, postgres::Error> {
    let (at, until): (Option<Timestamp>, Option<Timestamp>) = (r.try_get(9)?, r.try_get(10)?);
    Ok(Item {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        target: r.try_get(2)?,
        payload: r.try_get(3)?,
        created_at: r.try_get(4)?,
        attempts: r.try_get(5)?,
        status: r.try_get(6)?,
        last_error: r.try_get(7)?,
        next_attempt_at: r.try_get(8)?,
        attempt_started_at: at.filter(|_| until.is_some_and(|u| u > crate::domain::now())),
    })
}

/// See the trait method in `store/tx.rs`. In SQLite's order (its `GROUP BY` sorts).
pub fn counts(c: &mut impl GenericClient) -> ApiResult<Vec<(String, i64)>> {
    let rows = c.query(
        "SELECT status, count(*) FROM outbox GROUP BY status ORDER BY status COLLATE \"C\"",
        &[],
    )?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// See the trait method in `store/tx.rs`.
pub fn undelivered(c: &mut impl GenericClient, n: i64) -> ApiResult<Vec<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM outbox WHERE status != 'sent' ORDER BY id DESC LIMIT {}",
        limit("$1")
    );
    let rows = c.query(&sql, &[&n])?;
    Ok(rows.iter().map(item).collect::<Result<_, _>>()?)
}

/// The advisory lock every claim holds for its transaction, on every node ("outbox" in
/// ASCII; the migrations' lock spells "natter").
const CLAIM_LOCK: i64 = 0x6f75_7462_6f78;

/// How long, in milliseconds, a claim's transaction may sit idle before the server ends
/// its session: a node that vanished mid-claim (a half-open connection the server would
/// notice only at its TCP keepalive, by default after hours) releases [`CLAIM_LOCK`] then.
const CLAIM_IDLE_MS: i64 = 5_000;

/// See the trait method in `store/tx.rs`.
///
/// One claim at a time in the whole cluster: each claim takes [`CLAIM_LOCK`] in a
/// transaction of its own (a savepoint when it runs inside one), then claims with one
/// `UPDATE`. That statement starts after the lock is granted, so its snapshot holds every
/// claim committed before (a lock is released after its transaction's commit is visible):
/// the rules on URLs and email slots see every live claim, as in SQLite, where the claim
/// holds the write lock. Without the lock, two nodes claiming at once under READ COMMITTED
/// would each see the other's row as unclaimed: two attempts on one URL, or more emails
/// than slots. `SKIP LOCKED` passes over rows a writer is changing (an erase deleting one,
/// a mark on it) instead of waiting for it; a claim waits only for another claim.
pub fn claim(
    c: &mut impl GenericClient,
    owner: &str,
    now: Timestamp,
    email_slots: i64,
) -> ApiResult<Option<Item>> {
    // A read first: most polls find nothing, and those should not take the lock.
    let due: bool = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending'
               AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1))",
            &[&now],
        )?
        .try_get(0)?;
    if !due {
        return Ok(None);
    }
    let sql = format!(
        "UPDATE outbox SET claimed_by = $2, claimed_at = $1, claimed_until = $1 + {LEASE}
          WHERE id = (
            SELECT o.id FROM outbox o
             WHERE o.status = 'pending' AND o.next_attempt_at <= $1
               AND (o.claimed_until IS NULL OR o.claimed_until <= $1)
               AND CASE o.kind
                     WHEN 'email' THEN (SELECT count(*) FROM outbox e WHERE e.claimed_until > $1
                                          AND e.status = 'pending' AND e.kind = 'email') < $3
                     ELSE NOT EXISTS (SELECT 1 FROM outbox b WHERE b.claimed_until > $1
                                        AND b.status = 'pending' AND b.target = o.target)
                   END
             ORDER BY o.next_attempt_at, o.id LIMIT 1
             FOR UPDATE OF o SKIP LOCKED)
          RETURNING {ITEM_COLUMNS}"
    );
    let mut t = c.transaction()?;
    t.batch_execute(&format!(
        "SET LOCAL idle_in_transaction_session_timeout = {CLAIM_IDLE_MS};
         SELECT pg_advisory_xact_lock({CLAIM_LOCK})"
    ))?;
    let row = t.query_opt(&sql, &[&now, &owner, &email_slots])?;
    let claimed = row.as_ref().map(item).transpose()?;
    t.commit()?;
    Ok(claimed)
}

/// See the trait method in `store/tx.rs`.
pub fn mark_sent(
    c: &mut impl GenericClient,
    id: i64,
    owner: &str,
    now: Timestamp,
) -> ApiResult<bool> {
    Ok(c.execute(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, done_at = $3, last_error = NULL,
                claimed_by = NULL, claimed_at = NULL, claimed_until = NULL
          WHERE id = $1 AND claimed_by = $2",
        &[&id, &owner, &now],
    )? == 1)
}

/// See the trait method in `store/tx.rs`.
pub fn mark_failed(
    c: &mut impl GenericClient,
    id: i64,
    owner: &str,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> ApiResult<bool> {
    let n = match retry_at {
        Some(at) => c.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4,
                    claimed_by = NULL, claimed_at = NULL, claimed_until = NULL
              WHERE id = $1 AND claimed_by = $2",
            &[&id, &owner, &error, &at],
        )?,
        None => c.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $3, status = 'failed',
                    done_at = $4, claimed_by = NULL, claimed_at = NULL, claimed_until = NULL
              WHERE id = $1 AND claimed_by = $2",
            &[&id, &owner, &error, &now],
        )?,
    };
    Ok(n == 1)
}
