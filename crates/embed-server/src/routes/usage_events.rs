//! `POST /v1/usage/events`: a batch of a visitor's usage events (CloudEvents the
//! SDK sends: widget loaded, opened, message sent, feedback, a page's own
//! events), each stored once however often it is sent. Nothing here is billable:
//! the server measures runs itself (`metering`).
//!
//! Pages send batches with `fetch(keepalive)` or, as they unload, with
//! `navigator.sendBeacon`, which can set no headers: so a token may come as
//! `?access_token=`, but only the session's usage token (scope `usage:beacon`),
//! which can do nothing else, since URLs end up in logs and histories; and a
//! `text/plain` body (what a beacon of a string is, and needs no CORS
//! preflight) is read as JSON too.

use sitekit_sdk::ErrorCode;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::Value;
use sitekit_sdk::fields::UsageEventBatch;
use sitekit_sdk::wire::{
    ErrorBody, UsageEvent, UsageEventResult, UsageEventResults, UsageEventStatus,
};

use crate::client_ip::ClientIp;
use crate::conversations::{ConversationRating, RunRating};
use crate::db::DAY_MS;
use crate::db::now_unix_ms;
use crate::engagement::ops as engagement_ops;
use crate::error::ApiError;
use crate::extract::{ApiQuery, bearer_token};
use crate::keys::scopes::Scope;
use crate::routes::access::session_with_any_of;
use crate::state::AppState;
use crate::usage::event_rules::{self as usage_event_rules, Reason, ValidEvent};
use crate::usage::{EventBatch, EventSender, NewUsageEvent};

/// Events in one batch; the SDK sends about 20.
pub const MAX_BATCH_EVENTS: usize = UsageEventBatch::MAX_EVENTS;
/// What one `fetch(keepalive)` may carry in all; the route's body limit.
pub const BODY_LIMIT: usize = 64 * 1024;

