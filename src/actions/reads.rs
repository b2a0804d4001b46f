//! Reads: one part of a page's thread, counts per page, the feed's newest comments, a
//! page's whole thread for the static fragment, and the figures of health and metrics.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::actions::Core;
use crate::domain::comment::{Comment, FeedItem, PublicComment};
use crate::domain::thread::{self, Cursor, Sort};
use crate::domain::webmention::Reactions;
use crate::domain::{now, Timestamp};
use crate::error::{ApiError, ApiResult};

/// Approved comments per page key of `site` (0 for a page with none).
pub async fn counts(
    core: &Core,
    site: String,
    pages: Vec<String>,
) -> ApiResult<BTreeMap<String, i64>> {
    core.store
        .read(move |tx| {
            let mut counts: BTreeMap<String, i64> = pages.iter().map(|p| (p.clone(), 0)).collect();
            if !pages.is_empty() {
                for (key, n) in tx.approved_counts(&site, &pages)? {
                    counts.insert(key, n);
                }
            }
            Ok(counts)
        })
        .await
}

/// The newest approved comments of a site (or one page), with their page's title and URL.
pub async fn newest(core: &Core, site: String, page: Option<String>) -> ApiResult<Vec<FeedItem>> {
    core.store
        .read(move |tx| tx.newest_approved(&site, page.as_deref(), 50))
        .await
}

/// Every comment of a page, any status, oldest first (none when the page is unknown).
pub async fn page_comments(core: &Core, site: String, page: String) -> ApiResult<Vec<Comment>> {
    core.store
        .read(move |tx| {
            Ok(match tx.find_page(&site, &page)? {
                Some(p) => tx.page_comments(p.id)?,
                None => Vec::new(),
            })
        })
        .await
}

/// Whether the database answers with its tables: a read of the `sites` table (a bare
/// `SELECT 1` would answer on a pooled connection whatever became of the file's tables).
pub async fn database_answers(core: &Core) -> ApiResult<()> {
    core.store
        .read(|tx| tx.tables_answer())
        .await
        .map_err(|e| match e {
            ApiError::Internal(m) => ApiError::Unavailable(m),
            e => e,
        })
}

/// Deliveries waiting, deliveries given up, and the database file's size in bytes.
pub async fn gauges(core: &Core) -> ApiResult<(i64, i64, i64)> {
    core.store.read(|tx| tx.gauges()).await
}

/// One answer of the thread list.
#[derive(Debug)]
pub struct Thread {
    /// Approved comments of the page.
    pub total: i64,
    /// Whether the thread takes no more comments.
    pub locked: bool,
    /// This part of the thread, in thread order (tombstones included).
    pub comments: Vec<PublicComment>,
    /// Where the next part starts.
    pub next: Option<Cursor>,
    /// When this answer goes stale by itself (the moment an open thread locks by age).
    pub expires: Option<Timestamp>,
    /// The page's likes, reposts and bookmarks received as Webmentions (a site that takes
    /// them only).
    pub reactions: Option<Reactions>,
}

/// Reads one part of a page's thread: `limit` top-level comments after `after`, with
/// their replies, in one snapshot.
pub async fn thread(
    core: &Arc<Core>,
    site: String,
    page: String,
    sort: Sort,
    limit: usize,
    after: Option<Cursor>,
) -> ApiResult<Thread> {
    let site_cfg = core.site(&site)?;
    let lock_days = site_cfg.lock_after_days;
    // Only a site that takes Webmentions or is on the Fediverse has reactions: others don't
    // pay for the query.
    let webmention = site_cfg.webmention || site_cfg.fediverse;
    // One snapshot for the page, the count and every part of the thread.
    core.store
        .snapshot(move |tx| {
            let reactions = if webmention {
                Some(tx.reactions(&site, &page)?)
            } else {
                None
            };
            let Some(p) = tx.find_page(&site, &page)? else {
                return Ok(Thread {
                    total: 0,
                    locked: false,
                    comments: Vec::new(),
                    next: None,
                    expires: None,
                    reactions,
                });
            };
            let total = tx.approved_total(p.id)?;
            let loaded = tx.thread_page(p.id, sort, after, limit)?;
            // The loaded rows are whole subtrees of the picked top-level comments: ordered alone,
            // they give exactly that part of the thread, tombstones included.
            let ordered = thread::order_comments(&loaded.rows, sort, None, limit);
            let comments = ordered
                .items
                .iter()
                .map(|placed| loaded.rows[placed.index].public(placed.tombstone))
                .collect();
            let locked = p.is_locked(lock_days, now());
            let expires = match (locked, p.first_comment_at) {
                (false, Some(first)) if lock_days > 0 => {
                    Some(first + i64::from(lock_days) * 86_400)
                }
                _ => None,
            };
            Ok(Thread {
                total,
                locked,
                comments,
                next: loaded.next,
                expires,
                reactions,
            })
        })
        .await
}
