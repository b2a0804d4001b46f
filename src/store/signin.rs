//! Sign-in's rows on SQLite (identities, passkeys, sessions, ceremonies under way). The
//! statements are written once, with `?N` parameters, and PostgreSQL runs the same text
//! with `$N` (`pg/signin.rs`).

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::comments::{comment_from_row, delete_comment, COMMENT_COLUMNS};
use crate::domain::comment::Comment;
use crate::domain::signin::{AuthState, Identity, Session};
use crate::domain::Timestamp;

/// The statements both engines run.
pub mod sql {
    /// Forgets expired ceremonies.
    pub const FORGET_STATES: &str = "DELETE FROM auth_states WHERE expires_at <= ?1";
    /// Stores one.
    pub const PUT_STATE: &str = "INSERT INTO auth_states
        (id_hash, kind, site, origin, binding_hash, data, expires_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    /// Takes one out.
    pub const TAKE_STATE: &str = "DELETE FROM auth_states WHERE id_hash = ?1
        RETURNING id_hash, kind, site, origin, binding_hash, data, expires_at";
    /// An identity's columns.
    pub const IDENTITY: &str = "id, site, provider, subject, name, created_at";
    /// Makes or renames an identity.
    pub const UPSERT_IDENTITY: &str = "INSERT INTO identities
        (site, provider, subject, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT (site, provider, subject) DO UPDATE SET name = excluded.name
        RETURNING id, site, provider, subject, name, created_at";
    /// One identity.
    pub const FIND_IDENTITY: &str =
        "SELECT id, site, provider, subject, name, created_at FROM identities WHERE id = ?1";
    /// Adds a passkey.
    pub const ADD_PASSKEY: &str = "INSERT INTO passkeys
        (identity_id, credential_id, passkey, created_at) VALUES (?1, ?2, ?3, ?4)";
    /// Finds one.
    pub const FIND_PASSKEY: &str =
        "SELECT identity_id, passkey FROM passkeys WHERE credential_id = ?1";
    /// Keeps its counter.
    pub const USED_PASSKEY: &str =
        "UPDATE passkeys SET passkey = ?2, used_at = ?3 WHERE credential_id = ?1";
    /// Opens a session.
    pub const OPEN_SESSION: &str = "INSERT INTO sessions
        (identity_id, site, created_at, expires_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?3)
        RETURNING id";
    /// A session and its identity's columns, for `concat!`.
    macro_rules! session_and_identity {
        () => {
            "SELECT s.id, s.identity_id, s.site, s.created_at, s.expires_at, s.last_seen_at,
             i.id, i.site, i.provider, i.subject, i.name, i.created_at
             FROM sessions s JOIN identities i ON i.id = s.identity_id
             WHERE s.revoked_at IS NULL AND s.expires_at > ?1"
        };
    }
    /// A live session (not revoked, not expired) and its identity.
    pub const LIVE_SESSION: &str = concat!(session_and_identity!(), " AND s.id = ?2");
    /// Live sessions of one site (`?2`) or all (`NULL`), newest first.
    pub const LIVE_SESSIONS: &str = concat!(
        session_and_identity!(),
        " AND (CAST(?2 AS TEXT) IS NULL OR s.site = ?2) ORDER BY s.id DESC LIMIT 1000"
    );
    /// Notes a use.
    pub const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1";
    /// Revokes.
    pub const REVOKE_SESSION: &str = "UPDATE sessions SET revoked_at = ?2
        WHERE id = ?1 AND revoked_at IS NULL AND expires_at > ?2";
    /// An identity's live sessions.
    pub const IDENTITY_SESSIONS: &str = "SELECT id, identity_id, site, created_at, expires_at,
        last_seen_at FROM sessions s WHERE identity_id = ?2 AND s.revoked_at IS NULL
        AND s.expires_at > ?1 ORDER BY id DESC";
    /// Trust under `first` moderation.
    pub const TRUSTED: &str = "SELECT EXISTS (SELECT 1 FROM comments c
        JOIN pages p ON p.id = c.page_id
        WHERE c.identity_id = ?1 AND p.site = ?2 AND c.status = 'approved')";
    /// After the comments: what is left of an identity.
    pub const ERASE: [&str; 4] = [
        "UPDATE comments SET identity_id = NULL, signed_in = NULL WHERE identity_id = ?1",
        "DELETE FROM passkeys WHERE identity_id = ?1",
        "DELETE FROM sessions WHERE identity_id = ?1",
        "DELETE FROM identities WHERE id = ?1",
    ];
}

/// The comments of an identity (any status but deleted), newest first.
pub fn comments_sql() -> String {
    format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN pages p ON p.id = c.page_id
         WHERE c.identity_id = ?1 AND c.status <> 'deleted' ORDER BY c.id DESC"
    )
}

fn state_from_row(r: &Row<'_>) -> rusqlite::Result<AuthState> {
    Ok(AuthState {
        id_hash: r.get(0)?,
        kind: r.get(1)?,
        site: r.get(2)?,
        origin: r.get(3)?,
        binding_hash: r.get(4)?,
        data: r.get(5)?,
        expires_at: r.get(6)?,
    })
}

fn identity_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Identity> {
    Ok(Identity {
        id: r.get(at)?,
        site: r.get(at + 1)?,
        provider: r.get(at + 2)?,
        subject: r.get(at + 3)?,
        name: r.get(at + 4)?,
        created_at: r.get(at + 5)?,
    })
}

