//! The client a widget, a web page or a Rust program uses to talk to the embed
//! server with a publishable key: widget config, sessions and streaming chat.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::agui::{Event, Message, Role, RunAgentInput};
use crate::sse::{FrameTooLarge, SseDecoder, SseFrame};
use crate::time::{now_unix, parse_rfc3339_utc};
use crate::transport;
use crate::transport::{BoxStream, HttpRequest, HttpResponse, Method, Transport};
use crate::wire::{
    SessionRequest, SessionResponse, ThreadMessages, UsageEventResults, WidgetConfig,
};
use crate::{Error, ErrorCode};

/// The AG-UI events of one run, ending after `RUN_FINISHED` or `RUN_ERROR`.
/// Dropping it cancels the run.
pub type EventStream = BoxStream<Result<Event, Error>>;

/// [`EventStream`] with each event as the JSON it arrived as, for callers that
/// hand events on rather than read them (the npm package passes them to JS).
pub type RawEventStream = BoxStream<Result<RawEvent, Error>>;

/// One answer's text as it streams in, and the run it belongs to (whose id a
/// visitor's feedback names).
pub struct Answer {
    run_id: String,
    text: BoxStream<Result<String, Error>>,
}

impl Answer {
    pub fn run_id(&self) -> &str {
        &self.run_id
    }
}

impl futures_util::Stream for Answer {
    type Item = Result<String, Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.get_mut().text.as_mut().poll_next(cx)
    }
}

/// One AG-UI event as it came off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// The event's `type`, e.g. `TEXT_MESSAGE_CONTENT`.
    pub kind: String,
    pub json: String,
}

impl RawEvent {
    /// True for the events that end a run.
    pub fn is_terminal(&self) -> bool {
        matches!(self.kind.as_str(), "RUN_FINISHED" | "RUN_ERROR")
    }
}

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
    // Whole milliseconds, not `Duration::mul_f64`, whose panics for negative or
    // huge factors (impossible here) would bring their messages into the Wasm.
    let scaled = |base: Duration, factor: f64| {
        Duration::from_millis((base.as_millis() as f64 * factor.clamp(0.0, 1.0)) as u64)
    };
    let backoff = || scaled(BASE_BACKOFF * 2u32.pow(attempt.min(8)), 0.5 + random / 2.0);
    match error {
        Error::Network(_) => Some(backoff()),
        Error::Api {
            status: 429 | 503,
            retry_after: Some(seconds),
            ..
        } => {
            let wait = Duration::from_secs(*seconds);
            // A little extra, so the retry lands after the server's window opens.
            (wait <= MAX_RETRY_AFTER).then(|| wait + scaled(BASE_BACKOFF, random))
        }
        Error::Api {
            status: 429 | 502 | 503 | 504,
            ..
        } => Some(backoff()),
        _ => None,
    }
}

/// A session is renewed this long before it expires (or a quarter of its life,
/// if shorter), so a request never carries a token that dies in flight.
const SESSION_RENEW_MARGIN_SECS: i64 = 60;

/// The server refused the session itself (it expired by the server's clock, or
/// its signing key was rotated out): a new session is worth one more try.
fn session_refused(error: &Error) -> bool {
    matches!(error, Error::Api { status: 401, code, .. }
        if code == ErrorCode::SessionExpired.as_str() || code == ErrorCode::InvalidSession.as_str())
}

