//! Replies back to the Fediverse: a local comment that answers a federated one is, once
//! approved, published by its site's actor as a `Note` in reply to it, mentioning its
//! author (delivered to their inbox and to the followers'); when it is deleted, rejected
//! or marked as spam after that, a `Delete` goes to the same inboxes. Nothing goes out
//! before approval. Queued in the event's own transaction, like mail and webhooks.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::Notifier;
use crate::domain::comment::{Comment, Status};
use crate::domain::now;
use crate::error::ApiResult;
use crate::fediverse::objects::{self, LocalNote, Replied};
use crate::fediverse::{Urls, PUBLIC};
use crate::store::Tx;

/// Whether `c`'s site is a Fediverse actor.
fn on_fediverse(st: &Notifier<'_>, c: &Comment) -> bool {
    st.settings.sites.get(&c.site).is_some_and(|s| s.fediverse)
}

/// A local, approved comment of a Fediverse site as its `Note`, and the inbox of the
/// federated author it answers (if it answers one). `None` for anything else.
pub fn note_of(
    tx: &dyn Tx,
    st: &Notifier<'_>,
    c: &Comment,
) -> ApiResult<Option<(Value, Option<String>)>> {
    if !on_fediverse(st, c) || c.via.is_some() || c.status != Status::Approved {
        return Ok(None);
    }
    let urls = Urls::new(&st.settings.public_url);
    let link = match c.parent {
        Some(p) => tx.fedi_note_of(p)?,
        None => None,
    };
    let author = match &link {
        Some(l) => tx.fedi_actor(&l.actor)?.map(|(a, _)| a),
        None => None,
    };
    let handle = author.as_ref().and_then(|a| a.handle());
    let in_reply_to = match (&link, c.parent) {
        (Some(l), _) => Some(l.note_id.clone()),
        (None, Some(p)) => Some(urls.comment(p)),
        (None, None) => None,
    };
    let mention = match (&link, &author, &handle) {
        (Some(l), Some(a), Some(h)) => Some(Replied {
            actor: &l.actor,
            handle: h,
            profile: a.url.as_deref().unwrap_or(&l.actor),
        }),
        _ => None,
    };
    let (_, page_url) = tx.page_meta(c.page_id)?;
    let note = objects::local_note(
        &urls,
        &LocalNote {
            site: &c.site,
            id: c.id,
            author: c.author.as_deref(),
            html: &c.html,
            page_url: page_url.as_deref(),
            created_at: c.created_at,
            in_reply_to: in_reply_to.as_deref(),
            mention,
        },
    );
    let inbox = link
        .is_some()
        .then(|| {
            author
                .as_ref()
                .and_then(|a| a.delivery_inbox().map(str::to_string))
        })
        .flatten();
    Ok(Some((note, inbox)))
}

/// A comment became visible: a direct reply to a federated comment goes out as a `Note`.
pub fn approved(tx: &dyn Tx, st: &Notifier<'_>, c: &Comment) -> ApiResult<()> {
    let Some((note, Some(author_inbox))) = note_of(tx, st, c)? else {
        return Ok(());
    };
    if tx.fedi_published(c.id)?.is_some() {
        return Ok(());
    }
    let urls = Urls::new(&st.settings.public_url);
    let at = now();
    let id = format!("{}#create-{at}", urls.comment(c.id));
    let body = objects::wrap("Create", &id, &urls.actor(&c.site), note).to_string();
    let followers = tx.fedi_followers(&c.site)?;
    let inboxes: BTreeSet<String> = std::iter::once(author_inbox)
        .chain(followers.iter().map(|f| f.delivery_inbox().to_string()))
        .collect();
    let inboxes: Vec<String> = inboxes.into_iter().collect();
    for inbox in &inboxes {
        tx.fedi_push(&c.site, inbox, &body, at)?;
    }
    tx.fedi_set_published(c.id, &c.site, &inboxes, at)
}

/// A comment was deleted or hidden: if its `Note` went out, a `Delete` follows it.
pub fn withdrawn(tx: &dyn Tx, st: &Notifier<'_>, c: &Comment) -> ApiResult<()> {
    if !on_fediverse(st, c) {
        return Ok(());
    }
    let Some(inboxes) = tx.fedi_published(c.id)? else {
        return Ok(());
    };
    let urls = Urls::new(&st.settings.public_url);
    let at = now();
    let object = urls.comment(c.id);
    let body = objects::delete(
        &format!("{object}#delete-{at}"),
        &urls.actor(&c.site),
        &object,
        json!([PUBLIC]),
        json!([urls.followers(&c.site)]),
    )
    .to_string();
    for inbox in &inboxes {
        tx.fedi_push(&c.site, inbox, &body, at)?;
    }
    tx.fedi_set_published(c.id, &c.site, &[], at)
}
