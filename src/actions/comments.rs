//! A reader's and an author's use cases: read a thread or one comment, create, edit,
//! delete, vote.

use std::sync::Arc;

use crate::actions::{spam, Core, Origin};
use crate::config::Moderation;
use crate::domain::comment::{Comment, Status};
use crate::domain::crypto;
use crate::domain::desk::Author;
use crate::domain::input::{Edit, Submission};
use crate::domain::ip::AnonIp;
use crate::domain::now;
use crate::error::{ApiError, ApiResult};
use crate::render::markdown::{self, Format};
use crate::store::comments as q;
use crate::store::Tx;

pub use super::reads::{thread, Thread};
pub use super::sessions::Proof;

/// One visible comment of a configured site.
pub async fn get(core: &Arc<Core>, id: i64) -> ApiResult<Comment> {
    let c = core.store.read(move |tx| tx.find_comment(id)).await?;
    let c = c
        .filter(|c| c.status == Status::Approved)
        .ok_or_else(ApiError::no_comment)?;
    core.site(&c.site)?;
    Ok(c)
}

/// Who sent a create, beyond what they wrote.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Their anonymized network.
    pub ip: AnonIp,
    /// The request's `Idempotency-Key`, when it had one.
    pub request_key: Option<String>,
    /// The hidden field's value (filled in only by bots).
    pub honeypot: Option<String>,
    /// The form token the widget got with the site's config.
    pub form_token: Option<String>,
    /// The admin token's name, when the request carried one: the site's owner writing.
    pub owner: Option<String>,
    /// The session a signed-in commenter's token names (well signed and unexpired; whether
    /// it is live and of this site is checked in the create's transaction).
    pub session: Option<i64>,
}

/// A stored comment and the edit token its author gets (shown only now).
#[derive(Debug)]
pub struct Created {
    /// The comment as stored.
    pub comment: Comment,
    /// The edit token.
    pub edit_token: String,
}