/// A client for one widget, identified by its publishable key. Clones share the
/// session and the visitor.
#[derive(Clone)]
pub struct Client {
    endpoint: String,
    publishable_key: String,
    visitor_id: Arc<Mutex<Option<String>>>,
    /// The current session and when to renew it (Unix seconds).
    session: Arc<Mutex<Option<(SessionResponse, i64)>>>,
    runs_started: Arc<AtomicU64>,
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
            visitor_id: Arc::default(),
            session: Arc::default(),
            runs_started: Arc::default(),
            transport: Transport::new(),
        }
    }

    /// The site origin to present, which must be one of the widget's allowed
    /// origins. Only programs outside a browser need this (native ones, Node):
    /// browsers send `Origin` themselves and ignore this.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.transport = Transport::with_origin(origin.into());
        self
    }

    /// Continues as a returning visitor: `visitor_id` is what
    /// [`Client::visitor_id`] gave an earlier client of this widget. One the
    /// server did not issue gets a new visitor id instead.
    pub fn with_visitor_id(self, visitor_id: impl Into<String>) -> Self {
        *self.visitor_id.lock().unwrap() = Some(visitor_id.into());
        self
    }

    /// The same client on a connection of its own, for a request that must go
    /// out while the program winds down (the usage reporter's last flush).
    pub(crate) fn with_fresh_connection(&self) -> Self {
        Client {
            transport: self.transport.fresh(),
            ..self.clone()
        }
    }

    pub(crate) fn publishable_key(&self) -> &str {
        &self.publishable_key
    }

    /// The visitor id the server assigned (known after the first session): a
    /// credential that continues this visitor's conversations, to be kept like
    /// a cookie, not shown or sent elsewhere.
    pub fn visitor_id(&self) -> Option<String> {
        self.visitor_id.lock().unwrap().clone()
    }

    /// The widget's public configuration (title, greeting, theme).
    pub async fn config(&self) -> Result<WidgetConfig, Error> {
        WidgetConfig::from_json(&self.config_json().await?)
    }

    /// [`Client::config`] as the JSON the server sent.
    pub async fn config_json(&self) -> Result<String, Error> {
        let url = format!(
            "{}/v1/widgets/{}/config",
            self.endpoint,
            segment(&self.publishable_key)
        );
        let response = self.send_retrying(Method::Get, url, None, None).await?;
        response.text().await
    }

    /// This visitor's messages on `thread_id`, oldest first, as the server kept
    /// them (for a returning visitor, say).
    pub async fn thread(&self, thread_id: &str) -> Result<ThreadMessages, Error> {
        crate::decode::thread_messages(&self.thread_json(thread_id).await?)
    }

    /// [`Client::thread`] as the JSON the server sent.
    pub async fn thread_json(&self, thread_id: &str) -> Result<String, Error> {
        let url = format!("{}/v1/threads/{}", self.endpoint, segment(thread_id));
        let response = self
            .send_with_session(Method::Get, &url, None, true)
            .await?;
        response.text().await
    }

    /// Posts what the visitor answers besides chat in `thread_id`: `lead`
    /// (their contact details, a [`crate::engagement::NewLead`] as JSON) or
    /// `handoff` (asking for a person, `{}`). Sent once, not retried: a lead
    /// sent twice is refused the second time.
    pub async fn post_to_thread(
        &self,
        thread_id: &str,
        what: &str,
        body: &str,
    ) -> Result<String, Error> {
        let url = format!("{}/v1/threads/{}/{what}", self.endpoint, segment(thread_id));
        let response = self
            .send_with_session(Method::Post, &url, Some(body), false)
            .await?;
        response.text().await
    }

    /// A valid session, reusing the current one until shortly before it expires.
    pub async fn session(&self) -> Result<SessionResponse, Error> {
        if let Some((session, renew_at)) = self.session.lock().unwrap().as_ref()
            && now_unix() < *renew_at
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
        let session = crate::decode::session(&response.text().await?)?;
        let expires = parse_rfc3339_utc(&session.expires_at)
            .ok_or_else(|| Error::Protocol("expiresAt is not an RFC 3339 UTC time".into()))?;
        let life = (expires - now_unix()).max(0);
        let renew_at = expires - SESSION_RENEW_MARGIN_SECS.min(life / 4);
        *self.visitor_id.lock().unwrap() = Some(session.visitor_id.clone());
        *self.session.lock().unwrap() = Some((session.clone(), renew_at));
        Ok(session)
    }

    /// Sends a request that carries the session token; if the server refuses the
    /// session itself, sends it once more with a new one. Safe for every route,
    /// chat included: a refused session means the request did nothing.
    async fn send_with_session(
        &self,
        method: Method,
        url: &str,
        body: Option<&str>,
        retrying: bool,
    ) -> Result<HttpResponse, Error> {
        let mut renewed = false;
        loop {
            let token = self.session().await?.token;
            let (url, body) = (url.to_owned(), body.map(str::to_owned));
            let sent = if retrying {
                self.send_retrying(method, url, Some(&token), body).await
            } else {
                self.send(method, url, Some(&token), body).await
            };
            match sent {
                Err(error) if !renewed && session_refused(&error) => {
                    self.session.lock().unwrap().take();
                    renewed = true;
                }
                sent => return sent,
            }
        }
    }

    /// Posts a batch of usage events (a JSON array) with this visitor's session.
    /// Retried like the other repeatable requests: the server counts an event
    /// once however often it arrives.
    pub(crate) async fn post_usage_events(
        &self,
        batch: String,
    ) -> Result<UsageEventResults, Error> {
        let url = format!("{}/v1/usage/events", self.endpoint);
        let response = self
            .send_with_session(Method::Post, &url, Some(&batch), true)
            .await?;
        let results = crate::decode::usage_results(&response.text().await?)?;
        Ok(UsageEventResults { results })
    }

    /// Where a page that is going away posts its last usage batch: the
    /// session's usage token rides in the query, as `sendBeacon` cannot set
    /// headers; it can write usage events and nothing else, so the session
    /// token itself never appears in a URL. None without a session that is
    /// still live.
    pub(crate) fn usage_beacon_url(&self) -> Option<String> {
        let session = self.session.lock().unwrap();
        let (session, renew_at) = session.as_ref()?;
        (now_unix() < *renew_at).then(|| {
            format!(
                "{}/v1/usage/events?access_token={}",
                self.endpoint,
                segment(&session.usage_token)
            )
        })
    }

    /// Starts a run and streams its AG-UI events. Event types this SDK does not
    /// model are left out.
    pub async fn chat(&self, input: &RunAgentInput) -> Result<EventStream, Error> {
        Ok(typed(self.chat_raw(input).await?))
    }

    /// [`Client::chat`] with every event as its JSON.
    pub async fn chat_raw(&self, input: &RunAgentInput) -> Result<RawEventStream, Error> {
        self.post_chat(to_json(input)?).await
    }

    /// Posts a `RunAgentInput` (JSON) to the chat route.
    async fn post_chat(&self, body: String) -> Result<RawEventStream, Error> {
        let url = format!("{}/v1/chat", self.endpoint);
        // Not `retrying`: a chat message is sent once (but a refused session
        // means the server did nothing with it).
        let response = self
            .send_with_session(Method::Post, &url, Some(&body), false)
            .await?;
        Ok(raw_event_stream(response))
    }

    /// Sends one user message on `thread_id` and streams the run's events.
    pub async fn chat_text(&self, thread_id: &str, text: &str) -> Result<EventStream, Error> {
        Ok(typed(self.chat_text_raw(thread_id, text).await?))
    }

    /// Sends one user message on `thread_id` and streams the answer's text; a run
    /// that fails ends the stream with [`Error::Run`] (code `runtime_error` when
    /// the runtime gave none).
    pub async fn answer(&self, thread_id: &str, text: &str) -> Result<Answer, Error> {
        let run_id = self.next_run_id();
        // From the raw events: no AG-UI event decoder in a Wasm build that only
        // wants the text (the widget).
        let events = self
            .post_chat(user_text_input(thread_id, &run_id, text)?)
            .await?;
        let text = events.filter_map(|event| {
            std::future::ready(match event {
                Ok(event) => crate::decode::answer_part(&event),
                Err(error) => Some(Err(error)),
            })
        });
        Ok(Answer {
            run_id,
            text: Box::pin(text),
        })
    }

    /// [`Client::chat_text`] with every event as its JSON.
    pub async fn chat_text_raw(
        &self,
        thread_id: &str,
        text: &str,
    ) -> Result<RawEventStream, Error> {
        let run_id = self.next_run_id();
        self.post_chat(user_text_input(thread_id, &run_id, text)?)
            .await
    }

    /// A run id unique to this client: the time and a counter.
    fn next_run_id(&self) -> String {
        let run = self.runs_started.fetch_add(1, Ordering::Relaxed);
        format!("run-{}-{run}", now_unix())
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

/// Our request types always serialize (no maps with non-string keys); the error
/// is not formatted, which keeps serde_json's message table out of the Wasm.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value)
        .map_err(|_| Error::Protocol("the request could not be written as JSON".into()))
}

