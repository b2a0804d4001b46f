//! PostgreSQL statements for `comments` (SQLite's are in `store/comments.rs`).
//!
//! Statements go out with `query_typed`: parse, bind and execute in one round trip, no
//! prepare first (the parameter types are given, so nothing has to be asked of the server).
//!
//! Case-insensitive email matches fold ASCII only, as SQLite's `lower()` does:
//! `lower(x COLLATE "C")` leaves every other letter alone, whatever the database's locale.
//! Where an index on `lower(email)` serves the lookup, the same comparison under the
//! default collation comes first (it is implied by the ASCII one) so that index is used.

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{GenericClient, Row};

use crate::domain::comment::{Comment, FeedItem, Notify, Status, Via};
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult};
use crate::store::comments::{comment_columns, CommentEdit, NewComment, COMMENT_WIDTH};
use crate::store::pages::Page;

/// The columns of [`comment_from_row`], for `concat!` (`c` is the comment, `p` its page).
macro_rules! select_comment {
    ($tail:literal) => {
        concat!(
            "SELECT ",
            comment_columns!(),
            " FROM comments c JOIN pages p ON p.id = c.page_id ",
            $tail
        )
    };
}

/// Reads a [`Comment`] from a row whose first columns are SQLite's `COMMENT_COLUMNS`.
pub(crate) fn comment_from_row(r: &Row) -> Result<Comment, postgres::Error> {
    let status: String = r.try_get(11)?;
    Ok(Comment {
        id: r.try_get(0)?,
        site: r.try_get(1)?,
        page: r.try_get(2)?,
        page_id: r.try_get(3)?,
        parent: r.try_get(4)?,
        author: r.try_get(5)?,
        email: r.try_get(6)?,
        website: r.try_get(7)?,
        text: r.try_get(8)?,
        format: r.try_get(9)?,
        html: r.try_get(10)?,
        status: Status::parse(&status).unwrap_or(Status::Pending),
        created_at: r.try_get(12)?,
        edited_at: r.try_get(13)?,
        likes: r.try_get(14)?,
        dislikes: r.try_get(15)?,
        ip: r.try_get(16)?,
        avatar: r.try_get(17)?,
        edit_token_hash: r.try_get(18)?,
        edit_until: r.try_get(19)?,
        notify: Notify::from_i64(r.try_get(20)?),
        via: Via::from_columns(r.try_get(21)?, r.try_get(22)?, r.try_get(23)?),
        held_reason: r.try_get(24)?,
        badge: r.try_get(25)?,
        identity_id: r.try_get(26)?,
        signed_in: r.try_get(27)?,
    })
}

/// A one-column boolean answer.
fn flag(
    c: &mut impl GenericClient,
    sql: &str,
    params: &[(&(dyn ToSql + Sync), Type)],
) -> ApiResult<bool> {
    Ok(c.query_typed_one(sql, params)?.try_get(0)?)
}

/// See the trait method in `store/tx.rs`.
pub fn find_comment(c: &mut impl GenericClient, id: i64) -> ApiResult<Option<Comment>> {
    const SQL: &str = select_comment!("WHERE c.id = $1");
    match c.query_typed_opt(SQL, &[(&id, Type::INT8)])? {
        Some(r) => Ok(Some(comment_from_row(&r)?)),
        None => Ok(None),
    }
}

/// See the trait method in `store/tx.rs`.
pub fn find_by_request_key(c: &mut impl GenericClient, hash: &str) -> ApiResult<Option<Comment>> {
    const SQL: &str = select_comment!("WHERE c.request_key_hash = $1 AND c.status <> 'deleted'");
    match c.query_typed_opt(SQL, &[(&hash, Type::TEXT)])? {
        Some(r) => Ok(Some(comment_from_row(&r)?)),
        None => Ok(None),
    }
}

/// See the trait method in `store/tx.rs`.
pub fn is_duplicate(
    c: &mut impl GenericClient,
    page_id: i64,
    ip: &str,
    text: &str,
    since: Timestamp,
) -> ApiResult<bool> {
    // As on SQLite: naming the live statuses lets the (page_id, status, ip, created_at)
    // index read only this network's recent comments.
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM comments
         WHERE page_id = $1 AND status IN ('approved', 'pending', 'rejected') AND ip = $2
           AND created_at >= $4 AND text = $3)";
    flag(
        c,
        SQL,
        &[
            (&page_id, Type::INT8),
            (&ip, Type::TEXT),
            (&text, Type::TEXT),
            (&since, Type::INT8),
        ],
    )
}

