//! What each signed activity does, in one writer transaction with the record that its id
//! was seen (a second delivery of the same id does nothing): `Follow` and `Undo`, replies
//! (`Create`, `Update`, `Delete` of a `Note`), `Like` and `Announce` of announced posts.
//! Anything else is accepted and ignored.

use std::sync::Arc;

use crate::actions::{spam, Core};
use crate::domain::comment::{Status, Via};
use crate::domain::desk::Author;
use crate::domain::fediverse::{Follower, NewReaction, NoteLink, RemoteActor};
use crate::domain::validate::max;
use crate::domain::{now, Timestamp};
use crate::error::ApiResult;
use crate::fediverse::inbound::{self, Activity, Note};
use crate::fediverse::objects;
use crate::render::markdown::{self, Format};
use crate::store::comments::NewComment;
use crate::store::Tx;

/// How long an activity id is remembered: a week (peers retry for about a day).
pub const SEEN_FOR: Timestamp = 7 * 86_400;

/// Why a reply that was not public is kept, hidden: the admin sees it as rejected.
pub const NOT_PUBLIC: &str = spam::reason::NOT_PUBLIC;

/// Applies one activity signed by `actor`.
pub async fn apply(core: &Arc<Core>, a: Activity, actor: RemoteActor, ip: String) -> ApiResult<()> {
    let core2 = core.clone();
    core.store
        .write(move |tx| {
            let core = &core2;
            let at = now();
            let handled = match a.kind.as_str() {
                "Follow" => follow(core, tx, &a, &actor, at),
                "Undo" => undo(core, tx, &a, at),
                "Create" => create(core, tx, &a, &actor, &ip, at),
                "Update" => update(core, tx, &a, at),
                "Delete" => delete(core, tx, &a, at),
                "Like" | "Announce" => react(core, tx, &a, &actor, at),
                _ => Ok(false),
            }?;
            if handled {
                tracing::debug!(kind = %a.kind, id = %a.id, "activity applied");
            }
            Ok(())
        })
        .await
}

/// Records the activity as seen; `false` if it was (then it is not applied again).
fn first(tx: &dyn Tx, a: &Activity, at: Timestamp) -> ApiResult<bool> {
    tx.fedi_first_sight(&a.id, at, at - SEEN_FOR)
}

/// `Follow` of a site's actor: stored, and answered with a signed `Accept`.
fn follow(
    core: &Core,
    tx: &dyn Tx,
    a: &Activity,
    actor: &RemoteActor,
    at: Timestamp,
) -> ApiResult<bool> {
    let urls = &core.fedi.urls;
    let Some(site) = a.object_id().and_then(|o| urls.site_of_actor(o)) else {
        return Ok(false);
    };
    let (Ok(_), Some(inbox)) = (core.actor_site(site), actor.inbox.as_deref()) else {
        return Ok(false);
    };
    if !first(tx, a, at)? {
        return Ok(false);
    }
    let f = Follower {
        actor: actor.id.clone(),
        inbox: inbox.to_string(),
        shared_inbox: actor.shared_inbox.clone(),
    };
    tx.fedi_follow(site, &f, at)?;
    let me = urls.actor(site);
    let id = format!("{me}#accepts/{}", crate::domain::crypto::random_token());
    let accept = objects::accept(&me, &id, &a.id, &actor.id);
    tx.fedi_push(site, inbox, &accept.to_string(), at)?;
    Ok(true)
}

/// `Undo` of a `Follow`, a `Like` or an `Announce`, by the same actor.
fn undo(core: &Core, tx: &dyn Tx, a: &Activity, at: Timestamp) -> ApiResult<bool> {
    let Some(inner) = a.object_id() else {
        return Ok(false);
    };
    let inner_actor = a.object.get("actor").and_then(inbound::id_of);
    if inner_actor.is_some_and(|x| x != a.actor) {
        return Ok(false);
    }
    if !first(tx, a, at)? {
        return Ok(false);
    }
    if a.object_type() == Some("Follow") {
        let site = a
            .object
            .get("object")
            .and_then(inbound::id_of)
            .and_then(|o| core.fedi.urls.site_of_actor(o));
        if let Some(site) = site {
            return tx.fedi_unfollow(site, &a.actor);
        }
        return Ok(false);
    }
    tx.fedi_unreact(&a.actor, inner)
}