pub(crate) async fn json_body<T: DeserializeOwned>(response: HttpResponse) -> Result<T, Error> {
    let text = response.text().await?;
    serde_json::from_str(&text).map_err(|e| Error::Protocol(e.to_string()))
}

/// The JSON of [`RunAgentInput::user_text`], written without `serde_json::Value`
/// (its empty `state`, `tools`, `context` and `forwardedProps`), so that a Wasm
/// build that only sends text carries no JSON value type.
fn user_text_input(thread_id: &str, run_id: &str, text: &str) -> Result<String, Error> {
    #[derive(serde::Serialize)]
    struct Empty {}
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct UserTextInput<'a> {
        thread_id: &'a str,
        run_id: &'a str,
        state: Empty,
        messages: [Message; 1],
        tools: [(); 0],
        context: [(); 0],
        forwarded_props: Empty,
    }
    to_json(&UserTextInput {
        thread_id,
        run_id,
        state: Empty {},
        messages: [Message {
            id: format!("{run_id}-user"),
            role: Role::User,
            content: Some(text.into()),
        }],
        tools: [],
        context: [],
        forwarded_props: Empty {},
    })
}

/// Typed AG-UI events from raw ones; event types this SDK does not model are
/// left out.
fn typed(raw: RawEventStream) -> EventStream {
    Box::pin(raw.filter_map(|raw| {
        let event = raw.and_then(|raw| {
            serde_json::from_str::<Event>(&raw.json)
                .map_err(|error| Error::Protocol(error.to_string()))
        });
        std::future::ready((!matches!(event, Ok(Event::Other))).then_some(event))
    }))
}

