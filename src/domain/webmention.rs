//! Received Webmentions as the use cases see them: the job a verifier claims, what its
//! verification found, and the likes, reposts and bookmarks a page collected.

use super::Timestamp;

/// A Webmention's state, as `GET /webmention/{id}` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentionStatus {
    /// Waiting for (or under) verification.
    Queued,
    /// Verified: it became a comment or a reaction.
    Accepted,
    /// Verification failed; the reason says why.
    Rejected,
}

impl MentionStatus {
    /// The stored and public spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MentionStatus::Queued => "queued",
            MentionStatus::Accepted => "accepted",
            MentionStatus::Rejected => "rejected",
        }
    }

    /// Reads the stored spelling (anything unknown reads as queued).
    pub fn parse(s: &str) -> MentionStatus {
        match s {
            "accepted" => MentionStatus::Accepted,
            "rejected" => MentionStatus::Rejected,
            _ => MentionStatus::Queued,
        }
    }
}

/// A Webmention as received: what `POST /webmention` records.
#[derive(Debug, Clone)]
pub struct NewMention {
    /// Its public id (random), used when the pair is new.
    pub id: String,
    /// The site whose page it targets.
    pub site: String,
    /// That page's key (the target's path).
    pub page: String,
    /// The page that mentions.
    pub source: String,
    /// The page mentioned.
    pub target: String,
    /// The source's host, lower-cased: the unit of its limits and of `first` trust.
    pub source_host: String,
    /// The sender's anonymized network.
    pub sender_ip: String,
}

/// One Webmention row, as a verifier claims it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Public id.
    pub id: String,
    /// Site id.
    pub site: String,
    /// Page key.
    pub page: String,
    /// The page that mentions.
    pub source: String,
    /// The page mentioned.
    pub target: String,
    /// The source's host.
    pub source_host: String,
    /// The sender's anonymized network.
    pub sender_ip: Option<String>,
    /// What an earlier verification made of it (`reply`, `like`, …), if anything.
    pub kind: Option<String>,
    /// The comment an earlier verification made, if any.
    pub comment_id: Option<i64>,
    /// Verifications tried so far, this one included.
    pub attempts: i64,
    /// When it was first received.
    pub created_at: Timestamp,
}

/// How one verification ended, as stored.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Verified: a comment (reply, mention) or a reaction (like, repost, bookmark).
    Accepted {
        /// `reply`, `mention`, `like`, `repost` or `bookmark`.
        kind: String,
        /// The comment it is, for a reply or mention.
        comment_id: Option<i64>,
        /// The author's name (or the source's host).
        author_name: String,
        /// The author's page (or the source).
        author_url: String,
    },
    /// Refused for good (until the pair is sent again).
    Rejected {
        /// Why, in a short sentence for the sender.
        reason: String,
    },
    /// Could not be verified this time (the source did not answer): tried again at `at`.
    Retry {
        /// What went wrong.
        reason: String,
        /// When to try again.
        at: Timestamp,
    },
}

/// One like, repost or bookmark of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// `like`, `repost` or `bookmark`.
    pub kind: String,
    /// The author's name.
    pub name: String,
    /// The author's page.
    pub url: String,
}

/// A page's likes, reposts and bookmarks: counts, and the newest few with their authors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reactions {
    /// Likes.
    pub likes: i64,
    /// Reposts.
    pub reposts: i64,
    /// Bookmarks.
    pub bookmarks: i64,
    /// The newest ones, at most [`MAX_REACTORS`].
    pub people: Vec<Reaction>,
}

/// How many reactions a thread's answer names.
pub const MAX_REACTORS: usize = 50;

/// How busy the receiver is, for its limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Load {
    /// Webmentions received from the source's host in the window.
    pub from_host: i64,
    /// Webmentions received for the target's page in the window.
    pub for_page: i64,
    /// Webmentions waiting for verification, everywhere.
    pub queued: i64,
    /// Whether this source and target were received before (sending them again is no new
    /// Webmention: the per-host and per-page limits don't count it).
    pub known: bool,
}
