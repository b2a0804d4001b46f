//! The boundary between the use cases and the database: a [`Tx`] is one transaction (or
//! one snapshot) as `actions/` and `notify/` see it, and its methods are every operation
//! they may ask for. Nothing outside `store/` runs SQL or sees a connection.
//!
//! [`SqliteTx`] answers each method with the SQLite statements of the file its section
//! names. A second engine (PostgreSQL, for several nodes) implements the same trait: this
//! list is what it has to answer, and the API tests are what it has to pass.

use super::comments::{CommentEdit, NewComment};
use super::digests::DigestEntry;
use super::moderation::QueueFilter;
use super::outbox::{About, Email, Item};
use super::pages::Page;
use super::threads::ThreadPage;
use crate::domain::comment::{Comment, FeedItem, Notify, Status};
use crate::domain::desk::{AuditEntry, Author, Block, NewBlock};
use crate::domain::thread::{Cursor, Sort};
use crate::domain::webmention::{Load, Mention, MentionStatus, NewMention, Outcome, Reactions};
use crate::domain::Timestamp;
use crate::error::ApiResult;

/// One transaction (in the writer) or one read (on the pool) over the database: every
/// operation the use cases and notifications may ask of it.
pub trait Tx: super::FediTx + super::SignInTx {
    // Comments (comments.rs).
    /// One comment by id, any status.
    fn find_comment(&self, id: i64) -> ApiResult<Option<Comment>>;

    /// The comment a request with this `Idempotency-Key` hash made, unless it was deleted.
    fn find_by_request_key(&self, hash: &str) -> ApiResult<Option<Comment>>;

    /// Whether the same text came from the same network on this page in the last `window` seconds.
    fn is_duplicate(&self, page_id: i64, ip: &str, text: &str, since: Timestamp)
        -> ApiResult<bool>;

    /// Whether the site has an approved comment with this email (any case) and author key.
    fn is_trusted(&self, site: &str, email: &str, author_key_hash: &str) -> ApiResult<bool>;

    /// Stores a new comment on `page` (as `ensure_page` found it) and returns it as stored.
    /// The page's first comment also gives the page its time, title and URL.
    fn insert_comment(
        &self,
        page: &Page,
        site: &str,
        key: &str,
        c: NewComment,
        title: Option<&str>,
        url: Option<&str>,
    ) -> ApiResult<Comment>;

