//! [`FediTx`] on SQLite: the statements of `store/fediverse.rs` and `store/fedi_queue.rs`.

use super::SqliteTx;
use crate::domain::comment::Comment;
use crate::domain::fediverse::{
    Delivery, Follower, NewPost, NewReaction, NoteLink, Post, RemoteActor,
};
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult};
use crate::store::{fedi_queue, fediverse, FediTx};

impl FediTx for SqliteTx<'_> {
    fn fedi_actor_by_key(&self, key_id: &str) -> ApiResult<Option<(RemoteActor, Timestamp)>> {
        fediverse::actor_by_key(self.conn, key_id).map_err(ApiError::from)
    }

    fn fedi_actor(&self, id: &str) -> ApiResult<Option<(RemoteActor, Timestamp)>> {
        fediverse::actor_by_id(self.conn, id).map_err(ApiError::from)
    }

    fn fedi_store_actor(&self, a: &RemoteActor, now: Timestamp) -> ApiResult<()> {
        fediverse::store_actor(self.conn, a, now).map_err(ApiError::from)
    }

    fn fedi_first_sight(
        &self,
        id: &str,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> ApiResult<bool> {
        fedi_queue::first_sight(self.conn, id, now, forget_before).map_err(ApiError::from)
    }

    fn fedi_follow(&self, site: &str, f: &Follower, now: Timestamp) -> ApiResult<()> {
        fediverse::follow(self.conn, site, f, now).map_err(ApiError::from)
    }

    fn fedi_unfollow(&self, site: &str, actor: &str) -> ApiResult<bool> {
        fediverse::unfollow(self.conn, site, actor).map_err(ApiError::from)
    }

    fn fedi_followers(&self, site: &str) -> ApiResult<Vec<Follower>> {
        fediverse::followers(self.conn, site).map_err(ApiError::from)
    }

    fn fedi_follower_count(&self, site: &str) -> ApiResult<i64> {
        fediverse::follower_count(self.conn, site).map_err(ApiError::from)
    }

    fn fedi_announce(&self, p: &NewPost, now: Timestamp) -> ApiResult<(Post, bool)> {
        fediverse::announce(self.conn, p, now).map_err(ApiError::from)
    }

    fn fedi_post(&self, site: &str, id: i64) -> ApiResult<Option<Post>> {
        fediverse::find_post(self.conn, site, id).map_err(ApiError::from)
    }

    fn fedi_posts(&self, site: &str, limit: i64) -> ApiResult<(Vec<Post>, i64)> {
        fediverse::posts(self.conn, site, limit).map_err(ApiError::from)
    }

    fn fedi_note(&self, note_id: &str) -> ApiResult<Option<NoteLink>> {
        fediverse::note(self.conn, note_id).map_err(ApiError::from)
    }

    fn fedi_note_of(&self, comment_id: i64) -> ApiResult<Option<NoteLink>> {
        fediverse::note_of(self.conn, comment_id).map_err(ApiError::from)
    }

    fn fedi_link_note(&self, l: &NoteLink, now: Timestamp) -> ApiResult<()> {
        fediverse::link_note(self.conn, l, now).map_err(ApiError::from)
    }

    fn fedi_actor_trusted(&self, site: &str, actor: &str) -> ApiResult<bool> {
        fediverse::actor_trusted(self.conn, site, actor).map_err(ApiError::from)
    }

    fn fedi_react(&self, r: &NewReaction, now: Timestamp) -> ApiResult<()> {
        fediverse::react(self.conn, r, now).map_err(ApiError::from)
    }

    fn fedi_unreact(&self, actor: &str, activity_id: &str) -> ApiResult<bool> {
        fediverse::unreact(self.conn, actor, activity_id).map_err(ApiError::from)
    }

    fn fedi_actor_comments(&self, site: &str, actor: &str) -> ApiResult<Vec<Comment>> {
        fediverse::actor_comments(self.conn, site, actor).map_err(ApiError::from)
    }

    fn fedi_actors_at(&self, url: &str) -> ApiResult<Vec<String>> {
        fediverse::actors_at(self.conn, url).map_err(ApiError::from)
    }

    fn fedi_forget_actor(&self, site: &str, actor: &str) -> ApiResult<()> {
        fediverse::forget_actor(self.conn, site, actor).map_err(ApiError::from)
    }

    fn fedi_published(&self, comment_id: i64) -> ApiResult<Option<Vec<String>>> {
        fedi_queue::published(self.conn, comment_id).map_err(ApiError::from)
    }

    fn fedi_set_published(
        &self,
        comment_id: i64,
        site: &str,
        inboxes: &[String],
        now: Timestamp,
    ) -> ApiResult<()> {
        fedi_queue::set_published(self.conn, comment_id, site, inboxes, now).map_err(ApiError::from)
    }

    fn fedi_push(&self, site: &str, inbox: &str, body: &str, now: Timestamp) -> ApiResult<()> {
        fedi_queue::push(self.conn, site, inbox, body, now).map_err(ApiError::from)
    }

    fn fedi_due(&self, now: Timestamp) -> ApiResult<bool> {
        fedi_queue::due(self.conn, now).map_err(ApiError::from)
    }

    fn fedi_claim(&self, owner: &str, now: Timestamp) -> ApiResult<Option<Delivery>> {
        fedi_queue::claim(self.conn, owner, now).map_err(ApiError::from)
    }

    fn fedi_finish(
        &self,
        id: i64,
        owner: &str,
        outcome: Result<(), (&str, Option<Timestamp>)>,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> ApiResult<bool> {
        fedi_queue::finish(self.conn, id, owner, outcome, now, forget_before)
            .map_err(ApiError::from)
    }
}
