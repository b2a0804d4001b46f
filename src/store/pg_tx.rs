//! [`Tx`] on PostgreSQL: each operation answered by the statements of the file of `store/pg/`
//! its section in `tx.rs` names ([`super::FediTx`]'s in `pg_tx/fedi_tx.rs`).

use std::cell::RefCell;

use postgres::{Client, Transaction};

use super::comments::{CommentEdit, NewComment};
use super::digests::DigestEntry;
use super::moderation::QueueFilter;
use super::outbox::{About, Email, Item};
use super::pages::Page;
use super::pg;
use super::threads::ThreadPage;
use super::Tx;
use crate::domain::comment::{Comment, FeedItem, Notify, Status};
use crate::domain::desk::{AuditEntry, Author, Block, NewBlock};
use crate::domain::thread::{Cursor, Sort};
use crate::domain::webmention::{Load, Mention, MentionStatus, NewMention, Outcome, Reactions};
use crate::domain::Timestamp;
use crate::error::ApiResult;

/// What a [`PgTx`] runs its statements on.
enum Conn<'a, 'b> {
    /// A transaction (or savepoint): the writer's, a reader's.
    In(&'a mut Transaction<'b>),
    /// A connection in autocommit: each statement commits on its own (the outbox worker's claims and marks, seen by every node at once).
    Auto(&'a mut Client),
}

/// A [`Tx`] over one PostgreSQL transaction (the writer's savepoint, a pooled reader's
/// transaction) or over a connection in autocommit (the outbox worker's).
pub struct PgTx<'a, 'b> {
    c: RefCell<Conn<'a, 'b>>,
}

impl<'a, 'b> PgTx<'a, 'b> {
    /// Statements inside the transaction `t`.
    pub fn over(t: &'a mut Transaction<'b>) -> PgTx<'a, 'b> {
        PgTx {
            c: RefCell::new(Conn::In(t)),
        }
    }

    /// Statements on `client`, each committing on its own.
    pub fn autocommit(client: &'a mut Client) -> PgTx<'a, 'b> {
        PgTx {
            c: RefCell::new(Conn::Auto(client)),
        }
    }
}

/// Calls a `pg::` statement function on whichever connection the [`PgTx`] holds (operations never nest, so the borrow is always free).
macro_rules! on {
    ($self:ident, $f:path $(, $a:expr)*) => {{
        let mut c = $self.c.borrow_mut();
        match &mut *c {
            Conn::In(t) => $f(&mut **t $(, $a)*),
            Conn::Auto(client) => $f(&mut **client $(, $a)*),
        }
    }};
}

impl Tx for PgTx<'_, '_> {
    fn find_comment(&self, id: i64) -> ApiResult<Option<Comment>> {
        on!(self, pg::comments::find_comment, id)
    }

    fn find_by_request_key(&self, hash: &str) -> ApiResult<Option<Comment>> {
        on!(self, pg::comments::find_by_request_key, hash)
    }

    fn is_duplicate(
        &self,
        page_id: i64,
        ip: &str,
        text: &str,
        since: Timestamp,
    ) -> ApiResult<bool> {
        on!(self, pg::comments::is_duplicate, page_id, ip, text, since)
    }

    fn is_trusted(&self, site: &str, email: &str, author_key_hash: &str) -> ApiResult<bool> {
        on!(self, pg::comments::is_trusted, site, email, author_key_hash)
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
        on!(
            self,
            pg::comments::insert_comment,
            page,
            site,
            key,
            c,
            title,
            url
        )
    }

    fn update_comment(&self, id: i64, e: &CommentEdit<'_>) -> ApiResult<()> {
        on!(self, pg::comments::update_comment, id, e)
    }

    fn delete_comment(&self, id: i64) -> ApiResult<bool> {
        on!(self, pg::comments::delete_comment, id)
    }

    fn approved_total(&self, page_id: i64) -> ApiResult<i64> {
        on!(self, pg::comments::approved_total, page_id)
    }

    fn approved_counts(&self, site: &str, keys: &[String]) -> ApiResult<Vec<(String, i64)>> {
        on!(self, pg::comments::approved_counts, site, keys)
    }

    fn newest_approved(
        &self,
        site: &str,
        page: Option<&str>,
        limit: u32,
    ) -> ApiResult<Vec<FeedItem>> {
        on!(self, pg::comments::newest_approved, site, page, limit)
    }

    fn has_comments_from(&self, site: &str, email: &str) -> ApiResult<bool> {
        on!(self, pg::comments::has_comments_from, site, email)
    }

