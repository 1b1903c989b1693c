//! Any AG-UI HTTP agent: `POST` a `RunAgentInput` to the agent's own endpoint (the
//! agent's base URL), read AG-UI events back as SSE. An AG-UI agent expects its
//! client to send the conversation, so every run carries the thread's history.

use serde_json::Value;
use sitekit_sdk::agui::{Message, Role, RunAgentInput};

use super::{RunRequest, Runtime, RuntimeHttp, StartRun, agui_sse};
use crate::agents::Agent;

#[derive(Debug, Clone)]
pub struct Agui {
    http: RuntimeHttp,
}

impl Agui {
    pub fn new(http: RuntimeHttp) -> Self {
        Agui { http }
    }
}

/// The run as AG-UI input: the thread so far, then the visitor's new message.
/// Message ids only need to be unique within the input, so they are derived
/// from the run id rather than kept.
fn run_input(run: RunRequest) -> RunAgentInput {
    let mut messages: Vec<Message> = run
        .history
        .into_iter()
        .enumerate()
        .map(|(index, message)| Message {
            id: format!("{}-history-{index}", run.run_id),
            role: message.role,
            content: Some(message.content),
        })
        .collect();
    messages.push(Message {
        id: format!("{}-user", run.run_id),
        role: Role::User,
        content: Some(run.text),
    });
    RunAgentInput {
        thread_id: run.thread_id,
        run_id: run.run_id,
        state: Value::Object(Default::default()),
        messages,
        tools: Vec::new(),
        context: Vec::new(),
        forwarded_props: Value::Object(Default::default()),
    }
}

impl Runtime for Agui {
    fn start(&self, agent: &Agent, run: RunRequest) -> StartRun {
        let url = agent.base_url.clone();
        let body = serde_json::to_vec(&run_input(run)).expect("run input serializes");
        let mut request = self
            .http
            .post(&url)
            .header("accept", "text/event-stream")
            .header("content-type", "application/json")
            .body(body);
        // An agent open to anyone gets no credential header at all rather than
        // an empty one, which some servers reject as malformed.
        if !agent.runtime_key.is_empty() {
            request = request.bearer_auth(&agent.runtime_key);
        }
        let credential = agent.runtime_key.clone();
        let http = self.http.clone();
        Box::pin(async move {
            let response = http.send(request, &credential).await?;
            Ok(agui_sse::events(response))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::relay::HistoryMessage;

    #[test]
    fn the_input_carries_the_history_then_the_new_message_with_distinct_ids() {
        let input = run_input(RunRequest {
            thread_id: "w:v:t".into(),
            run_id: "r2".into(),
            text: "and keys?".into(),
            history: vec![
                HistoryMessage {
                    role: Role::User,
                    content: "origins?".into(),
                },
                HistoryMessage {
                    role: Role::Assistant,
                    content: "Allowed origins control…".into(),
                },
            ],
        });
        let json = serde_json::to_value(&input).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "threadId": "w:v:t",
                "runId": "r2",
                "state": {},
                "messages": [
                    { "id": "r2-history-0", "role": "user", "content": "origins?" },
                    { "id": "r2-history-1", "role": "assistant", "content": "Allowed origins control…" },
                    { "id": "r2-user", "role": "user", "content": "and keys?" },
                ],
                "tools": [],
                "context": [],
                "forwardedProps": {},
            })
        );
    }
}
