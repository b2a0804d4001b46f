//! The Fediverse's part of the boundary: every operation `actions/fediverse/` and
//! `notify/` may ask of the database about actors, followers, posts, notes, reactions and
//! deliveries. A supertrait of [`super::Tx`], so every transaction answers it; SQLite's
//! statements are in `fediverse.rs` and `fedi_queue.rs`, PostgreSQL's in `pg/`.

use crate::domain::comment::Comment;
use crate::domain::fediverse::{
    Delivery, Follower, NewPost, NewReaction, NoteLink, Post, RemoteActor,
};
use crate::domain::Timestamp;
use crate::error::ApiResult;

/// The Fediverse's operations (see the module).
pub trait FediTx {
    /// The cached actor whose key is `key_id`, with when it was fetched.
    fn fedi_actor_by_key(&self, key_id: &str) -> ApiResult<Option<(RemoteActor, Timestamp)>>;

    /// A cached actor by id, with when it was fetched.
    fn fedi_actor(&self, id: &str) -> ApiResult<Option<(RemoteActor, Timestamp)>>;

    /// Stores (or refreshes) an actor as fetched now.
    fn fedi_store_actor(&self, a: &RemoteActor, now: Timestamp) -> ApiResult<()>;

    /// Records an activity id as seen; `false` when it was seen before. Ids seen before
    /// `forget_before` are forgotten first.
    fn fedi_first_sight(
        &self,
        id: &str,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> ApiResult<bool>;

    /// Adds (or updates) a follower of `site`.
    fn fedi_follow(&self, site: &str, f: &Follower, now: Timestamp) -> ApiResult<()>;

    /// Removes a follower; whether there was one.
    fn fedi_unfollow(&self, site: &str, actor: &str) -> ApiResult<bool>;

    /// Every follower of `site`.
    fn fedi_followers(&self, site: &str) -> ApiResult<Vec<Follower>>;

    /// How many follow `site`.
    fn fedi_follower_count(&self, site: &str) -> ApiResult<i64>;

    /// Stores a post to announce, or updates the page's post; `true` when it is new.
    fn fedi_announce(&self, p: &NewPost, now: Timestamp) -> ApiResult<(Post, bool)>;

    /// One announced post of a site.
    fn fedi_post(&self, site: &str, id: i64) -> ApiResult<Option<Post>>;

    /// The newest announced posts of a site (at most `limit`) and how many there are.
    fn fedi_posts(&self, site: &str, limit: i64) -> ApiResult<(Vec<Post>, i64)>;

    /// The comment a federated note became.
    fn fedi_note(&self, note_id: &str) -> ApiResult<Option<NoteLink>>;

    /// The note a comment came from, if it came from one.
    fn fedi_note_of(&self, comment_id: i64) -> ApiResult<Option<NoteLink>>;

    /// Records which comment a note became.
    fn fedi_link_note(&self, l: &NoteLink, now: Timestamp) -> ApiResult<()>;

    /// Whether `site` has an approved comment from this actor (trust under `first`).
    fn fedi_actor_trusted(&self, site: &str, actor: &str) -> ApiResult<bool>;

    /// Records a like or boost (one of each kind per actor and post).
    fn fedi_react(&self, r: &NewReaction, now: Timestamp) -> ApiResult<()>;

    /// Removes the like or boost `activity_id` of `actor`; whether there was one.
    fn fedi_unreact(&self, actor: &str, activity_id: &str) -> ApiResult<bool>;

    /// The comments of `actor`'s notes on `site`, newest first (replies before parents).
    fn fedi_actor_comments(&self, site: &str, actor: &str) -> ApiResult<Vec<Comment>>;

    /// The actors whose documents named `url` as their profile page.
    fn fedi_actors_at(&self, url: &str) -> ApiResult<Vec<String>>;

    /// Forgets an actor on a site: its notes' links, reactions, following.
    fn fedi_forget_actor(&self, site: &str, actor: &str) -> ApiResult<()>;

    /// The inboxes a local comment's Note was sent to, if it was.
    fn fedi_published(&self, comment_id: i64) -> ApiResult<Option<Vec<String>>>;

    /// Records that a local comment's Note went to `inboxes` (or, with none, forgets it).
    fn fedi_set_published(
        &self,
        comment_id: i64,
        site: &str,
        inboxes: &[String],
        now: Timestamp,
    ) -> ApiResult<()>;

    /// Queues a signed delivery of `body` to `inbox` by `site`'s actor.
    fn fedi_push(&self, site: &str, inbox: &str, body: &str, now: Timestamp) -> ApiResult<()>;

    /// Whether a delivery is due.
    fn fedi_due(&self, now: Timestamp) -> ApiResult<bool>;

    /// Claims, for `owner`, the oldest due delivery nobody holds (across processes).
    fn fedi_claim(&self, owner: &str, now: Timestamp) -> ApiResult<Option<Delivery>>;

    /// Marks a delivery sent (or, with `retry_at`, failed for now; with neither, given up
    /// with `error`); `false` when `owner` no longer held it. Sent and failed rows older than
    /// `forget_before` go.
    fn fedi_finish(
        &self,
        id: i64,
        owner: &str,
        outcome: Result<(), (&str, Option<Timestamp>)>,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> ApiResult<bool>;
}
