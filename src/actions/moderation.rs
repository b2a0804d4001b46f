//! A moderator's use cases: the queue, approve or reject, edit, delete, lock a thread,
//! erase one person's data, and the one-click links from moderation mail.

use std::sync::Arc;

use crate::actions::Core;
use crate::domain::comment::{Comment, Status};
use crate::domain::desk::AuditEntry;
use crate::domain::input::Edit;
use crate::domain::moderate::Action;
use crate::domain::{now, Timestamp};
use crate::error::{ApiError, ApiResult};
use crate::render::markdown::{self, Format};
use crate::store::comments as q;
use crate::store::outbox;
use crate::store::Tx;

pub use crate::store::moderation::QueueFilter;

/// The audit log's actor for a signed one-click link (from moderation mail, or a
/// self-service erase).
pub const LINK: &str = "link";

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

/// The name the audit log gives `NATTER_ADMIN_TOKEN`.
pub const ENV_TOKEN_NAME: &str = "NATTER_ADMIN_TOKEN";

/// The name of the admin token `token` is (stored, or `NATTER_ADMIN_TOKEN` whose hash is
/// `env_hash`), compared in constant time against every one; `None` when it is none.
pub async fn admin_name(
    core: &Core,
    env_hash: Option<&str>,
    token: &str,
) -> ApiResult<Option<String>> {
    let hash = crate::domain::crypto::token_hash(token);
    if env_hash.is_some_and(|env| crate::domain::crypto::ct_eq(env, &hash)) {
        return Ok(Some(ENV_TOKEN_NAME.to_string()));
    }
    let tokens = core.store.read(|tx| tx.admin_token_hashes()).await?;
    // Every stored hash is compared, so the time taken doesn't say which one matched.
    Ok(tokens.into_iter().fold(None, |found, (name, h)| {
        if crate::domain::crypto::ct_eq(&h, &hash) {
            Some(name)
        } else {
            found
        }
    }))
}

/// Records a moderation action in the audit log, in the action's own transaction.
pub(super) fn audit(
    tx: &dyn Tx,
    actor: &str,
    action: &str,
    site: Option<&str>,
    comment_id: Option<i64>,
) -> ApiResult<()> {
    tx.record(&AuditEntry {
        id: 0,
        at: now(),
        actor: actor.to_string(),
        action: action.to_string(),
        site: site.map(str::to_string),
        comment_id,
    })
}

/// The audit log's word for setting a status.
fn verb(status: Status) -> &'static str {
    match status {
        Status::Approved => "approve",
        Status::Rejected => "reject",
        Status::Spam => "spam",
        Status::Pending => "hold",
        Status::Deleted => "delete",
    }
}

/// Sets a comment's status and notifies, in the writer: the shared step of the API and
/// the one-click links.
fn set_status_in(
    core: &Core,
    tx: &dyn Tx,
    c: &Comment,
    status: Status,
    actor: &str,
) -> ApiResult<Comment> {
    // A Fediverse reply its author addressed to their followers only, or as a direct
    // message, was never meant for the thread: nobody publishes it.
    if status == Status::Approved
        && c.held_reason.as_deref() == Some(super::spam::reason::NOT_PUBLIC)
    {
        return Err(ApiError::invalid(
            "status",
            "this Fediverse reply was sent to followers only or as a direct message: it is never published",
        ));
    }
    if c.status != status {
        tx.set_status(c.id, status)?;
    }
    audit(tx, actor, verb(status), Some(&c.site), Some(c.id))?;
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

/// Approves, rejects or marks as spam a comment; `actor` is the admin token's name.
pub async fn set_status(
    core: &Arc<Core>,
    id: i64,
    status: Status,
    actor: String,
) -> ApiResult<Comment> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let c = live(tx, id)?;
            set_status_in(&handle, tx, &c, status, &actor)
        })
        .await
}