    /// Replaces a comment's editable fields.
    fn update_comment(&self, id: i64, e: &CommentEdit<'_>) -> ApiResult<()>;

    /// Deletes a comment: a scrubbed tombstone if anything replies to it, gone otherwise.
    /// Returns whether a tombstone was kept.
    fn delete_comment(&self, id: i64) -> ApiResult<bool>;

    /// Approved comments of a page.
    fn approved_total(&self, page_id: i64) -> ApiResult<i64>;

    /// Approved comments per page key.
    fn approved_counts(&self, site: &str, keys: &[String]) -> ApiResult<Vec<(String, i64)>>;

    /// The newest approved comments of a site (or one page), with their page's title and URL.
    fn newest_approved(
        &self,
        site: &str,
        page: Option<&str>,
        limit: u32,
    ) -> ApiResult<Vec<FeedItem>>;

    /// Whether `email` wrote any comment on `site` (any status).
    fn has_comments_from(&self, site: &str, email: &str) -> ApiResult<bool>;

    // Pages (pages.rs).
    /// Looks a page up by site and key.
    fn find_page(&self, site: &str, key: &str) -> ApiResult<Option<Page>>;

    /// Finds or creates a page: one lookup when it exists, as it does for nearly every comment.
    fn ensure_page(&self, site: &str, key: &str, now: Timestamp) -> ApiResult<Page>;

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
    fn thread_page(
        &self,
        page_id: i64,
        sort: Sort,
        after: Option<Cursor>,
        limit: usize,
    ) -> ApiResult<ThreadPage>;

    /// Every comment of a page, any status (the thread orderer decides what shows).
    fn page_comments(&self, page_id: i64) -> ApiResult<Vec<Comment>>;

    // Votes (votes.rs).
    /// Records (or withdraws, with 0) one voter's vote and returns the new counts.
    fn vote(&self, id: i64, voter: &str, value: i8) -> ApiResult<(i64, i64)>;

    // Moderation (moderation.rs).
    /// The queue, newest first, and how many match in all.
    fn moderation_queue(&self, f: &QueueFilter) -> ApiResult<(Vec<Comment>, i64)>;

    /// Sets a comment's status.
    fn set_status(&self, id: i64, status: Status) -> ApiResult<()>;

    /// Locks or unlocks a page, creating it if it has no comments yet.
    fn set_locked(&self, site: &str, page: &str, locked: bool, now: Timestamp) -> ApiResult<()>;

    /// Erases every comment of one email on a site: replies first, so a parent whose only
    /// replies were the same person's disappears too. Returns the comments as they were.
    fn erase_email(&self, site: &str, email: &str) -> ApiResult<Vec<Comment>>;

    /// Comments per status of every active site.
    fn site_counts(&self) -> ApiResult<Vec<(String, String, i64)>>;

    /// Records a one-click link as used; `false` if it already was.
    fn use_link(&self, sig_hash: &str, expires: Timestamp, now: Timestamp) -> ApiResult<bool>;

    /// Whether a one-click link was used already.
    fn link_used(&self, sig_hash: &str) -> ApiResult<bool>;

    // The outbox (outbox.rs).
    /// Enqueues an email.
    fn push_email(&self, to: &str, mail: &Email, about: About<'_>, now: Timestamp)
        -> ApiResult<()>;

    /// Enqueues an email that is not due before `due`; returns its row id.
    fn push_email_due(
        &self,
        to: &str,
        mail: &Email,
        about: About<'_>,
        now: Timestamp,
        due: Timestamp,
    ) -> ApiResult<i64>;

    /// Enqueues a webhook delivery of exactly these body bytes.
    fn push_webhook(
        &self,
        url: &str,
        body: &str,
        about: About<'_>,
        now: Timestamp,
    ) -> ApiResult<()>;

    /// Whether an email of this purpose went to this address since `since`.
    fn recently_mailed(&self, to: &str, purpose: &str, since: Timestamp) -> ApiResult<bool>;

    /// Deletes, whatever their state, the deliveries that carry one person's data on a site:
    /// mail addressed to `email`, and mail and webhooks about the comments `ids`, and their
    /// entries in moderators' digests (a digest left with none goes too). Rows from before the
    /// outbox recorded what it is about are matched by address (on any site) and, for mail
    /// about a comment, by the links in it. Returns how many rows and entries went.
    fn forget_deliveries(&self, site: &str, email: &str, ids: &[i64]) -> ApiResult<usize>;

    /// Rows per status.
    fn outbox_counts(&self) -> ApiResult<Vec<(String, i64)>>;

    /// The pending and failed rows, newest first (what an operator looks at).
    fn undelivered(&self, limit: i64) -> ApiResult<Vec<Item>>;

    /// Claims, for `owner`, the oldest due delivery that nobody is attempting: a webhook only
    /// when nobody is attempting its URL either (one slow receiver takes one attempt at a
    /// time, never every one), an email only while fewer than `email_slots` are under way
    /// (every email goes through the one mail server). Across processes too: the claim is one
    /// `UPDATE` of the shared database.
    fn claim_delivery(
        &self,
        owner: &str,
        now: Timestamp,
        email_slots: i64,
    ) -> ApiResult<Option<Item>>;

    /// Marks a delivery done and releases its claim; `false` when `owner` no longer held it
    /// (its lease ran out and another claim took it).
    fn mark_sent(&self, id: i64, owner: &str, now: Timestamp) -> ApiResult<bool>;

    /// Records a failed attempt and releases its claim: retried at `retry_at`, or given up
    /// when `None`. `false` when `owner` no longer held the claim.
    fn mark_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> ApiResult<bool>;

    // Moderators' digests (digests.rs).
    /// The moderator's digest for `site` that still takes entries, if there is one.
    fn open_digest(&self, to: &str, site: &str, now: Timestamp) -> ApiResult<Option<i64>>;

    /// How many moderation mails of their own went to `to` since `since` (any site).
    fn mailed_alone(&self, to: &str, since: Timestamp) -> ApiResult<i64>;

    /// Adds `entry` about comment `comment_id` to the digest row `digest`.
    fn add_entry(
        &self,
        digest: i64,
        comment_id: i64,
        entry: &DigestEntry,
        now: Timestamp,
    ) -> ApiResult<()>;

    /// The site of the digest row `id` and the entries it holds now, oldest first.
    fn digest_contents(&self, id: i64) -> ApiResult<(String, Vec<DigestEntry>)>;

    /// Drops a claimed digest that an erase emptied after it was claimed; `false` when `owner`
    /// no longer held the claim.
    fn drop_claimed(&self, id: i64, owner: &str) -> ApiResult<bool>;

    // Reply-mail subscriptions (subscriptions.rs).
    /// A page's title and URL, for mail and webhooks.
    fn page_meta(&self, page_id: i64) -> ApiResult<(Option<String>, Option<String>)>;

    /// Whether `email` confirmed its address on `site`.
    fn is_confirmed(&self, site: &str, email: &str) -> ApiResult<bool>;

    /// Sets one comment's notify state; whether the comment exists.
    fn set_notify(&self, id: i64, notify: Notify) -> ApiResult<bool>;

    /// Records `email` as confirmed on `site` and turns on every request it made there.
    fn confirm_email(&self, site: &str, email: &str, now: Timestamp) -> ApiResult<()>;

    /// Forgets that `email` confirmed its address on `site`.
    fn forget_confirmation(&self, site: &str, email: &str) -> ApiResult<()>;

    // Figures (stats.rs).
    /// Deliveries waiting, deliveries given up, and the main file's size in bytes.
    fn gauges(&self) -> ApiResult<(i64, i64, i64)>;

    /// Reads the `sites` table: fails when the file lost its tables.
    fn tables_answer(&self) -> ApiResult<()>;

    // Admin tokens (admin_tokens.rs).
    /// Every stored token's name and hash.
    fn admin_token_hashes(&self) -> ApiResult<Vec<(String, String)>>;

    // Webmentions (webmentions.rs).
    /// Records a received Webmention (the same source and target again: the same row, queued
    /// again, any verification under way of it losing its claim); returns its id.
    fn receive_webmention(&self, m: &NewMention, now: Timestamp) -> ApiResult<String>;

    /// Webmentions received from `m`'s source host and for its page since `since`, every
    /// queued one, and whether `m`'s pair was received before.
    fn webmention_load(&self, m: &NewMention, since: Timestamp) -> ApiResult<Load>;

    /// A Webmention's status and reason.
    fn webmention_state(&self, id: &str) -> ApiResult<Option<(MentionStatus, Option<String>)>>;

    /// Whether a verification is due.
    fn webmention_due(&self, now: Timestamp) -> ApiResult<bool>;

    /// Claims, for `owner`, the oldest due verification that nobody holds (across processes).
    fn claim_webmention(&self, owner: &str, now: Timestamp) -> ApiResult<Option<Mention>>;

    /// Stores how a verification ended and releases its claim; `false` when `owner` no longer
    /// held it.
    fn finish_webmention(
        &self,
        id: &str,
        owner: &str,
        outcome: &Outcome,
        now: Timestamp,
    ) -> ApiResult<bool>;

    /// A page's likes, reposts and bookmarks.
    fn reactions(&self, site: &str, page: &str) -> ApiResult<Reactions>;

    /// Whether `site` has an approved comment that came as a Webmention from `host`.
    fn webmention_host_trusted(&self, site: &str, host: &str) -> ApiResult<bool>;

    // Blocks and the audit log (desk.rs).
    /// Stores a block and returns it.
    fn add_block(&self, b: &NewBlock) -> ApiResult<Block>;

    /// The blocks of one site (or all), newest first.
    fn blocks(&self, site: Option<&str>) -> ApiResult<Vec<Block>>;

    /// Removes a block; returns it as it was, if there was one.
    fn remove_block(&self, id: i64) -> ApiResult<Option<Block>>;

    /// The keyed hash of the author key a comment was sent with, if it was sent with one.
    fn author_key_of(&self, comment_id: i64) -> ApiResult<Option<String>>;

    /// Whether a block in force on `site` matches the author.
    fn is_blocked(&self, site: &str, a: &Author<'_>, now: Timestamp) -> ApiResult<bool>;

    /// Records one moderation action.
    fn record(&self, e: &AuditEntry) -> ApiResult<()>;

    /// One page of the audit log (of one site, or all), newest first, and how many in all.
    fn audit(
        &self,
        site: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> ApiResult<(Vec<AuditEntry>, i64)>;
}
