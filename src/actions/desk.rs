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

/// A block as a moderator asks for it.
#[derive(Debug, Clone)]
pub struct BlockRequest {
    /// Site id.
    pub site: String,
    /// `email`, `network` or `author_key`.
    pub kind: String,
    /// The email, an address of the network (or the network as comments show it), or the
    /// author key.
    pub value: String,
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

/// Blocks an author on a site; recorded in the audit log.
pub async fn block(core: &Arc<Core>, r: BlockRequest, actor: String) -> ApiResult<Block> {
    core.site(&r.site)?;
    let kind = BlockKind::parse(&r.kind)
        .ok_or_else(|| ApiError::invalid("kind", "kind must be email, network or author_key"))?;
    if r.value.trim().is_empty() || r.value.len() > 254 {
        return Err(ApiError::invalid(
            "value",
            "a value of 1 to 254 bytes is required",
        ));
    }
    let at = now();
    if r.expires_at.is_some_and(|t| t <= at) {
        return Err(ApiError::invalid(
            "expires_at",
            "expires_at must be in the future",
        ));
    }
    let b = NewBlock {
        match_key: match_key(&core.key, kind, &r.value)?,
        site: r.site,
        kind,
        value: r.value.trim().to_string(),
        expires_at: r.expires_at,
        created_at: at,
        created_by: actor.clone(),
    };
    core.store
        .write(move |tx| {
            let stored = tx.add_block(&b)?;
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