/// A moderator's delete, in the writer: the step of the single route and of a bulk delete.
fn delete_as(core: &Core, tx: &dyn Tx, id: i64, actor: &str) -> ApiResult<()> {
    let c = tx.find_comment(id)?.ok_or_else(ApiError::no_comment)?;
    audit(tx, actor, "delete", Some(&c.site), Some(c.id))?;
    delete_in(core, tx, &c)
}

/// Deletes a comment as a moderator.
pub async fn delete(core: &Arc<Core>, id: i64, actor: String) -> ApiResult<()> {
    let handle = core.clone();
    core.store
        .write(move |tx| delete_as(&handle, tx, id, &actor))
        .await
}

/// What a bulk action does to each comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    /// Approve, reject or mark as spam, as [`set_status`] does.
    Status(Status),
    /// Delete, as [`delete`] does.
    Delete,
}

/// What a bulk action did, in the order of the ids asked for.
#[derive(Debug, Default)]
pub struct BulkOutcome {
    /// The comments whose status was set, as they are now.
    pub changed: Vec<Comment>,
    /// The ids deleted.
    pub deleted: Vec<i64>,
    /// The ids not acted on (unknown, or already deleted), each with why.
    pub failed: Vec<(i64, ApiError)>,
}

/// Acts on many comments in one write transaction, each exactly as the single routes do
/// (audited, notified). A comment that isn't there goes into `failed` and the others still
/// act; any other error (the database's) undoes the whole batch. A repeated id acts once.
pub async fn bulk(
    core: &Arc<Core>,
    ids: Vec<i64>,
    action: Bulk,
    actor: String,
) -> ApiResult<BulkOutcome> {
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<i64> = ids.into_iter().filter(|id| seen.insert(*id)).collect();
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let mut out = BulkOutcome::default();
            for id in ids {
                let done = match action {
                    Bulk::Status(status) => live(tx, id)
                        .and_then(|c| set_status_in(&handle, tx, &c, status, &actor))
                        .map(|c| out.changed.push(c)),
                    Bulk::Delete => {
                        delete_as(&handle, tx, id, &actor).map(|()| out.deleted.push(id))
                    }
                };
                match done {
                    Ok(()) => {}
                    Err(e @ (ApiError::NotFound(_) | ApiError::Validation(_))) => {
                        out.failed.push((id, e))
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        })
        .await
}

/// A moderator's edit, rendered with the comment's own format; the status stays.
pub async fn edit(core: &Arc<Core>, id: i64, edit: Edit, actor: String) -> ApiResult<Comment> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let c = live(tx, id)?;
            audit(tx, &actor, "edit", Some(&c.site), Some(c.id))?;
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
                    held_reason: None,
                },
            )?;
            tx.find_comment(id)?.ok_or_else(ApiError::no_comment)
        })
        .await
}

/// Locks or unlocks a thread, even one with no comments yet.
pub async fn lock(
    core: &Core,
    site: String,
    page: String,
    locked: bool,
    actor: String,
) -> ApiResult<()> {
    core.site(&site)?;
    core.store
        .write(move |tx| {
            let action = if locked { "lock" } else { "unlock" };
            audit(tx, &actor, action, Some(&site), None)?;
            tx.set_locked(&site, &page, locked, now())
        })
        .await
}

/// Erases everything stored about one email on a site (its comments, its opt-in, the
/// mail and webhooks that carry its data); the shared step of the admin route and the
/// self-service link (whose actor is `link`). Returns how many comments were erased.
pub async fn erase(
    core: &Arc<Core>,
    site: String,
    email: String,
    actor: String,
) -> ApiResult<usize> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            audit(tx, &actor, "erase", Some(&site), None)?;
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
                Action::Approve => {
                    set_status_in(&handle, tx, &c, Status::Approved, LINK).map(drop)?
                }
                Action::Reject => {
                    set_status_in(&handle, tx, &c, Status::Rejected, LINK).map(drop)?
                }
                Action::Delete => {
                    audit(tx, LINK, "delete", Some(&c.site), Some(c.id))?;
                    delete_in(&handle, tx, &c)?
                }
            }
            Ok(c)
        })
        .await
}
