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
use crate::store::moderation as m;
use crate::store::outbox;

pub use crate::store::moderation::QueueFilter;

/// The queue: matching comments, newest first, and how many match in all.
pub async fn queue(core: &Core, filter: QueueFilter) -> ApiResult<(Vec<Comment>, i64)> {
    crate::store::read(&core.pool, move |conn| Ok(m::queue(conn, &filter)?)).await
}

/// `(site, status, count)` of every active site's comments.
pub async fn site_counts(core: &Core) -> ApiResult<Vec<(String, String, i64)>> {
    crate::store::read(&core.pool, |conn| Ok(m::site_counts(conn)?)).await
}

/// The outbox's counts per status and its oldest undelivered rows.
pub async fn outbox_state(core: &Core) -> ApiResult<(Vec<(String, i64)>, Vec<outbox::Item>)> {
    crate::store::read(&core.pool, |conn| {
        Ok((outbox::counts(conn)?, outbox::undelivered(conn, 100)?))
    })
    .await
}

/// Whether `token` is an admin token (stored, or `NATTER_ADMIN_TOKEN` whose hash is
/// `env_hash`), compared in constant time against every one.
pub async fn is_admin(core: &Core, env_hash: Option<&str>, token: &str) -> ApiResult<bool> {
    let hash = crate::domain::crypto::token_hash(token);
    if env_hash.is_some_and(|env| crate::domain::crypto::ct_eq(env, &hash)) {
        return Ok(true);
    }
    let hashes = crate::store::read(&core.pool, |conn| {
        Ok(crate::store::admin_tokens::hashes(conn)?)
    })
    .await?;
    // Every stored hash is compared, so the time taken doesn't say which one matched.
    Ok(hashes.iter().fold(false, |found, h| {
        crate::domain::crypto::ct_eq(h, &hash) | found
    }))
}

/// Sets a comment's status and notifies, in the writer: the shared step of the API and
/// the one-click links. A deleted comment is 404.
/// (`always` writes the status even when it is the same, as a one-click link always did.)
fn set_status_in(
    core: &Core,
    conn: &rusqlite::Connection,
    c: &Comment,
    status: Status,
    always: bool,
) -> ApiResult<Comment> {
    if always || c.status != status {
        m::set_status(conn, c.id, status)?;
    }
    let after = q::find_comment(conn, c.id)?.ok_or_else(ApiError::no_comment)?;
    crate::notify::status_changed(conn, &core.notifier(), c.status, &after)?;
    Ok(after)
}

/// Deletes a comment (a tombstone when it has replies) and notifies, in the writer.
fn delete_in(core: &Core, conn: &rusqlite::Connection, c: &Comment) -> ApiResult<()> {
    crate::notify::deleted(conn, &core.notifier(), c)?;
    q::delete_comment(conn, c.id)?;
    Ok(())
}

/// A comment that is not deleted, or 404.
fn live(conn: &rusqlite::Connection, id: i64) -> ApiResult<Comment> {
    let c = q::find_comment(conn, id)?.ok_or_else(ApiError::no_comment)?;
    if c.status == Status::Deleted {
        return Err(ApiError::NotFound("that comment was deleted".into()));
    }
    Ok(c)
}

/// Approves or rejects a comment.
pub async fn set_status(core: &Arc<Core>, id: i64, status: Status) -> ApiResult<Comment> {
    let handle = core.clone();
    core.writer
        .write(move |conn| {
            let c = live(conn, id)?;
            set_status_in(&handle, conn, &c, status, false)
        })
        .await
}

/// Deletes a comment as a moderator.
pub async fn delete(core: &Arc<Core>, id: i64) -> ApiResult<()> {
    let handle = core.clone();
    core.writer
        .write(move |conn| {
            let c = q::find_comment(conn, id)?.ok_or_else(ApiError::no_comment)?;
            delete_in(&handle, conn, &c)
        })
        .await
}

/// A moderator's edit, rendered with the comment's own format; the status stays.
pub async fn edit(core: &Arc<Core>, id: i64, edit: Edit) -> ApiResult<Comment> {
    let handle = core.clone();
    core.writer
        .write(move |conn| {
            let c = live(conn, id)?;
            let images = handle.sites.get(&c.site).is_some_and(|s| s.images);
            let format = Format::parse(&c.format).unwrap_or(Format::Markdown);
            let text = edit.text.unwrap_or(c.text.clone());
            let html = markdown::render(&text, format, images);
            q::update_comment(
                conn,
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
            q::find_comment(conn, id)?.ok_or_else(ApiError::no_comment)
        })
        .await
}

/// Locks or unlocks a thread, even one with no comments yet.
pub async fn lock(core: &Core, site: String, page: String, locked: bool) -> ApiResult<()> {
    core.site(&site)?;
    core.writer
        .write(move |conn| Ok(m::set_locked(conn, &site, &page, locked, now())?))
        .await
}

/// Erases everything stored about one email on a site (its comments, its opt-in, the
/// mail and webhooks that carry its data); the shared step of the admin route and the
/// self-service link. Returns how many comments were erased.
pub async fn erase(core: &Arc<Core>, site: String, email: String) -> ApiResult<usize> {
    let handle = core.clone();
    core.writer
        .write(move |conn| {
            let erased = m::erase_email(conn, &site, &email)?;
            Ok(crate::notify::erased(
                conn,
                &handle.notifier(),
                &site,
                &email,
                erased,
            )?)
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
    crate::store::read(&core.pool, move |conn| {
        let c = q::find_comment(conn, id)?.filter(|c| c.status != Status::Deleted);
        Ok((c, m::link_used(conn, &sig_hash)?))
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
    core.writer
        .write(move |conn| {
            let c = q::find_comment(conn, id)?
                .filter(|c| c.status != Status::Deleted)
                .ok_or_else(ApiError::no_comment)?;
            if !m::use_link(conn, &sig_hash, expires, now())? {
                return Err(ApiError::Duplicate("link already used".into()));
            }
            match action {
                Action::Approve => drop(set_status_in(&handle, conn, &c, Status::Approved, true)?),
                Action::Reject => drop(set_status_in(&handle, conn, &c, Status::Rejected, true)?),
                Action::Delete => delete_in(&handle, conn, &c)?,
            }
            Ok(c)
        })
        .await
}
