//! AG-UI protocol types: the events a run streams and the input that starts a run.
//!
//! Field names and event names follow the AG-UI spec (camelCase JSON, `type` in
//! SCREAMING_SNAKE_CASE), so any AG-UI client or agent can talk to us. Event types we
//! do not model decode as [`Event::Other`]: a newer runtime must never break a stream.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One AG-UI event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Fields are renamed per variant rather than with `rename_all_fields`, which the
// OpenAPI schema generator does not read.
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
pub enum Event {
    #[serde(rename_all = "camelCase")]
    RunStarted { thread_id: String, run_id: String },
    #[serde(rename_all = "camelCase")]
    RunFinished { thread_id: String, run_id: String },
    #[serde(rename_all = "camelCase")]
    RunError {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    StepStarted { step_name: String },
    #[serde(rename_all = "camelCase")]
    StepFinished { step_name: String },
    #[serde(rename_all = "camelCase")]
    TextMessageStart {
        message_id: String,
        #[serde(default = "assistant")]
        role: String,
    },
    #[serde(rename_all = "camelCase")]
    TextMessageContent { message_id: String, delta: String },
    #[serde(rename_all = "camelCase")]
    TextMessageEnd { message_id: String },
    #[serde(rename_all = "camelCase")]
    ToolCallStart {
        tool_call_id: String,
        tool_call_name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent_message_id: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    ToolCallArgs { tool_call_id: String, delta: String },
    #[serde(rename_all = "camelCase")]
    ToolCallEnd { tool_call_id: String },
    #[serde(rename_all = "camelCase")]
    ToolCallResult {
        message_id: String,
        tool_call_id: String,
        content: String,
    },
    /// Any event type this SDK does not model (state, steps' details, raw, custom, …).
    #[serde(other)]
    Other,
}

fn assistant() -> String {
    "assistant".into()
}

impl Event {
    /// The event's `type` name as it appears on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::RunStarted { .. } => "RUN_STARTED",
            Event::RunFinished { .. } => "RUN_FINISHED",
            Event::RunError { .. } => "RUN_ERROR",
            Event::StepStarted { .. } => "STEP_STARTED",
            Event::StepFinished { .. } => "STEP_FINISHED",
            Event::TextMessageStart { .. } => "TEXT_MESSAGE_START",
            Event::TextMessageContent { .. } => "TEXT_MESSAGE_CONTENT",
            Event::TextMessageEnd { .. } => "TEXT_MESSAGE_END",
            Event::ToolCallStart { .. } => "TOOL_CALL_START",
            Event::ToolCallArgs { .. } => "TOOL_CALL_ARGS",
            Event::ToolCallEnd { .. } => "TOOL_CALL_END",
            Event::ToolCallResult { .. } => "TOOL_CALL_RESULT",
            Event::Other => "OTHER",
        }
    }

    /// True for the events that end a run.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Event::RunFinished { .. } | Event::RunError { .. })
    }
}

/// The body of `POST /v1/chat`: AG-UI's `RunAgentInput`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunAgentInput {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::ChatId))]
    pub thread_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::ChatId))]
    pub run_id: String,
    /// Any JSON; the server passes none of it on.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub state: Value,
    /// The conversation so far; the run answers the last user message, which
    /// must have 1 to 4,000 characters, not only white space.
    pub messages: Vec<Message>,
    /// Any JSON values; the server passes none of them on.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Value>))]
    pub tools: Vec<Value>,
    /// Any JSON values; the server passes none of them on.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Value>))]
    pub context: Vec<Value>,
    /// Any JSON; the server passes none of it on.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub forwarded_props: Value,
}

impl RunAgentInput {
    /// A run that sends one user message on a thread.
    pub fn user_text(thread_id: &str, run_id: &str, text: &str) -> Self {
        RunAgentInput {
            thread_id: thread_id.into(),
            run_id: run_id.into(),
            state: Value::Object(Default::default()),
            messages: vec![Message {
                id: format!("{run_id}-user"),
                role: Role::User,
                content: Some(text.into()),
            }],
            tools: Vec::new(),
            context: Vec::new(),
            forwarded_props: Value::Object(Default::default()),
        }
    }

    /// The text of the newest user message, which is what a run answers.
    pub fn last_user_text(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find(|message| message.role == Role::User)
            .and_then(|message| message.content.as_deref())
    }
}

/// One message of a conversation. Only plain-text content is modelled.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Developer,
    System,
    Assistant,
    User,
    Tool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_content_event_round_trips_in_agui_shape() {
        let json =
            r#"{"type":"TEXT_MESSAGE_CONTENT","messageId":"m1","delta":"Hel","timestamp":1}"#;
        let event: Event = serde_json::from_str(json).unwrap();
        assert_eq!(
            event,
            Event::TextMessageContent {
                message_id: "m1".into(),
                delta: "Hel".into()
            }
        );
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"type":"TEXT_MESSAGE_CONTENT","messageId":"m1","delta":"Hel"}"#
        );
    }

    #[test]
    fn unknown_event_types_decode_as_other_instead_of_failing() {
        let event: Event =
            serde_json::from_str(r#"{"type":"STATE_SNAPSHOT","snapshot":{"secret":1}}"#).unwrap();
        assert_eq!(event, Event::Other);
    }

    #[test]
    fn run_input_accepts_minimal_agui_clients_and_finds_the_question() {
        let json = r#"{"threadId":"t","runId":"r","messages":[
            {"id":"1","role":"user","content":"first"},
            {"id":"2","role":"assistant","content":"answer"},
            {"id":"3","role":"user","content":"second"}]}"#;
        let input: RunAgentInput = serde_json::from_str(json).unwrap();
        assert_eq!(input.last_user_text(), Some("second"));
    }
}
