//! [`SignInTx`] on PostgreSQL: the statements of `store/pg/signin.rs`.

use super::{Conn, PgTx};
use crate::domain::comment::Comment;
use crate::domain::signin::{AuthState, Identity, Session};
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::store::pg::signin;
use crate::store::SignInTx;

impl SignInTx for PgTx<'_, '_> {
    fn auth_put_state(&self, s: &AuthState, now: Timestamp) -> ApiResult<()> {
        on!(self, signin::put_state, s, now)
    }

    fn auth_take_state(&self, id_hash: &str, now: Timestamp) -> ApiResult<Option<AuthState>> {
        on!(self, signin::take_state, id_hash, now)
    }

    fn identity_upsert(
        &self,
        site: &str,
        provider: &str,
        subject: &str,
        name: &str,
        now: Timestamp,
    ) -> ApiResult<Identity> {
        on!(
            self,
            signin::upsert_identity,
            site,
            provider,
            subject,
            name,
            now
        )
    }

    fn identity(&self, id: i64) -> ApiResult<Option<Identity>> {
        on!(self, signin::identity, id)
    }

    fn identities(&self, ids: &[i64]) -> ApiResult<Vec<Identity>> {
        on!(self, signin::identities, ids)
    }

    fn passkey_add(
        &self,
        identity_id: i64,
        credential_id: &str,
        passkey: &str,
        now: Timestamp,
    ) -> ApiResult<()> {
        on!(
            self,
            signin::add_passkey,
            identity_id,
            credential_id,
            passkey,
            now
        )
    }

    fn passkey_find(&self, credential_id: &str) -> ApiResult<Option<(i64, String)>> {
        on!(self, signin::find_passkey, credential_id)
    }

    fn passkey_used(&self, credential_id: &str, passkey: &str, now: Timestamp) -> ApiResult<()> {
        on!(self, signin::passkey_used, credential_id, passkey, now)
    }

    fn session_open(
        &self,
        identity_id: i64,
        site: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> ApiResult<i64> {
        on!(self, signin::open_session, identity_id, site, now, expires)
    }

    fn session_live(&self, id: i64, now: Timestamp) -> ApiResult<Option<(Session, Identity)>> {
        on!(self, signin::live_session, id, now)
    }

    fn session_touch(&self, id: i64, now: Timestamp) -> ApiResult<()> {
        on!(self, signin::touch_session, id, now)
    }

    fn session_revoke(&self, id: i64, now: Timestamp) -> ApiResult<bool> {
        on!(self, signin::revoke_session, id, now)
    }

    fn sessions(&self, site: Option<&str>, now: Timestamp) -> ApiResult<Vec<(Session, Identity)>> {
        on!(self, signin::sessions, site, now)
    }

    fn identity_sessions(&self, identity_id: i64, now: Timestamp) -> ApiResult<Vec<Session>> {
        on!(self, signin::identity_sessions, identity_id, now)
    }

    fn identity_comments(&self, identity_id: i64) -> ApiResult<Vec<Comment>> {
        on!(self, signin::identity_comments, identity_id)
    }

    fn identity_trusted(&self, site: &str, identity_id: i64) -> ApiResult<bool> {
        on!(self, signin::identity_trusted, site, identity_id)
    }

    fn identity_erase(&self, identity_id: i64) -> ApiResult<Vec<Comment>> {
        on!(self, signin::erase_identity, identity_id)
    }
}
