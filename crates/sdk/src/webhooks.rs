//! JSON payloads of outgoing webhooks: registering an organisation's
//! endpoints, their secrets (shown once) and their delivery logs. The events
//! themselves follow Standard Webhooks: a body `{"type","timestamp","data"}`,
//! signed in the `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! headers. Times are RFC 3339 in UTC.

use serde::{Deserialize, Serialize};

/// `POST /v1/webhooks`: where to send which events.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhookRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::WebhookUrl))]
    pub url: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::WebhookEvents))]
    pub events: Vec<String>,
}

/// `PATCH /v1/webhooks/{id}`: what changes; what is left out stays.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::WebhookUrl>))]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::WebhookEvents>))]
    pub events: Option<Vec<String>>,
}

/// A registered endpoint, as every answer but the secret's shows it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// `whk_…`.
    pub id: String,
    pub url: String,
    /// The event types it is sent.
    pub events: Vec<String>,
    pub created_at: String,
    /// Until when deliveries carry a second signature, by the secret before
    /// the latest rotation; none when they do not.
    pub previous_secret_expires_at: Option<String>,
}

/// `POST /v1/webhooks` and `POST /v1/webhooks/{id}/rotate-secret`: the
/// endpoint and its signing secret, which no later answer shows again.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` and the base64 of 32 random bytes, as Standard Webhooks'
    /// libraries take it.
    pub secret: String,
}

/// `GET /v1/webhooks`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

/// Where a delivery stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet: it is sent at `nextAttemptAt`.
    Pending,
    /// The endpoint answered 2xx.
    Done,
    /// Every attempt for 24 hours failed, or the endpoint was deleted.
    Failed,
}

/// One event sent (or to be sent) to one endpoint.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// `whd_…`: the `webhook-id` header of every attempt and resend.
    pub id: String,
    /// The event type.
    #[serde(rename = "type")]
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: i64,
    /// The HTTP status of the latest attempt; none when none answered.
    pub last_status: Option<i64>,
    /// Why the latest attempt failed, in a few words.
    pub last_error: Option<String>,
    pub created_at: String,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<String>,
    /// When the endpoint took it.
    pub done_at: Option<String>,
}

/// The query of `GET /v1/webhooks/{id}/deliveries`.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliveryQuery {
    /// How many deliveries a page holds: 1 to 200 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::PageLimit>, inline))]
    pub limit: Option<u32>,
    /// Only deliveries older than this one (a page's `nextBefore`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

/// `GET /v1/webhooks/{id}/deliveries`: the newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryPage {
    pub deliveries: Vec<WebhookDelivery>,
    /// Pass as `before` for the next page; none after the last.
    pub next_before: Option<String>,
}
