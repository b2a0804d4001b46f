//! The boundary between the use cases and the database: a [`Tx`] is one transaction (or
//! one snapshot) as `actions/` and `notify/` see it, and its methods are every operation
//! they may ask for. Nothing outside `store/` runs SQL or sees a connection.
//!
//! Each method is answered by the SQLite implementation in the file its section names. A
//! second engine (PostgreSQL, for several nodes) answers the same methods: this list is
//! what it has to implement, and the API tests are what it has to pass.

use rusqlite::Connection;

use super::comments::{CommentEdit, NewComment};
use super::digests::DigestEntry;
use super::moderation::QueueFilter;
use super::outbox::{About, Email, Item};
use super::pages::Page;
use super::threads::ThreadPage;
use super::{
    admin_tokens, comments, digests, moderation, outbox, pages, stats, subscriptions, threads,
    votes,
};
use crate::domain::comment::{Comment, FeedItem, Notify, Status};
use crate::domain::thread::{Cursor, Sort};
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult};

/// One transaction (in the writer) or one read (on the pool) over the database.
#[derive(Clone, Copy)]
pub struct Tx<'a> {
    conn: &'a Connection,
}

impl<'a> Tx<'a> {
    /// A transaction over `conn`: the writer's savepoint, a pooled reader, or the outbox
    /// worker's own connection.
    pub fn over(conn: &'a Connection) -> Tx<'a> {
        Tx { conn }
    }

    // Comments (comments.rs).

    /// One comment by id, any status.
    pub fn find_comment(&self, id: i64) -> ApiResult<Option<Comment>> {
        comments::find_comment(self.conn, id).map_err(ApiError::from)
    }

    /// The comment a request with this `Idempotency-Key` hash made, unless it was deleted.
    pub fn find_by_request_key(&self, hash: &str) -> ApiResult<Option<Comment>> {
        comments::find_by_request_key(self.conn, hash).map_err(ApiError::from)
    }

    /// Whether the same text came from the same network on this page in the last `window` seconds.
    pub fn is_duplicate(
        &self,
        page_id: i64,
        ip: &str,
        text: &str,
        since: Timestamp,
    ) -> ApiResult<bool> {
        comments::is_duplicate(self.conn, page_id, ip, text, since).map_err(ApiError::from)
    }

    /// Whether the site has an approved comment with this email (any case) and author key.
    pub fn is_trusted(&self, site: &str, email: &str, author_key_hash: &str) -> ApiResult<bool> {
        comments::is_trusted(self.conn, site, email, author_key_hash).map_err(ApiError::from)
    }

    /// Stores a new comment on `page` (as [`ensure_page`] found it) and returns it as stored.
    /// The page's first comment also gives the page its time, title and URL.
    pub fn insert_comment(
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

    /// Replaces a comment's editable fields.
    pub fn update_comment(&self, id: i64, e: &CommentEdit<'_>) -> ApiResult<()> {
        comments::update_comment(self.conn, id, e).map_err(ApiError::from)
    }

    /// Deletes a comment: a scrubbed tombstone if anything replies to it, gone otherwise.
    /// Returns whether a tombstone was kept.
    pub fn delete_comment(&self, id: i64) -> ApiResult<bool> {
        comments::delete_comment(self.conn, id).map_err(ApiError::from)
    }

    /// Approved comments of a page.
    pub fn approved_total(&self, page_id: i64) -> ApiResult<i64> {
        comments::approved_total(self.conn, page_id).map_err(ApiError::from)
    }

    /// Approved comments per page key.
    pub fn approved_counts(&self, site: &str, keys: &[String]) -> ApiResult<Vec<(String, i64)>> {
        comments::approved_counts(self.conn, site, keys).map_err(ApiError::from)
    }

    /// The newest approved comments of a site (or one page), with their page's title and URL.
    pub fn newest_approved(
        &self,
        site: &str,
        page: Option<&str>,
        limit: u32,
    ) -> ApiResult<Vec<FeedItem>> {
        comments::newest_approved(self.conn, site, page, limit).map_err(ApiError::from)
    }

    /// Whether `email` wrote any comment on `site` (any status).
    pub fn has_comments_from(&self, site: &str, email: &str) -> ApiResult<bool> {
        comments::has_comments_from(self.conn, site, email).map_err(ApiError::from)
    }

    // Pages (pages.rs).

    /// Looks a page up by site and key.
    pub fn find_page(&self, site: &str, key: &str) -> ApiResult<Option<Page>> {
        pages::find_page(self.conn, site, key).map_err(ApiError::from)
    }

    /// Finds or creates a page: one lookup when it exists, as it does for nearly every comment.
    pub fn ensure_page(&self, site: &str, key: &str, now: Timestamp) -> ApiResult<Page> {
        pages::ensure_page(self.conn, site, key, now).map_err(ApiError::from)
    }

    // Threads (threads.rs).

    /// Loads one page of a thread without reading the rest: at most `limit` top-level comments
    /// (those [`thread::order`] would show, in its order, after `after`) with their replies.
    ///
    /// Top-level comments come from the roots index of migration 0009 in the sort's order,
    /// merged with the page's orphans (replies whose parent is not on the page, kept in
    /// `thread_orphans`); one that is not approved counts only when it has an approved reply
    /// below it (it is then a tombstone). Each picked one's replies are read through the parent
    /// index. The rows read are those comments, the top-level ones passed over on the way
    /// (hidden ones without visible replies), and one more to know whether `next` is due; `top`
    /// also reads the index entry of every top-level comment of the page, to sort them by score.
    /// Run it inside one read transaction, so every query sees the same snapshot.
    pub fn thread_page(
        &self,
        page_id: i64,
        sort: Sort,
        after: Option<Cursor>,
        limit: usize,
    ) -> ApiResult<ThreadPage> {
        threads::thread_page(self.conn, page_id, sort, after, limit).map_err(ApiError::from)
    }

    /// Every comment of a page, any status (the thread orderer decides what shows).
    pub fn page_comments(&self, page_id: i64) -> ApiResult<Vec<Comment>> {
        threads::page_comments(self.conn, page_id).map_err(ApiError::from)
    }

    // Votes (votes.rs).

    /// Records (or withdraws, with 0) one voter's vote and returns the new counts.
    pub fn vote(&self, id: i64, voter: &str, value: i8) -> ApiResult<(i64, i64)> {
        votes::vote(self.conn, id, voter, value)
    }

    // Moderation (moderation.rs).

    /// The queue, newest first, and how many match in all.
    pub fn moderation_queue(&self, f: &QueueFilter) -> ApiResult<(Vec<Comment>, i64)> {
        moderation::queue(self.conn, f).map_err(ApiError::from)
    }

    /// Sets a comment's status.
    pub fn set_status(&self, id: i64, status: Status) -> ApiResult<()> {
        moderation::set_status(self.conn, id, status).map_err(ApiError::from)
    }

    /// Locks or unlocks a page, creating it if it has no comments yet.
    pub fn set_locked(
        &self,
        site: &str,
        page: &str,
        locked: bool,
        now: Timestamp,
    ) -> ApiResult<()> {
        moderation::set_locked(self.conn, site, page, locked, now).map_err(ApiError::from)
    }

    /// Erases every comment of one email on a site: replies first, so a parent whose only
    /// replies were the same person's disappears too. Returns the comments as they were.
    pub fn erase_email(&self, site: &str, email: &str) -> ApiResult<Vec<Comment>> {
        moderation::erase_email(self.conn, site, email).map_err(ApiError::from)
    }

    /// Comments per status of every active site.
    pub fn site_counts(&self) -> ApiResult<Vec<(String, String, i64)>> {
        moderation::site_counts(self.conn).map_err(ApiError::from)
    }

    /// Records a one-click link as used; `false` if it already was.
    pub fn use_link(&self, sig_hash: &str, expires: Timestamp, now: Timestamp) -> ApiResult<bool> {
        moderation::use_link(self.conn, sig_hash, expires, now).map_err(ApiError::from)
    }

    /// Whether a one-click link was used already.
    pub fn link_used(&self, sig_hash: &str) -> ApiResult<bool> {
        moderation::link_used(self.conn, sig_hash).map_err(ApiError::from)
    }

    // The outbox (outbox.rs).

    /// Enqueues an email.
    pub fn push_email(
        &self,
        to: &str,
        mail: &Email,
        about: About<'_>,
        now: Timestamp,
    ) -> ApiResult<()> {
        outbox::push_email(self.conn, to, mail, about, now).map_err(ApiError::from)
    }

    /// Enqueues an email that is not due before `due`; returns its row id.
    pub fn push_email_due(
        &self,
        to: &str,
        mail: &Email,
        about: About<'_>,
        now: Timestamp,
        due: Timestamp,
    ) -> ApiResult<i64> {
        outbox::push_email_due(self.conn, to, mail, about, now, due).map_err(ApiError::from)
    }

    /// Enqueues a webhook delivery of exactly these body bytes.
    pub fn push_webhook(
        &self,
        url: &str,
        body: &str,
        about: About<'_>,
        now: Timestamp,
    ) -> ApiResult<()> {
        outbox::push_webhook(self.conn, url, body, about, now).map_err(ApiError::from)
    }

    /// Whether an email of this purpose went to this address since `since`.
    pub fn recently_mailed(&self, to: &str, purpose: &str, since: Timestamp) -> ApiResult<bool> {
        outbox::recently_mailed(self.conn, to, purpose, since).map_err(ApiError::from)
    }

    /// Deletes, whatever their state, the deliveries that carry one person's data on a site:
    /// mail addressed to `email`, and mail and webhooks about the comments `ids`, and their
    /// entries in moderators' digests (a digest left with none goes too). Rows from before the
    /// outbox recorded what it is about are matched by address (on any site) and, for mail
    /// about a comment, by the links in it. Returns how many rows and entries went.
    pub fn forget_deliveries(&self, site: &str, email: &str, ids: &[i64]) -> ApiResult<usize> {
        outbox::forget(self.conn, site, email, ids).map_err(ApiError::from)
    }

    /// Rows per status.
    pub fn outbox_counts(&self) -> ApiResult<Vec<(String, i64)>> {
        outbox::counts(self.conn).map_err(ApiError::from)
    }

    /// The pending and failed rows, newest first (what an operator looks at).
    pub fn undelivered(&self, limit: i64) -> ApiResult<Vec<Item>> {
        outbox::undelivered(self.conn, limit).map_err(ApiError::from)
    }

    /// Claims, for `owner`, the oldest due delivery that nobody is attempting: a webhook only
    /// when nobody is attempting its URL either (one slow receiver takes one attempt at a
    /// time, never every one), an email only while fewer than `email_slots` are under way
    /// (every email goes through the one mail server). Across processes too: the claim is one
    /// `UPDATE` of the shared database.
    pub fn claim_delivery(
        &self,
        owner: &str,
        now: Timestamp,
        email_slots: i64,
    ) -> ApiResult<Option<Item>> {
        outbox::claim(self.conn, owner, now, email_slots).map_err(ApiError::from)
    }

    /// Marks a delivery done and releases its claim; `false` when `owner` no longer held it
    /// (its lease ran out and another claim took it).
    pub fn mark_sent(&self, id: i64, owner: &str, now: Timestamp) -> ApiResult<bool> {
        outbox::mark_sent(self.conn, id, owner, now).map_err(ApiError::from)
    }

    /// Records a failed attempt and releases its claim: retried at `retry_at`, or given up
    /// when `None`. `false` when `owner` no longer held the claim.
    pub fn mark_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> ApiResult<bool> {
        outbox::mark_failed(self.conn, id, owner, error, retry_at, now).map_err(ApiError::from)
    }

    // Moderators' digests (digests.rs).

    /// The moderator's digest for `site` that still takes entries, if there is one.
    pub fn open_digest(&self, to: &str, site: &str, now: Timestamp) -> ApiResult<Option<i64>> {
        digests::open_digest(self.conn, to, site, now).map_err(ApiError::from)
    }

    /// How many moderation mails of their own went to `to` since `since` (any site).
    pub fn mailed_alone(&self, to: &str, since: Timestamp) -> ApiResult<i64> {
        digests::mailed_alone(self.conn, to, since).map_err(ApiError::from)
    }

    /// Adds `entry` about comment `comment_id` to the digest row `digest`.
    pub fn add_entry(
        &self,
        digest: i64,
        comment_id: i64,
        entry: &DigestEntry,
        now: Timestamp,
    ) -> ApiResult<()> {
        digests::add_entry(self.conn, digest, comment_id, entry, now).map_err(ApiError::from)
    }

    /// The site of the digest row `id` and the entries it holds now, oldest first.
    pub fn digest_contents(&self, id: i64) -> ApiResult<(String, Vec<DigestEntry>)> {
        digests::contents(self.conn, id).map_err(ApiError::from)
    }

    /// Drops a claimed digest that an erase emptied after it was claimed; `false` when `owner`
    /// no longer held the claim.
    pub fn drop_claimed(&self, id: i64, owner: &str) -> ApiResult<bool> {
        digests::drop_claimed(self.conn, id, owner).map_err(ApiError::from)
    }

    // Reply-mail subscriptions (subscriptions.rs).

    /// A page's title and URL, for mail and webhooks.
    pub fn page_meta(&self, page_id: i64) -> ApiResult<(Option<String>, Option<String>)> {
        subscriptions::page_meta(self.conn, page_id).map_err(ApiError::from)
    }

    /// Whether `email` confirmed its address on `site`.
    pub fn is_confirmed(&self, site: &str, email: &str) -> ApiResult<bool> {
        subscriptions::is_confirmed(self.conn, site, email).map_err(ApiError::from)
    }

    /// Sets one comment's notify state; whether the comment exists.
    pub fn set_notify(&self, id: i64, notify: Notify) -> ApiResult<bool> {
        subscriptions::set_notify(self.conn, id, notify).map_err(ApiError::from)
    }

    /// Records `email` as confirmed on `site` and turns on every request it made there.
    pub fn confirm_email(&self, site: &str, email: &str, now: Timestamp) -> ApiResult<()> {
        subscriptions::confirm_email(self.conn, site, email, now).map_err(ApiError::from)
    }

    /// Forgets that `email` confirmed its address on `site`.
    pub fn forget_confirmation(&self, site: &str, email: &str) -> ApiResult<()> {
        subscriptions::forget_confirmation(self.conn, site, email).map_err(ApiError::from)
    }

    // Figures (stats.rs).

    /// Deliveries waiting, deliveries given up, and the main file's size in bytes.
    pub fn gauges(&self) -> ApiResult<(i64, i64, i64)> {
        stats::gauges(self.conn).map_err(ApiError::from)
    }

    /// Reads the `sites` table: fails when the file lost its tables.
    pub fn tables_answer(&self) -> ApiResult<()> {
        stats::tables_answer(self.conn).map_err(ApiError::from)
    }

    // Admin tokens (admin_tokens.rs).

    /// Hashes of every stored token.
    pub fn admin_token_hashes(&self) -> ApiResult<Vec<String>> {
        admin_tokens::hashes(self.conn).map_err(ApiError::from)
    }
}
