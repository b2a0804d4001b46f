//! PostgreSQL statements for sign-in's rows: the same text as SQLite's (`store/signin.rs`),
//! with `$N` parameters.

use postgres::{GenericClient, Row};

use crate::domain::comment::Comment;
use crate::domain::signin::{AuthState, Identity, Session};
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::pg::comments::{comment_from_row, delete_comment};
use crate::store::signin::{comments_sql, sql};

/// SQLite's `?N` spelled as PostgreSQL's `$N` (the statements hold no other `?`).
fn pg(sql: &str) -> String {
    sql.replace('?', "$")
}

fn state(r: &Row) -> Result<AuthState, postgres::Error> {
    Ok(AuthState {
        id_hash: r.try_get(0)?,
        kind: r.try_get(1)?,
        site: r.try_get(2)?,
        origin: r.try_get(3)?,
        binding_hash: r.try_get(4)?,
        data: r.try_get(5)?,
        expires_at: r.try_get(6)?,
    })
}

fn identity_at(r: &Row, at: usize) -> Result<Identity, postgres::Error> {
    Ok(Identity {
        id: r.try_get(at)?,
        site: r.try_get(at + 1)?,
        provider: r.try_get(at + 2)?,
        subject: r.try_get(at + 3)?,
        name: r.try_get(at + 4)?,
        created_at: r.try_get(at + 5)?,
    })
}

fn session(r: &Row) -> Result<Session, postgres::Error> {
    Ok(Session {
        id: r.try_get(0)?,
        identity_id: r.try_get(1)?,
        site: r.try_get(2)?,
        created_at: r.try_get(3)?,
        expires_at: r.try_get(4)?,
        last_seen_at: r.try_get(5)?,
    })
}

fn both(r: &Row) -> Result<(Session, Identity), postgres::Error> {
    Ok((session(r)?, identity_at(r, 6)?))
}

/// See the trait method in `store/signin_tx.rs`.
pub fn put_state(c: &mut impl GenericClient, s: &AuthState, now: Timestamp) -> ApiResult<()> {
    c.execute(&pg(sql::FORGET_STATES), &[&now])?;
    c.execute(
        &pg(sql::PUT_STATE),
        &[
            &s.id_hash,
            &s.kind,
            &s.site,
            &s.origin,
            &s.binding_hash,
            &s.data,
            &s.expires_at,
        ],
    )?;
    Ok(())
}

/// See the trait method.
pub fn take_state(
    c: &mut impl GenericClient,
    id_hash: &str,
    now: Timestamp,
) -> ApiResult<Option<AuthState>> {
    let s = c
        .query_opt(&pg(sql::TAKE_STATE), &[&id_hash])?
        .map(|r| state(&r))
        .transpose()?;
    Ok(s.filter(|s| s.expires_at > now))
}

/// See the trait method.
pub fn upsert_identity(
    c: &mut impl GenericClient,
    site: &str,
    provider: &str,
    subject: &str,
    name: &str,
    now: Timestamp,
) -> ApiResult<Identity> {
    let r = c.query_one(
        &pg(sql::UPSERT_IDENTITY),
        &[&site, &provider, &subject, &name, &now],
    )?;
    Ok(identity_at(&r, 0)?)
}

/// See the trait method.
pub fn identity(c: &mut impl GenericClient, id: i64) -> ApiResult<Option<Identity>> {
    Ok(c.query_opt(&pg(sql::FIND_IDENTITY), &[&id])?
        .map(|r| identity_at(&r, 0))
        .transpose()?)
}

/// See the trait method.
pub fn identities(c: &mut impl GenericClient, ids: &[i64]) -> ApiResult<Vec<Identity>> {
    let rows = c.query(
        "SELECT id, site, provider, subject, name, created_at FROM identities WHERE id = ANY($1)",
        &[&ids],
    )?;
    Ok(rows
        .iter()
        .map(|r| identity_at(r, 0))
        .collect::<Result<_, _>>()?)
}

