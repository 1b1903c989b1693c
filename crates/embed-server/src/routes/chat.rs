//! `POST /v1/chat`: an AG-UI `RunAgentInput` in, a `text/event-stream` of AG-UI
//! events out, relayed from the widget's agent runtime.
//!
//! This module checks who may run what; `relay::lifecycle` decides what the
//! visitor sees of the run and `metering` records it.

use sitekit_sdk::ErrorCode;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{self, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use sitekit_sdk::agui::RunAgentInput;
use sitekit_sdk::fields::{ChatId, ChatMessage};

use crate::chat::metering::{RunIdentity, RunMeter};
use crate::chat::relay::lifecycle::{RunIds, RunLimits, Visibility, visitor_events};
use crate::chat::relay::{HistoryMessage, RunRequest, StartRun};
use crate::chat::stream_slots;
use crate::chat::{BudgetOutcome, MessageBudgets, ThreadKey};
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken};
use crate::keys::scopes::Scope;
use crate::openapi::ChatSseEvent;
use crate::routes::access::session_of;
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

const MAX_MESSAGE_CHARS: usize = ChatMessage::MAX_CHARS;
const MAX_ID_CHARS: usize = ChatId::MAX_CHARS;
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How much of a thread a runtime that keeps no history is sent.
const HISTORY_MESSAGES: i64 = 40;

#[utoipa::path(
    post,
    path = "/v1/chat",
    operation_id = "chat",
    tag = "browser",
    summary = "Run the widget's agent: AG-UI in, an AG-UI event stream out",
    description = "The answer is `text/event-stream`: one AG-UI event as JSON per `data:` line, \
        with keep-alive comments. Every failure after the stream starts is one `RUN_ERROR` event \
        with a stable `code`.",
    request_body = RunAgentInput,
    security(("session" = [])),
    responses(
        (status = 200, description = "AG-UI events, one per SSE `data:` line", content_type = "text/event-stream", body = ChatSseEvent),
        (status = 400, description = "Malformed input, or no user message", body = ErrorBody),
        (status = 401, description = "No session, or an invalid, expired or ended one", body = ErrorBody),
        (status = 403, description = "A session of another origin, without the chat scope, or a disabled widget", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 429, description = "Over the per-address or per-visitor rate (`rate_limited`), the widget's daily budget is used up (`budget_exhausted`), or this server or widget has as many answers streaming as it may (`too_many_streams`); see Retry-After", body = ErrorBody),
    )
)]
pub async fn chat(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    BearerToken(token): BearerToken,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RunAgentInput>,
) -> Result<Sse<impl Stream<Item = Result<sse::Event, Infallible>>>, ApiError> {
    // Counting the message is the one write on a chat's path: the run
    // ledger's writes wait until it is done.
    let count_coming = state.db.expect_message_count();
    state.limits.request_from(client).await?;
    let claims = session_of(&state, &token, &headers, Scope::Chat)?;
    let text = validate(&input)?;
    let (widget, agent) = state
        .db
        .widget_with_agent(&claims.widget_id)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(
                ErrorCode::InvalidSession,
                "the widget of this session no longer exists",
            )
        })?;
    if !widget.enabled {
        return Err(ApiError::forbidden(
            ErrorCode::WidgetDisabled,
            "this widget is disabled",
        ));
    }
    if widget.marketplace.paused {
        return Err(ApiError::forbidden(
            ErrorCode::WidgetPaused,
            "this widget is paused by the marketplace it was bought on, usually over its \
             purchase's limit; it answers again once the purchase is restored",
        ));
    }
    // A place among the open streams first: a chat refused for want of one
    // uses up none of the visitor's messages or the widget's budget, and never
    // reaches the runtime.
    let run_limits = RunLimits::from(&agent);
    let slot = state.streams.claim(&widget.id, run_limits.total).await?;
    state
        .limits
        .message_from(
            &claims.widget_id,
            &claims.visitor_id,
            u32::try_from(widget.messages_per_visitor_per_minute).unwrap_or(0),
        )
        .await?;
    let thread = ThreadKey {
        widget_id: widget.id.clone(),
        visitor_id: claims.visitor_id.clone(),
        thread_id: input.thread_id.clone(),
    };
    // Counted last, once the message is known to be valid and allowed, so a
    // refused request never uses up budget; the history is read meanwhile.
    let (budget, history) = tokio::try_join!(
        state.db.count_message(
            &widget.id,
            MessageBudgets {
                daily: widget.daily_message_budget,
                monthly: widget.marketplace.monthly_message_budget,
            }
        ),
        state.db.thread_messages(&thread, HISTORY_MESSAGES),
    )?;
    drop(count_coming);
    if let BudgetOutcome::Exhausted { renews_in_secs } = budget {
        return Err(ApiError::BudgetExhausted {
            retry_after_secs: renews_in_secs,
        });
    }
    let history = history
        .into_iter()
        .filter_map(|message| {
            Some(HistoryMessage {
                role: message.role,
                content: message.content?,
            })
        })
        .collect();
    // The runtime's conversation memory is keyed per widget and visitor, so one
    // visitor can never continue another's thread by guessing its id.
    let run = RunRequest {
        thread_id: format!(
            "{}:{}:{}",
            claims.widget_id, claims.visitor_id, input.thread_id
        ),
        run_id: input.run_id.clone(),
        text: text.to_owned(),
        history,
    };
    let meter = RunMeter::start(
        state.db.clone(),
        RunIdentity {
            tenant_id: claims.tenant_id.clone(),
            agent_id: agent.id.clone(),
            agent_version: agent.version,
            key_id: claims.key_id.clone(),
            thread,
            run_id: input.run_id.clone(),
            question: text.to_owned(),
        },
        run_limits.total,
    );
    let start: StartRun = state.runtimes.for_agent(&agent).start(&agent, run);
    let ids = RunIds {
        thread_id: input.thread_id,
        run_id: input.run_id,
    };
    let visibility = Visibility {
        tool_calls: widget.show_tool_events,
    };
    let events = visitor_events(start, run_limits, ids, visibility, meter);
    let events = stream_slots::holding(events, slot)
        .enumerate()
        .map(|(index, event)| {
            let data = serde_json::to_string(&event).expect("events serialize");
            Ok(sse::Event::default().id(index.to_string()).data(data))
        });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

fn validate(input: &RunAgentInput) -> Result<&str, ApiError> {
    for (name, id) in [("threadId", &input.thread_id), ("runId", &input.run_id)] {
        if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidBody,
                format!("{name} must be 1 to {MAX_ID_CHARS} characters"),
            ));
        }
        // No id the widget makes has one, and PostgreSQL cannot even compare a NUL.
        if id.chars().any(char::is_control) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidBody,
                format!("{name} may not contain control characters"),
            ));
        }
    }
    let text = input
        .last_user_text()
        .filter(|text| !text.trim().is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidBody,
                "messages must end with a non-empty user message",
            )
        })?;
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::bad_request(
            ErrorCode::MessageTooLong,
            format!("a message may have at most {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    Ok(text)
}
