//! Native transport over reqwest.

use std::pin::Pin;

use futures_util::{Stream, StreamExt};

use super::{HttpRequest, HttpResponse, Method};
use crate::Error;

/// A boxed stream that may move between threads, as tokio wants.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = T> + Send + 'static>>;

#[derive(Debug, Clone, Default)]
pub(crate) struct Transport {
    http: reqwest::Client,
    origin: Option<String>,
}

impl Transport {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `origin` as the `Origin` header, as a browser on that site would.
    pub fn with_origin(origin: String) -> Self {
        Transport {
            http: reqwest::Client::new(),
            origin: Some(origin),
        }
    }

    /// The same settings on a connection pool of its own, usable from another
    /// runtime.
    pub fn fresh(&self) -> Self {
        Transport {
            http: reqwest::Client::new(),
            origin: self.origin.clone(),
        }
    }

    pub async fn send(&self, request: HttpRequest<'_>) -> Result<HttpResponse, Error> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.http.request(method, &request.url);
        if let Some(token) = request.bearer {
            builder = builder.bearer_auth(token);
        }
        if let Some(origin) = &self.origin {
            builder = builder.header("origin", origin);
        }
        if let Some(body) = request.json_body {
            builder = builder
                .header("content-type", "application/json")
                .body(body);
        }
        let response = builder.send().await.map_err(network_error)?;
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok());
        let status = response.status().as_u16();
        let body = response
            .bytes_stream()
            .map(|chunk| chunk.map(|bytes| bytes.to_vec()).map_err(network_error));
        Ok(HttpResponse {
            status,
            retry_after,
            body: Box::pin(body),
        })
    }
}

/// Runs `work` in the background on the current tokio runtime; without one (a
/// program that is not async) there is no background, and callers flush.
pub fn spawn(work: impl std::future::Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(work);
    }
}

/// Waits without blocking the runtime.
pub async fn sleep(duration: std::time::Duration) {
    tokio::time::sleep(duration).await;
}

/// A number in [0, 1) that differs between clients and calls, for retry jitter
/// (not for anything secret).
pub fn random_unit() -> f64 {
    use std::hash::{BuildHasher, RandomState};
    // `RandomState` is seeded per process and per instance.
    let bits = RandomState::new().hash_one(std::time::SystemTime::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// reqwest's own message is only the outermost layer ("error sending request");
/// the cause a person can act on (connection refused, DNS) is in its sources.
fn network_error(error: reqwest::Error) -> Error {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    Error::Network(text)
}
