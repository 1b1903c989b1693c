//! OpenAI-compatible chat completions (`POST {base}/chat/completions` with
//! `stream: true`), as OpenAI, Ollama, vLLM and LiteLLM serve them, mapped to
//! AG-UI. These runtimes keep no conversation, so every run sends the agent's
//! system prompt and the thread's history; token counts come from the final
//! usage chunk.

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use sitekit_sdk::agui::{Event, Role};
use sitekit_sdk::sse::SseDecoder;

use super::{
    RelayError, RunRequest, Runtime, RuntimeHttp, StartRun, TokenUsage, Upstream, UpstreamEvents,
    excerpt,
};
use crate::agents::Agent;
use crate::db::new_id;

#[derive(Debug, Clone)]
pub struct OpenAi {
    http: RuntimeHttp,
}

impl OpenAi {
    pub fn new(http: RuntimeHttp) -> Self {
        OpenAi { http }
    }
}

#[derive(Debug, Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    stream: bool,
    stream_options: StreamOptions,
    messages: Vec<ChatMessage<'a>>,
}

#[derive(Debug, Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Debug, Serialize)]
struct ChatMessage<'a> {
    role: Role,
    content: &'a str,
}

impl<'a> ChatRequest<'a> {
    /// The system prompt, the thread so far, then the new message.
    fn new(agent: &'a Agent, run: &'a RunRequest) -> Self {
        let system = (!agent.system_prompt.is_empty()).then(|| ChatMessage {
            role: Role::System,
            content: &agent.system_prompt,
        });
        let history = run.history.iter().map(|message| ChatMessage {
            role: message.role,
            content: &message.content,
        });
        let question = ChatMessage {
            role: Role::User,
            content: &run.text,
        };
        ChatRequest {
            model: &agent.model,
            stream: true,
            stream_options: StreamOptions {
                include_usage: true,
            },
            messages: system
                .into_iter()
                .chain(history)
                .chain(std::iter::once(question))
                .collect(),
        }
    }
}

impl Runtime for OpenAi {
    fn start(&self, agent: &Agent, run: RunRequest) -> StartRun {
        let url = format!("{}/chat/completions", agent.base_url.trim_end_matches('/'));
        let body = serde_json::to_vec(&ChatRequest::new(agent, &run)).expect("request serializes");
        let mut request = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body);
        // Local servers (Ollama, vLLM) often run without a key; an empty bearer
        // would be refused by the ones that check.
        if !agent.runtime_key.is_empty() {
            request = request.bearer_auth(&agent.runtime_key);
        }
        let credential = agent.runtime_key.clone();
        let http = self.http.clone();
        Box::pin(async move {
            let response = http.send(request, &credential).await?;
            Ok(completion_events(response))
        })
    }
}

/// The response body's chunks as AG-UI events, decoded as bytes arrive.
fn completion_events(response: super::RuntimeResponse) -> UpstreamEvents {
    let mut completion = Completion::default();
    // `None` marks the end of the body, which may finish a run that never sent `[DONE]`.
    let body = response
        .bytes_stream()
        .map(Some)
        .chain(stream::iter([None]));
    let events = body.flat_map(move |chunk| {
        let items = match chunk {
            Some(Ok(bytes)) => completion.push(&bytes),
            Some(Err(e)) => {
                completion.fail(RelayError::Runtime(format!("the answer broke off: {e}")))
            }
            None => completion.body_ended(),
        };
        stream::iter(items)
    });
    Box::pin(events)
}

/// One `chat.completion.chunk`; only the fields the mapping needs.
#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    prompt_tokens: u64,
    completion_tokens: u64,
}

type Item = Result<Upstream, RelayError>;

/// The mapping of one streamed completion to AG-UI, fed the body's bytes.
#[derive(Debug, Default)]
struct Completion {
    decoder: SseDecoder,
    /// The response's id once known; the AG-UI message id of the answer.
    message_id: Option<String>,
    started: bool,
    /// A choice said why it stopped: the answer is whole even without `[DONE]`.
    finished: bool,
    /// `[DONE]` or an error: nothing more is mapped.
    ended: bool,
}

impl Completion {
    fn push(&mut self, bytes: &[u8]) -> Vec<Item> {
        let mut items = Vec::new();
        for frame in self.decoder.push(bytes) {
            if self.ended {
                break;
            }
            let mapped = frame
                .map_err(RelayError::from)
                .and_then(|frame| self.frame(&frame.data, &mut items));
            if let Err(error) = mapped {
                items.extend(self.fail(error));
            }
        }
        items
    }