/// The `RUN_ERROR` that ends a run whose stream broke before the run ended (the
/// server stopped, the network went away): a caller sees one way a run fails,
/// never a cut answer passing for a finished one.
const CONNECTION_LOST: &str = r#"{"type":"RUN_ERROR","message":"the connection to the server was lost before the run finished","code":"connection_lost"}"#;

/// Splits an SSE body into AG-UI events, reading only each event's `type`; a body
/// that ends or breaks before the run does ends with a `RUN_ERROR`
/// (`connection_lost`) rather than passing for a finished answer, and an event
/// over the decoder's limit (256 KiB) is an error, after which the body is read
/// no further.
fn raw_event_stream(response: HttpResponse) -> RawEventStream {
    struct State {
        body: BoxStream<Result<Vec<u8>, Error>>,
        decoder: SseDecoder,
        /// Decoded and not yet taken; an error is the stream's last item.
        ready: VecDeque<Result<RawEvent, Error>>,
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
                    state.done = event.as_ref().map_or(true, RawEvent::is_terminal);
                    return Some((event, state));
                }
                let Some(Ok(chunk)) = state.body.next().await else {
                    state.done = true;
                    let lost = RawEvent {
                        kind: "RUN_ERROR".into(),
                        json: CONNECTION_LOST.into(),
                    };
                    return Some((Ok(lost), state));
                };
                for frame in state.decoder.push(&chunk) {
                    state.ready.push_back(raw_event(frame));
                }
            }
        },
    ))
}

