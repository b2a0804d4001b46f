//! PostgreSQL statements for `threads` (SQLite's are in `store/threads.rs`).

use postgres::GenericClient;

use crate::domain::comment::Comment;
use crate::domain::thread::{Cursor, Sort};
use crate::error::ApiResult;
use crate::store::threads::ThreadPage;

/// See the trait method in `store/tx.rs`.
pub fn thread_page(
    c: &mut impl GenericClient,
    page_id: i64,
    sort: Sort,
    after: Option<Cursor>,
    limit: usize,
) -> ApiResult<ThreadPage> {
    todo!("postgres threads::thread_page")
}

/// See the trait method in `store/tx.rs`.
pub fn page_comments(c: &mut impl GenericClient, page_id: i64) -> ApiResult<Vec<Comment>> {
    todo!("postgres threads::page_comments")
}
