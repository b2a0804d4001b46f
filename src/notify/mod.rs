//! Notifications: what each comment event puts in the outbox (in the event's own
//! transaction), and the worker that delivers it. Nothing goes to readers about a
//! comment before it is approved; reply mail needs a confirmed (double opt-in) address.

pub mod digest;
pub mod federation;
pub mod mail;
pub mod worker;

use serde_json::json;

use crate::config::Settings;
use crate::domain::comment::{Comment, Notify, Status};
use crate::domain::crypto::ServerKey;
use crate::domain::links;
use crate::domain::{now, rfc3339};
use crate::error::ApiResult;
use crate::metrics::Metrics;
use crate::store::outbox;
use crate::store::Tx;

/// What notifications need of the running server: its settings (webhooks, `[smtp]`, the
/// public URL), its key (for signed links) and its event counters.
#[derive(Clone, Copy)]
pub struct Notifier<'a> {
    /// The settings.
    pub settings: &'a Settings,
    /// The server key.
    pub key: &'a ServerKey,
    /// The event counters.
    pub metrics: &'a Metrics,
}

/// How long an opt-in link works.
pub const CONFIRM_TTL: i64 = 7 * 86_400;
/// How long an unsubscribe link works.
pub const UNSUBSCRIBE_TTL: i64 = 365 * 86_400;
/// How long a self-service erase link works.
pub const ERASE_TTL: i64 = 86_400;
/// At most one opt-in or erase mail per address in this many seconds.
pub const MAIL_COOLDOWN: i64 = 3600;

/// What a delivery about this comment is about.
fn about(c: &Comment) -> outbox::About<'_> {
    outbox::About {
        site: &c.site,
        comment: Some(c.id),
    }
}

fn webhooks(tx: &dyn Tx, st: &Notifier<'_>, event: &str, c: &Comment) -> ApiResult<()> {
    let hooks: Vec<_> = st
        .settings
        .webhooks
        .iter()
        .filter(|w| w.events.is_empty() || w.events.iter().any(|e| e == event))
        .collect();
    if hooks.is_empty() {
        return Ok(());
    }
    let (title, url) = tx.page_meta(c.page_id)?;
    let mut comment = serde_json::to_value(c.public(false)).unwrap_or_default();
    comment["status"] = json!(c.status.as_str());
    let body = json!({
        "id": format!("evt_{}", crate::domain::crypto::random_token()),
        "event": event,
        "created_at": rfc3339(now()),
        "site": c.site,
        "page": {"key": c.page, "title": title, "url": url},
        "comment": comment,
    })
    .to_string();
    for hook in hooks {
        tx.push_webhook(&hook.url, &body, about(c), now())?;
    }
    Ok(())
}

/// A comment was just created (any status but the honeypot's).
pub fn created(tx: &dyn Tx, st: &Notifier<'_>, c: &Comment) -> ApiResult<()> {
    let held = match c.status {
        Status::Approved => "approved",
        Status::Rejected => "spam",
        _ => "held",
    };
    st.metrics.event("comments", &c.site, held);
    if c.status == Status::Rejected {
        // The honeypot: a bot. Nobody needs to hear about it.
        return Ok(());
    }
    webhooks(tx, st, "comment.created", c)?;
    if let Some(smtp) = &st.settings.smtp {
        let (title, url) = tx.page_meta(c.page_id)?;
        let alone = mail::moderation(st, c, title.as_deref(), url.as_deref());
        let entry = mail::digest_entry(st, c, title.as_deref(), url.as_deref());
        for m in &smtp.moderators {
            digest::push_moderation(tx, smtp, m, c, &alone, &entry, now())?;
        }
    }
    if c.status == Status::Approved {
        became_visible(tx, st, c)?;
        federation::approved(tx, st, c)?;
    }
    Ok(())
}

