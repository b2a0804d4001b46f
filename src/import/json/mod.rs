//! Natter's own export format, and `natter export` / `natter import json`.
//!
//! The format is JSON Lines (one JSON object per line, UTF-8), so both sides stream: export
//! writes each row as it reads it, import reads one line at a time. Every line has a
//! `type`; a file is one header, then the site, its pages, its comments (by id) and its
//! votes:
//!
//! ```text
//! {"type":"header","format":"natter-export","version":1,"site":"blog","exported_at":"2026-11-22T10:00:00Z"}
//! {"type":"site","id":"blog","created_at":"…"}
//! {"type":"page","site":"blog","key":"/hello/","title":"Hello","url":"https://…","locked":false,"first_comment_at":"…","created_at":"…"}
//! {"type":"comment","id":7,"site":"blog","page":"/hello/","parent":null,"author":"Ann","email":"…","website":null,"text":"…","format":"markdown","html":"…","status":"approved","created_at":"…","edited_at":null,"likes":2,"dislikes":0,"ip":"203.0.113.0","avatar":"…","author_key_hash":"…","edit_token_hash":"…","edit_until":"…","notify":false,"source":null,"source_id":null,"via":null,"held_reason":null,"badge":null}
//! {"type":"vote","comment_id":7,"voter":"203.0.113.0","value":1}
//! ```
//!
//! Times are RFC 3339 UTC (stored to the second, so they round-trip exactly). The file
//! holds private data (emails, anonymized IPs, token hashes): keep it like a backup.
//! `import json` keeps Natter's ids, re-renders every body through the sanitizer (the
//! exported `html` is informational), and is idempotent: a comment whose id is already
//! there with the same page and time is left alone; one whose id is taken by a different
//! comment is skipped and reported.

use serde::{Deserialize, Serialize};

mod export;
mod restore;

pub use export::{export, Exported};
pub use restore::import;

/// The header's `format` value.
pub const FORMAT: &str = "natter-export";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// One line of the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Line {
    /// First line: what the file is.
    Header {
        /// Always [`FORMAT`].
        format: String,
        /// [`VERSION`].
        version: u32,
        /// The exported site.
        site: String,
        /// When.
        exported_at: String,
    },
    /// The site.
    Site {
        /// Site id.
        id: String,
        /// When Natter first saw it.
        created_at: String,
    },
    /// A page.
    Page(PageLine),
    /// A comment with every field.
    Comment(Box<CommentLine>),
    /// One voter's vote.
    Vote {
        /// The comment.
        comment_id: i64,
        /// Anonymized voter IP.
        voter: String,
        /// 1 or -1.
        value: i64,
    },
}

/// A page line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageLine {
    /// Site id.
    pub site: String,
    /// Page key.
    pub key: String,
    /// Title.
    pub title: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Locked by a moderator.
    pub locked: bool,
    /// Time of its first comment.
    pub first_comment_at: Option<String>,
    /// When the row was made.
    pub created_at: String,
}

/// A comment line: every stored field, private ones included.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommentLine {
    /// Natter id (kept on import).
    pub id: i64,
    /// Site id.
    pub site: String,
    /// Page key.
    pub page: String,
    /// Parent id.
    pub parent: Option<i64>,
    /// Name.
    pub author: Option<String>,
    /// Email (private).
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Source text (private).
    pub text: String,
    /// `markdown` or `html`.
    pub format: String,
    /// Rendering at export time (re-rendered on import).
    pub html: String,
    /// Moderation state.
    pub status: String,
    /// Creation time.
    pub created_at: String,
    /// Last edit.
    pub edited_at: Option<String>,
    /// Likes.
    pub likes: i64,
    /// Dislikes.
    pub dislikes: i64,
    /// Anonymized IP (private).
    pub ip: Option<String>,
    /// Identicon hash.
    pub avatar: Option<String>,
    /// Keyed hash of the author key (private; keyed by the exporting server's secret).
    pub author_key_hash: Option<String>,
    /// Hash of the edit token (private).
    pub edit_token_hash: Option<String>,
    /// End of the edit window.
    pub edit_until: String,
    /// Wants reply emails.
    pub notify: bool,
    /// Where it was imported from, if it was.
    pub source: Option<String>,
    /// Its id there.
    pub source_id: Option<String>,
    /// Where it came from (a Webmention, the Fediverse); absent in older exports.
    #[serde(default)]
    pub via: Option<crate::domain::comment::Via>,
    /// The rule that held it; absent in older exports.
    #[serde(default)]
    pub held_reason: Option<String>,
    /// `owner` for the site owner's comments; absent in older exports.
    #[serde(default)]
    pub badge: Option<String>,
}
