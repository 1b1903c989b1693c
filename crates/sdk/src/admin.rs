//! JSON payloads of the admin API (secret and restricted keys), camelCase like the
//! rest of the public API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wire::{DEFAULT_CONVERSATION_DAYS, Engagement, LauncherIcon, Position};

/// The daily message budget of a widget whose owner set none: a finite one, so
/// that a script on somebody's page cannot run up an unbounded bill.
pub const DEFAULT_DAILY_MESSAGE_BUDGET: u32 = 1_000;

/// A widget as its owner sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSummary {
    pub id: String,
    /// The organisation's own agent it runs; absent for a widget on a
    /// subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The subscription it runs (`sub_…`), whose version policy picks the
    /// version each chat runs; absent for a widget of an agent of one's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
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
    /// The launcher bubble's icon (`chat` from servers that predate it).
    #[serde(default)]
    pub launcher_icon: LauncherIcon,
    /// Days a visitor's conversation is kept without activity; 0 starts a new one
    /// on every page load (30 from servers that predate it).
    #[serde(default = "default_conversation_days")]
    pub conversation_days: u32,
    /// The CSAT question, contact form and "talk to a person" button (all off
    /// from servers that predate them).
    #[serde(default)]
    pub engagement: Engagement,
    /// Paused by the marketplace it was bought on (over its limit): the chat
    /// tells visitors so until the marketplace restores it. Only the
    /// marketplace changes it.
    #[serde(default)]
    pub paused: bool,
    /// Messages a UTC month the marketplace purchase covers; 0 means no
    /// budget. Only the marketplace changes it.
    #[serde(default)]
    pub monthly_message_budget: i64,
    /// The purchase's id in the marketplace that provisioned it, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

fn first_version() -> u32 {
    1
}

fn default_conversation_days() -> u32 {
    DEFAULT_CONVERSATION_DAYS
}

/// `GET /v1/widgets`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetList {
    pub widgets: Vec<WidgetSummary>,
}

/// `POST /v1/widgets`: a widget for one of the tenant's agents or one of its
/// subscriptions (exactly one of the two). Unset texts and colours take the
/// same defaults as `sitekit widgets create`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWidgetRequest {
    /// An agent of the organisation's own (`agt_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// A subscription of the organisation's (`sub_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::AllowedOrigins))]
    pub allowed_origins: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::WidgetTitle>))]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::Greeting>))]
    pub greeting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::Locale>))]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::Colour>))]
    pub primary_color: Option<String>,
    /// Text on the primary colour, `#ffffff` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::Colour>))]
    pub primary_text_color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Messages a day the widget answers over all its visitors, 1,000
    /// ([`DEFAULT_DAILY_MESSAGE_BUDGET`]) when left out; 0 for no budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::DailyMessageBudget>))]
    pub daily_message_budget: Option<u32>,
    /// Up to four suggestions shown before the first message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::StarterPrompts))]
    pub starter_prompts: Vec<String>,
    /// An `https://` image shown beside the agent's answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::AvatarUrl>))]
    pub avatar_url: Option<String>,
    /// 0 (the default) uses the server's limit.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::VisitorRate))]
    pub messages_per_visitor_per_minute: u32,
    /// Show visitors the agent's tool calls (off by default).
    #[serde(default)]
    pub show_tool_events: bool,
    /// The launcher bubble's icon, `chat` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launcher_icon: Option<LauncherIcon>,
    /// Days (0 to 365) a visitor's conversation is kept without activity, 30 when
    /// left out; 0 starts a new conversation on every page load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::ConversationDays>))]
    pub conversation_days: Option<u32>,
    /// The CSAT question, contact form and "talk to a person" button; all off
    /// when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement: Option<Engagement>,
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::WidgetTitle>))]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::Greeting>))]
    pub greeting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::Locale>))]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::Colour>))]
    pub primary_color: Option<String>,
    /// Text on the primary colour, `#ffffff` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::Colour>))]
    pub primary_text_color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::AllowedOrigins>))]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Messages a day over all visitors; 0 for no budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::DailyMessageBudget>))]
    pub daily_message_budget: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::StarterPrompts>))]
    pub starter_prompts: Option<Vec<String>>,
    /// An empty string removes the avatar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::AvatarUrlChange>))]
    pub avatar_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::VisitorRate>))]
    pub messages_per_visitor_per_minute: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_tool_events: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launcher_icon: Option<LauncherIcon>,
    /// Days (0 to 365) a visitor's conversation is kept without activity; 0
    /// starts a new conversation on every page load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::ConversationDays>))]
    pub conversation_days: Option<u32>,
    /// Replaces the whole of the widget's engagement settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement: Option<Engagement>,
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
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::ConnectTimeout))]
    pub connect_ms: u32,
    /// Until its first event (default 60 s).
    #[serde(default = "default_first_event_ms")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::FirstEventTimeout))]
    pub first_event_ms: u32,
    /// Between two events (default 60 s).
    #[serde(default = "default_idle_ms")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::IdleTimeout))]
    pub idle_ms: u32,
    /// For the whole run (default 5 min).
    #[serde(default = "default_total_ms")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::TotalTimeout))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::AgentName))]
    pub name: String,
    /// The adapter: `langflow` (when left out), `openai` or `agui`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::RuntimeKind>))]
    pub runtime: Option<String>,
    /// Langflow: the server (`http://host:7860`); OpenAI-compatible: the API base
    /// (`https://api.openai.com/v1`); AG-UI: the agent's endpoint itself.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::RuntimeUrl))]
    pub base_url: String,
    /// The Langflow flow; required for `langflow`, unused otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::FlowId))]
    pub flow_id: String,
    /// The model; required for `openai`, unused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::ModelName>))]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::SystemPrompt>))]
    pub system_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<AgentTimeouts>,
    /// The runtime's credential (a Langflow or OpenAI API key, a bearer token for
    /// an AG-UI agent; empty for none); stored, never returned.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::RuntimeKey))]
    pub runtime_key: String,
}

