//! The one HTTP client every runtime call goes through, so the egress policy
//! (`egress`) holds for all of them: names are resolved here and only allowed
//! addresses are dialled, a literal address is checked before the request
//! leaves, redirects are never followed (a runtime could otherwise send the
//! server anywhere) and no proxy from the environment is used.
//!
//! Refused and unreachable look the same to a visitor (`runtime_unavailable`):
//! the relay must not tell a tenant what answers inside the server's network.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::net::TcpStream;
use url::{Host, Position, Url};

use super::RelayError;
use super::http1::{self, Http1Request};
use crate::egress::{EgressPolicy, PolicyResolver, allowed_addresses};

/// How long a runtime may take to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP client for agent runtimes under the egress policy. Plain-HTTP
/// runtimes (a Langflow next to the server, the usual set-up) are called with
/// the lean client in `http1`, which keeps a few kilobytes per open chat;
/// HTTPS ones with reqwest and its TLS.
#[derive(Debug, Clone)]
pub struct RuntimeHttp {
    client: reqwest::Client,
    policy: Arc<EgressPolicy>,
}

/// A `POST` to a runtime, built by an adapter and sent by [`RuntimeHttp::send`].
#[derive(Debug)]
pub struct RuntimeRequest {
    url: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl RuntimeRequest {
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn bearer_auth(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
}

/// A runtime's answer: its status, and its body as it streams in.
pub struct RuntimeResponse {
    pub status: u16,
    body: BodyStream,
}

type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, String>> + Send>>;

impl RuntimeResponse {
    pub fn bytes_stream(self) -> BodyStream {
        self.body
    }
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

    pub fn post(&self, url: &str) -> RuntimeRequest {
        RuntimeRequest {
            url: url.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Sends a request to a runtime: refused by the policy or no connection is
    /// [`RelayError::Unavailable`], a non-success answer [`RelayError::refused`]
    /// (a redirect among them); a success is the body to stream.
    pub async fn send(
        &self,
        request: RuntimeRequest,
        credential: &str,
    ) -> Result<RuntimeResponse, RelayError> {
        let url = Url::parse(&request.url).map_err(|e| {
            RelayError::Unavailable(format!("cannot build the request: {}: {e}", request.url))
        })?;
        // Names are checked on what they resolve to; a literal address here.
        if let Err(refused) = self.policy.check_url(&url) {
            return Err(RelayError::Unavailable(format!(
                "{url}: refused by the egress policy: {refused}"
            )));
        }
        let response = match url.scheme() {
            "http" => self.send_plain(&url, &request).await,
            _ => self.send_tls(url.clone(), request).await,
        }
        .map_err(|why| RelayError::Unavailable(format!("{url}: {why}")))?;
        if !(200..300).contains(&response.status) {
            return Err(RelayError::refused(url.as_str(), response, credential).await);
        }
        Ok(response)
    }

    async fn send_plain(
        &self,
        url: &Url,
        request: &RuntimeRequest,
    ) -> Result<RuntimeResponse, String> {
        let port = url.port_or_known_default().unwrap_or(80);
        let addresses = match url.host() {
            Some(Host::Domain(name)) => allowed_addresses(&self.policy, name, port).await?,
            Some(Host::Ipv4(address)) => vec![SocketAddr::new(address.into(), port)],
            Some(Host::Ipv6(address)) => vec![SocketAddr::new(address.into(), port)],
            None => return Err("the URL names no host".into()),
        };
        let connection = connect(&addresses).await?;
        let host = &url[Position::BeforeHost..Position::BeforePath];
        let request = Http1Request {
            host,
            target: &url[Position::BeforePath..Position::AfterQuery],
            headers: &request.headers,
            body: &request.body,
        };
        let response = http1::post(connection, &request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status;
        let body = response
            .into_body()
            .map(|chunk| chunk.map_err(|e| e.to_string()));
        Ok(RuntimeResponse {
            status,
            body: Box::pin(body),
        })
    }

    async fn send_tls(&self, url: Url, request: RuntimeRequest) -> Result<RuntimeResponse, String> {
        let mut builder = self.client.post(url).body(request.body);
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(|e| with_causes(&e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes_stream()
            .map(|chunk| chunk.map_err(|e| with_causes(&e)));
        Ok(RuntimeResponse {
            status,
            body: Box::pin(body),
        })
    }
}

/// The first of `addresses` that accepts a connection within [`CONNECT_TIMEOUT`].
async fn connect(addresses: &[SocketAddr]) -> Result<TcpStream, String> {
    let attempts = async {
        let mut last = String::from("no address to connect to");
        for address in addresses {
            match TcpStream::connect(address).await {
                Ok(connection) => {
                    // The request goes in one write; the answer's events should not wait either.
                    let _ = connection.set_nodelay(true);
                    return Ok(connection);
                }
                Err(e) => last = format!("connecting to {address}: {e}"),
            }
        }
        Err(last)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, attempts)
        .await
        .unwrap_or_else(|_| Err(format!("no connection within {CONNECT_TIMEOUT:?}")))
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
