//! Spam rules that decide a new comment's status: honeypot, links, form token, moderation.

use crate::config::{Moderation, SiteConfig};
use crate::domain::comment::Status;
use crate::domain::crypto::ServerKey;
use crate::domain::Timestamp;

/// More links than this hold a comment on any moderation mode.
pub const MAX_LINKS: usize = 3;
/// The same text from the same network on the same page within this many seconds is a 409.
pub const DUPLICATE_WINDOW: i64 = 600;
/// A form token is good for this long.
pub const FORM_TOKEN_TTL: i64 = 24 * 3600;

/// What the checks outside the database found.
#[derive(Debug, Clone, Copy)]
pub struct Screening {
    /// The hidden field was filled in: a bot.
    pub honeypot: bool,
    /// More than [`MAX_LINKS`] links.
    pub too_many_links: bool,
    /// The form token passed (or was not required).
    pub form_token_ok: bool,
}

impl Screening {
    /// The status a new comment gets. `trusted` is the `first` rule's verdict.
    pub fn status(&self, moderation: Moderation, trusted: bool) -> Status {
        if self.honeypot {
            return Status::Rejected;
        }
        if self.too_many_links || !self.form_token_ok {
            return Status::Pending;
        }
        match moderation {
            Moderation::None => Status::Approved,
            Moderation::First if trusted => Status::Approved,
            Moderation::First | Moderation::All => Status::Pending,
        }
    }
}

/// The status after an author's edit: `all` moderation and the link rule apply again.
pub fn after_edit(current: Status, moderation: Moderation, links: usize) -> Status {
    if current == Status::Approved && (moderation == Moderation::All || links > MAX_LINKS) {
        Status::Pending
    } else {
        current
    }
}

/// A form token: the issue time, signed and bound to the site.
pub fn issue_form_token(key: &ServerKey, site: &str, at: Timestamp) -> String {
    let sig = key.mac_hex("form-token", format!("{site}\0{at}").as_bytes());
    format!("{at}.{}", &sig[..32])
}

/// Whether a posted form token lets a comment through unheld.
pub fn form_token_ok(
    key: &ServerKey,
    site: &str,
    cfg: &SiteConfig,
    token: Option<&str>,
    now: Timestamp,
) -> bool {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return !cfg.require_form_token;
    };
    let Some((at, _)) = token.split_once('.') else {
        return false;
    };
    let Ok(at) = at.parse::<Timestamp>() else {
        return false;
    };
    let genuine = crate::domain::crypto::ct_eq(token, &issue_form_token(key, site, at));
    let age = now - at;
    genuine && age >= i64::from(cfg.min_form_seconds) && age <= FORM_TOKEN_TTL
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SiteConfig {
        SiteConfig::open_default()
    }

    #[test]
    fn form_tokens_must_be_genuine_old_enough_and_fresh() {
        let k = ServerKey::generate();
        let t = issue_form_token(&k, "blog", 1000);
        assert!(form_token_ok(&k, "blog", &cfg(), Some(&t), 1003));
        assert!(!form_token_ok(&k, "blog", &cfg(), Some(&t), 1002));
        assert!(!form_token_ok(&k, "other", &cfg(), Some(&t), 1003));
        assert!(!form_token_ok(&k, "blog", &cfg(), Some("1000.abc"), 1003));
        assert!(!form_token_ok(
            &k,
            "blog",
            &cfg(),
            Some(&t),
            1000 + FORM_TOKEN_TTL + 1
        ));
        assert!(form_token_ok(&k, "blog", &cfg(), None, 1003));
        let strict = SiteConfig {
            require_form_token: true,
            ..cfg()
        };
        assert!(!form_token_ok(&k, "blog", &strict, None, 1003));
    }

    #[test]
    fn statuses() {
        let clean = Screening {
            honeypot: false,
            too_many_links: false,
            form_token_ok: true,
        };
        assert_eq!(clean.status(Moderation::None, false), Status::Approved);
        assert_eq!(clean.status(Moderation::First, false), Status::Pending);
        assert_eq!(clean.status(Moderation::First, true), Status::Approved);
        assert_eq!(clean.status(Moderation::All, true), Status::Pending);
        let links = Screening {
            too_many_links: true,
            ..clean
        };
        assert_eq!(links.status(Moderation::None, false), Status::Pending);
        let bot = Screening {
            honeypot: true,
            ..clean
        };
        assert_eq!(bot.status(Moderation::None, false), Status::Rejected);
    }
}
