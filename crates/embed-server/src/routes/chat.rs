//! `POST /v1/chat`: an AG-UI `RunAgentInput` in, a `text/event-stream` of AG-UI
//! events out, relayed from the widget's agent runtime.
//!
//! What a visitor sees is filtered here: lifecycle and text events only, with our
//! own ids, and every failure as a `RUN_ERROR` with a stable code and a safe message.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{self, KeepAlive, Sse};
use futures_util::{Stream, StreamExt, stream};
use sitekit_sdk::agui::{Event, RunAgentInput};

use crate::db::{BudgetOutcome, now_unix};
use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken};
use crate::relay::{RelayError, RunRequest, StartRun, UpstreamEvents};
use crate::session::{SessionClaims, SessionError};
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

const MAX_MESSAGE_CHARS: usize = 4_000;
const MAX_ID_LEN: usize = 128;
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[utoipa::path(
    post,
    path = "/v1/chat",
    tag = "browser",
    summary = "Run the widget's agent: AG-UI in, an AG-UI event stream out",
    description = "The answer is `text/event-stream`: one AG-UI event as JSON per `data:` line, \
        with keep-alive comments. Every failure after the stream starts is one `RUN_ERROR` event \
        with a stable `code`.",
    request_body = RunAgentInput,
    security(("session" = [])),
    responses(
        (status = 200, description = "AG-UI events, one per SSE `data:` line", content_type = "text/event-stream", body = Event),
        (status = 400, description = "Malformed input, or no user message", body = ErrorBody),
        (status = 401, description = "No session, or an invalid, expired or ended one", body = ErrorBody),
        (status = 403, description = "A session of another origin, without the chat scope, or a disabled widget", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 429, description = "Over the per-address or per-visitor rate, or the widget's daily budget is used up; see Retry-After", body = ErrorBody),
    )
)]
pub async fn chat(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    BearerToken(token): BearerToken,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RunAgentInput>,
) -> Result<Sse<impl Stream<Item = Result<sse::Event, Infallible>>>, ApiError> {
    state.limits.request_from(peer.ip())?;
    let claims = verify_session(&state, &token, &headers)?;
    let text = validate(&input)?;
    let (widget, agent) = state
        .db
        .widget_with_agent(&claims.wg)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(
                "invalid_session",
                "the widget of this session no longer exists",
            )
        })?;
    if !widget.enabled {
        return Err(ApiError::forbidden(
            "widget_disabled",
            "this widget is disabled",
        ));
    }
    state.limits.message_from(
        &claims.wg,
        &claims.vi,
        u32::try_from(widget.messages_per_visitor_per_minute).unwrap_or(0),
    )?;
    // Counted last, once the message is known to be valid and allowed, so a
    // refused request never uses up budget.
    if let BudgetOutcome::Exhausted { renews_in_secs } = state
        .db
        .count_daily_message(&widget.id, widget.daily_message_budget)
        .await?
    {
        return Err(ApiError::BudgetExhausted {
            retry_after_secs: renews_in_secs,
        });
    }
    let ids = RunIds {
        thread_id: input.thread_id.clone(),
        run_id: input.run_id.clone(),
    };
    // The runtime's conversation memory is keyed per widget and visitor, so one
    // visitor can never continue another's thread by guessing its id.
    let run = RunRequest {
        thread_id: format!("{}:{}:{}", claims.wg, claims.vi, input.thread_id),
        text: text.to_owned(),
    };
    let start: StartRun = match state.runtimes.for_agent(&agent) {
        Some(runtime) => runtime.start(&agent, run),
        None => {
            let kind = agent.runtime.clone();
            Box::pin(async move {
                Err(RelayError::Unavailable(format!(
                    "no adapter for runtime `{kind}`"
                )))
            })
        }
    };
    let events = stream::once(std::future::ready(Event::RunStarted {
        thread_id: ids.thread_id.clone(),
        run_id: ids.run_id.clone(),
    }))
    .chain(visitor_events(start, ids))
    .enumerate()
    .map(|(index, event)| {
        let data = serde_json::to_string(&event).expect("events serialize");
        Ok(sse::Event::default().id(index.to_string()).data(data))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

fn verify_session(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
) -> Result<SessionClaims, ApiError> {
    let claims = state
        .signer
        .get()
        .verify(token, now_unix())
        .map_err(|error| match error {
            SessionError::Expired => ApiError::unauthorized(
                "session_expired",
                "the session has expired; start a new one",
            ),
            SessionError::Invalid => {
                ApiError::unauthorized("invalid_session", "the session token is not valid")
            }
        })?;
    state.keys.check(&claims.ky, claims.kg)?;
    if !claims.has_scope("chat") {
        return Err(ApiError::forbidden(
            "missing_scope",
            "this session lacks the `chat` scope",
        ));
    }
    // A browser always sends Origin on this cross-site POST; a token lifted from
    // one site must not work from another.
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
        && origin != claims.or
    {
        return Err(ApiError::forbidden(
            "origin_not_allowed",
            "this session belongs to another origin",
        ));
    }
    Ok(claims)
}

fn validate(input: &RunAgentInput) -> Result<&str, ApiError> {
    for (name, id) in [("threadId", &input.thread_id), ("runId", &input.run_id)] {
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(ApiError::bad_request(
                "invalid_body",
                format!("{name} must be 1 to {MAX_ID_LEN} characters"),
            ));
        }
    }
    let text = input
        .last_user_text()
        .filter(|text| !text.trim().is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_body",
                "messages must end with a non-empty user message",
            )
        })?;
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::bad_request(
            "message_too_long",
            format!("a message may have at most {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    Ok(text)
}

#[derive(Debug, Clone)]
struct RunIds {
    thread_id: String,
    run_id: String,
}

enum Phase {
    Starting(StartRun),
    Streaming(UpstreamEvents),
    Done,
}

/// The runtime's events as a visitor may see them, ending with exactly one
/// `RUN_FINISHED` or `RUN_ERROR`. Dropping it (the visitor left) drops the upstream
/// call with it.
fn visitor_events(start: StartRun, ids: RunIds) -> impl Stream<Item = Event> + Send {
    stream::unfold(Phase::Starting(start), move |phase| {
        let ids = ids.clone();
        async move {
            let mut upstream = match phase {
                Phase::Done => return None,
                Phase::Streaming(upstream) => upstream,
                Phase::Starting(start) => match start.await {
                    Ok(upstream) => upstream,
                    Err(error) => return Some((run_error(&error), Phase::Done)),
                },
            };
            loop {
                let event = match upstream.next().await {
                    Some(Ok(event)) => event,
                    Some(Err(error)) => return Some((run_error(&error), Phase::Done)),
                    None => {
                        let error =
                            RelayError::Runtime("the stream ended before the run finished".into());
                        return Some((run_error(&error), Phase::Done));
                    }
                };
                if let Some(visible) = for_visitor(event, &ids) {
                    let next = if visible.is_terminal() {
                        Phase::Done
                    } else {
                        Phase::Streaming(upstream)
                    };
                    return Some((visible, next));
                }
            }
        }
    })
}

/// Lifecycle and text pass (lifecycle with our ids); everything else — the
/// runtime's own RUN_STARTED, steps, state, raw and custom events — stays inside.
fn for_visitor(event: Event, ids: &RunIds) -> Option<Event> {
    match event {
        Event::TextMessageStart { .. }
        | Event::TextMessageContent { .. }
        | Event::TextMessageEnd { .. } => Some(event),
        Event::RunFinished { .. } => Some(Event::RunFinished {
            thread_id: ids.thread_id.clone(),
            run_id: ids.run_id.clone(),
        }),
        Event::RunError { message, .. } => Some(run_error(&RelayError::Runtime(message))),
        Event::RunStarted { .. }
        | Event::StepStarted { .. }
        | Event::StepFinished { .. }
        | Event::Other => None,
    }
}

fn run_error(error: &RelayError) -> Event {
    tracing::warn!(%error, "agent run failed");
    Event::RunError {
        message: error.visitor_message().to_owned(),
        code: Some(error.code().to_owned()),
    }
}