    fn frame(&mut self, data: &str, items: &mut Vec<Item>) -> Result<(), RelayError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok(());
        }
        if data == "[DONE]" {
            self.end(items);
            return Ok(());
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
            // serde's message may quote the chunk too: both are cut short.
            RelayError::Runtime(format!(
                "malformed chunk ({}): `{}`",
                excerpt(&e.to_string(), ""),
                excerpt(data, "")
            ))
        })?;
        if let Some(error) = chunk.error {
            return Err(RelayError::Runtime(format!(
                "the runtime reported an error: {}",
                excerpt(&error.to_string(), "")
            )));
        }
        if self.message_id.is_none() {
            self.message_id = chunk.id.filter(|id| !id.is_empty());
        }
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(delta) = choice.delta.content.filter(|text| !text.is_empty()) {
                let message_id = self.message_id().to_owned();
                if !std::mem::replace(&mut self.started, true) {
                    items.push(Ok(Upstream::Event(Event::TextMessageStart {
                        message_id: message_id.clone(),
                        role: "assistant".into(),
                    })));
                }
                items.push(Ok(Upstream::Event(Event::TextMessageContent {
                    message_id,
                    delta,
                })));
            }
            self.finished |= choice.finish_reason.is_some();
        }
        if let Some(usage) = chunk.usage {
            items.push(Ok(Upstream::Usage(TokenUsage {
                input_tokens: usage.prompt_tokens,
                output_tokens: usage.completion_tokens,
            })));
        }
        Ok(())
    }

    fn message_id(&mut self) -> &str {
        self.message_id.get_or_insert_with(|| new_id("msg"))
    }

    /// Closes the answer and the run. The lifecycle puts its own ids on RUN_FINISHED.
    fn end(&mut self, items: &mut Vec<Item>) {
        self.ended = true;
        if self.started {
            let message_id = self.message_id().to_owned();
            items.push(Ok(Upstream::Event(Event::TextMessageEnd { message_id })));
        }
        items.push(Ok(Upstream::Event(Event::RunFinished {
            thread_id: String::new(),
            run_id: String::new(),
        })));
    }

    fn fail(&mut self, error: RelayError) -> Vec<Item> {
        if std::mem::replace(&mut self.ended, true) {
            return Vec::new();
        }
        vec![Err(error)]
    }

    /// The body is over. Without `[DONE]` the run is finished only if a choice
    /// said it stopped; otherwise the stream just ends and the lifecycle reports
    /// the cut-off answer.
    fn body_ended(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        if !self.ended && self.finished {
            self.end(&mut items);
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use sitekit_sdk::admin::AgentTimeouts;

    use super::*;
    use crate::chat::relay::HistoryMessage;

    fn chunk(content: Option<&str>, finish: Option<&str>) -> String {
        let mut delta = serde_json::json!({});
        if let Some(content) = content {
            delta["content"] = content.into();
        }
        let json = serde_json::json!({
            "id": "chatcmpl-9x", "object": "chat.completion.chunk", "created": 1_718_000_000,
            "model": "gpt-4o-mini", "system_fingerprint": "fp_1",
            "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }],
            "usage": null,
        });
        format!("data: {json}\n\n")
    }

    /// What OpenAI streams for "Grüße 🚀 aus Köln", usage included.
    fn answer_body() -> String {
        let role = serde_json::json!({
            "id": "chatcmpl-9x", "object": "chat.completion.chunk", "created": 1_718_000_000,
            "model": "gpt-4o-mini",
            "choices": [{ "index": 0, "delta": { "role": "assistant", "content": "" }, "finish_reason": null }],
            "usage": null,
        });
        let usage = serde_json::json!({
            "id": "chatcmpl-9x", "object": "chat.completion.chunk", "created": 1_718_000_000,
            "model": "gpt-4o-mini", "choices": [],
            "usage": { "prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28 },
        });
        [
            format!("data: {role}\n\n"),
            chunk(Some("Grüße"), None),
            chunk(Some(" 🚀"), None),
            chunk(Some(""), None),
            chunk(Some(" aus Köln"), None),
            chunk(None, Some("stop")),
            format!("data: {usage}\n\n"),
            "data: [DONE]\n\n".to_owned(),
        ]
        .concat()
    }

    fn map_in_pieces(body: &[u8], piece: usize) -> Vec<Item> {
        let mut completion = Completion::default();
        let mut items: Vec<Item> = body
            .chunks(piece)
            .flat_map(|bytes| completion.push(bytes))
            .collect();
        items.extend(completion.body_ended());
        items
    }

    fn ok(items: Vec<Item>) -> Vec<Upstream> {
        items
            .into_iter()
            .map(|item| item.unwrap_or_else(|e| panic!("unexpected error {e}")))
            .collect()
    }

    fn event(event: Event) -> Upstream {
        Upstream::Event(event)
    }

    fn content(delta: &str) -> Upstream {
        event(Event::TextMessageContent {
            message_id: "chatcmpl-9x".into(),
            delta: delta.into(),
        })
    }

    fn finished() -> Upstream {
        event(Event::RunFinished {
            thread_id: String::new(),
            run_id: String::new(),
        })
    }

    #[test]
    fn a_streamed_completion_maps_to_one_message_and_usage_however_it_is_split() {
        let expected = vec![
            event(Event::TextMessageStart {
                message_id: "chatcmpl-9x".into(),
                role: "assistant".into(),
            }),
            content("Grüße"),
            content(" 🚀"),
            content(" aus Köln"),
            Upstream::Usage(TokenUsage {
                input_tokens: 21,
                output_tokens: 7,
            }),
            event(Event::TextMessageEnd {
                message_id: "chatcmpl-9x".into(),
            }),
            finished(),
        ];
        let body = answer_body();
        // Every piece size splits frames, lines and the multi-byte characters somewhere.
        for piece in 1..=body.len() {
            assert_eq!(
                ok(map_in_pieces(body.as_bytes(), piece)),
                expected,
                "piece {piece}"
            );
        }
    }

    #[test]
    fn a_finish_reason_finishes_the_run_when_the_body_ends_without_done() {
        let body = [chunk(Some("Hi"), None), chunk(None, Some("stop"))].concat();
        let items = ok(map_in_pieces(body.as_bytes(), 7));
        assert_eq!(items.len(), 4, "{items:?}");
        assert_eq!(items[1], content("Hi"));
        assert_eq!(items[3], finished());
    }

    #[test]
    fn a_body_cut_off_mid_answer_just_ends() {
        let body = chunk(Some("Hi"), None);
        let items = ok(map_in_pieces(body.as_bytes(), 5));
        assert_eq!(items.len(), 2, "start and content only: {items:?}");
        assert!(!items.contains(&finished()));
    }

    #[test]
    fn an_answer_without_text_finishes_without_a_message() {
        let body = [chunk(None, Some("stop")), "data: [DONE]\n\n".to_owned()].concat();
        assert_eq!(ok(map_in_pieces(body.as_bytes(), 3)), vec![finished()]);
    }

    #[test]
    fn a_response_without_an_id_gets_one_id_for_the_whole_message() {
        let body = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n\
                    data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\ndata: [DONE]\n\n";
        let ids: Vec<String> = ok(map_in_pieces(body.as_bytes(), 64))
            .into_iter()
            .filter_map(|item| match item {
                Upstream::Event(
                    Event::TextMessageStart { message_id, .. }
                    | Event::TextMessageContent { message_id, .. }
                    | Event::TextMessageEnd { message_id },
                ) => Some(message_id),
                _ => None,
            })
            .collect();
        assert_eq!(ids.len(), 4, "{ids:?}");
        assert!(ids[0].starts_with("msg_"), "{ids:?}");
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    }

    #[test]
    fn an_error_frame_or_a_malformed_one_is_a_runtime_error_and_the_end() {
        let error = "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n";
        for bad in [error, "data: {\"choices\": [\n\n"] {
            let body = [
                chunk(Some("Hi"), None),
                bad.to_owned(),
                chunk(Some("more"), None),
            ]
            .concat();
            let items = map_in_pieces(body.as_bytes(), 11);
            assert_eq!(items.len(), 3, "{items:?}");
            assert!(matches!(items[2], Err(RelayError::Runtime(_))), "{items:?}");
        }
    }

    fn agent(system_prompt: &str) -> Agent {
        Agent {
            id: "agt_1".into(),
            tenant_id: "tnt_1".into(),
            name: "Support".into(),
            runtime: crate::agents::RuntimeKind::Openai,
            base_url: "https://api.openai.com/v1".into(),
            flow_id: String::new(),
            model: "gpt-4o-mini".into(),
            system_prompt: system_prompt.into(),
            timeouts: AgentTimeouts::default(),
            runtime_key: "sk-secret".into(),
            version: 1,
        }
    }

    #[test]
    fn the_request_sends_the_system_prompt_the_history_and_the_new_message() {
        let run = RunRequest {
            thread_id: "w:v:t".into(),
            run_id: "run-2".into(),
            text: "And the price?".into(),
            history: vec![
                HistoryMessage {
                    role: Role::User,
                    content: "Hello".into(),
                },
                HistoryMessage {
                    role: Role::Assistant,
                    content: "Hi! How can I help?".into(),
                },
            ],
        };
        let prompted = agent("Answer briefly.");
        let body = serde_json::to_value(ChatRequest::new(&prompted, &run)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "model": "gpt-4o-mini",
                "stream": true,
                "stream_options": { "include_usage": true },
                "messages": [
                    { "role": "system", "content": "Answer briefly." },
                    { "role": "user", "content": "Hello" },
                    { "role": "assistant", "content": "Hi! How can I help?" },
                    { "role": "user", "content": "And the price?" },
                ],
            })
        );
        let unprompted = agent("");
        let body = serde_json::to_value(ChatRequest::new(&unprompted, &run)).unwrap();
        assert_eq!(
            body["messages"][0]["role"], "user",
            "no empty system prompt"
        );
    }
}
