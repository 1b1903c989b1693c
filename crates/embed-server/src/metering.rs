//! Measuring a run as it streams, and recording it once it ends: the usage record
//! and the thread's new messages. Recording happens on a spawned task, so the
//! visitor's stream never waits for the database; a run whose visitor left is
//! recorded when its stream is dropped.

use std::time::Instant;

use sitekit_sdk::agui::Event;

use crate::db::{Db, ThreadKey, Turn, UsageRun, now_unix_ms};
use crate::relay::TokenUsage;

/// An answer longer than this is kept in the thread only up to here.
const MAX_STORED_ANSWER_CHARS: usize = 100_000;

/// What a run is, before anything is measured.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    pub tenant_id: String,
    pub agent_id: String,
    pub key_id: String,
    pub thread: ThreadKey,
    pub run_id: String,
    pub question: String,
}

/// The measurements of one run; recorded exactly once, by [`RunMeter::finish`]
/// or, if the stream is dropped first, as `visitor_left`.
#[derive(Debug)]
pub struct RunMeter {
    db: Db,
    identity: RunIdentity,
    started: Instant,
    started_at_ms: i64,
    first_event_ms: Option<i64>,
    answer: String,
    output_chars: i64,
    tokens: Option<TokenUsage>,
    recorded: bool,
}

impl RunMeter {
    pub fn start(db: Db, identity: RunIdentity) -> Self {
        RunMeter {
            db,
            identity,
            started: Instant::now(),
            started_at_ms: now_unix_ms(),
            first_event_ms: None,
            answer: String::new(),
            output_chars: 0,
            tokens: None,
            recorded: false,
        }
    }

    /// An event arrived from the runtime.
    pub fn saw(&mut self, event: &Event) {
        if self.first_event_ms.is_none() {
            self.first_event_ms = Some(self.elapsed_ms());
        }
        if let Event::TextMessageContent { delta, .. } = event {
            self.output_chars += delta.chars().count() as i64;
            if self.answer.len() < MAX_STORED_ANSWER_CHARS {
                self.answer.push_str(delta);
            }
        }
    }

    pub fn tokens(&mut self, usage: TokenUsage) {
        self.tokens = Some(usage);
    }

    /// Records the run with its outcome: `ok` or a RUN_ERROR code.
    pub fn finish(mut self, outcome: &str) {
        self.record(outcome);
    }

    fn elapsed_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    fn record(&mut self, outcome: &str) {
        if std::mem::replace(&mut self.recorded, true) {
            return;
        }
        let identity = &self.identity;
        let usage = UsageRun {
            tenant_id: identity.tenant_id.clone(),
            agent_id: identity.agent_id.clone(),
            widget_id: identity.thread.widget_id.clone(),
            key_id: identity.key_id.clone(),
            visitor_id: identity.thread.visitor_id.clone(),
            thread_id: identity.thread.thread_id.clone(),
            run_id: identity.run_id.clone(),
            input_chars: identity.question.chars().count() as i64,
            output_chars: self.output_chars,
            input_tokens: self.tokens.map(|t| t.input_tokens as i64),
            output_tokens: self.tokens.map(|t| t.output_tokens as i64),
            first_event_ms: self.first_event_ms,
            duration_ms: self.elapsed_ms(),
            outcome: outcome.to_owned(),
            started_at_ms: self.started_at_ms,
        };
        let thread = identity.thread.clone();
        let turn = Turn {
            run_id: identity.run_id.clone(),
            question: identity.question.clone(),
            answer: std::mem::take(&mut self.answer),
            at_ms: self.started_at_ms,
        };
        let db = self.db.clone();
        // A stream dropped while the runtime shuts down has nowhere to record to.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(run = %usage.run_id, "run not recorded: the server is stopping");
            return;
        };
        runtime.spawn(async move {
            if let Err(error) = db.record_run(&usage).await {
                tracing::error!(%error, run = %usage.run_id, "cannot record a run's usage");
            }
            if let Err(error) = db.append_turn(&thread, &turn).await {
                tracing::warn!(%error, run = %usage.run_id, "cannot keep a run's messages");
            }
        });
    }
}

impl Drop for RunMeter {
    fn drop(&mut self) {
        self.record("visitor_left");
    }
}