/// `PATCH /v1/agents/<id>`: the fields to change; absent fields stay as they are.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::AgentName>))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::RuntimeUrl>))]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::FlowId>))]
    pub flow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::ModelName>))]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::SystemPrompt>))]
    pub system_prompt: Option<String>,
    /// The whole set; fields left out take their defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<AgentTimeouts>,
    /// Needed with a `baseUrl` on another server (scheme, host or port): the
    /// stored credential was given for the old one (empty for a runtime that
    /// needs none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::RuntimeKey>))]
    pub runtime_key: Option<String>,
}

/// `GET /v1/usage`: what the tenant's widgets were used for, per UTC day and
/// agent, widget and key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    /// First and last day of the report, `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub to: String,
    /// The visitor messages the server ran in the report (`totals.messages`).
    pub total_messages: i64,
    /// Every row of `days` added up.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub totals: UsageCounts,
    /// One row per day, agent, widget and key with any activity, oldest first.
    pub days: Vec<DailyUsage>,
    /// How satisfied visitors were, per day with any rating, oldest first.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub satisfaction: Vec<DailySatisfaction>,
}

/// The ratings of one UTC day over the report's rows.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailySatisfaction {
    /// `YYYY-MM-DD`
    pub date: String,
    /// Answers rated up and down.
    pub thumbs_up: i64,
    pub thumbs_down: i64,
    /// Up over all thumbs, 0 to 1; none without thumbs.
    pub thumbs_up_ratio: Option<f64>,
    pub csat_responses: i64,
    /// The mean CSAT answer, 1 to 5; none without answers.
    pub csat_average: Option<f64>,
}

impl DailySatisfaction {
    /// The day's ratings from its counters; none for a day without any.
    pub fn of(date: &str, counts: &UsageCounts) -> Option<DailySatisfaction> {
        let thumbs = counts.feedback_up + counts.feedback_down;
        if thumbs == 0 && counts.csat_responses == 0 {
            return None;
        }
        Some(DailySatisfaction {
            date: date.to_owned(),
            thumbs_up: counts.feedback_up,
            thumbs_down: counts.feedback_down,
            thumbs_up_ratio: (thumbs > 0).then(|| counts.feedback_up as f64 / thumbs as f64),
            csat_responses: counts.csat_responses,
            csat_average: (counts.csat_responses > 0)
                .then(|| counts.csat_score_sum as f64 / counts.csat_responses as f64),
        })
    }
}

