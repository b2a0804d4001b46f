//! An inbox POST: the signature first (nothing is read into the database before it holds),
//! then the activity, each id processed once (`apply.rs`).

use std::sync::Arc;

use serde_json::Value;

use super::{apply, remote};
use crate::actions::Core;
use crate::domain::fediverse::RemoteActor;
use crate::domain::now;
use crate::error::{ApiError, ApiResult};
use crate::fediverse::inbound::Activity;
use crate::fediverse::signature::{self, Request, SigError};

/// An inbox request as it came.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The site whose inbox it was posted to; `None` for the shared inbox.
    pub site: Option<String>,
    /// `POST`.
    pub method: String,
    /// The path and query, as received (what `(request-target)` signs).
    pub target: String,
    /// Every header, name lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (at most the inbox's cap).
    pub body: Vec<u8>,
    /// The sending server's anonymized network.
    pub ip: String,
}

/// Receives one activity: 404 for a site that is not an actor, 400 for a body that is no
/// activity, 401 unless it is signed by its actor's key; otherwise it is applied (or
/// ignored, if Natter does nothing with it) and the answer is 202.
pub async fn receive(core: &Arc<Core>, r: Inbound) -> ApiResult<()> {
    if let Some(site) = &r.site {
        core.actor_site(site)?;
    }
    let json: Value = serde_json::from_slice(&r.body)
        .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
    let activity = Activity::read(&json).map_err(|m| ApiError::Malformed(m.into()))?;
    // A deleted account says so to every server it knew; its key is gone with it, and
    // Natter keeps nothing that needs it.
    if activity.kind == "Delete" && activity.object_id() == Some(activity.actor.as_str()) {
        return Ok(());
    }
    let signer = verify(core, &r).await?;
    if signer.id != activity.actor {
        return Err(ApiError::Unauthorized(
            "the activity's actor is not the owner of the signing key".into(),
        ));
    }
    apply::apply(core, activity, signer, r.ip).await
}

fn unauthorized(e: SigError) -> ApiError {
    ApiError::Unauthorized(e.to_string())
}

/// Checks the request's signature; returns the signing key's owner.
async fn verify(core: &Core, r: &Inbound) -> ApiResult<RemoteActor> {
    let req = Request {
        method: &r.method,
        target: &r.target,
        headers: &r.headers,
        body: &r.body,
    };
    let header = req
        .signature_header()
        .ok_or_else(|| unauthorized(SigError::Unsigned))?;
    let sig = signature::parse(&header).map_err(unauthorized)?;
    let signed = signature::check(&sig, &req, now()).map_err(unauthorized)?;
    let cached = remote::cached_key(core, &sig.key_id)
        .await
        .filter(|(_, at)| *at > now() - remote::TTL);
    if let Some((actor, at)) = cached {
        let pem = actor.public_pem.as_deref().unwrap_or_default();
        match signature::verify(&sig, &signed, pem) {
            Ok(()) => return Ok(actor),
            Err(e) if at > now() - remote::REFETCH_AFTER => return Err(unauthorized(e)),
            // Perhaps a new key: fetched once more below.
            Err(_) => {}
        }
    }
    let (actor, _) = remote::fetch_key(core, &sig.key_id).await.map_err(|e| {
        ApiError::Unauthorized(format!("the signing key could not be fetched: {e}"))
    })?;
    let pem = actor.public_pem.as_deref().unwrap_or_default();
    signature::verify(&sig, &signed, pem).map_err(unauthorized)?;
    Ok(actor)
}
