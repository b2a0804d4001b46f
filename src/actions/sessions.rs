//! A signed-in commenter's session in use: who it is, signing out, their own data and its
//! erasure, and the desk's list of sessions and revocation. Sessions are made by the
//! ceremonies in `signin.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Core;
use crate::domain::comment::Comment;
use crate::domain::now;
use crate::domain::signin::{self as si, Identity, Session};
use crate::error::{ApiError, ApiResult};

/// The live session a token names, with its identity; 401 for anything else.
pub async fn session(core: &Arc<Core>, token: &str) -> ApiResult<(Session, Identity)> {
    let refused = || ApiError::Unauthorized("the session is unknown, expired or signed out".into());
    let id = si::read_session_token(&core.key, token, now()).ok_or_else(refused)?;
    core.store
        .read(move |tx| tx.session_live(id, now()))
        .await?
        .ok_or_else(refused)
}

/// Signs out: the session is revoked on every node.
pub async fn sign_out(core: &Arc<Core>, token: &str) -> ApiResult<()> {
    let (s, _) = session(core, token).await?;
    core.store
        .write(move |tx| tx.session_revoke(s.id, now()).map(drop))
        .await
}

/// What the store holds about the signed-in commenter.
pub struct Mine {
    /// The session asking.
    pub session: Session,
    /// Who.
    pub identity: Identity,
    /// Their comments.
    pub comments: Vec<Comment>,
    /// Their live sessions.
    pub sessions: Vec<Session>,
}

/// The signed-in commenter's data.
pub async fn mine(core: &Arc<Core>, token: &str) -> ApiResult<Mine> {
    let (session, identity) = session(core, token).await?;
    let who = identity.id;
    let (comments, sessions) = core
        .store
        .read(move |tx| {
            Ok((
                tx.identity_comments(who)?,
                tx.identity_sessions(who, now())?,
            ))
        })
        .await?;
    Ok(Mine {
        session,
        identity,
        comments,
        sessions,
    })
}

/// Erases the signed-in commenter: comments, passkeys, sessions, identity. How many
/// comments went.
pub async fn erase_mine(core: &Arc<Core>, token: &str) -> ApiResult<usize> {
    let (_, identity) = session(core, token).await?;
    let handle = core.clone();
    core.store
        .write(move |tx| {
            super::moderation::audit(tx, "self", "erase", Some(&identity.site), None)?;
            let erased = tx.identity_erase(identity.id)?;
            let n = erased.len();
            let mut by_email: BTreeMap<String, Vec<Comment>> = BTreeMap::new();
            for c in erased {
                match c.email.clone() {
                    Some(e) => by_email.entry(e).or_default().push(c),
                    None => {
                        let mut c = c;
                        c.status = crate::domain::comment::Status::Deleted;
                        crate::notify::deleted(tx, &handle.notifier(), &c)?;
                    }
                }
            }
            for (email, comments) in by_email {
                crate::notify::erased(tx, &handle.notifier(), &identity.site, &email, comments)?;
            }
            Ok(n)
        })
        .await
}

/// The desk's list: live sessions of one site or all.
pub async fn sessions(
    core: &Arc<Core>,
    site: Option<String>,
) -> ApiResult<Vec<(Session, Identity)>> {
    core.store
        .read(move |tx| tx.sessions(site.as_deref(), now()))
        .await
}

/// The desk revokes a session (recorded in the audit log).
pub async fn revoke(core: &Arc<Core>, id: i64, actor: String) -> ApiResult<()> {
    core.store
        .write(move |tx| {
            let site = tx.session_live(id, now())?.map(|(s, _)| s.site);
            let Some(site) = site else {
                return Err(ApiError::NotFound("no live session with this id".into()));
            };
            tx.session_revoke(id, now())?;
            super::moderation::audit(tx, &actor, "revoke_session", Some(&site), None)
        })
        .await
}

/// The identities with these ids (those that still exist).
pub async fn identities(core: &Arc<Core>, mut ids: Vec<i64>) -> ApiResult<Vec<Identity>> {
    ids.sort_unstable();
    ids.dedup();
    core.store
        .read(move |tx| {
            let mut found = Vec::new();
            for id in ids {
                found.extend(tx.identity(id)?);
            }
            Ok(found)
        })
        .await
}

/// How stale a session's "last seen" may get before a write by it notes the time again: a
/// busy commenter's every comment doesn't cost a write of its own.
pub const TOUCH_EVERY: i64 = 60;

/// Notes a write by a session (shown as "last seen" on the desk), when the time it shows is
/// older than [`TOUCH_EVERY`].
pub async fn touch(core: &Arc<Core>, s: &Session) -> ApiResult<()> {
    let (id, at) = (s.id, now());
    if at - s.last_seen_at < TOUCH_EVERY {
        return Ok(());
    }
    core.store.write(move |tx| tx.session_touch(id, at)).await
}