/// What one key of one widget (and so one agent) was used for on one UTC day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyUsage {
    /// `YYYY-MM-DD`
    pub date: String,
    /// The agent that ran: the organisation's own, or the version of a
    /// subscription's published agent that ran.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub agent_id: String,
    /// That agent's version: 1 for an agent of one's own, which has one
    /// implicit version (and from servers that predate versions).
    #[serde(default = "first_version")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub agent_version: u32,
    pub widget_id: String,
    /// The publishable key the visitor's session came from.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub key_id: String,
    #[serde(flatten)]
    pub counts: UsageCounts,
}

/// The usage counters, for one row of a report or all of them.
///
/// Runs, conversations, messages, characters, tokens and errors come from the
/// server's own record of every run (billable); feedback, loads and opens from
/// the usage events pages send (never billable), on the day the event happened.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UsageCounts {
    /// Threads whose first run started that day.
    pub conversations: i64,
    /// Runs of the agent, whatever their outcome.
    pub runs: i64,
    /// Messages visitors sent that the server ran: one per run, so equal to
    /// `runs` (a message refused before it ran, e.g. over a limit, is none).
    pub messages: i64,
    pub input_chars: i64,
    pub output_chars: i64,
    /// Tokens as runtimes report them (0 for runs of runtimes that report none).
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Runs whose outcome was not `ok`, by code (`runtime_timeout`,
    /// `visitor_left`, …).
    pub errors: BTreeMap<String, i64>,
    pub feedback_up: i64,
    pub feedback_down: i64,
    /// Answers to the CSAT question (`dev.sitekit.csat` events), and their
    /// scores (1 to 5) added up: the average is the one over the other.
    pub csat_responses: i64,
    pub csat_score_sum: i64,
    /// `dev.sitekit.widget.loaded` events: pages that showed the launcher.
    pub loads: i64,
    /// `dev.sitekit.widget.opened` events: visitors who opened the chat.
    pub opens: i64,
}

impl UsageCounts {
    /// Adds `other`'s counters to these.
    pub fn add(&mut self, other: &UsageCounts) {
        self.conversations += other.conversations;
        self.runs += other.runs;
        self.messages += other.messages;
        self.input_chars += other.input_chars;
        self.output_chars += other.output_chars;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        for (code, count) in &other.errors {
            *self.errors.entry(code.clone()).or_default() += count;
        }
        self.feedback_up += other.feedback_up;
        self.feedback_down += other.feedback_down;
        self.csat_responses += other.csat_responses;
        self.csat_score_sum += other.csat_score_sum;
        self.loads += other.loads;
        self.opens += other.opens;
    }

