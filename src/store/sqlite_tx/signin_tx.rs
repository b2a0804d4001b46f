//! [`SignInTx`] on SQLite: the statements of `store/signin.rs`.

use super::SqliteTx;
use crate::domain::comment::Comment;
use crate::domain::signin::{AuthState, Identity, Session};
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult};
use crate::store::{signin, SignInTx};

impl SignInTx for SqliteTx<'_> {
    fn auth_put_state(&self, s: &AuthState, now: Timestamp) -> ApiResult<()> {
        signin::put_state(self.conn, s, now).map_err(ApiError::from)
    }

    fn auth_take_state(&self, id_hash: &str, now: Timestamp) -> ApiResult<Option<AuthState>> {
        signin::take_state(self.conn, id_hash, now).map_err(ApiError::from)
    }

    fn identity_upsert(
        &self,
        site: &str,
        provider: &str,
        subject: &str,
        name: &str,
        now: Timestamp,
    ) -> ApiResult<Identity> {
        signin::upsert_identity(self.conn, site, provider, subject, name, now)
            .map_err(ApiError::from)
    }

    fn identity(&self, id: i64) -> ApiResult<Option<Identity>> {
        signin::identity(self.conn, id).map_err(ApiError::from)
    }

    fn identities(&self, ids: &[i64]) -> ApiResult<Vec<Identity>> {
        signin::identities(self.conn, ids).map_err(ApiError::from)
    }

    fn passkey_add(
        &self,
        identity_id: i64,
        credential_id: &str,
        passkey: &str,
        now: Timestamp,
    ) -> ApiResult<()> {
        signin::add_passkey(self.conn, identity_id, credential_id, passkey, now)
            .map_err(ApiError::from)
    }

    fn passkey_find(&self, credential_id: &str) -> ApiResult<Option<(i64, String)>> {
        signin::find_passkey(self.conn, credential_id).map_err(ApiError::from)
    }

    fn passkey_used(&self, credential_id: &str, passkey: &str, now: Timestamp) -> ApiResult<()> {
        signin::passkey_used(self.conn, credential_id, passkey, now).map_err(ApiError::from)
    }

    fn session_open(
        &self,
        identity_id: i64,
        site: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> ApiResult<i64> {
        signin::open_session(self.conn, identity_id, site, now, expires).map_err(ApiError::from)
    }

    fn session_live(&self, id: i64, now: Timestamp) -> ApiResult<Option<(Session, Identity)>> {
        signin::live_session(self.conn, id, now).map_err(ApiError::from)
    }

    fn session_touch(&self, id: i64, now: Timestamp) -> ApiResult<()> {
        signin::touch_session(self.conn, id, now).map_err(ApiError::from)
    }

    fn session_revoke(&self, id: i64, now: Timestamp) -> ApiResult<bool> {
        signin::revoke_session(self.conn, id, now).map_err(ApiError::from)
    }

    fn sessions(&self, site: Option<&str>, now: Timestamp) -> ApiResult<Vec<(Session, Identity)>> {
        signin::sessions(self.conn, site, now).map_err(ApiError::from)
    }

    fn identity_sessions(&self, identity_id: i64, now: Timestamp) -> ApiResult<Vec<Session>> {
        signin::identity_sessions(self.conn, identity_id, now).map_err(ApiError::from)
    }

    fn identity_comments(&self, identity_id: i64) -> ApiResult<Vec<Comment>> {
        signin::identity_comments(self.conn, identity_id).map_err(ApiError::from)
    }

    fn identity_trusted(&self, site: &str, identity_id: i64) -> ApiResult<bool> {
        signin::identity_trusted(self.conn, site, identity_id).map_err(ApiError::from)
    }

    fn identity_erase(&self, identity_id: i64) -> ApiResult<Vec<Comment>> {
        signin::erase_identity(self.conn, identity_id).map_err(ApiError::from)
    }
}
