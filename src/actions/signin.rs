//! A commenter's sign-in: the ceremonies (a passkey, an OpenID Connect provider) that end
//! in a session, the session's uses (who is signed in, their data, signing out, erasing
//! everything) and the desk's list of sessions. The protocols are in `signin/`.
//!
//! A ceremony is stored between its two requests (`auth_states`): used once, for ten
//! minutes, and only by the browser that started it (a keyed hash of its binding cookie).

use std::sync::Arc;

use serde_json::Value;

use super::Core;
use crate::config::SiteConfig;
use crate::domain::crypto;
use crate::domain::now;
use crate::domain::signin::{self as si, AuthState, Identity, SESSION_TTL, STATE_TTL};
use crate::error::{ApiError, ApiResult};
use crate::signin::oidc::Pending;

/// A new session, to hand to the page that asked: only ever to `origin`.
#[derive(Debug, Clone)]
pub struct Handover {
    /// The session token.
    pub token: String,
    /// When it ends.
    pub expires_at: i64,
    /// Its site.
    pub site: String,
    /// The embedding page's origin, checked when the ceremony started.
    pub origin: String,
    /// Who.
    pub identity: Identity,
}

/// What a ceremony's two requests share.
pub struct Ceremony<'a> {
    /// The site.
    pub site: &'a str,
    /// The embedding page's origin.
    pub origin: &'a str,
    /// The browser's binding cookie.
    pub binding: &'a str,
}

fn malformed(why: &str) -> ApiError {
    ApiError::Malformed(why.to_string())
}

/// Checks where a sign-in may start: a site that offers `way` (or any way, for `None`),
/// and an origin that is Natter's own or one the site lists by name (`*` is not enough to
/// receive a session).
pub fn check_start<'c>(
    core: &'c Core,
    site: &str,
    origin: &str,
    own_origin: &str,
    way: Option<&str>,
) -> ApiResult<&'c SiteConfig> {
    let cfg = core.site(site)?;
    let offered = match way {
        Some(w) => cfg.sign_in.iter().any(|s| s == w),
        None => !cfg.sign_in.is_empty(),
    };
    if !offered {
        return Err(ApiError::invalid(
            "site",
            "this site does not offer this way to sign in",
        ));
    }
    let listed = origin == own_origin
        || cfg
            .origins
            .iter()
            .any(|o| o != "*" && o.eq_ignore_ascii_case(origin));
    if !listed {
        return Err(ApiError::invalid(
            "origin",
            "the page asking is not one of the site's origins",
        ));
    }
    Ok(cfg)
}

/// Stores a ceremony; the id the browser keeps.
async fn begin(
    core: &Arc<Core>,
    kind: &str,
    c: &Ceremony<'_>,
    id: Option<String>,
    data: String,
) -> ApiResult<String> {
    let id = id.unwrap_or_else(crypto::random_token);
    let at = now();
    let state = AuthState {
        id_hash: si::state_hash(&core.key, "auth-state", &id),
        kind: kind.to_string(),
        site: c.site.to_string(),
        origin: c.origin.to_string(),
        binding_hash: si::state_hash(&core.key, "auth-binding", c.binding),
        data,
        expires_at: at + STATE_TTL,
    };
    core.store
        .write(move |tx| tx.auth_put_state(&state, at))
        .await?;
    Ok(id)
}

/// Takes a ceremony out (its one use): it must exist, be of `kind`, unexpired, and belong
/// to this browser.
async fn take(core: &Arc<Core>, kind: &str, id: &str, binding: &str) -> ApiResult<AuthState> {
    let hash = si::state_hash(&core.key, "auth-state", id);
    let at = now();
    let state = core
        .store
        .write(move |tx| tx.auth_take_state(&hash, at))
        .await?
        .filter(|s| s.kind == kind)
        .ok_or_else(|| {
            malformed("this sign-in is unknown, used already or expired: start again")
        })?;
    let bound = si::state_hash(&core.key, "auth-binding", binding);
    if binding.is_empty() || !crypto::ct_eq(&bound, &state.binding_hash) {
        return Err(malformed("this sign-in was started in another browser"));
    }
    Ok(state)
}

/// Opens a session for `who` on the state's site.
async fn open(core: &Arc<Core>, state: &AuthState, who: Identity) -> ApiResult<Handover> {
    let at = now();
    let expires = at + SESSION_TTL;
    let (id_, site) = (who.id, state.site.clone());
    let id = core
        .store
        .write(move |tx| tx.session_open(id_, &site, at, expires))
        .await?;
    Ok(Handover {
        token: si::session_token(&core.key, id, expires),
        expires_at: expires,
        site: state.site.clone(),
        origin: state.origin.clone(),
        identity: who,
    })
}

fn passkeys(core: &Core) -> ApiResult<&crate::signin::passkey::Passkeys> {
    core.signin.passkeys.as_ref().ok_or_else(|| {
        ApiError::Unavailable("passkeys need public_url to name a host, not an address".into())
    })
}

