//! [`FediTx`] on PostgreSQL: the statements of `store/pg/fediverse.rs` and
//! `store/pg/fedi_queue.rs`.

use super::{Conn, PgTx};
use crate::domain::comment::Comment;
use crate::domain::fediverse::{
    Delivery, Follower, NewPost, NewReaction, NoteLink, Post, RemoteActor,
};
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::pg::{fedi_queue, fediverse};
use crate::store::FediTx;

impl FediTx for PgTx<'_, '_> {
    fn fedi_actor_by_key(&self, key_id: &str) -> ApiResult<Option<(RemoteActor, Timestamp)>> {
        on!(self, fediverse::actor_by_key, key_id)
    }

    fn fedi_actor(&self, id: &str) -> ApiResult<Option<(RemoteActor, Timestamp)>> {
        on!(self, fediverse::actor_by_id, id)
    }

    fn fedi_store_actor(&self, a: &RemoteActor, now: Timestamp) -> ApiResult<()> {
        on!(self, fediverse::store_actor, a, now)
    }

    fn fedi_first_sight(
        &self,
        id: &str,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> ApiResult<bool> {
        on!(self, fedi_queue::first_sight, id, now, forget_before)
    }

    fn fedi_follow(&self, site: &str, f: &Follower, now: Timestamp) -> ApiResult<()> {
        on!(self, fediverse::follow, site, f, now)
    }

    fn fedi_unfollow(&self, site: &str, actor: &str) -> ApiResult<bool> {
        on!(self, fediverse::unfollow, site, actor)
    }

    fn fedi_followers(&self, site: &str) -> ApiResult<Vec<Follower>> {
        on!(self, fediverse::followers, site)
    }

    fn fedi_follower_count(&self, site: &str) -> ApiResult<i64> {
        on!(self, fediverse::follower_count, site)
    }

    fn fedi_announce(&self, p: &NewPost, now: Timestamp) -> ApiResult<(Post, bool)> {
        on!(self, fediverse::announce, p, now)
    }

    fn fedi_post(&self, site: &str, id: i64) -> ApiResult<Option<Post>> {
        on!(self, fediverse::find_post, site, id)
    }

    fn fedi_posts(&self, site: &str, limit: i64) -> ApiResult<(Vec<Post>, i64)> {
        on!(self, fediverse::posts, site, limit)
    }

    fn fedi_note(&self, note_id: &str) -> ApiResult<Option<NoteLink>> {
        on!(self, fediverse::note, note_id)
    }

    fn fedi_note_of(&self, comment_id: i64) -> ApiResult<Option<NoteLink>> {
        on!(self, fediverse::note_of, comment_id)
    }

    fn fedi_link_note(&self, l: &NoteLink, now: Timestamp) -> ApiResult<()> {
        on!(self, fediverse::link_note, l, now)
    }

    fn fedi_actor_trusted(&self, site: &str, actor: &str) -> ApiResult<bool> {
        on!(self, fediverse::actor_trusted, site, actor)
    }

    fn fedi_react(&self, r: &NewReaction, now: Timestamp) -> ApiResult<()> {
        on!(self, fediverse::react, r, now)
    }

    fn fedi_unreact(&self, actor: &str, activity_id: &str) -> ApiResult<bool> {
        on!(self, fediverse::unreact, actor, activity_id)
    }

    fn fedi_actor_comments(&self, site: &str, actor: &str) -> ApiResult<Vec<Comment>> {
        on!(self, fediverse::actor_comments, site, actor)
    }

    fn fedi_actors_at(&self, url: &str) -> ApiResult<Vec<String>> {
        on!(self, fediverse::actors_at, url)
    }

    fn fedi_forget_actor(&self, site: &str, actor: &str) -> ApiResult<()> {
        on!(self, fediverse::forget_actor, site, actor)
    }

    fn fedi_published(&self, comment_id: i64) -> ApiResult<Option<Vec<String>>> {
        on!(self, fedi_queue::published, comment_id)
    }

    fn fedi_set_published(
        &self,
        comment_id: i64,
        site: &str,
        inboxes: &[String],
        now: Timestamp,
    ) -> ApiResult<()> {
        on!(
            self,
            fedi_queue::set_published,
            comment_id,
            site,
            inboxes,
            now
        )
    }

    fn fedi_push(&self, site: &str, inbox: &str, body: &str, now: Timestamp) -> ApiResult<()> {
        on!(self, fedi_queue::push, site, inbox, body, now)
    }

    fn fedi_due(&self, now: Timestamp) -> ApiResult<bool> {
        on!(self, fedi_queue::due, now)
    }

    fn fedi_claim(&self, owner: &str, now: Timestamp) -> ApiResult<Option<Delivery>> {
        on!(self, fedi_queue::claim, owner, now)
    }

    fn fedi_finish(
        &self,
        id: i64,
        owner: &str,
        outcome: Result<(), (&str, Option<Timestamp>)>,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> ApiResult<bool> {
        on!(
            self,
            fedi_queue::finish,
            id,
            owner,
            outcome,
            now,
            forget_before
        )
    }
}
