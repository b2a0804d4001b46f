//! A moderator's use cases: the queue, approve or reject, edit, delete, lock a thread,
//! erase one person's data, and the one-click links from moderation mail.

use std::sync::Arc;

use crate::actions::Core;
use crate::domain::comment::{Comment, Status};
use crate::domain::input::Edit;
use crate::domain::moderate::Action;
use crate::domain::{now, Timestamp};
use crate::error::{ApiError, ApiResult};
use crate::render::markdown::{self, Format};
use crate::store::comments as q;
use crate::store::outbox;
use crate::store::Tx;

pub use crate::store::moderation::QueueFilter;

/// The queue: matching comments, newest first, and how many match in all.
pub async fn queue(core: &Core, filter: QueueFilter) -> ApiResult<(Vec<Comment>, i64)> {
    core.store
        .read(move |tx| tx.moderation_queue(&filter))
        .await
}

/// `(site, status, count)` of every active site's comments.
pub async fn site_counts(core: &Core) -> ApiResult<Vec<(String, String, i64)>> {
    core.store.read(|tx| tx.site_counts()).await
}

/// The outbox's counts per status and its oldest undelivered rows.
pub async fn outbox_state(core: &Core) -> ApiResult<(Vec<(String, i64)>, Vec<outbox::Item>)> {
    core.store
        .read(|tx| Ok((tx.outbox_counts()?, tx.undelivered(100)?)))
        .await
}

/// Whether `token` is an admin token (stored, or `NATTER_ADMIN_TOKEN` whose hash is
/// `env_hash`), compared in constant time against every one.
pub async fn is_admin(core: &Core, env_hash: Option<&str>, token: &str) -> ApiResult<bool> {
    let hash = crate::domain::crypto::token_hash(token);
    if env_hash.is_some_and(|env| crate::domain::crypto::ct_eq(env, &hash)) {
        return Ok(true);
    }
    let hashes = core.store.read(|tx| tx.admin_token_hashes()).await?;
    // Every stored hash is compared, so the time taken doesn't say which one matched.
    Ok(hashes.iter().fold(false, |found, h| {
        crate::domain::crypto::ct_eq(h, &hash) | found
    }))
}

/// Sets a comment's status and notifies, in the writer: the shared step of the API and
/// the one-click links.
fn set_status_in(core: &Core, tx: &dyn Tx, c: &Comment, status: Status) -> ApiResult<Comment> {
    if c.status != status {
        tx.set_status(c.id, status)?;
    }
    let after = tx.find_comment(c.id)?.ok_or_else(ApiError::no_comment)?;
    crate::notify::status_changed(tx, &core.notifier(), c.status, &after)?;
    Ok(after)
}

/// Deletes a comment (a tombstone when it has replies) and notifies, in the writer: the
/// one step behind an author's delete, a moderator's, and a one-click link's.
pub(super) fn delete_in(core: &Core, tx: &dyn Tx, c: &Comment) -> ApiResult<()> {
    crate::notify::deleted(tx, &core.notifier(), c)?;
    tx.delete_comment(c.id)?;
    Ok(())
}

/// A comment that is not deleted, or 404.
fn live(tx: &dyn Tx, id: i64) -> ApiResult<Comment> {
    let c = tx.find_comment(id)?.ok_or_else(ApiError::no_comment)?;
    if c.status == Status::Deleted {
        return Err(ApiError::NotFound("that comment was deleted".into()));
    }
    Ok(c)
}

/// Approves or rejects a comment.
pub async fn set_status(core: &Arc<Core>, id: i64, status: Status) -> ApiResult<Comment> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let c = live(tx, id)?;
            set_status_in(&handle, tx, &c, status)
        })
        .await
}

/// Deletes a comment as a moderator.
pub async fn delete(core: &Arc<Core>, id: i64) -> ApiResult<()> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let c = tx.find_comment(id)?.ok_or_else(ApiError::no_comment)?;
            delete_in(&handle, tx, &c)
        })
        .await
}

/// A moderator's edit, rendered with the comment's own format; the status stays.
pub async fn edit(core: &Arc<Core>, id: i64, edit: Edit) -> ApiResult<Comment> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let c = live(tx, id)?;
            let images = handle.sites.get(&c.site).is_some_and(|s| s.images);
            let format = Format::parse(&c.format).unwrap_or(Format::Markdown);
            let text = edit.text.unwrap_or(c.text.clone());
            let html = markdown::render(&text, format, images);
            tx.update_comment(
                id,
                &q::CommentEdit {
                    author: edit.author.unwrap_or(c.author.clone()).as_deref(),
                    website: edit.website.unwrap_or(c.website.clone()).as_deref(),
                    text: &text,
                    html: &html,
                    status: c.status,
                    edited_at: now(),
                },
            )?;
            tx.find_comment(id)?.ok_or_else(ApiError::no_comment)
        })
        .await
}

/// Locks or unlocks a thread, even one with no comments yet.
pub async fn lock(core: &Core, site: String, page: String, locked: bool) -> ApiResult<()> {
    core.site(&site)?;
    core.store
        .write(move |tx| tx.set_locked(&site, &page, locked, now()))
        .await
}

/// Erases everything stored about one email on a site (its comments, its opt-in, the
/// mail and webhooks that carry its data); the shared step of the admin route and the
/// self-service link. Returns how many comments were erased.
pub async fn erase(core: &Arc<Core>, site: String, email: String) -> ApiResult<usize> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let erased = tx.erase_email(&site, &email)?;
            crate::notify::erased(tx, &handle.notifier(), &site, &email, erased)
        })
        .await
}

/// What a one-click link's page shows before it is used: the comment, unless it is gone,
/// and whether the link was used already.
pub async fn link_state(
    core: &Core,
    id: i64,
    sig_hash: String,
) -> ApiResult<(Option<Comment>, bool)> {
    core.store
        .read(move |tx| {
            let c = tx.find_comment(id)?.filter(|c| c.status != Status::Deleted);
            Ok((c, tx.link_used(&sig_hash)?))
        })
        .await
}

/// Uses a checked one-click link, once: `Duplicate` when it was used, `NotFound` when the
/// comment is gone. Returns the comment as it was before.
pub async fn use_link(
    core: &Arc<Core>,
    id: i64,
    action: Action,
    sig_hash: String,
    expires: Timestamp,
) -> ApiResult<Comment> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let c = tx
                .find_comment(id)?
                .filter(|c| c.status != Status::Deleted)
                .ok_or_else(ApiError::no_comment)?;
            if !tx.use_link(&sig_hash, expires, now())? {
                return Err(ApiError::Duplicate("link already used".into()));
            }
            match action {
                Action::Approve => set_status_in(&handle, tx, &c, Status::Approved).map(drop)?,
                Action::Reject => set_status_in(&handle, tx, &c, Status::Rejected).map(drop)?,
                Action::Delete => delete_in(&handle, tx, &c)?,
            }
            Ok(c)
        })
        .await
}
