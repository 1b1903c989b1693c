//! The client a widget, a web page or a Rust program uses to talk to the embed
//! server with a publishable key: widget config, sessions and streaming chat.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::agui::{Event, RunAgentInput};
use crate::sse::SseDecoder;
use crate::time::{now_unix, parse_rfc3339_utc};
use crate::transport;
use crate::transport::{BoxStream, HttpRequest, HttpResponse, Method, Transport};
use crate::wire::{SessionRequest, SessionResponse, ThreadMessages, WidgetConfig};

/// The AG-UI events of one run, ending after `RUN_FINISHED` or `RUN_ERROR`.
/// Dropping it cancels the run.
pub type EventStream = BoxStream<Result<Event, Error>>;

/// How often a request that may be repeated is tried in all.
const MAX_ATTEMPTS: u32 = 4;
/// The first back-off; each retry doubles it.
const BASE_BACKOFF: Duration = Duration::from_millis(250);
/// A server asking to wait longer than this gets its error back instead: the
/// caller decides whether to wait that long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// How long to wait before attempt `attempt + 1`, or None when the error is not
/// worth another try. `random` in [0, 1) spreads clients apart ("jitter") so a
/// crowd that failed together does not come back together.
fn retry_delay(error: &Error, attempt: u32, random: f64) -> Option<Duration> {
    let backoff = || (BASE_BACKOFF * 2u32.pow(attempt.min(8))).mul_f64(0.5 + random / 2.0);
    match error {
        Error::Network(_) => Some(backoff()),
        Error::Api {
            status: 429 | 503,
            retry_after: Some(seconds),
            ..
        } => {
            let wait = Duration::from_secs(*seconds);
            // A little extra, so the retry lands after the server's window opens.
            (wait <= MAX_RETRY_AFTER).then(|| wait + BASE_BACKOFF.mul_f64(random))
        }
        Error::Api {
            status: 429 | 502 | 503 | 504,
            ..
        } => Some(backoff()),
        _ => None,
    }
}

/// A session is renewed this long before it expires, so a request never carries a
/// token that dies in flight.
const SESSION_RENEW_MARGIN_SECS: i64 = 60;

/// A client for one widget, identified by its publishable key.
pub struct Client {
    endpoint: String,
    publishable_key: String,
    visitor_id: Mutex<Option<String>>,
    session: Mutex<Option<(SessionResponse, i64)>>,
    runs_started: AtomicU64,
    transport: Transport,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The session token is a credential: never print it.
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// `endpoint` is the embed server's base URL, e.g. `https://embed.example.com`.
    pub fn new(endpoint: impl Into<String>, publishable_key: impl Into<String>) -> Self {
        Client {
            endpoint: endpoint.into().trim_end_matches('/').to_owned(),
            publishable_key: publishable_key.into(),
            visitor_id: Mutex::new(None),
            session: Mutex::new(None),
            runs_started: AtomicU64::new(0),
            transport: Transport::new(),
        }
    }

