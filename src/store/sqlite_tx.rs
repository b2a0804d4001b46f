//! [`Tx`] on SQLite: each operation answered by the statements of the file its section in
//! `tx.rs` names.

use rusqlite::Connection;

use super::comments::{CommentEdit, NewComment};
use super::digests::DigestEntry;
use super::moderation::QueueFilter;
use super::outbox::{About, Email, Item};
use super::pages::Page;
use super::threads::ThreadPage;
use super::Tx;
use super::{
    admin_tokens, comments, desk, digests, moderation, outbox, pages, stats, subscriptions,
    threads, votes, webmentions,
};
use crate::domain::comment::{Comment, FeedItem, Notify, Status};
use crate::domain::desk::{AuditEntry, Author, Block, NewBlock};
use crate::domain::thread::{Cursor, Sort};
use crate::domain::webmention::{Load, Mention, MentionStatus, NewMention, Outcome, Reactions};
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult};

/// A [`Tx`] over one SQLite connection: the writer's savepoint, a pooled reader, or the
/// outbox worker's own connection.
#[derive(Clone, Copy)]
pub struct SqliteTx<'a> {
    conn: &'a Connection,
}

impl<'a> SqliteTx<'a> {
    /// A transaction over `conn`.
    pub fn over(conn: &'a Connection) -> SqliteTx<'a> {
        SqliteTx { conn }
    }
}

impl Tx for SqliteTx<'_> {
    fn find_comment(&self, id: i64) -> ApiResult<Option<Comment>> {
        comments::find_comment(self.conn, id).map_err(ApiError::from)
    }

    fn find_by_request_key(&self, hash: &str) -> ApiResult<Option<Comment>> {
        comments::find_by_request_key(self.conn, hash).map_err(ApiError::from)
    }

    fn is_duplicate(
        &self,
        page_id: i64,
        ip: &str,
        text: &str,
        since: Timestamp,
    ) -> ApiResult<bool> {
        comments::is_duplicate(self.conn, page_id, ip, text, since).map_err(ApiError::from)
    }

    fn is_trusted(&self, site: &str, email: &str, author_key_hash: &str) -> ApiResult<bool> {
        comments::is_trusted(self.conn, site, email, author_key_hash).map_err(ApiError::from)
    }

    fn insert_comment(
        &self,
        page: &Page,
        site: &str,
        key: &str,
        c: NewComment,
        title: Option<&str>,
        url: Option<&str>,
    ) -> ApiResult<Comment> {
        comments::insert_comment(self.conn, page, site, key, c, title, url).map_err(ApiError::from)
    }

    fn update_comment(&self, id: i64, e: &CommentEdit<'_>) -> ApiResult<()> {
        comments::update_comment(self.conn, id, e).map_err(ApiError::from)
    }

    fn delete_comment(&self, id: i64) -> ApiResult<bool> {
        comments::delete_comment(self.conn, id).map_err(ApiError::from)
    }

    fn approved_total(&self, page_id: i64) -> ApiResult<i64> {
        comments::approved_total(self.conn, page_id).map_err(ApiError::from)
    }

    fn approved_counts(&self, site: &str, keys: &[String]) -> ApiResult<Vec<(String, i64)>> {
        comments::approved_counts(self.conn, site, keys).map_err(ApiError::from)
    }

    fn newest_approved(
        &self,
        site: &str,
        page: Option<&str>,
        limit: u32,
    ) -> ApiResult<Vec<FeedItem>> {
        comments::newest_approved(self.conn, site, page, limit).map_err(ApiError::from)
    }

    fn has_comments_from(&self, site: &str, email: &str) -> ApiResult<bool> {
        comments::has_comments_from(self.conn, site, email).map_err(ApiError::from)
    }

    fn find_page(&self, site: &str, key: &str) -> ApiResult<Option<Page>> {
        pages::find_page(self.conn, site, key).map_err(ApiError::from)
    }

    fn ensure_page(&self, site: &str, key: &str, now: Timestamp) -> ApiResult<Page> {
        pages::ensure_page(self.conn, site, key, now).map_err(ApiError::from)
    }

    fn thread_page(
        &self,
        page_id: i64,
        sort: Sort,
        after: Option<Cursor>,
        limit: usize,
    ) -> ApiResult<ThreadPage> {
        threads::thread_page(self.conn, page_id, sort, after, limit).map_err(ApiError::from)
    }

    fn page_comments(&self, page_id: i64) -> ApiResult<Vec<Comment>> {
        threads::page_comments(self.conn, page_id).map_err(ApiError::from)
    }

