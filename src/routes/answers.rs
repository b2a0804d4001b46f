//! The JSON answers of the routes, each a struct the handler serializes and whose
//! `ToSchema` derive describes it in the OpenAPI document (`routes::openapi`), so the
//! document can't drift from the answer. Every answer forbids undocumented fields.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Moderation;
use crate::domain::comment::{Comment, PublicComment, Status, Via};

/// The answer of `GET /api/comments`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Thread {
    pub site: String,
    pub page: String,
    /// approved comments on the page
    pub total: i64,
    pub locked: bool,
    /// flat, in thread order; tombstones keep replies attached
    pub comments: Vec<PublicComment>,
    /// cursor for `after`
    #[schema(required = true)]
    pub next: Option<String>,
    /// likes, reposts and bookmarks of the page received as Webmentions: only on a site
    /// with `webmention = true` (absent elsewhere)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reactions: Option<Reactions>,
}

/// What other sites' pages did with this page besides replying: likes, reposts and
/// bookmarks received as Webmentions, with who did each (newest first, at most 50).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reactions {
    pub likes: i64,
    pub reposts: i64,
    pub bookmarks: i64,
    pub people: Vec<Reactor>,
}

impl Reactions {
    /// The answer's form of a page's reactions.
    pub fn of(r: crate::domain::webmention::Reactions) -> Reactions {
        Reactions {
            likes: r.likes,
            reposts: r.reposts,
            bookmarks: r.bookmarks,
            people: r
                .people
                .into_iter()
                .map(|p| Reactor {
                    kind: p.kind,
                    name: p.name,
                    url: p.url,
                })
                .collect(),
        }
    }
}

/// One like, repost or bookmark.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reactor {
    /// `like`, `repost` or `bookmark`
    pub kind: String,
    /// the author's name (or the source's host)
    pub name: String,
    /// the author's page, or the source
    pub url: String,
}

/// The answer of `POST /api/comments`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Created {
    pub comment: PublicComment,
    pub edit_token: String,
    #[schema(format = DateTime)]
    pub edit_until: String,
}

/// The answer of a vote: the comment's counts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Votes {
    pub likes: i64,
    pub dislikes: i64,
}

/// The answer: each page asked about with its approved comments.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub counts: BTreeMap<String, i64>,
}

/// The answer of `GET /api/config`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig<'a> {
    pub site: &'a str,
    pub moderation: Moderation,
    pub edit_window: u32,
    pub max_depth: u32,
    pub require_name: bool,
    pub require_email: bool,
    pub images: bool,
    pub form_token: String,
    /// the ways to sign in (empty: none)
    pub sign_in: Vec<SignInWay>,
    /// only signed-in commenters may post
    pub require_sign_in: bool,
}

/// One way to sign in, as the widget offers it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInWay {
    /// `passkey` or `oidc:<name>`
    pub id: String,
    /// the button's text
    pub label: String,
}

/// Rendered, sanitized HTML.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Html {
    pub html: String,
}

/// A one-word state: `ok` for health, `accepted` for an erase request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// the state
    pub status: &'static str,
}

/// The moderator's view of a comment: the public object's fields (with the real status)
/// plus the private ones.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminComment {
    pub id: i64,
    #[schema(required = true)]
    pub parent: Option<i64>,
    #[schema(required = true)]
    pub author: Option<String>,
    #[schema(required = true)]
    pub website: Option<String>,
    /// `/api/avatar/{hash}.svg`
    #[schema(required = true)]
    pub avatar: Option<String>,
    /// sanitized HTML
    pub html: String,
    #[schema(value_type = Status)]
    pub status: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(required = true, format = DateTime)]
    pub edited_at: Option<String>,
    pub likes: i64,
    pub dislikes: i64,
    pub site: String,
    pub page: String,
    #[schema(required = true)]
    pub email: Option<String>,
    /// the markdown source (empty once deleted)
    pub text: String,
    pub format: String,
    /// anonymized (/24, /48)
    #[schema(required = true)]
    pub ip: Option<String>,
    /// where it came from: null when written through Natter
    #[schema(required = true)]
    pub via: Option<Via>,
    /// `owner` for the site owner's comments, else null
    #[schema(required = true)]
    pub badge: Option<String>,
    /// the rule that held it (`moderation_all`, `first_comment`, `too_many_links`,
    /// `too_fast`, `form_token`, `blocked`, `honeypot`), else null
    #[schema(required = true)]
    pub held_reason: Option<String>,
    /// who wrote it signed in, else null
    #[schema(required = true)]
    pub identity: Option<AdminIdentity>,
}