/// See the trait method.
pub fn add_passkey(
    c: &mut impl GenericClient,
    identity_id: i64,
    credential_id: &str,
    passkey: &str,
    now: Timestamp,
) -> ApiResult<()> {
    c.execute(
        &pg(sql::ADD_PASSKEY),
        &[&identity_id, &credential_id, &passkey, &now],
    )?;
    Ok(())
}

/// See the trait method.
pub fn find_passkey(
    c: &mut impl GenericClient,
    credential_id: &str,
) -> ApiResult<Option<(i64, String)>> {
    let r = c.query_opt(&pg(sql::FIND_PASSKEY), &[&credential_id])?;
    Ok(
        r.map(|r| Ok::<_, postgres::Error>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?,
    )
}

/// See the trait method.
pub fn passkey_used(
    c: &mut impl GenericClient,
    credential_id: &str,
    passkey: &str,
    now: Timestamp,
) -> ApiResult<()> {
    c.execute(&pg(sql::USED_PASSKEY), &[&credential_id, &passkey, &now])?;
    Ok(())
}

/// See the trait method.
pub fn open_session(
    c: &mut impl GenericClient,
    identity_id: i64,
    site: &str,
    now: Timestamp,
    expires: Timestamp,
) -> ApiResult<i64> {
    let r = c.query_one(
        &pg(sql::OPEN_SESSION),
        &[&identity_id, &site, &now, &expires],
    )?;
    Ok(r.try_get(0)?)
}

/// See the trait method.
pub fn live_session(
    c: &mut impl GenericClient,
    id: i64,
    now: Timestamp,
) -> ApiResult<Option<(Session, Identity)>> {
    Ok(c.query_opt(&pg(sql::LIVE_SESSION), &[&now, &id])?
        .map(|r| both(&r))
        .transpose()?)
}

/// See the trait method.
pub fn touch_session(c: &mut impl GenericClient, id: i64, now: Timestamp) -> ApiResult<()> {
    c.execute(&pg(sql::TOUCH_SESSION), &[&id, &now])?;
    Ok(())
}

/// See the trait method.
pub fn revoke_session(c: &mut impl GenericClient, id: i64, now: Timestamp) -> ApiResult<bool> {
    Ok(c.execute(&pg(sql::REVOKE_SESSION), &[&id, &now])? == 1)
}

/// See the trait method.
pub fn sessions(
    c: &mut impl GenericClient,
    site: Option<&str>,
    now: Timestamp,
) -> ApiResult<Vec<(Session, Identity)>> {
    let rows = c.query(&pg(sql::LIVE_SESSIONS), &[&now, &site])?;
    Ok(rows.iter().map(both).collect::<Result<_, _>>()?)
}

/// See the trait method.
pub fn identity_sessions(
    c: &mut impl GenericClient,
    identity_id: i64,
    now: Timestamp,
) -> ApiResult<Vec<Session>> {
    let rows = c.query(&pg(sql::IDENTITY_SESSIONS), &[&now, &identity_id])?;
    Ok(rows.iter().map(session).collect::<Result<_, _>>()?)
}

/// See the trait method.
pub fn identity_comments(c: &mut impl GenericClient, identity_id: i64) -> ApiResult<Vec<Comment>> {
    let rows = c.query(&pg(&comments_sql()), &[&identity_id])?;
    Ok(rows
        .iter()
        .map(comment_from_row)
        .collect::<Result<_, _>>()?)
}

/// See the trait method.
pub fn identity_trusted(
    c: &mut impl GenericClient,
    site: &str,
    identity_id: i64,
) -> ApiResult<bool> {
    Ok(c.query_one(&pg(sql::TRUSTED), &[&identity_id, &site])?
        .try_get(0)?)
}

/// See the trait method.
pub fn erase_identity(c: &mut impl GenericClient, identity_id: i64) -> ApiResult<Vec<Comment>> {
    let erased = identity_comments(c, identity_id)?;
    for e in &erased {
        delete_comment(c, e.id)?;
    }
    for q in sql::ERASE {
        c.execute(&pg(q), &[&identity_id])?;
    }
    Ok(erased)
}