    /// The site origin to present, which must be one of the widget's allowed
    /// origins. Only native programs need this: browsers send `Origin` themselves.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.transport = Transport::with_origin(origin.into());
        self
    }

    /// Continues as a returning visitor instead of getting a new visitor id.
    pub fn with_visitor_id(self, visitor_id: impl Into<String>) -> Self {
        *self.visitor_id.lock().unwrap() = Some(visitor_id.into());
        self
    }

    /// The visitor id the server assigned (known after the first session).
    pub fn visitor_id(&self) -> Option<String> {
        self.visitor_id.lock().unwrap().clone()
    }

    /// The widget's public configuration (title, greeting, theme).
    pub async fn config(&self) -> Result<WidgetConfig, Error> {
        let url = format!(
            "{}/v1/widgets/{}/config",
            self.endpoint,
            segment(&self.publishable_key)
        );
        let response = self.send_retrying(Method::Get, url, None, None).await?;
        json_body(response).await
    }

    /// This visitor's messages on `thread_id`, oldest first, as the server kept
    /// them (for a returning visitor, say).
    pub async fn thread(&self, thread_id: &str) -> Result<ThreadMessages, Error> {
        let session = self.session().await?;
        let url = format!("{}/v1/threads/{}", self.endpoint, segment(thread_id));
        let response = self
            .send_retrying(Method::Get, url, Some(&session.token), None)
            .await?;
        json_body(response).await
    }

    /// A valid session, reusing the current one until shortly before it expires.
    pub async fn session(&self) -> Result<SessionResponse, Error> {
        if let Some((session, expires)) = self.session.lock().unwrap().as_ref()
            && now_unix() + SESSION_RENEW_MARGIN_SECS < *expires
        {
            return Ok(session.clone());
        }
        let request = SessionRequest {
            publishable_key: self.publishable_key.clone(),
            visitor_id: self.visitor_id(),
        };
        let url = format!("{}/v1/sessions", self.endpoint);
        let body = to_json(&request)?;
        // A retried session request at worst mints a session nobody uses.
        let response = self
            .send_retrying(Method::Post, url, None, Some(body))
            .await?;
        let session: SessionResponse = json_body(response).await?;
        let expires = parse_rfc3339_utc(&session.expires_at)
            .ok_or_else(|| Error::Protocol("expiresAt is not an RFC 3339 UTC time".into()))?;
        *self.visitor_id.lock().unwrap() = Some(session.visitor_id.clone());
        *self.session.lock().unwrap() = Some((session.clone(), expires));
        Ok(session)
    }

    /// Starts a run and streams its AG-UI events.
    pub async fn chat(&self, input: &RunAgentInput) -> Result<EventStream, Error> {
        let session = self.session().await?;
        let url = format!("{}/v1/chat", self.endpoint);
        let body = to_json(input)?;
        let response = self
            .send(Method::Post, url, Some(&session.token), Some(body))
            .await?;
        Ok(event_stream(response))
    }

    /// Sends one user message on `thread_id` and streams the run's events.
    pub async fn chat_text(&self, thread_id: &str, text: &str) -> Result<EventStream, Error> {
        let run = self.runs_started.fetch_add(1, Ordering::Relaxed);
        let run_id = format!("run-{}-{run}", now_unix());
        self.chat(&RunAgentInput::user_text(thread_id, &run_id, text))
            .await
    }

    /// [`Client::send`] for requests that may safely be sent again: retried on
    /// network errors and on 429/502/503/504, waiting as [`retry_delay`] says.
    /// Never used for chat: a message must not be sent twice.
    async fn send_retrying(
        &self,
        method: Method,
        url: String,
        bearer: Option<&str>,
        json_body: Option<String>,
    ) -> Result<HttpResponse, Error> {
        let mut attempt = 0;
        loop {
            let sent = self
                .send(method, url.clone(), bearer, json_body.clone())
                .await;
            let delay = match &sent {
                Err(error) if attempt + 1 < MAX_ATTEMPTS => {
                    retry_delay(error, attempt, transport::random_unit())
                }
                _ => None,
            };
            match delay {
                Some(delay) => {
                    transport::sleep(delay).await;
                    attempt += 1;
                }
                None => return sent,
            }
        }
    }

    /// Sends a request and turns every non-success status into [`Error::Api`].
    async fn send(
        &self,
        method: Method,
        url: String,
        bearer: Option<&str>,
        json_body: Option<String>,
    ) -> Result<HttpResponse, Error> {
        let request = HttpRequest {
            method,
            url,
            bearer,
            json_body,
        };
        self.transport.send(request).await?.error_for_status().await
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so an id
/// that is mistyped (or hostile) stays one path segment or one query value.
pub(crate) fn segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::Protocol(e.to_string()))
}

pub(crate) async fn json_body<T: DeserializeOwned>(response: HttpResponse) -> Result<T, Error> {
    let text = response.text().await?;
    serde_json::from_str(&text).map_err(|e| Error::Protocol(e.to_string()))
}

/// Decodes an SSE body into AG-UI events; a body that ends before the run does is
/// reported as an error rather than passing for a finished answer.
fn event_stream(response: HttpResponse) -> EventStream {
    struct State {
        body: BoxStream<Result<Vec<u8>, Error>>,
        decoder: SseDecoder,
        ready: VecDeque<Event>,
        done: bool,
    }
    let state = State {
        body: response.body,
        decoder: SseDecoder::new(),
        ready: VecDeque::new(),
        done: false,
    };
    Box::pin(futures_util::stream::unfold(
        state,
        |mut state| async move {
            loop {
                if state.done {
                    return None;
                }
                if let Some(event) = state.ready.pop_front() {
                    state.done = event.is_terminal();
                    return Some((Ok(event), state));
                }
                let chunk = match state.body.next().await {
                    Some(Ok(chunk)) => chunk,
                    Some(Err(error)) => {
                        state.done = true;
                        return Some((Err(error), state));
                    }
                    None => {
                        state.done = true;
                        let error =
                            Error::Protocol("the stream ended before the run finished".into());
                        return Some((Err(error), state));
                    }
                };
                for frame in state.decoder.push(&chunk) {
                    match serde_json::from_str::<Event>(&frame.data) {
                        Ok(Event::Other) => {}
                        Ok(event) => state.ready.push_back(event),
                        Err(error) => {
                            state.done = true;
                            return Some((Err(Error::Protocol(error.to_string())), state));
                        }
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, retry_after: Option<u64>) -> Error {
        Error::Api {
            status,
            code: "x".into(),
            message: "x".into(),
            retry_after,
        }
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter() {
        let network = Error::Network("refused".into());
        assert_eq!(
            retry_delay(&network, 0, 0.0),
            Some(Duration::from_millis(125))
        );
        assert_eq!(
            retry_delay(&network, 2, 0.999_999).map(|d| d.as_millis()),
            Some(999)
        );
        assert_eq!(
            retry_delay(&api(503, None), 1, 0.0),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn retries_honour_retry_after_and_never_retry_what_will_fail_again() {
        assert_eq!(
            retry_delay(&api(429, Some(2)), 0, 0.0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(retry_delay(&api(429, Some(3_600)), 0, 0.0), None);
        for status in [400, 401, 403, 404, 413] {
            assert_eq!(retry_delay(&api(status, None), 0, 0.5), None, "{status}");
        }
        assert_eq!(
            retry_delay(&Error::Protocol("bad json".into()), 0, 0.5),
            None
        );
    }
}
