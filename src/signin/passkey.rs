//! Passkeys: discoverable WebAuthn credentials bound to Natter's own origin. Registration
//! makes a new identity (a random user handle) with the name the commenter chose; signing
//! in asks for any passkey of this origin and learns the identity from the credential.

use serde_json::Value;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// The relying party.
pub struct Passkeys {
    webauthn: Webauthn,
}

/// Why a ceremony failed, in words a commenter can act on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refused(what: &str) -> impl Fn(webauthn_rs::prelude::WebauthnError) -> Refused + '_ {
    move |e| Refused(format!("{what}: {e}"))
}

impl Passkeys {
    /// The relying party for `public_url` (its host is the RP ID, its origin the only one
    /// accepted); `None` when WebAuthn can't use it (an IP address).
    pub fn new(public_url: &str) -> Option<Passkeys> {
        let origin = Url::parse(public_url).ok()?;
        let host = origin.host_str()?.to_string();
        if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
            tracing::warn!("passkeys need public_url to name a host, not an address");
            return None;
        }
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .ok()?
            .rp_name("Natter")
            .build()
            .inspect_err(|e| tracing::error!(error = %e, "passkeys are off"))
            .ok()?;
        Some(Passkeys { webauthn })
    }

    /// Starts a registration for a new identity named `name`: the options for the browser
    /// (asking for a discoverable credential), the state to keep, and the user handle.
    pub fn start_register(&self, name: &str) -> Result<(Value, String, String), Refused> {
        let handle = Uuid::new_v4();
        let (options, state) = self
            .webauthn
            .start_passkey_registration(handle, name, name, None)
            .map_err(refused("the passkey could not be started"))?;
        let mut options = serde_json::to_value(options).map_err(|e| Refused(e.to_string()))?;
        // A passkey that the browser can offer without a user name: a resident key.
        if let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection") {
            sel["residentKey"] = "required".into();
            sel["requireResidentKey"] = true.into();
        }
        let state = serde_json::to_string(&state).map_err(|e| Refused(e.to_string()))?;
        Ok((options, state, handle.to_string()))
    }

    /// Checks the browser's answer to a registration: the credential id and the passkey's
    /// stored form.
    pub fn finish_register(
        &self,
        answer: &Value,
        state: &str,
    ) -> Result<(String, String), Refused> {
        let state: PasskeyRegistration =
            serde_json::from_str(state).map_err(|e| Refused(e.to_string()))?;
        let answer: RegisterPublicKeyCredential = serde_json::from_value(answer.clone())
            .map_err(|e| Refused(format!("the browser's answer is not a credential: {e}")))?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(refused("the passkey was refused"))?;
        let id = credential_id(passkey.cred_id());
        let stored = serde_json::to_string(&passkey).map_err(|e| Refused(e.to_string()))?;
        Ok((id, stored))
    }

    /// Starts a sign-in with any passkey of this origin: the options and the state.
    pub fn start_login(&self) -> Result<(Value, String), Refused> {
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(refused("the sign-in could not be started"))?;
        let mut options = serde_json::to_value(options).map_err(|e| Refused(e.to_string()))?;
        // A modal prompt, not the autofill ("conditional") one webauthn-rs asks for.
        if let Some(o) = options.as_object_mut() {
            o.remove("mediation");
        }
        let state = serde_json::to_string(&state).map_err(|e| Refused(e.to_string()))?;
        Ok((options, state))
    }

    /// The credential id a sign-in answer names, to find its passkey.
    pub fn answer_credential(
        &self,
        answer: &Value,
    ) -> Result<(PublicKeyCredential, String), Refused> {
        let answer: PublicKeyCredential = serde_json::from_value(answer.clone())
            .map_err(|e| Refused(format!("the browser's answer is not an assertion: {e}")))?;
        let (_, id) = self
            .webauthn
            .identify_discoverable_authentication(&answer)
            .map_err(refused("the passkey is not known"))?;
        let id = credential_id(id);
        Ok((answer, id))
    }

    /// Checks a sign-in answer against the state and the stored passkey; the passkey's new
    /// stored form (its counter moved on).
    pub fn finish_login(
        &self,
        answer: &PublicKeyCredential,
        state: &str,
        stored: &str,
    ) -> Result<String, Refused> {
        let state: DiscoverableAuthentication =
            serde_json::from_str(state).map_err(|e| Refused(e.to_string()))?;
        let mut passkey: Passkey =
            serde_json::from_str(stored).map_err(|e| Refused(e.to_string()))?;
        let key = DiscoverableKey::from(&passkey);
        #[allow(deprecated)]
        let result = self
            .webauthn
            .finish_discoverable_authentication(answer, state, &[key])
            .map_err(refused("the passkey's signature was refused"))?;
        passkey.update_credential(&result);
        serde_json::to_string(&passkey).map_err(|e| Refused(e.to_string()))
    }
}

/// A credential id as stored: base64url without padding.
fn credential_id(raw: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}
