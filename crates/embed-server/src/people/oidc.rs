//! Signing in with an OpenID Connect provider (Keycloak, or any other found
//! by discovery): the authorization code flow with PKCE, a `state` used once
//! and a nonce, done by the `openidconnect` crate, which checks the ID token's
//! signature against the provider's published keys, its `iss`, `aud`, `exp`
//! and nonce. Everything read from the provider is bounded in bytes and time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use openidconnect::core::{CoreClient, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope,
};
use tokio::sync::Mutex;

use crate::people::claims::{ClaimPath, ClaimedMembership};

/// How the server reaches its identity provider, from `sitekit serve`'s flags.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The provider's issuer; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The ID token claim that names the person's organisations, if the
    /// provider puts one in (`--oidc-organisations-claim`).
    pub organisations_claim: Option<ClaimPath>,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's stable id for the person (never the username, which
    /// people can change).
    pub subject: String,
    pub email: String,
    /// Whether the provider vouches for `email` (`email_verified`).
    pub email_verified: bool,
    pub name: String,
    /// The organisations the token's claim names, when the server reads one
    /// (the provider's say on these memberships); None when it reads none.
    pub organisations: Option<Vec<ClaimedMembership>>,
}

/// A sign-in to send the person off with.
#[derive(Debug)]
pub struct Authorization {
    /// The provider's page to redirect to.
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered nonsense.
    #[error("the identity provider could not be reached or read: {0}")]
    Unreachable(String),
    /// What came back does not prove who signed in.
    #[error("{0}")]
    Rejected(String),
}

/// Provider metadata (and its keys) is read again after this long, so a
/// provider's key rotation is picked up.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// Bounds on every exchange with the provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
const PROVIDER_MAX_BYTES: usize = 256 * 1024;

pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect: RedirectUrl,
    organisations_claim: Option<ClaimPath>,
    http: BoundedHttp,
    discovered: Mutex<Option<(Instant, Arc<ProviderMetadataWithLogout>)>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the client secret.
        f.debug_struct("Oidc")
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id.as_str())
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// A client of `config`'s provider whose sign-ins come back to `callback`.
    pub fn new(config: &OidcConfig, callback: &str) -> Result<Oidc, String> {
        let issuer = IssuerUrl::new(config.issuer.trim_end_matches('/').to_owned())
            .map_err(|error| format!("--oidc-issuer is not a URL: {error}"))?;
        let redirect = RedirectUrl::new(callback.to_owned())
            .map_err(|error| format!("the sign-in callback {callback} is not a URL: {error}"))?;
        if config.client_id.is_empty() || config.client_secret.is_empty() {
            return Err("--oidc-client-id and --oidc-client-secret are both needed".into());
        }
        Ok(Oidc {
            issuer,
            client_id: ClientId::new(config.client_id.clone()),
            client_secret: ClientSecret::new(config.client_secret.clone()),
            redirect,
            organisations_claim: config.organisations_claim.clone(),
            http: BoundedHttp::new(),
            discovered: Mutex::new(None),
        })
    }

    /// The provider's metadata and keys, read by discovery at most once an hour.
    async fn metadata(&self) -> Result<Arc<ProviderMetadataWithLogout>, OidcError> {
        let mut discovered = self.discovered.lock().await;
        if let Some((at, metadata)) = discovered.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|error| OidcError::Unreachable(error_chain(&error)))?;
        let metadata = Arc::new(metadata);
        *discovered = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: &ProviderMetadataWithLogout,
    ) -> openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            metadata.clone(),
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// A new sign-in: the provider's URL with a fresh state, nonce and PKCE
    /// challenge, asking for the `openid email profile` scopes.
    pub async fn authorize(&self) -> Result<Authorization, OidcError> {
        let metadata = self.metadata().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client(&metadata)
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Trades the code the provider sent back for its tokens and returns who
    /// the verified ID token names.
    pub async fn finish(
        &self,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Identity, OidcError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| OidcError::Unreachable(error.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                RequestTokenError::Request(_) => OidcError::Unreachable(error_chain(&error)),
                _ => OidcError::Rejected(format!(
                    "the identity provider refused the sign-in: {}",
                    error_chain(&error)
                )),
            })?;
        let id_token = openidconnect::TokenResponse::id_token(&tokens)
            .ok_or_else(|| OidcError::Rejected("the identity provider sent no ID token".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned()))
            .map_err(|error| {
                OidcError::Rejected(format!("the ID token does not verify: {error}"))
            })?;
        let subject = claims.subject().as_str().to_owned();
        let email = claims
            .email()
            .map(|email| email.as_str().to_owned())
            .unwrap_or_default();
        let name = claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_owned())
            .unwrap_or_else(|| email.clone());
        let organisations = match &self.organisations_claim {
            Some(path) => Some(
                path.memberships(&verified_payload(&id_token.to_string())?)
                    .map_err(OidcError::Rejected)?,
            ),
            None => None,
        };
        Ok(Identity {
            subject,
            email,
            email_verified: claims.email_verified() == Some(true),
            name,
            organisations,
        })
    }

    /// The provider's end-session page, which signs the person out there too
    /// and sends them back to `after`; none when the provider has no such page.
    pub async fn end_session_url(&self, after: &str) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut request = LogoutRequest::from(endpoint).set_client_id(self.client_id.clone());
        if let Ok(after) = PostLogoutRedirectUrl::new(after.to_owned()) {
            request = request.set_post_logout_redirect_uri(after);
        }
        Some(request.http_get_url().to_string())
    }
}

/// The claims of an ID token the `openidconnect` crate has verified, as JSON:
/// its payload, which the crate's typed claims do not expose for claims of the
/// provider's own making.
fn verified_payload(id_token: &str) -> Result<serde_json::Value, OidcError> {
    use base64::Engine;
    let payload = id_token.split('.').nth(1).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or_else(|| OidcError::Rejected("the ID token's claims are not JSON".into()))
}

/// Every cause of an error, for a message that says what went wrong.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The HTTP client the `openidconnect` crate calls the provider with: no
/// redirects followed, a timeout, and at most [`PROVIDER_MAX_BYTES`] read.
struct BoundedHttp {
    client: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
enum HttpError {
    #[error("{0}")]
    Request(#[from] reqwest::Error),
    #[error("the answer is larger than {PROVIDER_MAX_BYTES} bytes")]
    TooLarge,
    #[error("{0}")]
    Http(#[from] openidconnect::http::Error),
}

impl BoundedHttp {
    fn new() -> BoundedHttp {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .expect("a client with a timeout and no redirects builds");
        BoundedHttp { client }
    }

    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let response = self.client.execute(request).await?;
        let mut answer = openidconnect::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let mut body = Vec::new();
        let mut chunks = response.bytes_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > PROVIDER_MAX_BYTES {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(answer.body(body)?)
    }
}

impl<'c> openidconnect::AsyncHttpClient<'c> for BoundedHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(BoundedHttp::call(self, request))
    }
}
