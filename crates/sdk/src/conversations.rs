//! JSON payloads of the site owner's inbox: the conversations visitors had
//! with the organisation's widgets, their transcripts, and what deleting them
//! removed. Times are RFC 3339 in UTC.

use serde::{Deserialize, Serialize};

/// The query of `GET /v1/conversations` and its export; every field may be
/// left out.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationQuery {
    /// Only this widget's conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_id: Option<String>,
    /// Only this visitor's conversations (`vis_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_id: Option<String>,
    /// Only conversations whose latest message is on or after this UTC day,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub from: Option<String>,
    /// Only conversations whose latest message is on or before this UTC day,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub to: Option<String>,
    /// `true`: only conversations with an answer the visitor rated down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rated_down: Option<bool>,
    /// `true`: only conversations with a run that ended in an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errored: Option<bool>,
    /// `true`: only conversations in which the visitor left contact details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_lead: Option<bool>,
    /// Words every one of which a message of the conversation holds (whole
    /// words, any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::SearchText>, inline))]
    pub q: Option<String>,
    /// How many conversations a page holds: 1 to 200 (default 50); an
    /// export holds all unless this caps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::PageLimit>, inline))]
    pub limit: Option<u32>,
    /// The `nextCursor` of the page before: the conversations after it (an
    /// export goes on from there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::ConversationCursor>, inline))]
    pub cursor: Option<String>,
}

/// How a conversation went, from its runs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationOutcome {
    /// Every run ended `ok` (the latest, at least, was not left).
    Answered,
    /// A run ended in an error.
    Errored,
    /// The visitor left while the latest answer was being written.
    VisitorLeft,
}

/// One conversation as the inbox lists it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    /// `cnv_…`.
    pub id: String,
    pub widget_id: String,
    pub widget_name: String,
    /// The server's id of the visitor (`vis_…`): what a data-subject request
    /// deletes by.
    pub visitor_id: String,
    /// The id the visitor's browser gave the thread.
    pub thread_id: String,
    /// The conversation's first message (kept or not) and its latest.
    pub started_at: String,
    pub last_message_at: String,
    /// Messages kept: the visitor's and the agent's.
    pub messages: i64,
    /// Runs (answers asked for) recorded.
    pub runs: i64,
    pub outcome: ConversationOutcome,
    /// The version of the agent the latest run ran (1 for an organisation's
    /// own agent); none before the first run is recorded.
    pub agent_version: Option<i64>,
    /// Answers the visitor rated up and down.
    pub rated_up: i64,
    pub rated_down: i64,
    /// The visitor's answer to the CSAT question, 1 to 5.
    #[serde(default)]
    pub csat: Option<i64>,
    /// The visitor left contact details.
    #[serde(default)]
    pub has_lead: bool,
    /// The visitor asked for a person.
    #[serde(default)]
    pub handoff_requested: bool,
}

/// `GET /v1/conversations`: a page of conversations, newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationPage {
    pub conversations: Vec<ConversationSummary>,
    /// Pass as `cursor` for the next page; none after the last.
    pub next_cursor: Option<String>,
}

/// One message of a transcript.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptMessage {
    pub id: String,
    /// `user` (the visitor) or `assistant` (the agent).
    pub role: String,
    /// As written: the agent's Markdown is text to render safely, never HTML.
    pub content: String,
    pub at: String,
    /// The run that asked or answered it.
    pub run_id: String,
}

/// One run of a conversation: how the answer went.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptRun {
    pub run_id: String,
    pub started_at: String,
    /// `ok`, an error code such as `runtime_timeout`, `visitor_left` or
    /// `node_stopped`.
    pub outcome: String,
    pub agent_version: i64,
    /// As the runtime reported them; none when it reported none.
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// Milliseconds until the runtime's first event (none when none came),
    /// and for the whole run.
    pub first_event_ms: Option<i64>,
    pub duration_ms: i64,
    /// The visitor's rating of the answer, `up` or `down`.
    pub rating: Option<String>,
}

/// `GET /v1/conversations/{id}`, and each line of the export.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    #[serde(flatten)]
    pub summary: ConversationSummary,
    /// Oldest first: the newest 2,000 kept at most.
    pub transcript: Vec<TranscriptMessage>,
    /// Oldest first: the newest 2,000 at most.
    pub run_records: Vec<TranscriptRun>,
    /// The contact details the visitor left, if any.
    #[serde(default)]
    pub lead: Option<crate::engagement::Lead>,
    /// When the visitor first asked for a person, if they did.
    #[serde(default)]
    pub handoff_requested_at: Option<String>,
}

/// `DELETE /v1/visitors/{visitorId}/conversations`: what a data-subject
/// request removed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitorDeletion {
    /// Conversations deleted, with their messages, ratings and leads.
    pub conversations: i64,
    /// The visitor's usage events deleted (what their pages reported, such as
    /// the name and email a site identified them by).
    pub usage_events: i64,
}