/// One decoded frame as an AG-UI event, reading only its `type`. Both ways a
/// frame can fail share one error, which keeps a second message out of the Wasm.
fn raw_event(frame: Result<SseFrame, FrameTooLarge>) -> Result<RawEvent, Error> {
    frame
        .ok()
        .and_then(|frame| {
            Some(RawEvent {
                kind: crate::decode::event_type(&frame.data)?,
                json: frame.data,
            })
        })
        .ok_or_else(|| Error::Protocol("an event without a `type`, or over the size limit".into()))
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
    fn a_beacon_url_carries_the_usage_token_only_while_the_session_lives() {
        let client = Client::new("https://embed.example.com/", "skt_pub_test_x");
        assert_eq!(client.usage_beacon_url(), None);
        let session = SessionResponse {
            token: "session.token".into(),
            expires_at: "2099-01-01T00:00:00Z".into(),
            visitor_id: "vis_1.sig".into(),
            usage_token: "usage.token".into(),
        };
        *client.session.lock().unwrap() = Some((session.clone(), now_unix() + 60));
        assert_eq!(
            client.usage_beacon_url().as_deref(),
            Some("https://embed.example.com/v1/usage/events?access_token=usage.token")
        );
        *client.session.lock().unwrap() = Some((session, now_unix() - 1));
        assert_eq!(client.usage_beacon_url(), None);
    }

    #[test]
    fn an_event_over_the_size_limit_ends_the_stream_and_the_body_is_read_no_further() {
        use futures_util::FutureExt;
        use std::sync::atomic::AtomicUsize;

        let started =
            b"data: {\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}\n\ndata: ";
        let mut chunks = vec![started.to_vec()];
        chunks.extend(std::iter::repeat_n(vec![b'x'; 64 * 1024], 16));
        let pulled = Arc::new(AtomicUsize::new(0));
        let counter = pulled.clone();
        let body = futures_util::stream::iter(chunks).map(move |chunk| {
            counter.fetch_add(1, Ordering::Relaxed);
            Ok(chunk)
        });
        let mut events = raw_event_stream(HttpResponse {
            status: 200,
            retry_after: None,
            body: Box::pin(body),
        });
        let mut next = || events.next().now_or_never().expect("the body is all there");
        assert_eq!(next().unwrap().unwrap().kind, "RUN_STARTED");
        assert_eq!(next().unwrap().unwrap_err().code(), "protocol");
        assert!(next().is_none());
        // The chunk that passed 256 KiB was the last one read, of 17.
        assert_eq!(pulled.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn a_stream_that_ends_or_breaks_mid_run_ends_with_one_connection_lost_run_error() {
        use futures_util::FutureExt;

        let started = b"data: {\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}\n\n";
        let ended = vec![Ok(started.to_vec())];
        let broken = vec![
            Ok(started.to_vec()),
            Err(Error::Network("connection reset".into())),
            Ok(b"data: {\"type\":\"RUN_FINISHED\"}\n\n".to_vec()),
        ];
        for chunks in [ended, broken] {
            let events = raw_event_stream(HttpResponse {
                status: 200,
                retry_after: None,
                body: Box::pin(futures_util::stream::iter(chunks)),
            });
            let events: Vec<Event> = typed(events)
                .collect::<Vec<_>>()
                .now_or_never()
                .expect("the body is all there")
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_eq!(events.len(), 2, "{events:?}");
            assert_eq!(events[0].type_name(), "RUN_STARTED");
            let Event::RunError { code, message } = &events[1] else {
                panic!("{events:?}");
            };
            assert_eq!(code.as_deref(), Some(ErrorCode::ConnectionLost.as_str()));
            assert!(message.contains("connection to the server was lost"));
        }
    }

    #[test]
    fn a_text_message_is_the_same_run_input_as_the_typed_one() {
        let written: serde_json::Value =
            serde_json::from_str(&user_text_input("t-1", "run-1", "Hello \"you\"").unwrap())
                .unwrap();
        let typed = serde_json::to_value(RunAgentInput::user_text("t-1", "run-1", "Hello \"you\""))
            .unwrap();
        assert_eq!(written, typed);
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
