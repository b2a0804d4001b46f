//! A signed-in commenter's session in use: who it is, signing out, their own data and its
//! erasure, and the desk's list of sessions and revocation. Sessions are made by the
//! ceremonies in `signin.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Core, Origin};
use crate::domain::comment::Comment;
use crate::domain::crypto;
use crate::domain::now;
use crate::domain::signin::{self as si, Identity, Session};
use crate::error::{ApiError, ApiResult};
use crate::store::Tx;

/// The refusal of a session token that is not a live session's.
pub fn refused() -> ApiError {
    ApiError::Unauthorized("the session is unknown, expired or signed out".into())
}

/// The live session a token names, with its identity; 401 for anything else.
pub async fn session(core: &Arc<Core>, token: &str) -> ApiResult<(Session, Identity)> {
    let id = token_id(core, token)?;
    core.store
        .read(move |tx| tx.session_live(id, now()))
        .await?
        .ok_or_else(refused)
}

/// Signs out: the session is revoked on every node.
/// The session is checked in the same write, and the request's `Origin` must be one of the
/// session's site's (or Natter's own).
pub async fn sign_out(core: &Arc<Core>, token: &str, origin: Origin) -> ApiResult<()> {
    let id = token_id(core, token)?;
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let (s, _) = live_from(&handle, tx, id, &origin)?;
            tx.session_revoke(s.id, now()).map(drop)
        })
        .await
}

/// The session a token names, when well signed and unexpired (no database read).
fn token_id(core: &Core, token: &str) -> ApiResult<i64> {
    si::read_session_token(&core.key, token, now()).ok_or_else(refused)
}

/// A live session in a write, for a request from `origin` (CSRF: one of its site's
/// origins, or Natter's own).
fn live_from(core: &Core, tx: &dyn Tx, id: i64, origin: &Origin) -> ApiResult<(Session, Identity)> {
    let (s, who) = tx.session_live(id, now())?.ok_or_else(refused)?;
    origin.allow(core.site(&s.site)?)?;
    Ok((s, who))
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
pub async fn erase_mine(core: &Arc<Core>, token: &str, origin: Origin) -> ApiResult<usize> {
    let id = token_id(core, token)?;
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let (_, identity) = live_from(&handle, tx, id, &origin)?;
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
    core.store.read(move |tx| tx.identities(&ids)).await
}

/// How stale a session's "last seen" may get before a comment by it notes the time again.
pub const TOUCH_EVERY: i64 = 60;

/// How an author proves a comment is theirs: the edit token they got, or a session of the
/// identity that wrote it (from any device).
#[derive(Debug, Clone)]
pub enum Proof {
    /// The edit token's hash.
    EditToken(String),
    /// The session a well-signed, unexpired token names (whether it is live is checked in
    /// the edit's own transaction, [`Proof::identity`]).
    Session(i64),
}

impl Proof {
    /// The proof a bearer token gives: a session, or an edit token.
    pub fn of(core: &Core, bearer: &str) -> ApiResult<Proof> {
        if si::is_session_token(bearer) {
            Ok(Proof::Session(token_id(core, bearer)?))
        } else {
            Ok(Proof::EditToken(crypto::token_hash(bearer)))
        }
    }

    /// The identity a session proof stands for, when the session is live; `None` for an
    /// edit token.
    pub fn identity(&self, tx: &dyn Tx, at: i64) -> ApiResult<Option<i64>> {
        match self {
            Proof::EditToken(_) => Ok(None),
            Proof::Session(id) => {
                let (_, who) = tx.session_live(*id, at)?.ok_or_else(refused)?;
                Ok(Some(who.id))
            }
        }
    }
}

/// Makes `row` the signed-in commenter's: the live session `id` of `site`, its identity's
/// name (whatever the form said) and picture; notes the session's use when due. In the
/// create's transaction: no read of its own.
pub(super) fn sign_row(
    tx: &dyn Tx,
    row: &mut crate::store::comments::NewComment,
    id: i64,
    site: &str,
    site_cfg: &crate::config::SiteConfig,
    key: &crypto::ServerKey,
    at: i64,
) -> ApiResult<()> {
    let (s, who) = tx.session_live(id, at)?.ok_or_else(refused)?;
    if s.site != site {
        return Err(ApiError::Unauthorized(
            "this session belongs to another site".into(),
        ));
    }
    if site_cfg.is_owner_name(&who.name) {
        return Err(ApiError::invalid(
            "author",
            "this name belongs to the site's owner",
        ));
    }
    if at - s.last_seen_at >= TOUCH_EVERY {
        tx.session_touch(s.id, at)?;
    }
    row.avatar = crypto::identity_avatar(key, who.id);
    row.author = Some(who.name);
    row.identity = Some((who.id, who.provider));
    Ok(())
}