const MEDIA_TYPES: [&str; 3] = [
    "application/cloudevents-batch+json",
    "application/json",
    "text/plain",
];

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    /// The session's usage token, for senders that cannot set `Authorization`.
    access_token: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/usage/events",
    operation_id = "recordUsageEvents",
    tag = "browser",
    summary = "Record a batch of the visitor's usage events, each once",
    description = "A JSON array of at most 100 CloudEvents 1.0 (64 KB in all, 8 KB each) of the \
        types `dev.sitekit.widget.loaded`, `dev.sitekit.widget.opened`, `dev.sitekit.message.sent`, \
        `dev.sitekit.feedback`, `dev.sitekit.csat` (data `{\"threadId\", \"score\": 1..5}`; \
        the first answer of a conversation stands in the inbox), `dev.sitekit.track` and \
        `dev.sitekit.visitor.identified`. The answer has one result per event, in \
        the batch's order: `accepted` (stored now), `duplicate` (the widget has an event with \
        this source and id already) or `rejected` with a `reason` (`unsupported_specversion`, \
        `invalid_id`, `invalid_source`, `unknown_type`, `invalid_time`, `time_out_of_range` — \
        more than 35 days old or 5 minutes ahead —, `event_too_large`, `invalid_data`, \
        `invalid_event`, or `daily_limit_reached` once the widget has accepted its events for the \
        UTC day). The batch is stored all or nothing before the answer, so a client \
        may forget every event the answer names and send the batch again after any failure. \
        Either the session token or its usage token goes in the `Authorization` header. For \
        `navigator.sendBeacon`, which sets no headers, the usage token (never the session \
        token, refused there with `missing_scope`) may be the `access_token` query parameter \
        and the body `text/plain`.",
    request_body(
        description = "A JSON array of CloudEvents; each element is checked alone, and one \
            that is not a valid event is answered `rejected` without failing the others",
        content(
            (UsageEventBatch = "application/cloudevents-batch+json"),
            (UsageEventBatch = "application/json"),
            (UsageEventBatch = "text/plain"),
        )
    ),
    security(("session" = []), ("session_query" = [])),
    responses(
        (status = 200, description = "One result per event, in the batch's order", body = UsageEventResults),
        (status = 400, description = "Not JSON, not an array (`invalid_batch`), or more than 100 events (`batch_too_large`)", body = ErrorBody),
        (status = 401, description = "No session, or an invalid, expired or ended one", body = ErrorBody),
        (status = 403, description = "A session of another origin, a token without the usage:write or usage:beacon scope (or, in the query, without usage:beacon), or a disabled widget", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KB", body = ErrorBody),
        (status = 415, description = "Not application/cloudevents-batch+json, application/json or text/plain", body = ErrorBody),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorBody),
    )
)]
pub async fn ingest(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiQuery(query): ApiQuery<TokenQuery>,
    request: Request,
) -> Result<Json<UsageEventResults>, ApiError> {
    state.limits.request_from(client).await?;
    let headers = request.headers();
    // The header when there is one; the query parameter is for beacons, and
    // takes only the usage token.
    let claims = match (bearer_token(headers), query.access_token) {
        (Some(token), _) => session_with_any_of(
            &state,
            &token,
            headers,
            &[Scope::UsageWrite, Scope::UsageBeacon],
        )?,
        (None, Some(token)) => session_with_any_of(&state, &token, headers, &[Scope::UsageBeacon])
            .map_err(|error| match error {
                ApiError::Forbidden {
                    code: ErrorCode::MissingScope,
                    ..
                } => ApiError::forbidden(
                    ErrorCode::MissingScope,
                    "only the session's usageToken (scope `usage:beacon`) may be sent in the URL; \
                     send the session token in the Authorization header",
                ),
                other => other,
            })?,
        (None, None) => {
            return Err(ApiError::unauthorized(
                ErrorCode::MissingToken,
                "send Authorization: Bearer <session token>, or ?access_token=<usage token>",
            ));
        }
    };
    check_media_type(headers)?;
    let received_at_ms = now_unix_ms();
    // Anyone with the publishable key can send events: a widget's day has room
    // for so many. Checked before the batch is stored, so a day ends at most
    // one batch per concurrent request past it.
    let widget = state
        .db
        .widget_for_events(&claims.widget_id, received_at_ms.div_euclid(DAY_MS))
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
    let batch = read_batch(request, &state).await?;

    let day_is_full = widget.accepted_today >= i64::from(state.usage_events_per_widget_per_day);
    let mut checked: Vec<(String, Result<ValidEvent, Reason>)> = batch
        .into_iter()
        .map(|value| {
            let id = usage_event_rules::id_of(&value).to_owned();
            let checked = usage_event_rules::check(value, received_at_ms).and_then(|valid| {
                if day_is_full {
                    Err(Reason::DailyLimitReached)
                } else {
                    Ok(valid)
                }
            });
            (id, checked)
        })
        .collect();
    // Contact details and requests for a person: checked against the
    // widget's settings and stored before the batch, like the ratings below.
    let outcomes = checked.iter_mut().map(|(_, outcome)| outcome).collect();
    engagement_ops::take_from_events(&state.db, &claims, outcomes).await?;
    // The first of several events with one source and id in a batch is the one
    // stored; the others are duplicates of it.
    let mut first_of: HashMap<(&str, &str), usize> = HashMap::new();
    let mut to_store = Vec::new();
    for (index, (_, outcome)) in checked.iter().enumerate() {
        if let Ok(ValidEvent { event, time_ms }) = outcome {
            let key = (event.source.as_str(), event.id.as_str());
            if let Entry::Vacant(first) = first_of.entry(key) {
                first.insert(index);
                to_store.push(new_event(event, *time_ms));
            }
        }
    }
    // Ratings first: sent again with a batch that failed, they change nothing.
    let ratings: Vec<RunRating> = checked
        .iter()
        .filter_map(|(_, outcome)| {
            let ValidEvent { event, time_ms } = outcome.as_ref().ok()?;
            let rated = usage_event_rules::rated_answer(event)?;
            Some(RunRating {
                run_id: rated.run_id,
                thread_id: rated.thread_id,
                rating: rated.rating,
                rated_at_ms: *time_ms,
            })
        })
        .collect();
    let csat: Vec<ConversationRating> = checked
        .iter()
        .filter_map(|(_, outcome)| {
            let ValidEvent { event, time_ms } = outcome.as_ref().ok()?;
            let rated = usage_event_rules::rated_conversation(event)?;
            Some(ConversationRating {
                thread_id: rated.thread_id,
                score: rated.score,
                rated_at_ms: *time_ms,
            })
        })
        .collect();
    state
        .db
        .store_ratings(&claims.widget_id, &claims.visitor_id, &ratings, &csat)
        .await?;
    let sender = EventSender {
        tenant_id: claims.tenant_id,
        agent_id: widget.agent_id,
        widget_id: claims.widget_id,
        key_id: claims.key_id,
        visitor_id: claims.visitor_id,
        received_at_ms,
    };
    let stored = if to_store.is_empty() {
        Default::default()
    } else {
        let batch = EventBatch {
            sender,
            events: to_store,
        };
        state.db.record_usage_events(batch).await?
    };

    let results = checked
        .iter()
        .enumerate()
        .map(|(index, (id, outcome))| match outcome {
            Ok(ValidEvent { event, .. }) => {
                let key = (event.source.as_str(), event.id.as_str());
                let new = first_of.get(&key) == Some(&index)
                    && stored.contains(&(event.source.clone(), event.id.clone()));
                UsageEventResult {
                    id: id.clone(),
                    status: if new {
                        UsageEventStatus::Accepted
                    } else {
                        UsageEventStatus::Duplicate
                    },
                    reason: None,
                }
            }
            Err(reason) => UsageEventResult {
                id: id.clone(),
                status: UsageEventStatus::Rejected,
                reason: Some(reason.code().to_owned()),
            },
        })
        .collect();
    Ok(Json(UsageEventResults { results }))
}

fn new_event(event: &UsageEvent, time_ms: i64) -> NewUsageEvent {
    NewUsageEvent {
        source: event.source.clone(),
        id: event.id.clone(),
        kind: event.kind.clone(),
        time_ms,
        data: event.data.as_ref().map(Value::to_string),
        counted: usage_event_rules::counted(event),
    }
}

/// The batch's media type, parameters such as `charset` aside.
fn check_media_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase());
    if essence.is_some_and(|essence| MEDIA_TYPES.contains(&essence.as_str())) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "send the batch as {}",
            MEDIA_TYPES.join(", ")
        )))
    }
}

/// The body as a JSON array, each element still unchecked, so one broken event
/// is refused alone.
async fn read_batch(request: Request, state: &AppState) -> Result<Vec<Value>, ApiError> {
    // Bytes honours the route's body limit.
    let body = Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::bad_request(ErrorCode::InvalidBody, rejection.body_text())
            }
        })?;
    let batch: Vec<Value> = serde_json::from_slice(&body).map_err(|error| {
        if error.is_data() {
            ApiError::bad_request(
                ErrorCode::InvalidBatch,
                "the body must be a JSON array of CloudEvents",
            )
        } else {
            ApiError::bad_request(ErrorCode::InvalidJson, "the body is not valid JSON")
        }
    })?;
    if batch.len() > MAX_BATCH_EVENTS {
        return Err(ApiError::bad_request(
            ErrorCode::BatchTooLarge,
            format!(
                "a batch has at most {MAX_BATCH_EVENTS} events; this one has {}",
                batch.len()
            ),
        ));
    }
    Ok(batch)
}