    fn find_page(&self, site: &str, key: &str) -> ApiResult<Option<Page>> {
        on!(self, pg::pages::find_page, site, key)
    }

    fn ensure_page(&self, site: &str, key: &str, now: Timestamp) -> ApiResult<Page> {
        on!(self, pg::pages::ensure_page, site, key, now)
    }

    fn thread_page(
        &self,
        page_id: i64,
        sort: Sort,
        after: Option<Cursor>,
        limit: usize,
    ) -> ApiResult<ThreadPage> {
        on!(self, pg::threads::thread_page, page_id, sort, after, limit)
    }

    fn page_comments(&self, page_id: i64) -> ApiResult<Vec<Comment>> {
        on!(self, pg::threads::page_comments, page_id)
    }

    fn vote(&self, id: i64, voter: &str, value: i8) -> ApiResult<(i64, i64)> {
        on!(self, pg::votes::vote, id, voter, value)
    }

    fn moderation_queue(&self, f: &QueueFilter) -> ApiResult<(Vec<Comment>, i64)> {
        on!(self, pg::moderation::queue, f)
    }

    fn set_status(&self, id: i64, status: Status) -> ApiResult<()> {
        on!(self, pg::moderation::set_status, id, status)
    }

    fn set_locked(&self, site: &str, page: &str, locked: bool, now: Timestamp) -> ApiResult<()> {
        on!(self, pg::moderation::set_locked, site, page, locked, now)
    }

    fn erase_email(&self, site: &str, email: &str) -> ApiResult<Vec<Comment>> {
        on!(self, pg::moderation::erase_email, site, email)
    }

    fn site_counts(&self) -> ApiResult<Vec<(String, String, i64)>> {
        on!(self, pg::moderation::site_counts)
    }

    fn use_link(&self, sig_hash: &str, expires: Timestamp, now: Timestamp) -> ApiResult<bool> {
        on!(self, pg::moderation::use_link, sig_hash, expires, now)
    }

    fn link_used(&self, sig_hash: &str) -> ApiResult<bool> {
        on!(self, pg::moderation::link_used, sig_hash)
    }

    fn push_email(
        &self,
        to: &str,
        mail: &Email,
        about: About<'_>,
        now: Timestamp,
    ) -> ApiResult<()> {
        on!(self, pg::outbox::push_email, to, mail, about, now)
    }

    fn push_email_due(
        &self,
        to: &str,
        mail: &Email,
        about: About<'_>,
        now: Timestamp,
        due: Timestamp,
    ) -> ApiResult<i64> {
        on!(self, pg::outbox::push_email_due, to, mail, about, now, due)
    }

    fn push_webhook(
        &self,
        url: &str,
        body: &str,
        about: About<'_>,
        now: Timestamp,
    ) -> ApiResult<()> {
        on!(self, pg::outbox::push_webhook, url, body, about, now)
    }

    fn recently_mailed(&self, to: &str, purpose: &str, since: Timestamp) -> ApiResult<bool> {
        on!(self, pg::outbox::recently_mailed, to, purpose, since)
    }

    fn forget_deliveries(&self, site: &str, email: &str, ids: &[i64]) -> ApiResult<usize> {
        on!(self, pg::outbox::forget, site, email, ids)
    }

    fn outbox_counts(&self) -> ApiResult<Vec<(String, i64)>> {
        on!(self, pg::outbox::counts)
    }

    fn undelivered(&self, limit: i64) -> ApiResult<Vec<Item>> {
        on!(self, pg::outbox::undelivered, limit)
    }

    fn claim_delivery(
        &self,
        owner: &str,
        now: Timestamp,
        email_slots: i64,
    ) -> ApiResult<Option<Item>> {
        on!(self, pg::outbox::claim, owner, now, email_slots)
    }

    fn mark_sent(&self, id: i64, owner: &str, now: Timestamp) -> ApiResult<bool> {
        on!(self, pg::outbox::mark_sent, id, owner, now)
    }

    fn mark_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> ApiResult<bool> {
        on!(
            self,
            pg::outbox::mark_failed,
            id,
            owner,
            error,
            retry_at,
            now
        )
    }

    fn open_digest(&self, to: &str, site: &str, now: Timestamp) -> ApiResult<Option<i64>> {
        on!(self, pg::digests::open_digest, to, site, now)
    }