/// Stores a new comment on `site` (approved or held by the site's rules) and queues what
/// it notifies, in one transaction. A retry with the same `Idempotency-Key` gets the
/// comment the first try made.
pub async fn create(
    core: &Arc<Core>,
    site: &str,
    new: Submission,
    sender: Sender,
) -> ApiResult<Created> {
    let site_cfg = core.site(site)?.clone();
    let is_owner = sender.owner.is_some();
    if sender.session.is_none() && site_cfg.require_sign_in && !is_owner {
        return Err(ApiError::Unauthorized(
            "this site asks commenters to sign in first".into(),
        ));
    }
    // A signed-in commenter's name is their identity's (set in the transaction).
    if site_cfg.require_name && new.author.is_none() && sender.session.is_none() {
        return Err(ApiError::invalid("author", "this site requires a name"));
    }
    if site_cfg.require_email && new.email.is_none() {
        return Err(ApiError::invalid("email", "this site requires an email"));
    }
    new.check_notify()?;
    if !is_owner
        && sender.session.is_none()
        && new
            .author
            .as_deref()
            .is_some_and(|a| site_cfg.is_owner_name(a))
    {
        return Err(ApiError::invalid(
            "author",
            "this name belongs to the site's owner",
        ));
    }

    let created_at = now();
    let html = markdown::render(&new.text, Format::Markdown, site_cfg.images);
    let key = &core.key;
    // With an `Idempotency-Key`, the edit token derives from it: a retry of the request
    // gets the same token for the comment the first try made.
    let token = match &sender.request_key {
        Some(k) => crypto::token_from(&key.mac("edit-token", k.as_bytes())),
        None => crypto::random_token(),
    };
    let request_key_hash = sender
        .request_key
        .as_ref()
        .map(|k| key.mac_hex("idempotency", format!("{site}\0{k}").as_bytes()));
    let screening = spam::Screening {
        honeypot: sender
            .honeypot
            .as_deref()
            .is_some_and(|h| !h.trim().is_empty()),
        too_many_links: markdown::count_links(&html) > spam::MAX_LINKS,
        form_token: spam::form_token(
            key,
            site,
            &site_cfg,
            sender.form_token.as_deref(),
            created_at,
        ),
        blocked: false,
    };
    let ip = sender.ip.as_str().to_string();
    let row = q::NewComment {
        parent: new.parent,
        avatar: crate::domain::crypto::avatar_hash(
            key,
            new.email.as_deref(),
            new.author.as_deref(),
            &ip,
        ),
        author_key_hash: new
            .author_key
            .as_ref()
            .map(|k| key.mac_hex("author-key", k.as_bytes())),
        author: new.author,
        email: new.email,
        website: new.website,
        text: new.text,
        html,
        status: Status::Pending,
        created_at,
        ip,
        edit_token_hash: crypto::token_hash(&token),
        edit_until: created_at + i64::from(site_cfg.edit_window),
        notify: new.notify,
        request_key_hash,
        via: None,
        held_reason: None,
        badge: is_owner.then_some("owner"),
        identity: None,
    };
    let session = sender.session;
    let (site, page, title, url) = (site.to_string(), new.page, new.title, new.url);
    let comment = core
        .store
        .write({
            let core = core.clone();
            move |tx| {
                let mut row = row;
                if let Some(id) = session {
                    super::sessions::sign_row(
                        tx, &mut row, id, &site, &site_cfg, &core.key, created_at,
                    )?;
                }
                // A retry of a request that already made its comment gets that comment.
                if let Some(hash) = &row.request_key_hash {
                    if let Some(c) = tx.find_by_request_key(hash)? {
                        return Ok(c);
                    }
                }
                let p = tx.ensure_page(&site, &page, created_at)?;
                if p.is_locked(site_cfg.lock_after_days, created_at) {
                    return Err(ApiError::ThreadLocked);
                }
                if let Some(parent) = row.parent {
                    let ok = tx
                        .find_comment(parent)?
                        .is_some_and(|c| c.page_id == p.id && c.status == Status::Approved);
                    if !ok {
                        return Err(ApiError::invalid(
                            "parent",
                            "parent must be a visible comment of the same page",
                        ));
                    }
                }
                let since = created_at - spam::DUPLICATE_WINDOW;
                if tx.is_duplicate(p.id, &row.ip, &row.text, since)? {
                    return Err(ApiError::Duplicate(
                        "the same comment was just posted on this page".into(),
                    ));
                }
                // Under `first`, trust follows the signed-in identity when there is one,
                // else the email together with the browser's author key.
                let trusted = match (&row.identity, &row.email, &row.author_key_hash) {
                    _ if site_cfg.moderation != Moderation::First => false,
                    (Some((who, _)), _, _) => tx.identity_trusted(&site, *who)?,
                    (None, Some(e), Some(k)) => tx.is_trusted(&site, e, k)?,
                    _ => false,
                };
                let author = Author {
                    email: row.email.as_deref(),
                    network: &row.ip,
                    key_hash: row.author_key_hash.as_deref(),
                };
                let blocked = tx.is_blocked(&site, &author, created_at)?;
                let screening = spam::Screening {
                    blocked,
                    ..screening
                };
                // The owner's comment is published at once (the honeypot still stops a bot).
                let (status, held_reason) = match screening.verdict(site_cfg.moderation, trusted) {
                    (Status::Pending, _) if is_owner => (Status::Approved, None),
                    verdict => verdict,
                };
                let row = q::NewComment {
                    status,
                    held_reason,
                    ..row
                };
                let c =
                    tx.insert_comment(&p, &site, &page, row, title.as_deref(), url.as_deref())?;
                crate::notify::created(tx, &core.notifier(), &c)?;
                Ok(c)
            }
        })
        .await?;
    Ok(Created {
        comment,
        edit_token: token,
    })
}

