//! The moderation desk's use cases beyond one comment: blocking repeat authors, and the
//! audit log of every moderation action.

use std::sync::Arc;

use super::moderation::audit;
use super::Core;
use crate::domain::crypto::ServerKey;
use crate::domain::desk::{AuditEntry, Block, BlockKind, NewBlock};
use crate::domain::ip::AnonIp;
use crate::domain::{now, validate, Timestamp};
use crate::error::{ApiError, ApiResult};
use crate::store::Tx;

/// A block as a moderator asks for it.
#[derive(Debug, Clone)]
pub struct BlockRequest {
    /// Site id.
    pub site: String,
    /// `email`, `network` or `author_key`.
    pub kind: String,
    /// The email, an address of the network (or the network as comments show it), or the
    /// author key; `None` with a `comment_id`.
    pub value: Option<String>,
    /// Block the author of this comment (of `site`) by `kind`: its email, its network or
    /// the author key it was sent with, which only the server knows (as a keyed hash).
    pub comment_id: Option<i64>,
    /// When it ends (`None`: never).
    pub expires_at: Option<Timestamp>,
}

/// What a block of `kind` with `value` compares new comments by: the email in lower case,
/// the anonymized network (as comments record it), or the author key's keyed hash.
fn match_key(key: &ServerKey, kind: BlockKind, value: &str) -> ApiResult<String> {
    match kind {
        BlockKind::Email => validate::email(Some(value))
            .ok()
            .flatten()
            .map(|e| e.to_lowercase())
            .ok_or_else(|| ApiError::invalid("value", "a valid email address is required")),
        BlockKind::Network => value
            .trim()
            .parse::<std::net::IpAddr>()
            .map(|ip| AnonIp::from_ip(ip).as_str().to_string())
            .map_err(|_| ApiError::invalid("value", "an IPv4 or IPv6 address is required")),
        BlockKind::AuthorKey => {
            let k = value.trim();
            if !(16..=128).contains(&k.chars().count()) {
                return Err(ApiError::invalid(
                    "value",
                    "an author key is 16 to 128 characters",
                ));
            }
            Ok(key.mac_hex("author-key", k.as_bytes()))
        }
    }
}

/// The value and match key of a block of the author of comment `id` on `site`, read in
/// the block's own transaction. The value shown for an author key names the comment: the
/// key itself is never stored.
fn of_comment(tx: &dyn Tx, site: &str, kind: BlockKind, id: i64) -> ApiResult<(String, String)> {
    let c = tx
        .find_comment(id)?
        .filter(|c| c.site == site)
        .ok_or_else(|| ApiError::invalid("comment_id", "no comment with that id on this site"))?;
    let missing =
        |what: &str| ApiError::invalid("comment_id", format!("that comment has no {what}"));
    match kind {
        BlockKind::Email => {
            let email = c.email.ok_or_else(|| missing("email"))?;
            Ok((email.clone(), email.to_lowercase()))
        }
        // Already anonymized, as new comments' networks are.
        BlockKind::Network => {
            let net = c.ip.ok_or_else(|| missing("network recorded"))?;
            Ok((net.clone(), net))
        }
        BlockKind::AuthorKey => {
            let hash = tx.author_key_of(id)?.ok_or_else(|| missing("author key"))?;
            Ok((format!("the key of comment {id}"), hash))
        }
    }
}

/// Blocks an author on a site, by a value or by one of their comments; recorded in the
/// audit log.
pub async fn block(core: &Arc<Core>, r: BlockRequest, actor: String) -> ApiResult<Block> {
    core.site(&r.site)?;
    let kind = BlockKind::parse(&r.kind)
        .ok_or_else(|| ApiError::invalid("kind", "kind must be email, network or author_key"))?;
    let given = match (&r.value, r.comment_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "comment_id",
                "give either a value or a comment_id, not both",
            ))
        }
        (Some(v), None) => {
            if v.trim().is_empty() || v.len() > 254 {
                return Err(ApiError::invalid(
                    "value",
                    "a value of 1 to 254 bytes is required",
                ));
            }
            Some((v.trim().to_string(), match_key(&core.key, kind, v)?))
        }
        (None, Some(_)) => None,
        (None, None) => {
            return Err(ApiError::invalid(
                "value",
                "a value (or the comment_id of one of the author's comments) is required",
            ))
        }
    };
    let at = now();
    if r.expires_at.is_some_and(|t| t <= at) {
        return Err(ApiError::invalid(
            "expires_at",
            "expires_at must be in the future",
        ));
    }
    core.store
        .write(move |tx| {
            let (value, match_key) = match given {
                Some(v) => v,
                None => of_comment(tx, &r.site, kind, r.comment_id.unwrap_or_default())?,
            };
            let stored = tx.add_block(&NewBlock {
                match_key,
                site: r.site,
                kind,
                value,
                expires_at: r.expires_at,
                created_at: at,
                created_by: actor.clone(),
            })?;
            audit(tx, &actor, "block", Some(&stored.site), None)?;
            Ok(stored)
        })
        .await
}

/// The blocks of one site (or every site), newest first.
pub async fn blocks(core: &Core, site: Option<String>) -> ApiResult<Vec<Block>> {
    if let Some(s) = &site {
        core.site(s)?;
    }
    core.store.read(move |tx| tx.blocks(site.as_deref())).await
}

/// Lifts a block; 404 when there is none with that id.
pub async fn unblock(core: &Core, id: i64, actor: String) -> ApiResult<()> {
    core.store
        .write(move |tx| {
            let gone = tx
                .remove_block(id)?
                .ok_or_else(|| ApiError::NotFound("no such block".into()))?;
            audit(tx, &actor, "unblock", Some(&gone.site), None)
        })
        .await
}

/// One page of the audit log, newest first, and how many entries match in all.
pub async fn audit_log(
    core: &Core,
    site: Option<String>,
    limit: i64,
    offset: i64,
) -> ApiResult<(Vec<AuditEntry>, i64)> {
    if let Some(s) = &site {
        core.site(s)?;
    }
    core.store
        .read(move |tx| tx.audit(site.as_deref(), limit, offset))
        .await
}
