//! What a verified source becomes, stored in the writer's transaction: a comment made,
//! updated or removed, a reaction, or a rejection, with the Webmention's new state last (a
//! claim lost meanwhile rolls everything back).

use std::sync::Arc;

use url::Url;

use super::{failed, is_comment, Found};
use crate::actions::{spam, Core};
use crate::domain::comment::{Comment, Status, Via};
use crate::domain::validate::max;
use crate::domain::webmention::{Mention, Outcome};
use crate::domain::{cap, escape_html as escape, now, one_line, Timestamp};
use crate::error::{ApiError, ApiResult};
use crate::mf2::{Entry, Kind};
use crate::render::markdown::{self, Format};
use crate::store::comments::NewComment;
use crate::store::Tx;

/// Stores what came of verifying `m`; `Ok(false)` never: a lost claim is an error, so the
/// writer rolls back whatever was done.
pub fn store(
    core: &Arc<Core>,
    tx: &dyn Tx,
    owner: &str,
    m: &Mention,
    found: Found,
) -> ApiResult<bool> {
    let at = now();
    let outcome = match (core.site(&m.site), found) {
        (Err(_), _) => Outcome::Rejected {
            reason: "the target's site no longer takes Webmentions".into(),
        },
        (_, Found::Failed(reason)) => failed(m, reason),
        (_, Found::Refused(reason) | Found::Gone(reason)) => {
            remove_comment(core, tx, m)?;
            Outcome::Rejected { reason }
        }
        (Ok(_), Found::Source(source)) => accept(core, tx, m, source.entry.as_ref(), at)?,
    };
    if tx.finish_webmention(&m.id, owner, &outcome, at)? {
        let label = match outcome {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Retry { .. } => "retried",
        };
        core.metrics.event("webmentions", &m.site, label);
        Ok(true)
    } else {
        Err(ApiError::Unavailable(
            "the Webmention was sent again while it was verified".into(),
        ))
    }
}

/// A source that links to the target: a comment (reply, mention) or a reaction.
fn accept(
    core: &Arc<Core>,
    tx: &dyn Tx,
    m: &Mention,
    entry: Option<&Entry>,
    at: Timestamp,
) -> ApiResult<Outcome> {
    let kind = entry.map_or(Kind::Mention, |e| e.kind);
    let (name, url) = author(entry, m);
    if core.site(&m.site)?.is_owner_name(&name) {
        return Ok(Outcome::Rejected {
            reason: "the author's name is the site owner's".into(),
        });
    }
    if !is_comment(kind) {
        remove_comment(core, tx, m)?;
        return Ok(Outcome::Accepted {
            kind: kind.as_str().into(),
            comment_id: None,
            author_name: name,
            author_url: url.unwrap_or_else(|| m.source.clone()),
        });
    }
    let site = core.site(&m.site)?;
    let (text, html) = content(entry, m, site.images);
    let website = url
        .clone()
        .or_else(|| (m.source.len() <= max::WEBSITE).then(|| m.source.clone()));
    let existing = live_comment(tx, m)?;
    if let (Some(id), None) = (m.comment_id, &existing) {
        // It made a comment that a moderator has deleted since: sending it again does not
        // bring it back (nor a new one in its place).
        return Ok(Outcome::Accepted {
            kind: kind.as_str().into(),
            comment_id: Some(id),
            author_name: name,
            author_url: url.unwrap_or_else(|| m.source.clone()),
        });
    }
    let comment_id = match existing {
        Some(c) => {
            let same = c.text == text && c.html == html && c.author.as_deref() == Some(&name);
            if !same {
                tx.update_comment(
                    c.id,
                    &spam::author_edit(
                        c.status,
                        site.moderation,
                        Some(&name),
                        website.as_deref(),
                        &text,
                        &html,
                        at,
                    ),
                )?;
            }
            c.id
        }
        None => {
            let page = tx.ensure_page(&m.site, &m.page, at)?;
            if page.is_locked(site.lock_after_days, at) {
                return Ok(Outcome::Rejected {
                    reason: "the thread takes no more comments".into(),
                });
            }
            let ip = m.sender_ip.clone().unwrap_or_default();
            if tx.is_duplicate(page.id, &ip, &text, at - spam::DUPLICATE_WINDOW)? {
                return Ok(Outcome::Rejected {
                    reason: "the same text was just posted on this page".into(),
                });
            }
            let trusted = site.moderation == crate::config::Moderation::First
                && tx.webmention_host_trusted(&m.site, &m.source_host)?;
            let blocked = tx.is_blocked(
                &m.site,
                &crate::domain::desk::Author {
                    email: None,
                    network: &ip,
                    key_hash: None,
                },
                at,
            )?;
            let screening = spam::Screening {
                honeypot: false,
                too_many_links: markdown::count_links(&html) > spam::MAX_LINKS,
                form_token: spam::FormToken::Ok,
                blocked,
            };
            let (status, held_reason) = screening.verdict(site.moderation, trusted);
            let row = NewComment {
                parent: parent_of(tx, m, page.id)?,
                author: Some(name.clone()),
                email: None,
                website,
                avatar: crate::domain::crypto::avatar_hash(
                    &core.key,
                    None,
                    Some(url.as_deref().unwrap_or(&m.source_host)),
                    "webmention",
                ),
                text,
                html,
                status,
                held_reason,
                badge: None,
                identity: None,
                created_at: at,
                ip,
                author_key_hash: None,
                // No edit token: only the source (sent again) or a moderator changes it.
                edit_token_hash: String::new(),
                edit_until: at,
                notify: false,
                request_key_hash: None,
                via: Some(Via {
                    kind: "webmention".into(),
                    url: m.source.clone(),
                    handle: None,
                }),
            };
            let mut page_url = Url::parse(&m.target).ok();
            if let Some(u) = page_url.as_mut() {
                u.set_fragment(None);
            }
            let page_url = page_url.map(String::from);
            let c = tx.insert_comment(&page, &m.site, &m.page, row, None, page_url.as_deref())?;
            crate::notify::created(tx, &core.notifier(), &c)?;
            c.id
        }
    };
    Ok(Outcome::Accepted {
        kind: kind.as_str().into(),
        comment_id: Some(comment_id),
        author_name: name,
        author_url: url.unwrap_or_else(|| m.source.clone()),
    })
}

