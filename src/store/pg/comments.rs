//! PostgreSQL statements for `comments` (SQLite's are in `store/comments.rs`).

use postgres::GenericClient;

use crate::domain::comment::{Comment, FeedItem};
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::comments::{CommentEdit, NewComment};
use crate::store::pages::Page;

/// See the trait method in `store/tx.rs`.
pub fn find_comment(c: &mut impl GenericClient, id: i64) -> ApiResult<Option<Comment>> {
    todo!("postgres comments::find_comment")
}

/// See the trait method in `store/tx.rs`.
pub fn find_by_request_key(c: &mut impl GenericClient, hash: &str) -> ApiResult<Option<Comment>> {
    todo!("postgres comments::find_by_request_key")
}

/// See the trait method in `store/tx.rs`.
pub fn is_duplicate(
    c: &mut impl GenericClient,
    page_id: i64,
    ip: &str,
    text: &str,
    since: Timestamp,
) -> ApiResult<bool> {
    todo!("postgres comments::is_duplicate")
}

/// See the trait method in `store/tx.rs`.
pub fn is_trusted(
    c: &mut impl GenericClient,
    site: &str,
    email: &str,
    author_key_hash: &str,
) -> ApiResult<bool> {
    todo!("postgres comments::is_trusted")
}

/// See the trait method in `store/tx.rs`.
pub fn insert_comment(
    c: &mut impl GenericClient,
    page: &Page,
    site: &str,
    key: &str,
    new: NewComment,
    title: Option<&str>,
    url: Option<&str>,
) -> ApiResult<Comment> {
    todo!("postgres comments::insert_comment")
}

/// See the trait method in `store/tx.rs`.
pub fn update_comment(c: &mut impl GenericClient, id: i64, e: &CommentEdit<'_>) -> ApiResult<()> {
    todo!("postgres comments::update_comment")
}

/// See the trait method in `store/tx.rs`.
pub fn delete_comment(c: &mut impl GenericClient, id: i64) -> ApiResult<bool> {
    todo!("postgres comments::delete_comment")
}

/// See the trait method in `store/tx.rs`.
pub fn approved_total(c: &mut impl GenericClient, page_id: i64) -> ApiResult<i64> {
    todo!("postgres comments::approved_total")
}

/// See the trait method in `store/tx.rs`.
pub fn approved_counts(
    c: &mut impl GenericClient,
    site: &str,
    keys: &[String],
) -> ApiResult<Vec<(String, i64)>> {
    todo!("postgres comments::approved_counts")
}

/// See the trait method in `store/tx.rs`.
pub fn newest_approved(
    c: &mut impl GenericClient,
    site: &str,
    page: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<FeedItem>> {
    todo!("postgres comments::newest_approved")
}

/// See the trait method in `store/tx.rs`.
pub fn has_comments_from(c: &mut impl GenericClient, site: &str, email: &str) -> ApiResult<bool> {
    todo!("postgres comments::has_comments_from")
}