    /// Runs that did not end `ok`.
    pub fn error_runs(&self) -> i64 {
        self.errors.values().sum()
    }
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
    /// For restricted keys, which need at least one, e.g. `["widgets:read",
    /// "usage:read"]`. A secret key carries every admin scope and lists none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::fields::Scope>>))]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::KeyLifetimeDays>))]
    pub expires_in_days: Option<u32>,
    #[serde(default)]
    pub test_mode: bool,
    /// A label to tell keys apart, e.g. where the key is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::KeyName>))]
    pub name: Option<String>,
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
    /// Its label, if it was given one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::GraceSeconds>))]
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
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`), not after
    /// `to` and at most 365 days before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive (default: today, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub to: Option<String>,
    /// Only this agent's usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Only this widget's usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_id: Option<String>,
    /// Only the usage of visitors whose session came from this publishable key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// How rows are grouped in time: `day`, the only one so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub granularity: Option<UsageGranularity>,
}

/// How a usage report groups time.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsageGranularity {
    /// UTC days.
    #[default]
    Day,
}

/// The formats of `GET /v1/usage/export`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsageExportFormat {
    /// `text/csv`: the report's daily rows, errors as `code:count;…`.
    Csv,
    /// `application/x-ndjson`: every run record and stored usage event in range,
    /// one CloudEvents 1.0 JSON event a line.
    Cloudevents,
    /// `application/x-ndjson`: Stripe meter events, one a line: `sitekit_messages`
    /// for every run, `sitekit_tokens` for runs with token counts.
    Stripe,
}

impl UsageExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            UsageExportFormat::Csv => "csv",
            UsageExportFormat::Cloudevents => "cloudevents",
            UsageExportFormat::Stripe => "stripe",
        }
    }
}

/// The query of `GET /v1/usage/export`: a format and the filters of
/// [`UsageQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageExportQuery {
    #[cfg_attr(feature = "openapi", param(inline))]
    pub format: UsageExportFormat,
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`), not after
    /// `to` and at most 365 days before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive (default: today, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub granularity: Option<UsageGranularity>,
}

impl UsageExportQuery {
    /// The filters, without the format.
    pub fn filters(&self) -> UsageQuery {
        UsageQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            agent_id: self.agent_id.clone(),
            widget_id: self.widget_id.clone(),
            key_id: self.key_id.clone(),
            granularity: self.granularity,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn counts(runs: i64, errors: &[(&str, i64)]) -> UsageCounts {
        UsageCounts {
            conversations: 1,
            runs,
            messages: runs,
            input_tokens: 10,
            errors: errors
                .iter()
                .map(|(code, count)| (code.to_string(), *count))
                .collect(),
            opens: 2,
            ..UsageCounts::default()
        }
    }

    #[test]
    fn a_daily_row_is_flat_camel_case_json() {
        let row = DailyUsage {
            date: "2026-01-02".into(),
            agent_id: "agt_1".into(),
            agent_version: 2,
            widget_id: "wgt_1".into(),
            key_id: "key_1".into(),
            counts: counts(3, &[("runtime_timeout", 1)]),
        };
        let value = serde_json::to_value(&row).unwrap();
        assert_eq!(
            value,
            json!({
                "date": "2026-01-02", "agentId": "agt_1", "agentVersion": 2, "widgetId": "wgt_1", "keyId": "key_1",
                "conversations": 1, "runs": 3, "messages": 3, "inputChars": 0, "outputChars": 0,
                "inputTokens": 10, "outputTokens": 0, "errors": { "runtime_timeout": 1 },
                "feedbackUp": 0, "feedbackDown": 0, "csatResponses": 0, "csatScoreSum": 0,
                "loads": 0, "opens": 2,
            })
        );
        assert_eq!(serde_json::from_value::<DailyUsage>(value).unwrap(), row);
    }

    #[test]
    fn counts_add_up_errors_by_code() {
        let mut total = counts(3, &[("runtime_timeout", 1)]);
        total.add(&counts(2, &[("runtime_timeout", 1), ("visitor_left", 1)]));
        assert_eq!((total.runs, total.messages, total.conversations), (5, 5, 2));
        assert_eq!((total.input_tokens, total.opens), (20, 4));
        assert_eq!(total.errors["runtime_timeout"], 2);
        assert_eq!(total.error_runs(), 3);
    }

    #[test]
    fn only_day_granularity_and_the_three_export_formats_are_read() {
        let query: UsageQuery = serde_json::from_value(json!({ "granularity": "day" })).unwrap();
        assert_eq!(query.granularity, Some(UsageGranularity::Day));
        assert!(serde_json::from_value::<UsageQuery>(json!({ "granularity": "week" })).is_err());
        for format in ["csv", "cloudevents", "stripe"] {
            let query: UsageExportQuery =
                serde_json::from_value(json!({ "format": format, "widgetId": "wgt_1" })).unwrap();
            assert_eq!(query.format.as_str(), format);
            assert_eq!(query.filters().widget_id.as_deref(), Some("wgt_1"));
        }
        assert!(serde_json::from_value::<UsageExportQuery>(json!({ "format": "xml" })).is_err());
    }
}
