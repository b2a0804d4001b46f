//! Spam rules that decide a new comment's status: honeypot, links, form token, moderation.

use crate::config::{Moderation, SiteConfig};
use crate::domain::comment::Status;
use crate::domain::crypto::ServerKey;
use crate::domain::Timestamp;
use crate::render::markdown::count_links;
use crate::store::comments::CommentEdit;

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
    /// What the form token said.
    pub form_token: FormToken,
    /// A block matches the author (email, network or author key).
    pub blocked: bool,
}

/// What a posted form token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormToken {
    /// Genuine and old enough, or none where none is required.
    Ok,
    /// Genuine, but younger than the site's `min_form_seconds`.
    TooFast,
    /// Forged, expired, or missing where the site requires one.
    Bad,
}

/// Why a comment is held (or rejected): the codes of AdminComment's `held_reason`.
pub mod reason {
    /// The site holds everything.
    pub const MODERATION_ALL: &str = "moderation_all";
    /// `first` moderation, and the commenter is not trusted yet.
    pub const FIRST_COMMENT: &str = "first_comment";
    /// More than [`super::MAX_LINKS`] links.
    pub const TOO_MANY_LINKS: &str = "too_many_links";
    /// Posted faster after loading the form than a person types.
    pub const TOO_FAST: &str = "too_fast";
    /// A forged or expired form token, or none where one is required.
    pub const FORM_TOKEN: &str = "form_token";
    /// A block matches the author.
    pub const BLOCKED: &str = "blocked";
    /// The hidden field was filled in (the comment is rejected).
    pub const HONEYPOT: &str = "honeypot";
    /// A Fediverse reply that was not public (followers-only or direct): kept rejected.
    pub const NOT_PUBLIC: &str = "not_public";
}

impl Screening {
    /// The status a new comment gets. `trusted` is the `first` rule's verdict.
    pub fn status(&self, moderation: Moderation, trusted: bool) -> Status {
        self.verdict(moderation, trusted).0
    }

    /// The status a new comment gets and the rule that held it, the first that applies.
    pub fn verdict(&self, moderation: Moderation, trusted: bool) -> (Status, Option<&'static str>) {
        let held = |why| (Status::Pending, Some(why));
        if self.honeypot {
            return (Status::Rejected, Some(reason::HONEYPOT));
        }
        if self.blocked {
            return held(reason::BLOCKED);
        }
        if self.too_many_links {
            return held(reason::TOO_MANY_LINKS);
        }
        match self.form_token {
            FormToken::Bad => return held(reason::FORM_TOKEN),
            FormToken::TooFast => return held(reason::TOO_FAST),
            FormToken::Ok => {}
        }
        match moderation {
            Moderation::None => (Status::Approved, None),
            Moderation::First if trusted => (Status::Approved, None),
            Moderation::First => held(reason::FIRST_COMMENT),
            Moderation::All => held(reason::MODERATION_ALL),
        }
    }
}

/// The status after an author's edit: `all` moderation and the link rule apply again.
pub fn after_edit(current: Status, moderation: Moderation, links: usize) -> Status {
    edit_verdict(current, moderation, links).0
}

/// [`after_edit`] with the rule that sent the comment back to moderation, if one did.
pub fn edit_verdict(
    current: Status,
    moderation: Moderation,
    links: usize,
) -> (Status, Option<&'static str>) {
    if current != Status::Approved {
        (current, None)
    } else if links > MAX_LINKS {
        (Status::Pending, Some(reason::TOO_MANY_LINKS))
    } else if moderation == Moderation::All {
        (Status::Pending, Some(reason::MODERATION_ALL))
    } else {
        (current, None)
    }
}