/// Starts a passkey registration for a new identity called `name`: the ceremony id and the
/// browser's options.
pub async fn passkey_register_start(
    core: &Arc<Core>,
    c: Ceremony<'_>,
    name: &str,
) -> ApiResult<(String, Value)> {
    let name =
        si::clean_name(name).ok_or_else(|| ApiError::invalid("name", "a name is required"))?;
    if core.site(c.site)?.is_owner_name(&name) {
        return Err(ApiError::invalid(
            "name",
            "this name belongs to the site's owner",
        ));
    }
    let (options, state, handle) = passkeys(core)?
        .start_register(&name)
        .map_err(|e| ApiError::Internal(e.0))?;
    let data = serde_json::json!({"state": state, "handle": handle, "name": name}).to_string();
    let id = begin(core, "passkey-register", &c, None, data).await?;
    Ok((id, options))
}

/// Finishes a registration: a new identity with its passkey, signed in.
pub async fn passkey_register_finish(
    core: &Arc<Core>,
    id: &str,
    binding: &str,
    answer: &Value,
) -> ApiResult<Handover> {
    let state = take(core, "passkey-register", id, binding).await?;
    let data: Value =
        serde_json::from_str(&state.data).map_err(|e| ApiError::Internal(e.to_string()))?;
    let field = |k: &str| data[k].as_str().unwrap_or_default().to_string();
    let (cred_id, stored) = passkeys(core)?
        .finish_register(answer, &field("state"))
        .map_err(|e| ApiError::Unauthorized(e.0))?;
    let (site, handle, name) = (state.site.clone(), field("handle"), field("name"));
    let who = core
        .store
        .write(move |tx| {
            if tx.passkey_find(&cred_id)?.is_some() {
                return Err(ApiError::Duplicate(
                    "this passkey is registered already".into(),
                ));
            }
            let who = tx.identity_upsert(&site, "passkey", &handle, &name, now())?;
            tx.passkey_add(who.id, &cred_id, &stored, now())?;
            Ok(who)
        })
        .await?;
    open(core, &state, who).await
}

/// Starts a sign-in with a passkey: the ceremony id and the browser's options.
pub async fn passkey_login_start(core: &Arc<Core>, c: Ceremony<'_>) -> ApiResult<(String, Value)> {
    let (options, state) = passkeys(core)?
        .start_login()
        .map_err(|e| ApiError::Internal(e.0))?;
    let id = begin(core, "passkey-login", &c, None, state).await?;
    Ok((id, options))
}

/// Finishes a passkey sign-in: the passkey's identity, signed in.
pub async fn passkey_login_finish(
    core: &Arc<Core>,
    id: &str,
    binding: &str,
    answer: &Value,
) -> ApiResult<Handover> {
    let state = take(core, "passkey-login", id, binding).await?;
    let pk = passkeys(core)?;
    let (answer, cred_id) = pk
        .answer_credential(answer)
        .map_err(|e| ApiError::Unauthorized(e.0))?;
    let lookup = cred_id.clone();
    let found = core.store.read(move |tx| tx.passkey_find(&lookup)).await?;
    let Some((identity_id, stored)) = found else {
        return Err(ApiError::Unauthorized(
            "this passkey is not known here".into(),
        ));
    };
    let updated = pk
        .finish_login(&answer, &state.data, &stored)
        .map_err(|e| ApiError::Unauthorized(e.0))?;
    let site = state.site.clone();
    let who = core
        .store
        .write(move |tx| {
            let who = tx
                .identity(identity_id)?
                .filter(|w| w.site == site)
                .ok_or_else(|| {
                    ApiError::Unauthorized("this passkey belongs to another site".into())
                })?;
            tx.passkey_used(&cred_id, &updated, now())?;
            Ok(who)
        })
        .await?;
    open(core, &state, who).await
}

/// Starts an OpenID Connect sign-in with provider `name`: the provider's URL to send the
/// browser to.
pub async fn oidc_start(core: &Arc<Core>, c: Ceremony<'_>, name: &str) -> ApiResult<String> {
    let (url, state, pending) = core
        .signin
        .oidc
        .start(name)
        .await
        .map_err(|e| ApiError::Unavailable(e.0))?;
    let data = serde_json::to_string(&pending).map_err(|e| ApiError::Internal(e.to_string()))?;
    begin(core, "oidc", &c, Some(state), data).await?;
    Ok(url)
}

/// Ends an OpenID Connect sign-in the provider refused: the state is spent, when it is this
/// browser's.
pub async fn oidc_abandon(core: &Arc<Core>, state: &str, binding: &str) -> ApiResult<()> {
    take(core, "oidc", state, binding).await.map(drop)
}

/// Finishes an OpenID Connect sign-in from the provider's redirect (`state` and `code`).
pub async fn oidc_finish(
    core: &Arc<Core>,
    name: &str,
    state: &str,
    code: &str,
    binding: &str,
) -> ApiResult<Handover> {
    let st = take(core, "oidc", state, binding).await?;
    let pending: Pending =
        serde_json::from_str(&st.data).map_err(|e| ApiError::Internal(e.to_string()))?;
    if pending.provider != name {
        return Err(malformed("this sign-in was started with another provider"));
    }
    let person = core
        .signin
        .oidc
        .finish(&pending, code)
        .await
        .map_err(|e| ApiError::Unauthorized(e.0))?;
    let (site, provider) = (st.site.clone(), format!("oidc:{name}"));
    let who = core
        .store
        .write(move |tx| tx.identity_upsert(&site, &provider, &person.subject, &person.name, now()))
        .await?;
    open(core, &st, who).await
}
