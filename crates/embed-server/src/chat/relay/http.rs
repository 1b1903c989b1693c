//! The one HTTP client every runtime call goes through, so the egress policy
//! (`egress`) holds for all of them: names are resolved here and only allowed
//! addresses are dialled, a literal address is checked before the request
//! leaves, redirects are never followed (a runtime could otherwise send the
//! server anywhere) and no proxy from the environment is used.
//!
//! Refused and unreachable look the same to a visitor (`runtime_unavailable`):
//! the relay must not tell a tenant what answers inside the server's network.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::RelayError;
use crate::egress::EgressPolicy;

/// How long a runtime may take to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP client for agent runtimes under the egress policy.
#[derive(Debug, Clone)]
pub struct RuntimeHttp {
    client: reqwest::Client,
    policy: Arc<EgressPolicy>,
}

impl RuntimeHttp {
    pub fn new(policy: EgressPolicy) -> Self {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(PolicyResolver {
                policy: policy.clone(),
            })
            .build()
            .expect("the HTTP client has a valid configuration");
        RuntimeHttp { client, policy }
    }

    /// The policy its calls are held to.
    pub fn policy(&self) -> Arc<EgressPolicy> {
        self.policy.clone()
    }

    pub fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.client.post(url)
    }

    /// Sends a request to a runtime: refused by the policy or no connection is
    /// [`RelayError::Unavailable`], a non-success answer [`RelayError::refused`]
    /// (a redirect among them); a success is the body to stream.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        credential: &str,
    ) -> Result<reqwest::Response, RelayError> {
        let request = request
            .build()
            .map_err(|e| RelayError::Unavailable(format!("cannot build the request: {e}")))?;
        // The exact URL that is about to be fetched. Names are checked by the
        // resolver, on what they resolve to; a literal address never reaches it.
        let url = request.url().clone();
        if let Err(refused) = self.policy.check_url(&url) {
            return Err(RelayError::Unavailable(format!(
                "{url}: refused by the egress policy: {refused}"
            )));
        }
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| RelayError::Unavailable(format!("{url}: {}", with_causes(&e))))?;
        if !response.status().is_success() {
            return Err(RelayError::refused(url.as_str(), response, credential).await);
        }
        Ok(response)
    }
}

/// An error and its causes, for the operator's log: reqwest's own message
/// leaves out why (the policy's refusal, a refused connection).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(": ");
        text.push_str(&error.to_string());
        cause = error.source();
    }
    text
}

/// Resolves names with the system's resolver and keeps only the addresses the
/// policy allows; a name left with none fails to resolve.
struct PolicyResolver {
    policy: Arc<EgressPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if policy.allows_host(&host) {
                let addresses: Addrs = Box::new(resolved.into_iter());
                return Ok(addresses);
            }
            let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = resolved
                .into_iter()
                .partition(|address| policy.allows_address(address.ip()).is_ok());
            if allowed.is_empty() {
                let why = refused
                    .first()
                    .and_then(|address| policy.allows_address(address.ip()).err())
                    .unwrap_or("unresolvable");
                return Err(format!(
                    "{host} resolves only to addresses the egress policy refuses ({why})"
                )
                .into());
            }
            let addresses: Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}