    fn vote(&self, id: i64, voter: &str, value: i8) -> ApiResult<(i64, i64)> {
        votes::vote(self.conn, id, voter, value)
    }

    fn moderation_queue(&self, f: &QueueFilter) -> ApiResult<(Vec<Comment>, i64)> {
        moderation::queue(self.conn, f).map_err(ApiError::from)
    }

    fn set_status(&self, id: i64, status: Status) -> ApiResult<()> {
        moderation::set_status(self.conn, id, status).map_err(ApiError::from)
    }

    fn set_locked(&self, site: &str, page: &str, locked: bool, now: Timestamp) -> ApiResult<()> {
        moderation::set_locked(self.conn, site, page, locked, now).map_err(ApiError::from)
    }

    fn erase_email(&self, site: &str, email: &str) -> ApiResult<Vec<Comment>> {
        moderation::erase_email(self.conn, site, email).map_err(ApiError::from)
    }

    fn site_counts(&self) -> ApiResult<Vec<(String, String, i64)>> {
        moderation::site_counts(self.conn).map_err(ApiError::from)
    }

    fn use_link(&self, sig_hash: &str, expires: Timestamp, now: Timestamp) -> ApiResult<bool> {
        moderation::use_link(self.conn, sig_hash, expires, now).map_err(ApiError::from)
    }

    fn link_used(&self, sig_hash: &str) -> ApiResult<bool> {
        moderation::link_used(self.conn, sig_hash).map_err(ApiError::from)
    }

    fn push_email(
        &self,
        to: &str,
        mail: &Email,
        about: About<'_>,
        now: Timestamp,
    ) -> ApiResult<()> {
        outbox::push_email(self.conn, to, mail, about, now).map_err(ApiError::from)
    }

    fn push_email_due(
        &self,
        to: &str,
        mail: &Email,
        about: About<'_>,
        now: Timestamp,
        due: Timestamp,
    ) -> ApiResult<i64> {
        outbox::push_email_due(self.conn, to, mail, about, now, due).map_err(ApiError::from)
    }

    fn push_webhook(
        &self,
        url: &str,
        body: &str,
        about: About<'_>,
        now: Timestamp,
    ) -> ApiResult<()> {
        outbox::push_webhook(self.conn, url, body, about, now).map_err(ApiError::from)
    }

    fn recently_mailed(&self, to: &str, purpose: &str, since: Timestamp) -> ApiResult<bool> {
        outbox::recently_mailed(self.conn, to, purpose, since).map_err(ApiError::from)
    }

    fn forget_deliveries(&self, site: &str, email: &str, ids: &[i64]) -> ApiResult<usize> {
        outbox::forget(self.conn, site, email, ids).map_err(ApiError::from)
    }

    fn outbox_counts(&self) -> ApiResult<Vec<(String, i64)>> {
        outbox::counts(self.conn).map_err(ApiError::from)
    }

    fn undelivered(&self, limit: i64) -> ApiResult<Vec<Item>> {
        outbox::undelivered(self.conn, limit).map_err(ApiError::from)
    }

    fn claim_delivery(
        &self,
        owner: &str,
        now: Timestamp,
        email_slots: i64,
    ) -> ApiResult<Option<Item>> {
        outbox::claim(self.conn, owner, now, email_slots).map_err(ApiError::from)
    }

    fn mark_sent(&self, id: i64, owner: &str, now: Timestamp) -> ApiResult<bool> {
        outbox::mark_sent(self.conn, id, owner, now).map_err(ApiError::from)
    }

    fn mark_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> ApiResult<bool> {
        outbox::mark_failed(self.conn, id, owner, error, retry_at, now).map_err(ApiError::from)
    }

    fn open_digest(&self, to: &str, site: &str, now: Timestamp) -> ApiResult<Option<i64>> {
        digests::open_digest(self.conn, to, site, now).map_err(ApiError::from)
    }

    fn mailed_alone(&self, to: &str, since: Timestamp) -> ApiResult<i64> {
        digests::mailed_alone(self.conn, to, since).map_err(ApiError::from)
    }

    fn add_entry(
        &self,
        digest: i64,
        comment_id: i64,
        entry: &DigestEntry,
        now: Timestamp,
    ) -> ApiResult<()> {
        digests::add_entry(self.conn, digest, comment_id, entry, now).map_err(ApiError::from)
    }

    fn digest_contents(&self, id: i64) -> ApiResult<(String, Vec<DigestEntry>)> {
        digests::contents(self.conn, id).map_err(ApiError::from)
    }

