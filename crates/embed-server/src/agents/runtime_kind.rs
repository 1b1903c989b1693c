//! The kinds of agent runtime this server relays to, one adapter each in
//! `chat::relay`.

use std::fmt;

/// Which adapter an agent's runtime speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeKind {
    /// Langflow's Workflows API.
    Langflow,
    /// OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, LiteLLM).
    Openai,
    /// Any AG-UI agent over HTTP.
    Agui,
}

impl RuntimeKind {
    /// Every kind, the default (Langflow) first.
    pub const ALL: [RuntimeKind; 3] = [
        RuntimeKind::Langflow,
        RuntimeKind::Openai,
        RuntimeKind::Agui,
    ];

    /// As written in requests, answers and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeKind::Langflow => "langflow",
            RuntimeKind::Openai => "openai",
            RuntimeKind::Agui => "agui",
        }
    }

    pub fn parse(text: &str) -> Option<RuntimeKind> {
        RuntimeKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_are_the_ones_the_spec_lists_and_read_back() {
        let names: Vec<&str> = RuntimeKind::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(names, sitekit_sdk::fields::RuntimeKind::NAMES);
        for kind in RuntimeKind::ALL {
            assert_eq!(RuntimeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(RuntimeKind::parse("Langflow"), None);
    }
}