/// A moderator changed a comment's status.
pub fn status_changed(
    tx: &dyn Tx,
    st: &Notifier<'_>,
    before: Status,
    c: &Comment,
) -> ApiResult<()> {
    if before == c.status {
        return Ok(());
    }
    st.metrics.event("moderation", &c.site, c.status.as_str());
    match c.status {
        Status::Approved => {
            webhooks(tx, st, "comment.approved", c)?;
            became_visible(tx, st, c)?;
            federation::approved(tx, st, c)?;
        }
        // Spam is a rejection as far as receivers go: hidden from the public.
        Status::Rejected | Status::Spam => {
            webhooks(tx, st, "comment.rejected", c)?;
            federation::withdrawn(tx, st, c)?;
        }
        _ => {}
    }
    Ok(())
}

/// A comment was deleted (by its author, a moderator, or an erase).
pub fn deleted(tx: &dyn Tx, st: &Notifier<'_>, c: &Comment) -> ApiResult<()> {
    st.metrics.event("moderation", &c.site, "deleted");
    federation::withdrawn(tx, st, c)?;
    webhooks(tx, st, "comment.deleted", c)
}

/// First approval: the parent's subscriber hears of the reply, and the author's own
/// notification request is confirmed (or a confirmation mail is sent).
fn became_visible(tx: &dyn Tx, st: &Notifier<'_>, c: &Comment) -> ApiResult<()> {
    if st.settings.smtp.is_none() {
        return Ok(());
    }
    let (title, url) = tx.page_meta(c.page_id)?;
    if let Some(parent) = c.parent.map(|p| tx.find_comment(p)).transpose()?.flatten() {
        let subscribed = parent.notify == Notify::On && parent.status != Status::Deleted;
        let own_reply = match (&parent.email, &c.email) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        if let (true, false, Some(to)) = (subscribed, own_reply, parent.email.as_deref()) {
            let unsubscribe = signed_url(st, "unsubscribe", parent.id, UNSUBSCRIBE_TTL);
            let m = mail::reply(c, &parent, title.as_deref(), url.as_deref(), &unsubscribe);
            tx.push_email(to, &m, about(c), now())?;
        }
    }
    if let (Notify::Asked, Some(email)) = (c.notify, c.email.as_deref()) {
        if tx.is_confirmed(&c.site, email)? {
            tx.set_notify(c.id, Notify::On)?;
        } else if !tx.recently_mailed(email, "confirm", now() - MAIL_COOLDOWN)? {
            let link = signed_url(st, "confirm", c.id, CONFIRM_TTL);
            tx.push_email(
                email,
                &mail::confirm(c, title.as_deref(), &link),
                about(c),
                now(),
            )?;
        }
    }
    Ok(())
}

/// A signed link to one of the notification pages for a comment.
pub fn signed_url(st: &Notifier<'_>, purpose: &str, id: i64, ttl: i64) -> String {
    let sig = links::sign(st.key, purpose, &id.to_string(), now() + ttl);
    format!(
        "{}/notify/{purpose}/{id}?sig={sig}",
        st.settings.public_url.trim_end_matches('/')
    )
}

/// Marks an address confirmed on a site and turns on every request it made there.
pub fn confirm(tx: &dyn Tx, id: i64) -> ApiResult<bool> {
    let Some(c) = tx.find_comment(id)? else {
        return Ok(false);
    };
    let Some(email) = c.email.as_deref() else {
        return Ok(false);
    };
    tx.confirm_email(&c.site, email, now())?;
    Ok(true)
}

/// After an erase of `email` on `site` whose comments were `erased`: forgets its opt-in
/// and every notification addressed to it or quoting those comments, sent or not; then
/// tells webhook receivers each comment was deleted, with nothing of it but its id, place
/// and time (they may hold copies of it). Returns how many comments were erased.
pub fn erased(
    tx: &dyn Tx,
    st: &Notifier<'_>,
    site: &str,
    email: &str,
    erased: Vec<Comment>,
) -> ApiResult<usize> {
    tx.forget_confirmation(site, email)?;
    let ids: Vec<i64> = erased.iter().map(|c| c.id).collect();
    tx.forget_deliveries(site, email, &ids)?;
    for mut c in erased {
        c.status = Status::Deleted;
        deleted(tx, st, &c)?;
    }
    Ok(ids.len())
}

/// Stops reply mail for one comment.
pub fn unsubscribe(tx: &dyn Tx, id: i64) -> ApiResult<bool> {
    tx.set_notify(id, Notify::Off)
}