/// Where a reply goes: the site, the page, the comment it answers (if any) and the
/// blog post's URL (if it answers an announced post).
struct Place {
    site: String,
    page: String,
    parent: Option<i64>,
    url: Option<String>,
}

/// What `in_reply_to` names: an announced post, a local comment's Note, or a federated
/// comment's note, on a site that is an actor; a comment only while it is visible.
fn place_of(core: &Core, tx: &dyn Tx, in_reply_to: &str) -> ApiResult<Option<Place>> {
    let urls = &core.fedi.urls;
    let place = if let Some((site, id)) = urls.post_of(in_reply_to) {
        tx.fedi_post(&site, id)?.map(|p| Place {
            site: p.site,
            page: p.page,
            parent: None,
            url: Some(p.url),
        })
    } else {
        let comment = match urls.comment_of(in_reply_to) {
            Some(id) => Some(id),
            None => tx.fedi_note(in_reply_to)?.map(|l| l.comment_id),
        };
        match comment {
            Some(id) => tx
                .find_comment(id)?
                .filter(|c| c.status == Status::Approved)
                .map(|c| Place {
                    site: c.site,
                    page: c.page,
                    parent: Some(c.id),
                    url: None,
                }),
            None => None,
        }
    };
    Ok(place.filter(|p| core.actor_site(&p.site).is_ok()))
}

/// A note's comment text and sanitized HTML (the same renderer as every comment's).
fn render(note: &Note, images: bool) -> (String, String) {
    let html = markdown::render(&note.content, Format::Html, images);
    let text = inbound::plain_text(&html, max::TEXT);
    (text, html)
}

/// `Create` of a `Note` in reply to an announced post or a comment on it: a comment.
fn create(
    core: &Core,
    tx: &dyn Tx,
    a: &Activity,
    actor: &RemoteActor,
    ip: &str,
    at: Timestamp,
) -> ApiResult<bool> {
    let Some(note) = inbound::note(&a.object) else {
        return Ok(false);
    };
    if note.attributed_to.as_deref() != Some(actor.id.as_str()) {
        return Ok(false);
    }
    let Some(place) = note
        .in_reply_to
        .as_deref()
        .map(|r| place_of(core, tx, r))
        .transpose()?
        .flatten()
    else {
        return Ok(false);
    };
    if tx.fedi_note(&note.id)?.is_some() || !first(tx, a, at)? {
        return Ok(false);
    }
    let site = core.site(&place.site)?;
    let name = crate::domain::one_line(&actor.display_name(), max::AUTHOR);
    if site.is_owner_name(&name) {
        tracing::info!(actor = %actor.id, "a reply under an owner's name was dropped");
        return Ok(false);
    }
    let (text, html) = render(&note, site.images);
    if text.is_empty() {
        return Ok(false);
    }
    let page = tx.ensure_page(&place.site, &place.page, at)?;
    if page.is_locked(site.lock_after_days, at) {
        return Ok(false);
    }
    let key_hash = core
        .key
        .mac_hex("author-key", format!("fediverse\0{}", actor.id).as_bytes());
    let (status, held_reason) = if note.public {
        let trusted = site.moderation == crate::config::Moderation::First
            && tx.fedi_actor_trusted(&place.site, &actor.id)?;
        let author = Author {
            email: None,
            network: ip,
            key_hash: Some(&key_hash),
        };
        let screening = spam::Screening {
            honeypot: false,
            too_many_links: markdown::count_links(&html) > spam::MAX_LINKS,
            form_token: spam::FormToken::Ok,
            blocked: tx.is_blocked(&place.site, &author, at)?,
        };
        screening.verdict(site.moderation, trusted)
    } else {
        // Followers-only and direct messages are never shown; the admin sees why.
        (Status::Rejected, Some(NOT_PUBLIC))
    };
    let row = NewComment {
        parent: place.parent,
        author: Some(name),
        email: None,
        website: actor.url.clone().filter(|u| u.len() <= max::WEBSITE),
        avatar: crate::domain::crypto::avatar_hash(&core.key, None, Some(&actor.id), "fediverse"),
        text,
        html,
        status,
        held_reason,
        badge: None,
        identity: None,
        created_at: at,
        ip: ip.to_string(),
        author_key_hash: Some(key_hash),
        // No edit token: only its author's Update and Delete (or a moderator) change it.
        edit_token_hash: String::new(),
        edit_until: at,
        notify: false,
        request_key_hash: None,
        via: Some(Via {
            kind: "fediverse".into(),
            url: note.url.clone(),
            handle: actor.handle(),
        }),
    };
    let c = tx.insert_comment(
        &page,
        &place.site,
        &place.page,
        row,
        None,
        place.url.as_deref(),
    )?;
    tx.fedi_link_note(
        &NoteLink {
            note_id: note.id.clone(),
            comment_id: c.id,
            site: place.site.clone(),
            actor: actor.id.clone(),
        },
        at,
    )?;
    crate::notify::created(tx, &core.notifier(), &c)?;
    Ok(true)
}

