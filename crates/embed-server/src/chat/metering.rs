//! Measuring a run as it streams, and recording it once it ends: the usage record
//! and the thread's new messages. The writes go through the run ledger
//! (`run_ledger`), so the visitor's stream never waits for the database; a run
//! whose visitor left is recorded when its stream is dropped. The record's id
//! is chosen when the run starts, so a write that failed (perhaps after
//! committing) is tried again without ever counting the run twice.

use std::time::{Duration, Instant};

use sitekit_sdk::agui::Event;

use crate::chat::relay::TokenUsage;
use crate::chat::run_ledger::RunEntry;
use crate::chat::{ThreadKey, Turn};
use crate::db::{Db, new_id, now_unix_ms};
use crate::usage::UsageRun;

/// A run still open this long after its time limit is taken for lost: its
/// last events have long reached its visitor by then.
const LOST_AFTER_MARGIN: Duration = Duration::from_secs(10);
/// An answer longer than this is kept in the thread only up to here.
const MAX_STORED_ANSWER_CHARS: usize = 100_000;
/// What a run is, before anything is measured.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    pub tenant_id: String,
    pub agent_id: String,
    /// The version of the agent the run resolved to at its start.
    pub agent_version: u32,
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
    /// The usage record's id, fixed before any attempt to store it.
    record_id: String,
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
    /// A run starting now that lasts at most `run_lasts`: noted as open, so
    /// that if this node stops before recording it another node does.
    pub fn start(db: Db, identity: RunIdentity, run_lasts: Duration) -> Self {
        let meter = RunMeter {
            db,
            record_id: new_id("run"),
            identity,
            started: Instant::now(),
            started_at_ms: now_unix_ms(),
            first_event_ms: None,
            answer: String::new(),
            output_chars: 0,
            tokens: None,
            recorded: false,
        };
        let lost_after_ms = meter.started_at_ms
            + i64::try_from((run_lasts + LOST_AFTER_MARGIN).as_millis()).unwrap_or(i64::MAX);
        meter.db.note_run(RunEntry::Opened {
            run: meter.usage("open"),
            lost_after_ms,
        });
        meter
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

    /// The run's usage record as measured so far, with `outcome`.
    fn usage(&self, outcome: &str) -> UsageRun {
        let identity = &self.identity;
        UsageRun {
            id: self.record_id.clone(),
            tenant_id: identity.tenant_id.clone(),
            agent_id: identity.agent_id.clone(),
            agent_version: identity.agent_version,
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
        }
    }

    fn elapsed_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    fn record(&mut self, outcome: &str) {
        if std::mem::replace(&mut self.recorded, true) {
            return;
        }
        let record = self.usage(outcome);
        let identity = &self.identity;
        let turn = Turn {
            run_id: identity.run_id.clone(),
            question: identity.question.clone(),
            answer: std::mem::take(&mut self.answer),
            at_ms: self.started_at_ms,
        };
        self.db.note_run(RunEntry::Ended {
            record,
            thread: identity.thread.clone(),
            turn,
        });
    }
}

impl Drop for RunMeter {
    fn drop(&mut self) {
        self.record("visitor_left");
    }
}
