//! A comment as stored and as shown to the public (never an email, IP or token).

use serde::{Deserialize, Serialize};

use super::{rfc3339, Timestamp};

/// Moderation state of a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Status {
    /// Shown to everyone.
    Approved,
    /// Waiting for a moderator.
    Pending,
    /// Hidden by a moderator (or the honeypot).
    Rejected,
    /// Removed; kept as a tombstone because it has replies.
    Deleted,
    /// Marked as spam by a moderator: never public, kept apart from rejected comments.
    Spam,
}

impl Status {
    /// The stored and public spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Approved => "approved",
            Status::Pending => "pending",
            Status::Rejected => "rejected",
            Status::Deleted => "deleted",
            Status::Spam => "spam",
        }
    }

    /// Reads the stored spelling.
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "approved" => Some(Status::Approved),
            "pending" => Some(Status::Pending),
            "rejected" => Some(Status::Rejected),
            "deleted" => Some(Status::Deleted),
            "spam" => Some(Status::Spam),
            _ => None,
        }
    }
}

/// A stored comment with everything a use case may need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Id.
    pub id: i64,
    /// Site id of its page.
    pub site: String,
    /// Page key.
    pub page: String,
    /// Page row id.
    pub page_id: i64,
    /// Parent comment.
    pub parent: Option<i64>,
    /// Display name.
    pub author: Option<String>,
    /// Private email.
    pub email: Option<String>,
    /// Website (http/https only).
    pub website: Option<String>,
    /// Source text (private).
    pub text: String,
    /// `markdown` or `html`.
    pub format: String,
    /// Rendered, sanitized HTML.
    pub html: String,
    /// Moderation state.
    pub status: Status,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last edit time.
    pub edited_at: Option<Timestamp>,
    /// Like count.
    pub likes: i64,
    /// Dislike count.
    pub dislikes: i64,
    /// Anonymized IP (private).
    pub ip: Option<String>,
    /// Identicon hash.
    pub avatar: Option<String>,
    /// Hash of the edit token (private).
    pub edit_token_hash: Option<String>,
    /// End of the edit window.
    pub edit_until: Timestamp,
    /// Reply notifications for its author.
    pub notify: Notify,
    /// Where it came from, when not written through Natter.
    pub via: Option<Via>,
    /// The rule that held it (`moderation_all`, `first_comment`, `too_many_links`, …).
    pub held_reason: Option<String>,
    /// `owner` for a comment posted with an admin token.
    pub badge: Option<String>,
    /// The signed-in commenter's identity (private), when written signed in.
    pub identity_id: Option<i64>,
    /// How its author signed in (`passkey` or `oidc:<name>`), when they did.
    pub signed_in: Option<String>,
}

/// Where a comment came from when it was not written through Natter: the contract's `via`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Via {
    /// `webmention` or `fediverse`.
    #[schema(schema_with = via_kinds)]
    pub kind: String,
    /// The original: the page that sent the Webmention, or the post on the Fediverse.
    pub url: String,
    /// `@user@host` for a Fediverse author, else null.
    #[schema(required = true)]
    #[serde(default)]
    pub handle: Option<String>,
}

/// The kinds of [`Via`].
fn via_kinds() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["webmention", "fediverse"]))
        .build()
}

impl Via {
    /// Whether a `via` read from outside (an import) is one Natter could have written: a
    /// known kind, an http(s) URL, short fields.
    pub fn is_plausible(&self) -> bool {
        matches!(self.kind.as_str(), "webmention" | "fediverse")
            && (self.url.starts_with("https://") || self.url.starts_with("http://"))
            && self.url.len() <= 2048
            && self.handle.as_ref().is_none_or(|h| h.len() <= 300)
    }

    /// From the three stored columns; `None` unless both kind and URL are there.
    pub fn from_columns(
        kind: Option<String>,
        url: Option<String>,
        handle: Option<String>,
    ) -> Option<Via> {
        Some(Via {
            kind: kind?,
            url: url?,
            handle,
        })
    }
}

