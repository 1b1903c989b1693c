//! Langflow's Workflows API (`POST /api/v2/workflows`, `mode: stream`,
//! `stream_protocol: agui`), as served by Langflow and by `lfx serve`. Langflow
//! keeps the conversation itself, keyed by `session_id`, so no history is sent.

use serde::Serialize;

use super::{RunRequest, Runtime, RuntimeHttp, StartRun, agui_sse};
use crate::agents::Agent;

#[derive(Debug, Clone)]
pub struct Langflow {
    http: RuntimeHttp,
}

impl Langflow {
    pub fn new(http: RuntimeHttp) -> Self {
        Langflow { http }
    }
}

#[derive(Serialize)]
struct WorkflowRequest<'a> {
    flow_id: &'a str,
    input_value: &'a str,
    session_id: &'a str,
    mode: &'static str,
    stream_protocol: &'static str,
}

impl Runtime for Langflow {
    fn start(&self, agent: &Agent, run: RunRequest) -> StartRun {
        let url = format!("{}/api/v2/workflows", agent.base_url.trim_end_matches('/'));
        let body = WorkflowRequest {
            flow_id: &agent.flow_id,
            input_value: &run.text,
            session_id: &run.thread_id,
            mode: "stream",
            stream_protocol: "agui",
        };
        let request = self
            .http
            .post(&url)
            .header("x-api-key", &agent.runtime_key)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).expect("request serializes"));
        let credential = agent.runtime_key.clone();
        let http = self.http.clone();
        Box::pin(async move {
            let response = http.send(request, &credential).await?;
            Ok(agui_sse::events(response))
        })
    }
}