/// Loads a comment for its author: 404 unknown or deleted, 401 wrong token, 403 origin or
/// window.
///
/// A deleted comment is gone for its author as for everyone, whether it was removed or left
/// as a tombstone for its replies (which keeps no token): a retried `DELETE` answers 404 in
/// both cases, and so does a `PATCH`, whatever the token.
fn authorize_author(
    core: &Core,
    origin: &Origin,
    tx: &dyn Tx,
    id: i64,
    proof: &Proof,
    at: i64,
) -> ApiResult<Comment> {
    let token_hash = match proof {
        Proof::EditToken(hash) => hash.as_str(),
        Proof::Session(_) => "",
    };
    let signed_in = proof.identity(tx, at)?;
    let Some(c) = tx.find_comment(id)?.filter(|c| c.status != Status::Deleted) else {
        // Spend the same comparison as for a real comment, so timing doesn't add anything.
        let _ = crypto::ct_eq(&crypto::token_hash(""), token_hash);
        return Err(ApiError::no_comment());
    };
    match proof {
        Proof::EditToken(_) => {
            let stored = c.edit_token_hash.as_deref().unwrap_or("");
            // Compared even when nothing is stored (an imported comment has no token), so it
            // costs the same time as one that has.
            let matches = crypto::ct_eq(stored, token_hash);
            if !matches || stored.is_empty() {
                return Err(ApiError::Unauthorized(
                    "the edit token does not match this comment".into(),
                ));
            }
        }
        Proof::Session(_) => {
            if c.identity_id.is_none() || c.identity_id != signed_in {
                return Err(ApiError::Unauthorized(
                    "this comment was not written by the signed-in commenter".into(),
                ));
            }
        }
    }
    origin.allow(core.site(&c.site)?)?;
    // The window is [created_at, edit_until): with `edit_window = 0` it is empty, so even an
    // edit within the creation second is refused.
    if at >= c.edit_until {
        return Err(ApiError::EditWindowClosed);
    }
    Ok(c)
}

/// The author edits their comment within its window, proving it is theirs.
pub async fn edit(
    core: &Arc<Core>,
    id: i64,
    proof: Proof,
    origin: Origin,
    edit: Edit,
) -> ApiResult<Comment> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let core = &handle;
            let at = now();
            let c = authorize_author(core, &origin, tx, id, &proof, at)?;
            let site = core.site(&c.site)?;
            let text = edit.text.unwrap_or(c.text.clone());
            // A signed-in comment keeps its identity's name.
            let author = match c.identity_id {
                Some(_) => c.author.clone(),
                None => edit.author.unwrap_or(c.author.clone()),
            };
            let website = edit.website.unwrap_or(c.website.clone());
            let owners = c.badge.as_deref() == Some("owner");
            if !owners && author.as_deref().is_some_and(|a| site.is_owner_name(a)) {
                return Err(ApiError::invalid(
                    "author",
                    "this name belongs to the site's owner",
                ));
            }
            let html = markdown::render(&text, Format::Markdown, site.images);
            tx.update_comment(
                id,
                &spam::author_edit(
                    c.status,
                    site.moderation,
                    author.as_deref(),
                    website.as_deref(),
                    &text,
                    &html,
                    at,
                ),
            )?;
            tx.find_comment(id)?.ok_or_else(ApiError::no_comment)
        })
        .await
}

/// The author deletes their comment within its window (a tombstone when it has replies).
pub async fn delete(core: &Arc<Core>, id: i64, proof: Proof, origin: Origin) -> ApiResult<()> {
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let core = &handle;
            let c = authorize_author(core, &origin, tx, id, &proof, now())?;
            super::moderation::delete_in(core, tx, &c)
        })
        .await
}

/// One vote per comment per network: `value` 1 likes, -1 dislikes, 0 takes the vote back.
/// Returns the comment's new counts.
pub async fn vote(
    core: &Arc<Core>,
    id: i64,
    voter: &AnonIp,
    origin: Origin,
    value: i8,
) -> ApiResult<(i64, i64)> {
    let voter = core.key.mac_hex("voter", voter.as_str().as_bytes());
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let core = &handle;
            let c = tx
                .find_comment(id)?
                .filter(|c| c.status == Status::Approved)
                .ok_or_else(ApiError::no_comment)?;
            origin.allow(core.site(&c.site)?)?;
            tx.vote(id, &voter, value)
        })
        .await
}
