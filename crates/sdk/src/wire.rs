//! JSON payloads of the embed server's public routes (camelCase, like AG-UI).

use serde::{Deserialize, Serialize};

/// `POST /v1/sessions` request body. The browser adds the `Origin` header itself.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    pub publishable_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_id: Option<String>,
}

/// `POST /v1/sessions` answer: a short-lived token for the chat routes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub visitor_id: String,
}

/// `GET /v1/widgets/<pub key>/config`: what a visitor's browser may know of a widget.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetConfig {
    pub title: String,
    pub greeting: String,
    pub locale: String,
    pub primary_color: String,
    /// Text on the primary colour (empty from servers that predate it).
    #[serde(default)]
    pub primary_text_color: String,
    pub position: Position,
    /// Suggestions to offer before the first message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starter_prompts: Vec<String>,
    /// An `https://` image for the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    Left,
    Right,
}

/// `GET /v1/threads/<id>`: a visitor's own conversation, oldest first, as AG-UI
/// messages (what the visitor wrote and what the agent answered).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadMessages {
    pub thread_id: String,
    pub messages: Vec<crate::agui::Message>,
}

/// Every API error: `{"error":{"code":"…","message":"…"}}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable, snake_case.
    pub code: String,
    /// Safe to show to a person.
    pub message: String,
}
