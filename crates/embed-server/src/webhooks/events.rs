//! The events an endpoint may subscribe to, their payloads, and how one is put
//! in the outbox: one `webhook_deliveries` row per live endpoint of the
//! organisation that subscribes to it, written on the caller's connection,
//! inside the transaction that stores what the event tells of, so an event is
//! enqueued exactly when its data is committed.
//!
//! This module sits low in the layers (beside `audit`) so that every domain
//! that has something to tell (`chat`, `conversations`, `usage`) can call it;
//! it knows none of them.

use serde_json::{Value, json};
use sitekit_sdk::fields::WebhookEvent;
use sqlx::{AnyConnection, Row};

use crate::db::{DAY_MS, new_id};

/// An event type, parsed once where it enters (a request, a stored list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    ConversationStarted,
    ConversationRated,
    LeadCreated,
    RunFailed,
    UsageDaily,
    HandoffRequested,
}

impl EventType {
    /// Every type, in `sitekit_sdk::fields::WebhookEvent::NAMES`' order.
    pub const ALL: [EventType; 6] = [
        EventType::ConversationStarted,
        EventType::ConversationRated,
        EventType::LeadCreated,
        EventType::RunFailed,
        EventType::UsageDaily,
        EventType::HandoffRequested,
    ];

    pub fn as_str(self) -> &'static str {
        WebhookEvent::NAMES[self as usize]
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL
            .into_iter()
            .find(|event| event.as_str() == name)
    }
}

/// One thing that happened, with what its payload's `data` says: ids, counts
/// and codes, never a secret; a visitor's words only in the events that exist
/// to carry them (`lead.created`, `handoff.requested`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_type: EventType,
    pub data: Value,
    /// Makes the event once per endpoint whatever the nodes (a day's usage);
    /// None for events that are unique by nature.
    pub dedupe_key: Option<String>,
}

/// A thread (`widget`, `visitor`, `thread`), as the events name it.
#[derive(Debug, Clone, Copy)]
pub struct ThreadIds<'a> {
    pub widget_id: &'a str,
    pub visitor_id: &'a str,
    pub thread_id: &'a str,
}

impl Event {
    /// A visitor's first message in a thread: the inbox has a new conversation.
    pub fn conversation_started(conversation_id: &str, thread: ThreadIds<'_>) -> Event {
        Event::plain(
            EventType::ConversationStarted,
            json!({
                "conversationId": conversation_id,
                "widgetId": thread.widget_id,
                "visitorId": thread.visitor_id,
                "threadId": thread.thread_id,
            }),
        )
    }

    /// A visitor rated an answer (`up` or `down`).
    pub fn conversation_rated(thread: ThreadIds<'_>, run_id: &str, rating: &str) -> Event {
        Event::plain(
            EventType::ConversationRated,
            json!({
                "widgetId": thread.widget_id,
                "visitorId": thread.visitor_id,
                "threadId": thread.thread_id,
                "runId": run_id,
                "rating": rating,
            }),
        )
    }

    /// A visitor answered the CSAT question of a conversation (1 to 5).
    pub fn conversation_csat(thread: ThreadIds<'_>, score: u8) -> Event {
        Event::plain(
            EventType::ConversationRated,
            json!({
                "widgetId": thread.widget_id,
                "visitorId": thread.visitor_id,
                "threadId": thread.thread_id,
                "csat": score,
            }),
        )
    }

    /// A visitor left contact details (`lead` is the lead as the list shows it).
    pub fn lead_created(lead: Value) -> Event {
        Event::plain(EventType::LeadCreated, lead)
    }

    /// A visitor asked for a person: the conversation so far, oldest first
    /// (`transcript` is a list of `{role, content, at}`), for a help desk to
    /// take it from there.
    pub fn handoff_requested(
        thread: ThreadIds<'_>,
        conversation_id: Option<&str>,
        transcript: Value,
    ) -> Event {
        Event::plain(
            EventType::HandoffRequested,
            json!({
                "conversationId": conversation_id,
                "widgetId": thread.widget_id,
                "visitorId": thread.visitor_id,
                "threadId": thread.thread_id,
                "transcript": transcript,
            }),
        )
    }