/// A signed-in commenter as the desk sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminIdentity {
    pub id: i64,
    /// `passkey` or `oidc:<name>`
    pub provider: String,
    /// the provider's id for them (a passkey's user handle, the ID token's `sub`); null
    /// where only the queue's list looks it up
    #[schema(required = true)]
    pub subject: Option<String>,
    /// their display name (null as for `subject`)
    #[schema(required = true)]
    pub name: Option<String>,
}

impl AdminIdentity {
    /// The whole view of a stored identity.
    pub fn of(i: &crate::domain::signin::Identity) -> AdminIdentity {
        AdminIdentity {
            id: i.id,
            provider: i.provider.clone(),
            subject: Some(i.subject.clone()),
            name: Some(i.name.clone()),
        }
    }
}

impl AdminComment {
    /// The moderator's view of a comment.
    pub fn of(c: &Comment) -> AdminComment {
        let p = c.public(false);
        AdminComment {
            id: p.id,
            parent: p.parent,
            author: p.author,
            website: p.website,
            avatar: p.avatar,
            html: p.html,
            status: c.status.as_str(),
            created_at: p.created_at,
            edited_at: p.edited_at,
            likes: p.likes,
            dislikes: p.dislikes,
            site: c.site.clone(),
            page: c.page.clone(),
            email: c.email.clone(),
            text: c.text.clone(),
            format: c.format.clone(),
            ip: c.ip.clone(),
            via: c.via.clone(),
            badge: c.badge.clone(),
            held_reason: c.held_reason.clone(),
            identity: c.identity_id.map(|id| AdminIdentity {
                id,
                provider: c.signed_in.clone().unwrap_or_default(),
                subject: None,
                name: None,
            }),
        }
    }
}

/// One page of the queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub comments: Vec<AdminComment>,
    pub total: i64,
}

/// The answer of a lock: the thread's state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadLock {
    pub site: String,
    pub page: String,
    pub locked: bool,
}

/// How many comments an erase removed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Erased {
    pub erased: usize,
}

/// The configured sites.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sites<'a> {
    pub sites: Vec<SiteInfo<'a>>,
}

/// One site with its comments per status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInfo<'a> {
    pub id: &'a str,
    pub origins: &'a [String],
    pub moderation: Moderation,
    pub counts: StatusCounts,
}

/// Comments per status.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusCounts {
    pub approved: i64,
    pub pending: i64,
    pub rejected: i64,
    pub deleted: i64,
}

impl StatusCounts {
    /// Sets the count of a stored status (an unknown one is left out).
    pub fn set(&mut self, status: &str, n: i64) {
        let slot = match Status::parse(status) {
            Some(Status::Approved) => &mut self.approved,
            Some(Status::Pending) => &mut self.pending,
            Some(Status::Rejected) => &mut self.rejected,
            Some(Status::Deleted) => &mut self.deleted,
            // The contract's counts name four statuses; spam is counted in the queue only.
            Some(Status::Spam) | None => return,
        };
        *slot = n;
    }
}

/// Notification delivery state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outbox {
    pub counts: DeliveryCounts,
    pub undelivered: Vec<Undelivered>,
}

/// Deliveries per status.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

impl DeliveryCounts {
    /// Sets the count of a stored status (an unknown one is left out).
    pub fn set(&mut self, status: &str, n: i64) {
        match status {
            "pending" => self.pending = n,
            "sent" => self.sent = n,
            "failed" => self.failed = n,
            _ => {}
        }
    }
}

/// A delivery not made (yet).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Undelivered {
    pub id: i64,
    pub kind: String,
    pub target: String,
    #[schema(value_type = UndeliveredStatus)]
    pub status: String,
    pub attempts: i64,
    #[schema(required = true)]
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub next_attempt_at: String,
    /// when the attempt under way started; null when none is
    #[schema(required = true, format = DateTime)]
    pub attempt_started_at: Option<String>,
}

/// The statuses of an undelivered item (the outbox lists every row not `sent`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // only described: the status is the stored text
pub enum UndeliveredStatus {
    Pending,
    Failed,
}
