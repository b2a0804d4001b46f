//! What a site's actor serves: WebFinger's answer, the actor document, its outbox and
//! followers collections, announced posts and local comments as Notes. Nothing private:
//! no follower is listed, no email or address appears.

use std::sync::Arc;

use serde_json::Value;

use crate::actions::Core;
use crate::error::{ApiError, ApiResult};
use crate::fediverse::objects::{self, ActorInfo};

/// Announced posts the outbox lists (the newest).
const OUTBOX_ITEMS: i64 = 20;

/// The site `resource` names: `acct:<handle>@<host of public_url>` (the host with its port
/// when `public_url` has one), or the actor's own URL. 400 for a resource that is neither
/// form, 404 for one that names no actor here.
pub fn webfinger(core: &Core, resource: &str) -> ApiResult<Value> {
    let urls = &core.fedi.urls;
    let site = if let Some(acct) = resource.strip_prefix("acct:") {
        let (user, host) = acct
            .rsplit_once('@')
            .ok_or_else(|| ApiError::Malformed("an acct: resource is acct:user@host".into()))?;
        let user = user.strip_prefix('@').unwrap_or(user);
        if !host.eq_ignore_ascii_case(&urls.domain()) {
            return Err(ApiError::NotFound("no such account here".into()));
        }
        // Handles are lower-case; people type them as they like.
        core.site_of_handle(&user.to_ascii_lowercase())
    } else if resource.starts_with("https://") || resource.starts_with("http://") {
        urls.site_of_actor(resource)
            .filter(|s| core.actor_site(s).is_ok())
    } else {
        return Err(ApiError::Malformed(
            "`resource` must be acct:user@host or an actor's URL".into(),
        ));
    };
    let site = site.ok_or_else(|| ApiError::NotFound("no such account here".into()))?;
    let handle = core.sites[site].fediverse_handle.as_deref().unwrap_or(site);
    Ok(objects::webfinger(urls, site, handle))
}

/// A site's actor document.
pub fn actor(core: &Core, site: &str) -> ApiResult<Value> {
    let cfg = core.actor_site(site)?;
    let handle = cfg.fediverse_handle.as_deref().unwrap_or(site);
    let signer = &core.fedi.keys[site];
    Ok(objects::actor(
        &core.fedi.urls,
        &ActorInfo {
            site,
            handle,
            name: handle,
            url: cfg.origins.iter().find(|o| *o != "*").map(String::as_str),
            public_pem: &signer.public_pem,
        },
    ))
}

/// A site's outbox: the `Create` of each of the newest announced posts.
pub async fn outbox(core: &Arc<Core>, site: &str) -> ApiResult<Value> {
    core.actor_site(site)?;
    let key = site.to_string();
    let (posts, total) = core
        .store
        .read(move |tx| tx.fedi_posts(&key, OUTBOX_ITEMS))
        .await?;
    let urls = &core.fedi.urls;
    let items = posts
        .iter()
        .map(|p| {
            let object = objects::article(urls, p);
            let id = format!("{}#create", urls.post(site, p.id));
            objects::wrap("Create", &id, &urls.actor(site), object)
        })
        .collect();
    Ok(objects::collection(&urls.outbox(site), total, Some(items)))
}

/// A site's followers: how many, never who.
pub async fn followers(core: &Arc<Core>, site: &str) -> ApiResult<Value> {
    core.actor_site(site)?;
    let key = site.to_string();
    let total = core
        .store
        .read(move |tx| tx.fedi_follower_count(&key))
        .await?;
    Ok(objects::collection(
        &core.fedi.urls.followers(site),
        total,
        None,
    ))
}

/// An announced post's `Article`, and the blog post's URL.
pub async fn post(core: &Arc<Core>, site: &str, id: i64) -> ApiResult<(Value, String)> {
    core.actor_site(site)?;
    let key = site.to_string();
    let post = core
        .store
        .read(move |tx| tx.fedi_post(&key, id))
        .await?
        .ok_or_else(|| ApiError::NotFound("no such post".into()))?;
    let url = post.url.clone();
    Ok((objects::article(&core.fedi.urls, &post), url))
}

/// A local comment's `Note`, while it is visible, and its page's URL.
pub async fn comment(core: &Arc<Core>, id: i64) -> ApiResult<(Value, Option<String>)> {
    let handle = core.clone();
    core.store
        .read(move |tx| {
            let c = tx.find_comment(id)?.ok_or_else(ApiError::no_comment)?;
            let (note, _) = crate::notify::federation::note_of(tx, &handle.notifier(), &c)?
                .ok_or_else(ApiError::no_comment)?;
            let url = note.get("url").and_then(Value::as_str).map(str::to_string);
            Ok((note, url))
        })
        .await
}