/// See the trait method in `store/tx.rs`.
pub fn is_trusted(
    c: &mut impl GenericClient,
    site: &str,
    email: &str,
    author_key_hash: &str,
) -> ApiResult<bool> {
    const SQL: &str = r#"SELECT EXISTS (SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
          WHERE p.site = $1 AND lower(c.email) = lower($2)
            AND lower(c.email COLLATE "C") = lower($2 COLLATE "C")
            AND c.author_key_hash = $3 AND c.status = 'approved')"#;
    flag(
        c,
        SQL,
        &[
            (&site, Type::TEXT),
            (&email, Type::TEXT),
            (&author_key_hash, Type::TEXT),
        ],
    )
}

/// See the trait method in `store/tx.rs`.
///
/// One statement: the comment, and (for the page's first) the page's time, title and URL.
pub fn insert_comment(
    c: &mut impl GenericClient,
    page: &Page,
    site: &str,
    key: &str,
    new: NewComment,
    title: Option<&str>,
    url: Option<&str>,
) -> ApiResult<Comment> {
    const SQL: &str = "WITH first AS (
             UPDATE pages SET first_comment_at = $9, title = coalesce(title, $17),
                 url = coalesce(url, $18)
             WHERE $19 AND id = $1 AND first_comment_at IS NULL
         )
         INSERT INTO comments (page_id, parent, author, email, website, text, format, html,
             status, created_at, ip, avatar, author_key_hash, edit_token_hash, edit_until,
             notify, request_key_hash, via_kind, via_url, via_handle, held_reason, badge,
             identity_id, signed_in)
         VALUES ($1, $2, $3, $4, $5, $6, 'markdown', $7, $8, $9, $10, $11, $12, $13, $14, $15,
             $16, $20, $21, $22, $23, $24, $25, $26)
         RETURNING id";
    let notify = i64::from(new.notify);
    let first = page.first_comment_at.is_none();
    let via_kind = new.via.as_ref().map(|v| v.kind.as_str());
    let via_url = new.via.as_ref().map(|v| v.url.as_str());
    let via_handle = new.via.as_ref().and_then(|v| v.handle.as_deref());
    let identity_id = new.identity.as_ref().map(|i| i.0);
    let signed_in = new.identity.as_ref().map(|i| i.1.as_str());
    let row = c
        .query_typed_one(
            SQL,
            &[
                (&page.id, Type::INT8),
                (&new.parent, Type::INT8),
                (&new.author, Type::TEXT),
                (&new.email, Type::TEXT),
                (&new.website, Type::TEXT),
                (&new.text, Type::TEXT),
                (&new.html, Type::TEXT),
                (&new.status.as_str(), Type::TEXT),
                (&new.created_at, Type::INT8),
                (&new.ip, Type::TEXT),
                (&new.avatar, Type::TEXT),
                (&new.author_key_hash, Type::TEXT),
                (&new.edit_token_hash, Type::TEXT),
                (&new.edit_until, Type::INT8),
                (&notify, Type::INT8),
                (&new.request_key_hash, Type::TEXT),
                (&title, Type::TEXT),
                (&url, Type::TEXT),
                (&first, Type::BOOL),
                (&via_kind, Type::TEXT),
                (&via_url, Type::TEXT),
                (&via_handle, Type::TEXT),
                (&new.held_reason, Type::TEXT),
                (&new.badge, Type::TEXT),
                (&identity_id, Type::INT8),
                (&signed_in, Type::TEXT),
            ],
        )
        .map_err(same_request_elsewhere)?;
    let id: i64 = row.try_get(0)?;
    // The row as the INSERT wrote it: the columns it leaves out keep their defaults.
    Ok(Comment {
        id,
        site: site.to_string(),
        page: key.to_string(),
        page_id: page.id,
        parent: new.parent,
        author: new.author,
        email: new.email,
        website: new.website,
        text: new.text,
        format: "markdown".to_string(),
        html: new.html,
        status: new.status,
        created_at: new.created_at,
        edited_at: None,
        likes: 0,
        dislikes: 0,
        ip: Some(new.ip),
        avatar: Some(new.avatar),
        edit_token_hash: Some(new.edit_token_hash),
        edit_until: new.edit_until,
        notify: if new.notify {
            Notify::Asked
        } else {
            Notify::Off
        },
        via: new.via,
        held_reason: new.held_reason.map(str::to_string),
        badge: new.badge.map(str::to_string),
        identity_id: new.identity.as_ref().map(|i| i.0),
        signed_in: new.identity.map(|i| i.1),
    })
}

/// The same `Idempotency-Key` reached two nodes at once: the other one's comment committed
/// first. A retry finds it (as after any 503), so say "try again" rather than 500.
fn same_request_elsewhere(e: postgres::Error) -> ApiError {
    let ours = e.as_db_error().is_some_and(|d| {
        *d.code() == SqlState::UNIQUE_VIOLATION && d.constraint() == Some("comments_by_request_key")
    });
    if ours {
        ApiError::Unavailable(format!("the same request is being answered elsewhere: {e}"))
    } else {
        e.into()
    }
}

