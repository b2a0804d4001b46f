//! Sign-in's part of the boundary: identities, passkeys, sessions and ceremonies under way.
//! A supertrait of [`super::Tx`]; SQLite's statements are in `signin.rs`, PostgreSQL's in
//! `pg/signin.rs`.

use crate::domain::comment::Comment;
use crate::domain::signin::{AuthState, Identity, Session};
use crate::domain::Timestamp;
use crate::error::ApiResult;

/// Sign-in's operations (see the module).
pub trait SignInTx {
    /// Stores a ceremony's state (and forgets the expired ones).
    fn auth_put_state(&self, s: &AuthState, now: Timestamp) -> ApiResult<()>;

    /// Takes a ceremony's state out: the one use it has. `None` if unknown, used or expired.
    fn auth_take_state(&self, id_hash: &str, now: Timestamp) -> ApiResult<Option<AuthState>>;

    /// The identity a provider knows as `subject` on `site`, made now if new; a changed
    /// `name` is kept.
    fn identity_upsert(
        &self,
        site: &str,
        provider: &str,
        subject: &str,
        name: &str,
        now: Timestamp,
    ) -> ApiResult<Identity>;

    /// An identity by id.
    fn identity(&self, id: i64) -> ApiResult<Option<Identity>>;

    /// The identities with these ids (those that exist), in one statement.
    fn identities(&self, ids: &[i64]) -> ApiResult<Vec<Identity>>;

    /// Stores a passkey of an identity.
    fn passkey_add(
        &self,
        identity_id: i64,
        credential_id: &str,
        passkey: &str,
        now: Timestamp,
    ) -> ApiResult<()>;

    /// A passkey by credential id: its identity and stored form.
    fn passkey_find(&self, credential_id: &str) -> ApiResult<Option<(i64, String)>>;

    /// Keeps a passkey's new stored form (its counter) after a sign-in.
    fn passkey_used(&self, credential_id: &str, passkey: &str, now: Timestamp) -> ApiResult<()>;

    /// Opens a session; its id.
    fn session_open(
        &self,
        identity_id: i64,
        site: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> ApiResult<i64>;

    /// A session that is neither revoked nor expired, with its identity.
    fn session_live(&self, id: i64, now: Timestamp) -> ApiResult<Option<(Session, Identity)>>;

    /// Notes that a session was used to write.
    fn session_touch(&self, id: i64, now: Timestamp) -> ApiResult<()>;

    /// Revokes a live session; whether there was one.
    fn session_revoke(&self, id: i64, now: Timestamp) -> ApiResult<bool>;

    /// Live sessions, newest first, of one site or all.
    fn sessions(&self, site: Option<&str>, now: Timestamp) -> ApiResult<Vec<(Session, Identity)>>;

    /// An identity's live sessions.
    fn identity_sessions(&self, identity_id: i64, now: Timestamp) -> ApiResult<Vec<Session>>;

    /// Every comment an identity wrote (any status but deleted), newest first.
    fn identity_comments(&self, identity_id: i64) -> ApiResult<Vec<Comment>>;

    /// Whether an identity has an approved comment on `site` (`first` moderation's trust).
    fn identity_trusted(&self, site: &str, identity_id: i64) -> ApiResult<bool>;

    /// Deletes an identity's comments (tombstones where they have replies), passkeys,
    /// sessions and the identity; the comments as they were.
    fn identity_erase(&self, identity_id: i64) -> ApiResult<Vec<Comment>>;
}