    fn drop_claimed(&self, id: i64, owner: &str) -> ApiResult<bool> {
        digests::drop_claimed(self.conn, id, owner).map_err(ApiError::from)
    }

    fn page_meta(&self, page_id: i64) -> ApiResult<(Option<String>, Option<String>)> {
        subscriptions::page_meta(self.conn, page_id).map_err(ApiError::from)
    }

    fn is_confirmed(&self, site: &str, email: &str) -> ApiResult<bool> {
        subscriptions::is_confirmed(self.conn, site, email).map_err(ApiError::from)
    }

    fn set_notify(&self, id: i64, notify: Notify) -> ApiResult<bool> {
        subscriptions::set_notify(self.conn, id, notify).map_err(ApiError::from)
    }

    fn confirm_email(&self, site: &str, email: &str, now: Timestamp) -> ApiResult<()> {
        subscriptions::confirm_email(self.conn, site, email, now).map_err(ApiError::from)
    }

    fn forget_confirmation(&self, site: &str, email: &str) -> ApiResult<()> {
        subscriptions::forget_confirmation(self.conn, site, email).map_err(ApiError::from)
    }

    fn gauges(&self) -> ApiResult<(i64, i64, i64)> {
        stats::gauges(self.conn).map_err(ApiError::from)
    }

    fn tables_answer(&self) -> ApiResult<()> {
        stats::tables_answer(self.conn).map_err(ApiError::from)
    }

    fn admin_token_hashes(&self) -> ApiResult<Vec<(String, String)>> {
        admin_tokens::hashes(self.conn).map_err(ApiError::from)
    }

    fn receive_webmention(&self, m: &NewMention, now: Timestamp) -> ApiResult<String> {
        webmentions::receive(self.conn, m, now).map_err(ApiError::from)
    }

    fn webmention_load(&self, m: &NewMention, since: Timestamp) -> ApiResult<Load> {
        webmentions::load(self.conn, m, since).map_err(ApiError::from)
    }

    fn webmention_state(&self, id: &str) -> ApiResult<Option<(MentionStatus, Option<String>)>> {
        webmentions::state(self.conn, id).map_err(ApiError::from)
    }

    fn webmention_due(&self, now: Timestamp) -> ApiResult<bool> {
        webmentions::due(self.conn, now).map_err(ApiError::from)
    }

    fn claim_webmention(&self, owner: &str, now: Timestamp) -> ApiResult<Option<Mention>> {
        webmentions::claim(self.conn, owner, now).map_err(ApiError::from)
    }

    fn finish_webmention(
        &self,
        id: &str,
        owner: &str,
        outcome: &Outcome,
        now: Timestamp,
    ) -> ApiResult<bool> {
        webmentions::finish(self.conn, id, owner, outcome, now).map_err(ApiError::from)
    }

    fn reactions(&self, site: &str, page: &str) -> ApiResult<Reactions> {
        webmentions::reactions(self.conn, site, page).map_err(ApiError::from)
    }

    fn webmention_host_trusted(&self, site: &str, host: &str) -> ApiResult<bool> {
        webmentions::host_trusted(self.conn, site, host).map_err(ApiError::from)
    }

    fn add_block(&self, b: &NewBlock) -> ApiResult<Block> {
        desk::add_block(self.conn, b).map_err(ApiError::from)
    }

    fn blocks(&self, site: Option<&str>) -> ApiResult<Vec<Block>> {
        desk::blocks(self.conn, site).map_err(ApiError::from)
    }

    fn remove_block(&self, id: i64) -> ApiResult<Option<Block>> {
        desk::remove_block(self.conn, id).map_err(ApiError::from)
    }

    fn author_key_of(&self, comment_id: i64) -> ApiResult<Option<String>> {
        desk::author_key_of(self.conn, comment_id).map_err(ApiError::from)
    }

    fn is_blocked(&self, site: &str, a: &Author<'_>, now: Timestamp) -> ApiResult<bool> {
        desk::is_blocked(self.conn, site, a, now).map_err(ApiError::from)
    }

    fn record(&self, e: &AuditEntry) -> ApiResult<()> {
        desk::record(self.conn, e).map_err(ApiError::from)
    }

    fn audit(
        &self,
        site: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> ApiResult<(Vec<AuditEntry>, i64)> {
        desk::audit(self.conn, site, limit, offset).map_err(ApiError::from)
    }
}

mod fedi_tx;
mod signin_tx;
