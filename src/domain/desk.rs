//! The moderation desk's records: blocks of repeat authors, and the audit log.

use super::Timestamp;

/// What a block matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// An email address (any case).
    Email,
    /// An anonymized network (the /24 or /48 comments record).
    Network,
    /// A browser's author key.
    AuthorKey,
}

impl BlockKind {
    /// The stored and public spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Email => "email",
            BlockKind::Network => "network",
            BlockKind::AuthorKey => "author_key",
        }
    }

    /// Reads the spelling.
    pub fn parse(s: &str) -> Option<BlockKind> {
        match s {
            "email" => Some(BlockKind::Email),
            "network" => Some(BlockKind::Network),
            "author_key" => Some(BlockKind::AuthorKey),
            _ => None,
        }
    }
}

/// A block as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Id.
    pub id: i64,
    /// Site id.
    pub site: String,
    /// What it matches.
    pub kind: String,
    /// What the moderator gave.
    pub value: String,
    /// When it ends (`None`: never).
    pub expires_at: Option<Timestamp>,
    /// When it was made.
    pub created_at: Timestamp,
    /// Who made it (an admin token's name).
    pub created_by: String,
}

/// A block to store: `match_key` is what new comments are compared with.
#[derive(Debug, Clone)]
pub struct NewBlock {
    /// Site id.
    pub site: String,
    /// What it matches.
    pub kind: BlockKind,
    /// What the moderator gave.
    pub value: String,
    /// The email in lower case, the anonymized network, or the author key's keyed hash.
    pub match_key: String,
    /// When it ends.
    pub expires_at: Option<Timestamp>,
    /// When it was made.
    pub created_at: Timestamp,
    /// Who made it.
    pub created_by: String,
}

/// What a new comment is checked against the blocks with.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    /// The email, if any.
    pub email: Option<&'a str>,
    /// The anonymized network.
    pub network: &'a str,
    /// The author key's keyed hash, if any.
    pub key_hash: Option<&'a str>,
}

/// One moderation action, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Id (0 before it is stored).
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// Who: an admin token's name, or `link` for a signed one-click link.
    pub actor: String,
    /// What: `approve`, `reject`, `spam`, `delete`, `edit`, `reply`, `lock`, `unlock`,
    /// `erase`, `block`, `unblock`.
    pub action: String,
    /// The site it concerned.
    pub site: Option<String>,
    /// The comment it concerned, if one.
    pub comment_id: Option<i64>,
}