fn session_from_row(r: &Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        identity_id: r.get(1)?,
        site: r.get(2)?,
        created_at: r.get(3)?,
        expires_at: r.get(4)?,
        last_seen_at: r.get(5)?,
    })
}

fn both(r: &Row<'_>) -> rusqlite::Result<(Session, Identity)> {
    Ok((session_from_row(r)?, identity_at(r, 6)?))
}

/// See the trait method in `store/signin_tx.rs`.
pub fn put_state(conn: &Connection, s: &AuthState, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(sql::FORGET_STATES, [now])?;
    conn.execute(
        sql::PUT_STATE,
        params![
            s.id_hash,
            s.kind,
            s.site,
            s.origin,
            s.binding_hash,
            s.data,
            s.expires_at
        ],
    )?;
    Ok(())
}

/// See the trait method.
pub fn take_state(
    conn: &Connection,
    id_hash: &str,
    now: Timestamp,
) -> rusqlite::Result<Option<AuthState>> {
    let s = conn
        .query_row(sql::TAKE_STATE, [id_hash], state_from_row)
        .optional()?;
    Ok(s.filter(|s| s.expires_at > now))
}

/// See the trait method.
pub fn upsert_identity(
    conn: &Connection,
    site: &str,
    provider: &str,
    subject: &str,
    name: &str,
    now: Timestamp,
) -> rusqlite::Result<Identity> {
    conn.query_row(
        sql::UPSERT_IDENTITY,
        params![site, provider, subject, name, now],
        |r| identity_at(r, 0),
    )
}

/// See the trait method.
pub fn identity(conn: &Connection, id: i64) -> rusqlite::Result<Option<Identity>> {
    conn.query_row(sql::FIND_IDENTITY, [id], |r| identity_at(r, 0))
        .optional()
}

/// See the trait method (the ids go in as one JSON array).
pub fn identities(conn: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<Identity>> {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let mut stmt = conn.prepare_cached(
        "SELECT id, site, provider, subject, name, created_at FROM identities
         WHERE id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([list], |r| identity_at(r, 0))?;
    rows.collect()
}

/// See the trait method.
pub fn add_passkey(
    conn: &Connection,
    identity_id: i64,
    credential_id: &str,
    passkey: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        sql::ADD_PASSKEY,
        params![identity_id, credential_id, passkey, now],
    )?;
    Ok(())
}

/// See the trait method.
pub fn find_passkey(
    conn: &Connection,
    credential_id: &str,
) -> rusqlite::Result<Option<(i64, String)>> {
    conn.query_row(sql::FIND_PASSKEY, [credential_id], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
}

/// See the trait method.
pub fn passkey_used(
    conn: &Connection,
    credential_id: &str,
    passkey: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(sql::USED_PASSKEY, params![credential_id, passkey, now])?;
    Ok(())
}

/// See the trait method.
pub fn open_session(
    conn: &Connection,
    identity_id: i64,
    site: &str,
    now: Timestamp,
    expires: Timestamp,
) -> rusqlite::Result<i64> {
    conn.query_row(
        sql::OPEN_SESSION,
        params![identity_id, site, now, expires],
        |r| r.get(0),
    )
}

/// See the trait method.
pub fn live_session(
    conn: &Connection,
    id: i64,
    now: Timestamp,
) -> rusqlite::Result<Option<(Session, Identity)>> {
    conn.prepare_cached(sql::LIVE_SESSION)?
        .query_row(params![now, id], both)
        .optional()
}

/// See the trait method.
pub fn touch_session(conn: &Connection, id: i64, now: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached(sql::TOUCH_SESSION)?
        .execute(params![id, now])?;
    Ok(())
}

/// See the trait method.
pub fn revoke_session(conn: &Connection, id: i64, now: Timestamp) -> rusqlite::Result<bool> {
    Ok(conn.execute(sql::REVOKE_SESSION, params![id, now])? == 1)
}

/// See the trait method.
pub fn sessions(
    conn: &Connection,
    site: Option<&str>,
    now: Timestamp,
) -> rusqlite::Result<Vec<(Session, Identity)>> {
    let mut stmt = conn.prepare(sql::LIVE_SESSIONS)?;
    let rows = stmt.query_map(params![now, site], both)?;
    rows.collect()
}

/// See the trait method.
pub fn identity_sessions(
    conn: &Connection,
    identity_id: i64,
    now: Timestamp,
) -> rusqlite::Result<Vec<Session>> {
    let mut stmt = conn.prepare(sql::IDENTITY_SESSIONS)?;
    let rows = stmt.query_map(params![now, identity_id], session_from_row)?;
    rows.collect()
}

/// See the trait method.
pub fn identity_comments(conn: &Connection, identity_id: i64) -> rusqlite::Result<Vec<Comment>> {
    let mut stmt = conn.prepare(&comments_sql())?;
    let rows = stmt.query_map([identity_id], comment_from_row)?;
    rows.collect()
}

/// See the trait method.
pub fn identity_trusted(conn: &Connection, site: &str, identity_id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(sql::TRUSTED)?
        .query_row(params![identity_id, site], |r| r.get(0))
}

/// See the trait method.
pub fn erase_identity(conn: &Connection, identity_id: i64) -> rusqlite::Result<Vec<Comment>> {
    let erased = identity_comments(conn, identity_id)?;
    for c in &erased {
        delete_comment(conn, c.id)?;
    }
    for q in sql::ERASE {
        conn.execute(q, [identity_id])?;
    }
    Ok(erased)
}
