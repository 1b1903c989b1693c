//! How much a runtime may send in one run. An SSE frame over the decoder's
//! limit ([`sitekit_sdk::sse::DEFAULT_MAX_FRAME_BYTES`], 256 KiB), an answer
//! over [`MAX_ANSWER_CHARS`] or more than [`MAX_RUN_EVENTS`] events is a
//! runtime error: the run ends and the upstream call is dropped. Real agents
//! stay far below each; a runtime that does not would otherwise cost memory,
//! CPU and bandwidth until the run's time limit.

use sitekit_sdk::agui::Event;
use sitekit_sdk::sse::FrameTooLarge;

use super::RelayError;

/// The characters of text one run may stream (answer text, tool-call arguments
/// and results together): about 50,000 tokens, more than a model writes in one
/// answer.
pub const MAX_ANSWER_CHARS: usize = 200_000;

/// The events one run may send, of every kind: streamed a token at a time,
/// twice what [`MAX_ANSWER_CHARS`] takes.
pub const MAX_RUN_EVENTS: usize = 100_000;

/// What one run has sent so far.
#[derive(Debug, Default)]
pub struct RunBounds {
    events: usize,
    answer_chars: usize,
}

impl RunBounds {
    /// Counts one more event from the runtime; an error once the run is over a bound.
    pub fn count(&mut self, event: &Event) -> Result<(), RelayError> {
        self.events += 1;
        if self.events > MAX_RUN_EVENTS {
            return Err(RelayError::Runtime(format!(
                "the runtime sent more than {MAX_RUN_EVENTS} events in one run"
            )));
        }
        let text = match event {
            Event::TextMessageContent { delta, .. } | Event::ToolCallArgs { delta, .. } => delta,
            Event::ToolCallResult { content, .. } => content,
            _ => return Ok(()),
        };
        self.answer_chars += text.chars().count();
        if self.answer_chars > MAX_ANSWER_CHARS {
            return Err(RelayError::Runtime(format!(
                "the runtime's answer passed {MAX_ANSWER_CHARS} characters"
            )));
        }
        Ok(())
    }
}

impl From<FrameTooLarge> for RelayError {
    fn from(too_large: FrameTooLarge) -> Self {
        RelayError::Runtime(format!("the runtime sent {too_large}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(delta: &str) -> Event {
        Event::TextMessageContent {
            message_id: "m".into(),
            delta: delta.into(),
        }
    }

    #[test]
    fn an_answer_of_the_limit_passes_and_one_character_more_does_not() {
        let mut bounds = RunBounds::default();
        let half = "é".repeat(MAX_ANSWER_CHARS / 2);
        assert!(bounds.count(&content(&half)).is_ok());
        assert!(
            bounds.count(&content(&half)).is_ok(),
            "characters, not bytes"
        );
        let over = bounds.count(&content("!")).unwrap_err();
        assert_eq!(over.code(), "runtime_error");
    }

    #[test]
    fn every_kind_of_event_counts_towards_the_event_limit() {
        let mut bounds = RunBounds::default();
        let step = Event::StepStarted {
            step_name: "think".into(),
        };
        for _ in 0..MAX_RUN_EVENTS - 1 {
            bounds.count(&step).unwrap();
        }
        assert!(bounds.count(&Event::Other).is_ok());
        assert!(bounds.count(&content("a")).is_err());
    }
}