/// An author's edit of a comment in `status` (through the widget, a Webmention sent again, a
/// Fediverse `Update`), as it is stored: its links counted, the status and held reason
/// from [`edit_verdict`].
pub fn author_edit<'a>(
    status: Status,
    moderation: Moderation,
    author: Option<&'a str>,
    website: Option<&'a str>,
    text: &'a str,
    html: &'a str,
    at: Timestamp,
) -> CommentEdit<'a> {
    let (status, held_reason) = edit_verdict(status, moderation, count_links(html));
    CommentEdit {
        author,
        website,
        text,
        html,
        status,
        edited_at: at,
        held_reason,
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
    form_token(key, site, cfg, token, now) == FormToken::Ok
}

/// What a posted form token says.
pub fn form_token(
    key: &ServerKey,
    site: &str,
    cfg: &SiteConfig,
    token: Option<&str>,
    now: Timestamp,
) -> FormToken {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return if cfg.require_form_token {
            FormToken::Bad
        } else {
            FormToken::Ok
        };
    };
    let Some(at) = token
        .split_once('.')
        .and_then(|(at, _)| at.parse::<Timestamp>().ok())
    else {
        return FormToken::Bad;
    };
    let genuine = crate::domain::crypto::ct_eq(token, &issue_form_token(key, site, at));
    let age = now - at;
    if !genuine || age > FORM_TOKEN_TTL {
        FormToken::Bad
    } else if age < i64::from(cfg.min_form_seconds) {
        FormToken::TooFast
    } else {
        FormToken::Ok
    }
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
            form_token: FormToken::Ok,
            blocked: false,
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

    #[test]
    fn each_hold_names_its_rule_and_the_first_rule_wins() {
        let clean = Screening {
            honeypot: false,
            too_many_links: false,
            form_token: FormToken::Ok,
            blocked: false,
        };
        let held = |s: Screening, m, t| s.verdict(m, t);
        assert_eq!(
            held(clean, Moderation::None, false),
            (Status::Approved, None)
        );
        assert_eq!(
            held(clean, Moderation::All, true).1,
            Some(reason::MODERATION_ALL)
        );
        assert_eq!(
            held(clean, Moderation::First, false).1,
            Some(reason::FIRST_COMMENT)
        );
        assert_eq!(
            held(clean, Moderation::First, true),
            (Status::Approved, None)
        );
        let fast = Screening {
            form_token: FormToken::TooFast,
            ..clean
        };
        assert_eq!(
            held(fast, Moderation::None, false).1,
            Some(reason::TOO_FAST)
        );
        let bad = Screening {
            form_token: FormToken::Bad,
            ..clean
        };
        assert_eq!(
            held(bad, Moderation::None, false).1,
            Some(reason::FORM_TOKEN)
        );
        let links = Screening {
            too_many_links: true,
            ..bad
        };
        assert_eq!(
            held(links, Moderation::None, false).1,
            Some(reason::TOO_MANY_LINKS)
        );
        let blocked = Screening {
            blocked: true,
            ..links
        };
        assert_eq!(
            held(blocked, Moderation::None, true),
            (Status::Pending, Some(reason::BLOCKED))
        );
        let bot = Screening {
            honeypot: true,
            ..blocked
        };
        assert_eq!(
            held(bot, Moderation::None, true),
            (Status::Rejected, Some(reason::HONEYPOT))
        );
    }

    #[test]
    fn a_genuine_token_too_young_is_too_fast_not_bad() {
        let k = ServerKey::generate();
        let t = issue_form_token(&k, "blog", 1000);
        assert_eq!(
            form_token(&k, "blog", &cfg(), Some(&t), 1002),
            FormToken::TooFast
        );
        assert_eq!(
            form_token(&k, "blog", &cfg(), Some(&t), 1003),
            FormToken::Ok
        );
        assert_eq!(
            form_token(&k, "blog", &cfg(), Some("1000.x"), 1003),
            FormToken::Bad
        );
        assert_eq!(
            form_token(&k, "blog", &cfg(), Some("nonsense"), 1003),
            FormToken::Bad
        );
    }
}
