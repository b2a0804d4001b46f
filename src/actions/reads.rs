//! Reads that are not a thread: counts per page, the feed's newest comments, a page's
//! whole thread for the static fragment, and the figures of health and metrics.

use std::collections::BTreeMap;

use crate::actions::Core;
use crate::domain::comment::{Comment, FeedItem};
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
