//! Sign-in's protocols: passkeys (WebAuthn, by webauthn-rs) and OpenID Connect (by
//! openidconnect, its requests through the safe fetcher). What they prove becomes an
//! identity and a session in `actions/signin.rs`; the routes are in `routes/signin.rs`.
//!
//! Everything a ceremony needs to finish is stored in the database (`auth_states`), so any
//! node can finish what another started. The one thing kept in memory is each provider's
//! discovery document (and keys), for ten minutes, per node.

pub mod oidc;
pub mod passkey;

use crate::config::Settings;

/// The protocols as this server runs them.
pub struct SignIn {
    /// WebAuthn with Natter's own origin as the relying party; `None` when `public_url`
    /// can't be one (its host is an IP address).
    pub passkeys: Option<passkey::Passkeys>,
    /// The OpenID Connect providers.
    pub oidc: oidc::Providers,
}

impl SignIn {
    /// Sets up both from the settings (nothing is fetched yet).
    pub fn new(settings: &Settings, fetcher: crate::fetch::Fetcher) -> SignIn {
        SignIn {
            passkeys: passkey::Passkeys::new(&settings.public_url),
            oidc: oidc::Providers::new(settings, fetcher),
        }
    }
}