/// Whether a comment's author hears of replies to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Notify {
    /// No reply mail.
    #[default]
    Off,
    /// Asked for, waiting for the address to be confirmed (double opt-in).
    Asked,
    /// Reply mail goes out.
    On,
}

impl Notify {
    /// The stored number: 0 off, 1 asked, 2 on (anything else reads as off).
    pub fn from_i64(n: i64) -> Notify {
        match n {
            1 => Notify::Asked,
            2 => Notify::On,
            _ => Notify::Off,
        }
    }

    /// The stored number.
    pub fn as_i64(self) -> i64 {
        match self {
            Notify::Off => 0,
            Notify::Asked => 1,
            Notify::On => 2,
        }
    }
}

/// The public comment object of the contract.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Comment)]
pub struct PublicComment {
    /// Id.
    pub id: i64,
    /// Parent id.
    #[schema(required = true)]
    pub parent: Option<i64>,
    /// Name or null.
    #[schema(required = true)]
    pub author: Option<String>,
    /// Website or null.
    #[schema(required = true)]
    pub website: Option<String>,
    /// Identicon path (`/api/avatar/{hash}.svg`) or null.
    #[schema(required = true)]
    pub avatar: Option<String>,
    /// Sanitized HTML.
    pub html: String,
    /// `approved`, `pending` or (tombstone) `deleted`.
    #[schema(schema_with = public_status)]
    pub status: &'static str,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339 or null.
    #[schema(required = true, format = DateTime)]
    pub edited_at: Option<String>,
    /// Likes.
    pub likes: i64,
    /// Dislikes.
    pub dislikes: i64,
    /// Where it came from: null when written through Natter.
    #[schema(required = true)]
    pub via: Option<Via>,
    /// `owner` for the site owner's comments, else null.
    #[schema(required = true, schema_with = badges)]
    pub badge: Option<String>,
    /// How its author signed in (`passkey` or `oidc:<name>`), or null.
    #[schema(required = true)]
    pub signed_in: Option<String>,
}

/// The badges of [`PublicComment::badge`].
fn badges() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::Type::String,
            utoipa::openapi::Type::Null,
        ]))
        .enum_values(Some([Some("owner"), None]))
        .build()
}

/// The statuses [`Comment::public`] can show (a rejected comment shows as pending).
fn public_status() -> utoipa::openapi::Object {
    let shown = [Status::Approved, Status::Pending, Status::Deleted];
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(shown.map(Status::as_str)))
        .build()
}

impl Comment {
    /// The public view; a tombstone hides everything but the skeleton.
    pub fn public(&self, tombstone: bool) -> PublicComment {
        if tombstone || self.status == Status::Deleted {
            return PublicComment {
                id: self.id,
                parent: self.parent,
                author: None,
                website: None,
                avatar: None,
                html: String::new(),
                status: Status::Deleted.as_str(),
                created_at: rfc3339(self.created_at),
                edited_at: None,
                likes: 0,
                dislikes: 0,
                via: None,
                badge: None,
                signed_in: None,
            };
        }
        // A rejected (or spam) comment is shown to its own author as held: a bot learns
        // nothing.
        let status = match self.status {
            Status::Rejected | Status::Spam => Status::Pending,
            s => s,
        };
        PublicComment {
            id: self.id,
            parent: self.parent,
            author: self.author.clone(),
            website: self.website.clone(),
            avatar: self.avatar.as_ref().map(|h| format!("/api/avatar/{h}.svg")),
            html: self.html.clone(),
            status: status.as_str(),
            created_at: rfc3339(self.created_at),
            edited_at: self.edited_at.map(rfc3339),
            likes: self.likes,
            dislikes: self.dislikes,
            via: self.via.clone(),
            badge: self.badge.clone(),
            signed_in: self.signed_in.clone(),
        }
    }
}

/// A comment with its page's title and URL, for feeds.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// The comment.
    pub comment: Comment,
    /// Its page's title.
    pub title: Option<String>,
    /// Its page's URL.
    pub url: Option<String>,
}
