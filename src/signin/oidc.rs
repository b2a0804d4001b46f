//! OpenID Connect: any provider in the config, found by discovery from its issuer; the
//! authorization-code flow with PKCE, `state` and `nonce`; the ID token's signature,
//! issuer, audience, expiry and nonce checked by openidconnect. Every request goes through
//! the safe fetcher (its address rules, deadline and size cap).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::config::{OidcProvider, Settings};
use crate::fetch::{FetchError, Fetcher};

/// How long a provider's discovery document (and keys) is kept before it is read again.
const DISCOVERY_TTL: Duration = Duration::from_secs(600);

/// A provider's client as discovery describes it, with Natter's redirect URI.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The configured providers and what discovery found of them.
pub struct Providers {
    configs: HashMap<String, OidcProvider>,
    public_url: String,
    fetcher: Fetcher,
    found: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
}

/// What a redirect to the provider needs to be finished: kept with the ceremony's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The provider's name.
    pub provider: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The ID token's `sub`.
    pub subject: String,
    /// `name`, else `preferred_username`, else the subject.
    pub name: String,
}

/// Why a flow failed, in words a commenter (or the site's owner) can act on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl Providers {
    /// The providers of the settings; nothing is fetched until a sign-in starts.
    pub fn new(settings: &Settings, fetcher: Fetcher) -> Providers {
        Providers {
            configs: settings.oidc.clone().into_iter().collect(),
            public_url: settings.public_url.trim_end_matches('/').to_string(),
            fetcher,
            found: Mutex::new(HashMap::new()),
        }
    }

    /// The redirect URI to register with provider `name`.
    pub fn redirect_uri(&self, name: &str) -> String {
        format!("{}/auth/oidc/{name}/callback", self.public_url)
    }

    /// A provider's button text.
    pub fn label(&self, name: &str) -> Option<String> {
        let c = self.configs.get(name)?;
        Some(if c.label.trim().is_empty() {
            name.to_string()
        } else {
            c.label.clone()
        })
    }

    /// Sends one of openidconnect's requests through the fetcher.
    async fn send(
        fetcher: Fetcher,
        req: openidconnect::HttpRequest,
    ) -> Result<openidconnect::HttpResponse, FetchError> {
        let url = req.uri().to_string();
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let fetched = if req.method() == http::Method::POST {
            let headers: Vec<(&str, String)> = req
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?.to_string())))
                .collect();
            fetcher.post(&url, &headers, req.body().clone()).await?
        } else {
            let accept = header("accept").unwrap_or_else(|| "application/json".into());
            fetcher.get(&url, &accept).await?
        };
        let mut answer = http::Response::builder().status(fetched.status);
        if let Some(ct) = &fetched.content_type {
            answer = answer.header(http::header::CONTENT_TYPE, ct);
        }
        answer
            .body(fetched.body)
            .map_err(|e| FetchError::Network(e.to_string()))
    }

    /// The provider's discovery document, from memory when fresh.
    async fn metadata(&self, name: &str, fresh: bool) -> Result<CoreProviderMetadata, Refused> {
        if !fresh {
            if let Some((at, m)) = self.found.lock().map_err(poisoned)?.get(name) {
                if at.elapsed() < DISCOVERY_TTL {
                    return Ok(m.clone());
                }
            }
        }
        let config = self.config(name)?;
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| Refused(format!("the issuer URL is not usable: {e}")))?;
        let fetcher = self.fetcher.clone();
        let http = move |req| Self::send(fetcher.clone(), req);
        let m = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| {
                Refused(format!(
                    "the provider could not be reached or described: {e}"
                ))
            })?;
        self.found
            .lock()
            .map_err(poisoned)?
            .insert(name.to_string(), (Instant::now(), m.clone()));
        Ok(m)
    }

    fn config(&self, name: &str) -> Result<&OidcProvider, Refused> {
        self.configs
            .get(name)
            .ok_or_else(|| Refused(format!("no OpenID Connect provider is called {name:?}")))
    }

    /// The client of provider `name`, from its discovery document (read again when `fresh`).
    async fn client(&self, name: &str, fresh: bool) -> Result<Client, Refused> {
        let config = self.config(name)?;
        let meta = self.metadata(name, fresh).await?;
        Ok(CoreClient::from_provider_metadata(
            meta,
            ClientId::new(config.client_id.clone()),
            Some(ClientSecret::new(config.client_secret.clone())),
        )
        .set_redirect_uri(redirect(&self.redirect_uri(name))?))
    }

    /// Where to send the browser, and what the callback will need.
    pub async fn start(&self, name: &str) -> Result<(String, String, Pending), Refused> {
        let client = self.client(name, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = Pending {
            provider: name.to_string(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        };
        Ok((url.to_string(), state.secret().clone(), pending))
    }

    /// Exchanges the code and checks the ID token; who signed in.
    pub async fn finish(&self, pending: &Pending, code: &str) -> Result<Person, Refused> {
        let name = pending.provider.as_str();
        let client = self.client(name, false).await?;
        let fetcher = self.fetcher.clone();
        let http = move |req| Self::send(fetcher.clone(), req);
        let answer = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| Refused(format!("the provider has no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&http)
            .await
            .map_err(|e| {
                Refused(format!(
                    "the provider refused the code: {}",
                    token_error(&e)
                ))
            })?;
        let token = answer
            .id_token()
            .ok_or_else(|| Refused("the provider sent no ID token".into()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = match token.claims(&client.id_token_verifier(), &nonce) {
            Ok(c) => c.clone(),
            // Signed with a key not among those read: the provider may have rotated its
            // keys since (OpenID Connect Core 10.1.1). Read them again, once.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                let fresh = self.client(name, true).await?;
                let verifier = fresh.id_token_verifier();
                let claims = token
                    .claims(&verifier, &nonce)
                    .map_err(|e| Refused(format!("the ID token was refused: {e}")))?
                    .clone();
                claims
            }
            Err(e) => return Err(Refused(format!("the ID token was refused: {e}"))),
        };
        let subject = claims.subject().as_str().to_string();
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string())
            .or_else(|| claims.preferred_username().map(|u| u.as_str().to_string()))
            .and_then(|n| crate::domain::signin::clean_name(&n))
            .unwrap_or_else(|| crate::domain::one_line(&subject, crate::domain::signin::MAX_NAME));
        Ok(Person { subject, name })
    }
}

fn redirect(uri: &str) -> Result<RedirectUrl, Refused> {
    RedirectUrl::new(uri.to_string()).map_err(|e| Refused(format!("bad redirect URI: {e}")))
}

fn poisoned<T>(_: T) -> Refused {
    Refused("the provider cache is unusable".into())
}

/// A token request's failure, without the body the provider sent beyond its error code.
fn token_error<RE: std::error::Error + 'static, T: openidconnect::ErrorResponse + 'static>(
    e: &openidconnect::RequestTokenError<RE, T>,
) -> String {
    match e {
        openidconnect::RequestTokenError::ServerResponse(r) => r.to_string(),
        openidconnect::RequestTokenError::Request(r) => r.to_string(),
        openidconnect::RequestTokenError::Parse(p, _) => format!("unreadable answer ({p})"),
        openidconnect::RequestTokenError::Other(o) => o.clone(),
    }
}
