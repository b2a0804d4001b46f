//! Other servers' actors and keys: fetched through the one safe fetcher (its address
//! rules, deadline and size cap), kept in the database for [`TTL`], fetched again when a
//! signature fails with a copy older than [`REFETCH_AFTER`] (the peer may have rotated its
//! key).

use serde_json::Value;
use url::Url;

use crate::actions::Core;
use crate::domain::fediverse::RemoteActor;
use crate::domain::{now, Timestamp};
use crate::fediverse::{inbound, ACCEPT};

/// How long a fetched actor and its key are believed: a day.
pub const TTL: Timestamp = 86_400;
/// A cached key that fails to verify is fetched again only if it is at least this old, so
/// a stream of bad signatures naming someone's key can't make Natter hammer their server.
pub const REFETCH_AFTER: Timestamp = 60;

/// A key as found: its owner's actor (with the key in it) and when it was fetched.
pub type Found = (RemoteActor, Timestamp);

/// The cached actor whose key is `key_id`, if any (fresh or not).
pub async fn cached_key(core: &Core, key_id: &str) -> Option<Found> {
    let key_id = key_id.to_string();
    core.store
        .read(move |tx| tx.fedi_actor_by_key(&key_id))
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "reading a cached key failed"))
        .ok()
        .flatten()
        .filter(|(a, _)| a.public_pem.is_some())
}

/// Fetches the document `url` names as ActivityPub JSON.
async fn fetch_json(core: &Core, url: &str) -> Result<Value, String> {
    let page = core
        .fedi
        .fetcher
        .get(url, ACCEPT)
        .await
        .map_err(|e| e.to_string())?;
    if !(200..=299).contains(&page.status) {
        return Err(format!("{url} answered {}", page.status));
    }
    serde_json::from_slice(&page.body).map_err(|_| format!("{url} is not JSON"))
}

/// Fetches the key `key_id` (and its owner's actor document) and caches it.
pub async fn fetch_key(core: &Core, key_id: &str) -> Result<Found, String> {
    if !inbound::is_url(key_id) {
        return Err("the keyId is not an http(s) URL".into());
    }
    let doc = fetch_json(core, key_id).await?;
    let (owner, pem) =
        inbound::key_in(&doc, key_id).ok_or("the keyId names no public key of its owner")?;
    if !same_origin(&owner, key_id) {
        return Err("the key's owner is on another server than the key".into());
    }
    let mut actor = if doc.get("id").and_then(Value::as_str) == Some(owner.as_str()) {
        inbound::actor(&doc)
    } else {
        inbound::actor(&fetch_json(core, &owner).await?)
    }
    .filter(|a| a.id == owner)
    .ok_or("the key's owner is not an actor")?;
    actor.key_id = Some(key_id.to_string());
    actor.public_pem = Some(pem);
    let at = now();
    let stored = actor.clone();
    core.store
        .write(move |tx| tx.fedi_store_actor(&stored, at))
        .await
        .map_err(|e| e.to_string())?;
    Ok((actor, at))
}

/// Whether two URLs have the same scheme, host and port.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}
