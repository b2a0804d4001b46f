//! The blogger's use cases: announcing a post to the site's followers (a `Create` of an
//! `Article`, or an `Update` when the page was announced before), and erasing what one
//! Fediverse actor left on a site.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::actions::Core;
use crate::domain::fediverse::NewPost;
use crate::domain::now;
use crate::domain::validate::{self, max};
use crate::error::{ApiError, ApiResult};
use crate::fediverse::objects;
use crate::store::Tx;

/// The longest summary of an announced post.
pub const MAX_SUMMARY: usize = 2_000;

/// What an announcement made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    /// The post's id.
    pub id: i64,
    /// Its object's URL (`<public_url>/ap/sites/{site}/posts/{id}`).
    pub object_id: String,
    /// Whether it was announced now for the first time (else it was updated).
    pub created: bool,
    /// How many inboxes it goes to.
    pub inboxes: usize,
}

/// Queues `body` for each distinct inbox of `inboxes` (a server's shared inbox once for all
/// its followers); returns them.
pub(super) fn fan_out<'a>(
    tx: &dyn Tx,
    site: &str,
    body: &str,
    inboxes: impl IntoIterator<Item = &'a str>,
) -> ApiResult<Vec<String>> {
    let distinct: BTreeSet<&str> = inboxes.into_iter().collect();
    let at = now();
    for inbox in &distinct {
        tx.fedi_push(site, inbox, body, at)?;
    }
    Ok(distinct.into_iter().map(str::to_string).collect())
}

/// Announces the page `page` of `site` (its post at `url`) to the site's followers.
pub async fn announce(
    core: &Arc<Core>,
    site: &str,
    page: &str,
    url: &str,
    title: &str,
    summary: Option<&str>,
) -> ApiResult<Announced> {
    if core.actor_site(site).is_err() {
        return Err(ApiError::invalid(
            "site",
            "no site with fediverse = true has this id",
        ));
    }
    let page = validate::page(page)?;
    let url = validate::http_url("url", Some(url), max::URL)?
        .ok_or_else(|| ApiError::invalid("url", "url is required"))?;
    let title = validate::optional_line("title", Some(title), max::TITLE)?
        .ok_or_else(|| ApiError::invalid("title", "title is required"))?;
    let summary = summary.map(str::trim).filter(|s| !s.is_empty());
    if summary.is_some_and(|s| s.chars().count() > MAX_SUMMARY || s.contains('\0')) {
        return Err(ApiError::invalid(
            "summary",
            format!("summary must be at most {MAX_SUMMARY} characters"),
        ));
    }
    let new = NewPost {
        site: site.to_string(),
        page,
        url,
        title,
        summary: summary.map(str::to_string),
    };
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let urls = &handle.fedi.urls;
            let at = now();
            let (post, created) = tx.fedi_announce(&new, at)?;
            let object = objects::article(urls, &post);
            let object_id = urls.post(&post.site, post.id);
            let (kind, id) = if created {
                ("Create", format!("{object_id}#create"))
            } else {
                ("Update", format!("{object_id}#update-{at}"))
            };
            let body = objects::wrap(kind, &id, &urls.actor(&post.site), object).to_string();
            let followers = tx.fedi_followers(&post.site)?;
            let sent = fan_out(
                tx,
                &post.site,
                &body,
                followers.iter().map(|f| f.delivery_inbox()),
            )?;
            Ok(Announced {
                id: post.id,
                object_id,
                created,
                inboxes: sent.len(),
            })
        })
        .await
}

/// Erases every comment one actor's notes became on `site`, with its reactions and
/// following; returns how many comments went. `by` is the admin token's name.
pub async fn erase_actor(
    core: &Arc<Core>,
    site: String,
    actor: String,
    by: String,
) -> ApiResult<usize> {
    core.site(&site)?;
    let handle = core.clone();
    core.store
        .write(move |tx| {
            crate::actions::moderation::audit(tx, &by, "erase", Some(&site), None)?;
            let mut erased = Vec::new();
            for actor in accounts(tx, &actor)? {
                let comments = tx.fedi_actor_comments(&site, &actor)?;
                for c in &comments {
                    tx.delete_comment(c.id)?;
                }
                tx.fedi_forget_actor(&site, &actor)?;
                erased.extend(comments);
            }
            // No address: only the deliveries about these comments are forgotten.
            crate::notify::erased(tx, &handle.notifier(), &site, "", erased)
        })
        .await
}

/// The actors `given` names: the actor id itself when Natter knows it, else the actors
/// whose profile page it is (what a moderator sees as a comment's website), on that same
/// server only, so that an account can't claim another server's profile page.
fn accounts(tx: &dyn Tx, given: &str) -> ApiResult<Vec<String>> {
    if tx.fedi_actor(given)?.is_some() {
        return Ok(vec![given.to_string()]);
    }
    let host = |u: &str| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
    };
    let at = tx.fedi_actors_at(given)?;
    let wanted = host(given);
    let mut ids: Vec<String> = at
        .into_iter()
        .filter(|id| wanted.is_some() && host(id) == wanted)
        .collect();
    if ids.is_empty() {
        ids.push(given.to_string());
    }
    Ok(ids)
}
