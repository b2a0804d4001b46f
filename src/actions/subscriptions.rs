//! A reader's use cases about their address: confirm reply mail (double opt-in), stop it,
//! and ask for a self-service erase link.

use std::sync::Arc;

use crate::actions::Core;
use crate::domain::links::{self, LinkError};
use crate::domain::now;
use crate::error::ApiResult;
use crate::notify;
use crate::store::outbox;

/// Confirms the address of comment `id` and turns on every reply-mail request it made on
/// the comment's site; `false` when the comment is gone.
pub async fn confirm(core: &Core, id: i64) -> ApiResult<bool> {
    core.store.write(move |tx| notify::confirm(tx, id)).await
}

/// Stops reply mail for comment `id`; `false` when the comment is gone.
pub async fn unsubscribe(core: &Core, id: i64) -> ApiResult<bool> {
    core.store
        .write(move |tx| notify::unsubscribe(tx, id))
        .await
}

/// What an erase link signs: the site and the address.
fn erase_subject(site: &str, email: &str) -> String {
    format!("{site}\0{}", email.to_lowercase())
}

/// A signed self-service erase link for `email` on `site`.
fn erase_link(core: &Core, site: &str, email: &str) -> String {
    let sig = links::sign(
        &core.key,
        "erase",
        &erase_subject(site, email),
        now() + notify::ERASE_TTL,
    );
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "{}/privacy/erase?site={}&email={}&sig={sig}",
        core.settings.public_url.trim_end_matches('/'),
        enc(site),
        enc(email)
    )
}

/// Checks an erase link's signature for `site` and `email`; its expiry when good.
pub fn verify_erase(core: &Core, site: &str, email: &str, sig: &str) -> Result<i64, LinkError> {
    links::verify(&core.key, "erase", &erase_subject(site, email), sig, now())
}

/// Checks a notification link (`confirm` or `unsubscribe`) for comment `id`; its expiry
/// when good.
pub fn verify_link(core: &Core, purpose: &str, id: i64, sig: &str) -> Result<i64, LinkError> {
    links::verify(&core.key, purpose, &id.to_string(), sig, now())
}

/// Mails a signed erase link when the address has comments on the site (at most one an
/// hour per address); says nothing either way, so nobody learns who commented.
pub async fn request_erase(core: &Arc<Core>, site: String, email: String) -> ApiResult<()> {
    if core.settings.smtp.is_none() {
        return Ok(());
    }
    let handle = core.clone();
    core.store
        .write(move |tx| {
            let since = now() - notify::MAIL_COOLDOWN;
            if tx.has_comments_from(&site, &email)?
                && !tx.recently_mailed(&email, "erase", since)?
            {
                let link = erase_link(&handle, &site, &email);
                let about = outbox::About {
                    site: &site,
                    comment: None,
                };
                let mail = notify::mail::erase(&site, &link);
                tx.push_email(&email, &mail, about, now())?;
            }
            Ok(())
        })
        .await
}
