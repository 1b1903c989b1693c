//! JSON payloads of the admin API (secret and restricted keys), camelCase like the
//! rest of the public API.

use serde::{Deserialize, Serialize};

use crate::wire::Position;

/// A widget as its owner sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSummary {
    pub id: String,
    pub agent_id: String,
    pub title: String,
    pub greeting: String,
    pub locale: String,
    pub primary_color: String,
    /// Text on the primary colour.
    pub primary_text_color: String,
    pub position: Position,
    /// Exact origins and patterns, as written (`https://*.example.com`).
    pub allowed_origins: Vec<String>,
    pub enabled: bool,
    /// Messages a day over all visitors; 0 means no budget.
    pub daily_message_budget: i64,
    pub starter_prompts: Vec<String>,
    pub avatar_url: Option<String>,
    /// Messages a minute from one visitor; 0 means the server's default.
    pub messages_per_visitor_per_minute: i64,
    /// Visitors see the agent's tool calls.
    pub show_tool_events: bool,
}

/// `GET /v1/widgets`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetList {
    pub widgets: Vec<WidgetSummary>,
}

/// `POST /v1/widgets`: a widget for one of the tenant's agents. Unset texts and
/// colours take the same defaults as `sitekit widgets create`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWidgetRequest {
    pub agent_id: String,
    pub allowed_origins: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    /// Text on the primary colour, `#ffffff` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_text_color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    #[serde(default)]
    pub daily_message_budget: u32,
    /// Up to four suggestions shown before the first message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starter_prompts: Vec<String>,
    /// An `https://` image shown beside the agent's answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// 0 (the default) uses the server's limit.
    #[serde(default)]
    pub messages_per_visitor_per_minute: u32,
    /// Show visitors the agent's tool calls (off by default).
    #[serde(default)]
    pub show_tool_events: bool,
    /// Issue a test-mode publishable key (`skt_pub_test_…`).
    #[serde(default)]
    pub test_mode: bool,
}

/// The answer to `POST /v1/widgets`: the widget, its publishable key and snippet.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWidget {
    pub widget: WidgetSummary,
    pub publishable_key: String,
    pub snippet: String,
}

/// `GET /v1/widgets/<id>/snippet`: the two ways to put the widget on a page.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSnippet {
    pub widget_id: String,
    /// `<script>` for `/v1/loader.js`: picks up every release of the widget.
    pub auto_updating: String,
    /// `<script>` for one exact loader, which the browser checks against
    /// `integrity` and refuses if it differs.
    pub pinned: String,
    /// The pinned loader's content-versioned URL.
    pub loader_url: String,
    /// `sha384-…` of the pinned loader's bytes.
    pub integrity: String,
}

/// `PATCH /v1/widgets/<id>`: the fields to change; absent fields stay as they are.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WidgetUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    /// Text on the primary colour, `#ffffff` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_text_color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_message_budget: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starter_prompts: Option<Vec<String>>,
    /// An empty string removes the avatar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_per_visitor_per_minute: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_tool_events: Option<bool>,
}

/// An agent as its owner sees it: where it runs, never its runtime credential.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSummary {
    pub id: String,
    pub name: String,
    /// The adapter: `langflow`, `openai` or `agui`.
    pub runtime: String,
    pub base_url: String,
    /// The Langflow flow (empty for other runtimes).
    pub flow_id: String,
    /// The model an OpenAI-compatible runtime runs (empty for other runtimes).
    pub model: String,
    /// Sent first in every conversation with an OpenAI-compatible runtime.
    pub system_prompt: String,
    pub timeouts: AgentTimeouts,
}

/// How long a run may take, in milliseconds. In a request, a field left out takes
/// its default.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentTimeouts {
    /// Until the runtime answers the request (default 10 s).
    #[serde(default = "default_connect_ms")]
    pub connect_ms: u32,
    /// Until its first event (default 60 s).
    #[serde(default = "default_first_event_ms")]
    pub first_event_ms: u32,
    /// Between two events (default 60 s).
    #[serde(default = "default_idle_ms")]
    pub idle_ms: u32,
    /// For the whole run (default 5 min).
    #[serde(default = "default_total_ms")]
    pub total_ms: u32,
}