/// See the trait method in `store/tx.rs`.
pub fn update_comment(c: &mut impl GenericClient, id: i64, e: &CommentEdit<'_>) -> ApiResult<()> {
    const SQL: &str = "UPDATE comments SET author = $2, website = $3, text = $4, html = $5,
             status = $6, edited_at = $7, held_reason = coalesce($8, held_reason)
         WHERE id = $1";
    c.query_typed(
        SQL,
        &[
            (&id, Type::INT8),
            (&e.author, Type::TEXT),
            (&e.website, Type::TEXT),
            (&e.text, Type::TEXT),
            (&e.html, Type::TEXT),
            (&e.status.as_str(), Type::TEXT),
            (&e.edited_at, Type::INT8),
            (&e.held_reason, Type::TEXT),
        ],
    )?;
    Ok(())
}

/// See the trait method in `store/tx.rs`.
///
/// The comment's row is locked first (`FOR UPDATE` conflicts with the key-share lock a new
/// reply takes on its parent), so the replies the second statement counts, with a snapshot
/// of its own, are all there will be until this transaction ends: a reply another node is
/// adding is either counted or waits, never left pointing at a deleted row.
pub fn delete_comment(c: &mut impl GenericClient, id: i64) -> ApiResult<bool> {
    const LOCK: &str = "SELECT 1 FROM comments WHERE id = $1 FOR UPDATE";
    const SQL: &str =
        "WITH r AS (SELECT EXISTS (SELECT 1 FROM comments WHERE parent = $1) AS replies),
         tomb AS (
             UPDATE comments SET status = 'deleted', text = '', html = '', author = NULL,
                 email = NULL, website = NULL, ip = NULL, avatar = NULL, author_key_hash = NULL,
                 edit_token_hash = NULL, notify = 0, likes = 0, dislikes = 0,
                 request_key_hash = NULL
             WHERE id = $1 AND (SELECT replies FROM r)
         ),
         unvote AS (DELETE FROM votes WHERE comment_id = $1 AND (SELECT replies FROM r)),
         gone AS (DELETE FROM comments WHERE id = $1 AND NOT (SELECT replies FROM r))
         SELECT replies FROM r";
    c.query_typed(LOCK, &[(&id, Type::INT8)])?;
    flag(c, SQL, &[(&id, Type::INT8)])
}

/// See the trait method in `store/tx.rs`.
pub fn approved_total(c: &mut impl GenericClient, page_id: i64) -> ApiResult<i64> {
    const SQL: &str = "SELECT count(*) FROM comments WHERE page_id = $1 AND status = 'approved'";
    Ok(c.query_typed_one(SQL, &[(&page_id, Type::INT8)])?
        .try_get(0)?)
}

/// See the trait method in `store/tx.rs`.
///
/// In key order (bytes, as SQLite's `IN` list walks them); a key asked twice answers once.
pub fn approved_counts(
    c: &mut impl GenericClient,
    site: &str,
    keys: &[String],
) -> ApiResult<Vec<(String, i64)>> {
    const SQL: &str = r#"SELECT p.key,
             (SELECT count(*) FROM comments c WHERE c.page_id = p.id AND c.status = 'approved')
         FROM pages p WHERE p.site = $1 AND p.key = ANY ($2)
         ORDER BY p.key COLLATE "C""#;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    c.query_typed(SQL, &[(&site, Type::TEXT), (&keys, Type::TEXT_ARRAY)])?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// See the trait method in `store/tx.rs`.
pub fn newest_approved(
    c: &mut impl GenericClient,
    site: &str,
    page: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<FeedItem>> {
    const SQL: &str = concat!(
        "SELECT ",
        comment_columns!(),
        ", p.title, p.url FROM comments c JOIN pages p ON p.id = c.page_id
         WHERE p.site = $1 AND ($2::text IS NULL OR p.key = $2) AND c.status = 'approved'
         ORDER BY c.created_at DESC, c.id DESC LIMIT $3"
    );
    let limit = i64::from(limit);
    c.query_typed(
        SQL,
        &[
            (&site, Type::TEXT),
            (&page, Type::TEXT),
            (&limit, Type::INT8),
        ],
    )?
    .iter()
    .map(|r| {
        Ok(FeedItem {
            comment: comment_from_row(r)?,
            title: r.try_get(COMMENT_WIDTH)?,
            url: r.try_get(COMMENT_WIDTH + 1)?,
        })
    })
    .collect()
}

/// See the trait method in `store/tx.rs`.
pub fn has_comments_from(c: &mut impl GenericClient, site: &str, email: &str) -> ApiResult<bool> {
    const SQL: &str = r#"SELECT EXISTS (SELECT 1 FROM comments c JOIN pages p ON p.id = c.page_id
          WHERE p.site = $1 AND lower(c.email) = lower($2)
            AND lower(c.email COLLATE "C") = lower($2 COLLATE "C"))"#;
    flag(c, SQL, &[(&site, Type::TEXT), (&email, Type::TEXT)])
}