/// The live comment a note of `actor` became.
fn own_comment(
    tx: &dyn Tx,
    note_id: &str,
    actor: &str,
) -> ApiResult<Option<crate::domain::comment::Comment>> {
    let Some(link) = tx.fedi_note(note_id)?.filter(|l| l.actor == actor) else {
        return Ok(None);
    };
    Ok(tx
        .find_comment(link.comment_id)?
        .filter(|c| c.status != Status::Deleted))
}

/// `Update` of a note that became a comment, by its author: the comment is edited, under
/// the rules of any edit (an approved comment may be held again).
fn update(core: &Core, tx: &dyn Tx, a: &Activity, at: Timestamp) -> ApiResult<bool> {
    let Some(note) = inbound::note(&a.object) else {
        return Ok(false);
    };
    let Some(c) = own_comment(tx, &note.id, &a.actor)? else {
        return Ok(false);
    };
    if !first(tx, a, at)? {
        return Ok(false);
    }
    let site = core.site(&c.site)?;
    let (text, html) = render(&note, site.images);
    if text.is_empty() || (text == c.text && html == c.html) {
        return Ok(false);
    }
    tx.update_comment(
        c.id,
        &spam::author_edit(
            c.status,
            site.moderation,
            c.author.as_deref(),
            c.website.as_deref(),
            &text,
            &html,
            at,
        ),
    )?;
    Ok(true)
}

/// `Delete` of a note (its id, a `Tombstone` or the note) by its author: the comment goes
/// (a tombstone if it has replies).
fn delete(core: &Core, tx: &dyn Tx, a: &Activity, at: Timestamp) -> ApiResult<bool> {
    let Some(id) = a.object_id() else {
        return Ok(false);
    };
    let Some(c) = own_comment(tx, id, &a.actor)? else {
        return Ok(false);
    };
    if !first(tx, a, at)? {
        return Ok(false);
    }
    crate::actions::moderation::delete_in(core, tx, &c)?;
    Ok(true)
}

/// `Like` or `Announce` (a boost) of an announced post: counted on its page, once per actor.
fn react(
    core: &Core,
    tx: &dyn Tx,
    a: &Activity,
    actor: &RemoteActor,
    at: Timestamp,
) -> ApiResult<bool> {
    let Some((site, id)) = a.object_id().and_then(|o| core.fedi.urls.post_of(o)) else {
        return Ok(false);
    };
    if core.actor_site(&site).is_err() {
        return Ok(false);
    }
    let Some(post) = tx.fedi_post(&site, id)? else {
        return Ok(false);
    };
    if !first(tx, a, at)? {
        return Ok(false);
    }
    tx.fedi_react(
        &NewReaction {
            post_id: post.id,
            kind: if a.kind == "Like" { "like" } else { "repost" },
            actor: actor.id.clone(),
            activity_id: a.id.clone(),
            site: post.site,
            page: post.page,
            name: crate::domain::one_line(&actor.display_name(), max::AUTHOR),
            url: actor.url.clone().unwrap_or_else(|| actor.id.clone()),
        },
        at,
    )?;
    Ok(true)
}