    /// A run ended in an error (`outcome` is its code, e.g. `runtime_error`).
    pub fn run_failed(thread: ThreadIds<'_>, run_id: &str, outcome: &str) -> Event {
        Event::plain(
            EventType::RunFailed,
            json!({
                "widgetId": thread.widget_id,
                "visitorId": thread.visitor_id,
                "threadId": thread.thread_id,
                "runId": run_id,
                "outcome": outcome,
            }),
        )
    }

    /// A UTC day's totals (`day` in days since the epoch), once per endpoint.
    pub fn usage_daily(day: i64, totals: Value) -> Event {
        let date = time::OffsetDateTime::from_unix_timestamp(day * DAY_MS / 1_000)
            .map(|at| at.date().to_string())
            .unwrap_or_default();
        Event {
            event_type: EventType::UsageDaily,
            data: json!({ "day": date, "totals": totals }),
            dedupe_key: Some(format!("usage.daily:{day}")),
        }
    }

    fn plain(event_type: EventType, data: Value) -> Event {
        Event {
            event_type,
            data,
            dedupe_key: None,
        }
    }

    /// The body every endpoint is sent, exactly as stored and signed.
    pub fn payload(&self, at_ms: i64) -> String {
        json!({
            "type": self.event_type.as_str(),
            "timestamp": rfc3339(at_ms),
            "data": self.data,
        })
        .to_string()
    }
}

/// How long a delivery is retried after it is enqueued (or resent).
pub const RETRY_FOR_MS: i64 = DAY_MS;

/// Puts `event` in the outbox of every live endpoint of `tenant_id` that
/// subscribes to it, on `connection` (the caller's transaction), due now.
/// Returns how many deliveries it made; most events of most organisations
/// make none, at the cost of one indexed read.
pub(crate) async fn enqueue_on(
    connection: &mut AnyConnection,
    tenant_id: &str,
    event: &Event,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    let endpoints = sqlx::query(
        "SELECT id FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL \
         AND (' ' || events || ' ') LIKE $2",
    )
    .bind(tenant_id)
    .bind(format!("% {} %", event.event_type.as_str()))
    .fetch_all(&mut *connection)
    .await?;
    let payload = event.payload(now_ms);
    let mut made = 0;
    for endpoint in endpoints {
        let endpoint_id: String = endpoint.try_get("id")?;
        made +=
            insert_delivery(connection, &endpoint_id, tenant_id, event, &payload, now_ms).await?;
    }
    Ok(made)
}

/// One delivery of `payload` to `endpoint_id`, due now; with a dedupe key, only
/// if that endpoint has none with the same key.
pub(crate) async fn insert_delivery(
    connection: &mut AnyConnection,
    endpoint_id: &str,
    tenant_id: &str,
    event: &Event,
    payload: &str,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, event_type, payload, \
         created_at, attempts, next_attempt_at, retry_until, state, dedupe_key) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $6, $7, 'pending', $8) \
         ON CONFLICT (endpoint_id, dedupe_key) DO NOTHING",
    )
    .bind(new_id("whd"))
    .bind(endpoint_id)
    .bind(tenant_id)
    .bind(event.event_type.as_str())
    .bind(payload)
    .bind(now_ms)
    .bind(now_ms + RETRY_FOR_MS)
    .bind(event.dedupe_key.as_deref())
    .execute(&mut *connection)
    .await?
    .rows_affected())
}

/// Unix milliseconds as RFC 3339 in UTC, to the millisecond.
pub fn rfc3339(at_ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name() {
        for event in EventType::ALL {
            assert_eq!(EventType::parse(event.as_str()), Some(event));
        }
        assert_eq!(EventType::parse("webhook.test"), None);
        assert_eq!(EventType::parse("run.failed "), None);
    }

    #[test]
    fn a_payload_is_type_timestamp_and_data() {
        let thread = ThreadIds {
            widget_id: "wgt_1",
            visitor_id: "vis_1",
            thread_id: "t1",
        };
        let payload: Value = serde_json::from_str(
            &Event::run_failed(thread, "run_1", "runtime_error").payload(1_795_774_080_250),
        )
        .unwrap();
        assert_eq!(payload["type"], "run.failed");
        assert_eq!(payload["timestamp"], "2026-11-27T10:08:00.25Z");
        assert_eq!(payload["data"]["outcome"], "runtime_error");
        let daily = Event::usage_daily(20_000, json!({}));
        assert_eq!(daily.data["day"], "2024-10-04");
        assert_eq!(daily.dedupe_key.as_deref(), Some("usage.daily:20000"));
    }
}
