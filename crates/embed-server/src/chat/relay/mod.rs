//! Agent runtimes behind `POST /v1/chat`: one trait, one module per kind of runtime.
//! Each turns a run into a stream of AG-UI events; the chat route decides what a
//! visitor may see of them.

mod agui;
mod agui_sse;
pub mod bounds;
mod http;
mod http1;
mod langflow;
pub mod lifecycle;
mod openai;

pub use agui::Agui;
pub use http::{RuntimeHttp, RuntimeResponse};
pub use langflow::Langflow;
pub use openai::OpenAi;

use sitekit_sdk::ErrorCode;
use std::future::Future;
use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use sitekit_sdk::agui::{Event, Role};

use crate::agents::{Agent, RuntimeKind};
use crate::egress::EgressPolicy;

/// What a runtime is asked to do: answer `text` on `thread_id`, after `history`.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The runtime's key for this conversation (per widget, visitor and thread,
    /// so one visitor can never continue another's).
    pub thread_id: String,
    /// The run's id as the visitor's browser chose it.
    pub run_id: String,
    pub text: String,
    /// The thread's earlier messages, oldest first, for runtimes that keep no
    /// conversation of their own (OpenAI-compatible and AG-UI ones).
    pub history: Vec<HistoryMessage>,
}

/// One earlier message of a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryMessage {
    pub role: Role,
    pub content: String,
}

/// What a runtime's stream carries: AG-UI events, and token counts when the
/// runtime reports them.
#[derive(Debug, Clone, PartialEq)]
pub enum Upstream {
    Event(Event),
    Usage(TokenUsage),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Why a run could not start or went wrong, as a visitor-safe code. The detail is
/// for the log only: it may contain runtime URLs or component internals.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RelayError {
    #[error("runtime unavailable: {0}")]
    Unavailable(String),
    #[error("runtime error: {0}")]
    Runtime(String),
    #[error("runtime timeout: {0}")]
    Timeout(String),
    /// The runtime itself refused for now (HTTP 429), e.g. a model's rate limit.
    #[error("runtime rate limited: {0}")]
    RateLimited(String),
}

impl RelayError {
    /// The `RUN_ERROR`'s code, which is also the run's recorded outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            RelayError::Unavailable(_) => ErrorCode::RuntimeUnavailable,
            RelayError::Runtime(_) => ErrorCode::RuntimeError,
            RelayError::Timeout(_) => ErrorCode::RuntimeTimeout,
            RelayError::RateLimited(_) => ErrorCode::RateLimited,
        }
    }

    pub fn visitor_message(&self) -> &'static str {
        match self {
            RelayError::Unavailable(_) => {
                "The assistant is unavailable right now. Please try again in a moment."
            }
            RelayError::Runtime(_) => "The assistant could not answer this time. Please try again.",
            RelayError::Timeout(_) => "The assistant took too long to answer. Please try again.",
            RelayError::RateLimited(_) => {
                "The assistant is busy right now. Please try again in a minute."
            }
        }
    }

    /// A runtime's non-success HTTP answer, with the start of its body for the
    /// log. Only that much is read, and `credential` is cut out: some servers
    /// echo the key they refused.
    pub async fn refused(url: &str, response: RuntimeResponse, credential: &str) -> Self {
        let status = response.status;
        // Enough bytes that the credential is never cut in half before it is redacted.
        let wanted = EXCERPT_CHARS * 4 + credential.len();
        let mut body = Vec::new();
        let mut chunks = response.bytes_stream();
        while body.len() < wanted {
            match chunks.next().await {
                Some(Ok(bytes)) => body.extend_from_slice(&bytes),
                _ => break,
            }
        }
        let detail = excerpt(&String::from_utf8_lossy(&body), credential);
        let what = format!("{url} answered {status}: {detail}");
        if status == 429 {
            RelayError::RateLimited(what)
        } else {
            RelayError::Runtime(what)
        }
    }
}

/// How much of an error body or a bad frame goes to the log.
const EXCERPT_CHARS: usize = 300;

/// The start of `text` for the log, without `credential`.
fn excerpt(text: &str, credential: &str) -> String {
    let text = if credential.is_empty() {
        text.to_owned()
    } else {
        text.replace(credential, "[redacted]")
    };
    text.chars().take(EXCERPT_CHARS).collect()
}

pub type UpstreamEvents = Pin<Box<dyn Stream<Item = Result<Upstream, RelayError>> + Send>>;
pub type StartRun = Pin<Box<dyn Future<Output = Result<UpstreamEvents, RelayError>> + Send>>;

/// An agent runtime. The future resolves once the runtime has answered the
/// request (its headers); dropping the future or the stream must cancel the
/// upstream call, which is how a visitor who leaves stops the run. Timeouts are
/// the caller's: adapters only report what happened.
pub trait Runtime: Send + Sync {
    fn start(&self, agent: &Agent, run: RunRequest) -> StartRun;
}

/// Picks the runtime for an agent's `runtime` kind.
#[derive(Clone)]
pub struct Runtimes {
    policy: std::sync::Arc<EgressPolicy>,
    langflow: std::sync::Arc<dyn Runtime>,
    openai: std::sync::Arc<dyn Runtime>,
    agui: std::sync::Arc<dyn Runtime>,
}

impl std::fmt::Debug for Runtimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runtimes")
    }
}

impl Runtimes {
    pub fn new(http: RuntimeHttp) -> Self {
        Runtimes {
            policy: http.policy(),
            openai: std::sync::Arc::new(OpenAi::new(http.clone())),
            agui: std::sync::Arc::new(Agui::new(http.clone())),
            langflow: std::sync::Arc::new(Langflow::new(http)),
        }
    }

    /// Where runtimes may be (what agents' base URLs are checked against).
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    pub fn for_agent(&self, agent: &Agent) -> std::sync::Arc<dyn Runtime> {
        match agent.runtime {
            RuntimeKind::Langflow => self.langflow.clone(),
            RuntimeKind::Openai => self.openai.clone(),
            RuntimeKind::Agui => self.agui.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_excerpt_is_short_and_never_holds_the_credential() {
        let body = format!(
            "{{\"error\":{{\"message\":\"Incorrect API key provided: sk-secret\"}}}}{}",
            "x".repeat(1_000)
        );
        let text = excerpt(&body, "sk-secret");
        assert!(!text.contains("sk-secret"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
        assert_eq!(text.chars().count(), EXCERPT_CHARS);
    }
}