/// The comment an earlier verification made, unless it is gone.
fn live_comment(tx: &dyn Tx, m: &Mention) -> ApiResult<Option<Comment>> {
    Ok(match m.comment_id {
        Some(id) => tx.find_comment(id)?.filter(|c| {
            c.status != Status::Deleted && c.via.as_ref().is_some_and(|v| v.url == m.source)
        }),
        None => None,
    })
}

/// Removes the comment an earlier verification made (a tombstone if it has replies).
fn remove_comment(core: &Arc<Core>, tx: &dyn Tx, m: &Mention) -> ApiResult<()> {
    if let Some(c) = live_comment(tx, m)? {
        tx.delete_comment(c.id)?;
        crate::notify::deleted(tx, &core.notifier(), &c)?;
    }
    Ok(())
}

/// A target `…#natter-<id>` answers that comment, when it is a visible one of the page.
fn parent_of(tx: &dyn Tx, m: &Mention, page_id: i64) -> ApiResult<Option<i64>> {
    let id = Url::parse(&m.target)
        .ok()
        .and_then(|u| u.fragment()?.strip_prefix("natter-")?.parse::<i64>().ok());
    let Some(id) = id else { return Ok(None) };
    Ok(tx
        .find_comment(id)?
        .filter(|c| c.page_id == page_id && c.status == Status::Approved)
        .map(|c| c.id))
}

/// The author's name (else the source's host) and page (when it is an http(s) URL short
/// enough to be a website). The photo is never used: readers' browsers don't load images
/// from wherever a source points; an identicon stands in.
fn author(entry: Option<&Entry>, m: &Mention) -> (String, Option<String>) {
    let a = entry.map(|e| &e.author);
    let name = a
        .and_then(|a| a.name.as_deref())
        .map(|n| one_line(n, max::AUTHOR))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| m.source_host.clone());
    let url = a.and_then(|a| a.url.clone()).filter(|u| {
        (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= max::WEBSITE
    });
    (name, url)
}

/// The comment's text and its sanitized HTML: the entry's HTML content through the same
/// allow-list as any comment's, or its text as plain text; a source without either shows
/// as a link to itself.
fn content(entry: Option<&Entry>, m: &Mention, images: bool) -> (String, String) {
    let text = entry
        .and_then(|e| {
            [&e.content_text, &e.summary, &e.name]
                .into_iter()
                .flatten()
                .map(|t| t.trim())
                .find(|t| !t.is_empty())
                .map(str::to_string)
        })
        .map(|t| cap(&t, max::TEXT));
    let Some(text) = text else {
        let text = format!("<{}>", m.source);
        let html = markdown::render(&text, Format::Markdown, false);
        return (text, html);
    };
    let rich = entry
        .and_then(|e| e.content_html.as_deref())
        .filter(|h| h.len() <= 4 * max::TEXT)
        .map(|h| markdown::render(h, Format::Html, images))
        .filter(|h| !h.trim().is_empty());
    let html = rich.unwrap_or_else(|| {
        markdown::render(&format!("<p>{}</p>", escape(&text)), Format::Html, false)
    });
    (text, html)
}