impl Default for AgentTimeouts {
    fn default() -> Self {
        AgentTimeouts {
            connect_ms: default_connect_ms(),
            first_event_ms: default_first_event_ms(),
            idle_ms: default_idle_ms(),
            total_ms: default_total_ms(),
        }
    }
}

fn default_connect_ms() -> u32 {
    10_000
}
fn default_first_event_ms() -> u32 {
    60_000
}
fn default_idle_ms() -> u32 {
    60_000
}
fn default_total_ms() -> u32 {
    300_000
}

/// `GET /v1/agents`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentList {
    pub agents: Vec<AgentSummary>,
}

/// `POST /v1/agents`: bind an agent runtime to the caller's tenant.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAgentRequest {
    pub name: String,
    /// The adapter: `langflow` (when left out), `openai` or `agui`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Langflow: the server (`http://host:7860`); OpenAI-compatible: the API base
    /// (`https://api.openai.com/v1`); AG-UI: the agent's endpoint itself.
    pub base_url: String,
    /// The Langflow flow; required for `langflow`, unused otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub flow_id: String,
    /// The model; required for `openai`, unused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<AgentTimeouts>,
    /// The runtime's credential (a Langflow or OpenAI API key, a bearer token for
    /// an AG-UI agent; empty for none); stored, never returned.
    #[serde(default)]
    pub runtime_key: String,
}

/// `PATCH /v1/agents/<id>`: the fields to change; absent fields stay as they are.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// The whole set; fields left out take their defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<AgentTimeouts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_key: Option<String>,
}

/// `GET /v1/usage`: messages the tenant's widgets answered, per UTC day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    /// First and last day of the report, `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub to: String,
    pub total_messages: i64,
    /// Only days with messages, oldest first.
    pub days: Vec<DailyUsage>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyUsage {
    /// `YYYY-MM-DD`
    pub date: String,
    pub widget_id: String,
    pub messages: i64,
}

/// The kinds of key the admin API makes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdminKeyKind {
    /// Every admin scope of the tenant.
    Secret,
    /// Only the listed scopes.
    Restricted,
}

/// `POST /v1/keys`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewKeyRequest {
    pub kind: AdminKeyKind,
    /// For restricted keys, e.g. `["widgets:read", "usage:read"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    #[serde(default)]
    pub test_mode: bool,
}

/// The answer to `POST /v1/keys`: the only time the key itself is shown.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    pub id: String,
    pub key: String,
    pub scopes: Vec<String>,
}

/// A key as `GET /v1/keys` shows it: never the secret.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeySummary {
    pub id: String,
    pub widget_id: Option<String>,
    /// `pub`, `sec` or `rst`.
    pub kind: String,
    /// `live` or `test`.
    pub mode: String,
    /// `skt_sec_live_…abcd`
    pub display: String,
    pub revoked: bool,
}

/// `GET /v1/keys`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyList {
    pub keys: Vec<KeySummary>,
}

/// `POST /v1/keys/<id>/rotate`: a replacement key; the old one keeps working for
/// the grace period (default one day) so deployments can switch over.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateKeyRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<u32>,
}

/// One entry of a key's audit trail: what happened, who did it, when.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyEvent {
    /// `created`, `rotated` or `revoked`.
    pub event: String,
    /// `cli` for the command line on the server's database, `key:<id>` for an
    /// admin API key.
    pub actor: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// `GET /v1/keys/<id>/events`: a key's audit trail, oldest first. Never the key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyEventList {
    pub key_id: String,
    pub events: Vec<KeyEvent>,
}

/// The query of `GET /v1/usage`; every field may be left out.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageQuery {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive (default: today, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Only this widget's messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_id: Option<String>,
}