    fn mailed_alone(&self, to: &str, since: Timestamp) -> ApiResult<i64> {
        on!(self, pg::digests::mailed_alone, to, since)
    }

    fn add_entry(
        &self,
        digest: i64,
        comment_id: i64,
        entry: &DigestEntry,
        now: Timestamp,
    ) -> ApiResult<()> {
        on!(self, pg::digests::add_entry, digest, comment_id, entry, now)
    }

    fn digest_contents(&self, id: i64) -> ApiResult<(String, Vec<DigestEntry>)> {
        on!(self, pg::digests::contents, id)
    }

    fn drop_claimed(&self, id: i64, owner: &str) -> ApiResult<bool> {
        on!(self, pg::digests::drop_claimed, id, owner)
    }

    fn page_meta(&self, page_id: i64) -> ApiResult<(Option<String>, Option<String>)> {
        on!(self, pg::subscriptions::page_meta, page_id)
    }

    fn is_confirmed(&self, site: &str, email: &str) -> ApiResult<bool> {
        on!(self, pg::subscriptions::is_confirmed, site, email)
    }

    fn set_notify(&self, id: i64, notify: Notify) -> ApiResult<bool> {
        on!(self, pg::subscriptions::set_notify, id, notify)
    }

    fn confirm_email(&self, site: &str, email: &str, now: Timestamp) -> ApiResult<()> {
        on!(self, pg::subscriptions::confirm_email, site, email, now)
    }

    fn forget_confirmation(&self, site: &str, email: &str) -> ApiResult<()> {
        on!(self, pg::subscriptions::forget_confirmation, site, email)
    }

    fn gauges(&self) -> ApiResult<(i64, i64, i64)> {
        on!(self, pg::stats::gauges)
    }

    fn tables_answer(&self) -> ApiResult<()> {
        on!(self, pg::stats::tables_answer)
    }

    fn admin_token_hashes(&self) -> ApiResult<Vec<(String, String)>> {
        on!(self, pg::admin_tokens::hashes)
    }

    fn receive_webmention(&self, m: &NewMention, now: Timestamp) -> ApiResult<String> {
        on!(self, pg::webmentions::receive, m, now)
    }

    fn webmention_load(&self, m: &NewMention, since: Timestamp) -> ApiResult<Load> {
        on!(self, pg::webmentions::load, m, since)
    }

    fn webmention_state(&self, id: &str) -> ApiResult<Option<(MentionStatus, Option<String>)>> {
        on!(self, pg::webmentions::state, id)
    }

    fn webmention_due(&self, now: Timestamp) -> ApiResult<bool> {
        on!(self, pg::webmentions::due, now)
    }

    fn claim_webmention(&self, owner: &str, now: Timestamp) -> ApiResult<Option<Mention>> {
        on!(self, pg::webmentions::claim, owner, now)
    }

    fn finish_webmention(
        &self,
        id: &str,
        owner: &str,
        outcome: &Outcome,
        now: Timestamp,
    ) -> ApiResult<bool> {
        on!(self, pg::webmentions::finish, id, owner, outcome, now)
    }

    fn reactions(&self, site: &str, page: &str) -> ApiResult<Reactions> {
        on!(self, pg::webmentions::reactions, site, page)
    }

    fn webmention_host_trusted(&self, site: &str, host: &str) -> ApiResult<bool> {
        on!(self, pg::webmentions::host_trusted, site, host)
    }

    fn add_block(&self, b: &NewBlock) -> ApiResult<Block> {
        on!(self, pg::desk::add_block, b)
    }

    fn blocks(&self, site: Option<&str>) -> ApiResult<Vec<Block>> {
        on!(self, pg::desk::blocks, site)
    }

    fn remove_block(&self, id: i64) -> ApiResult<Option<Block>> {
        on!(self, pg::desk::remove_block, id)
    }

    fn author_key_of(&self, comment_id: i64) -> ApiResult<Option<String>> {
        on!(self, pg::desk::author_key_of, comment_id)
    }

    fn is_blocked(&self, site: &str, a: &Author<'_>, now: Timestamp) -> ApiResult<bool> {
        on!(self, pg::desk::is_blocked, site, a, now)
    }

    fn record(&self, e: &AuditEntry) -> ApiResult<()> {
        on!(self, pg::desk::record, e)
    }

    fn audit(
        &self,
        site: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> ApiResult<(Vec<AuditEntry>, i64)> {
        on!(self, pg::desk::audit, site, limit, offset)
    }
}
mod fedi_tx;
mod signin_tx;
