//! A run as its visitor sees it: the runtime's events within the agent's time
//! limits and the run's bounds, through the visitor filter, ending with exactly
//! one `RUN_FINISHED` or `RUN_ERROR`, and measured on the way. Dropping the
//! stream (the visitor left), or any error, drops the upstream call with it.

use std::time::Duration;

use futures_util::{Stream, StreamExt, stream};
use sitekit_sdk::agui::Event;
use tokio::time::{Instant, timeout_at};

use super::bounds::RunBounds;
use super::{RelayError, StartRun, Upstream, UpstreamEvents, excerpt};
use crate::agents::Agent;
use crate::chat::metering::RunMeter;

/// An agent's time limits for one run.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    /// Until the runtime answers the request.
    pub connect: Duration,
    /// From the start until its first event.
    pub first_event: Duration,
    /// Between two events.
    pub idle: Duration,
    /// The whole run.
    pub total: Duration,
}

impl From<&Agent> for RunLimits {
    fn from(agent: &Agent) -> Self {
        let millis = |ms: u32| Duration::from_millis(ms.into());
        let limits = agent.timeouts;
        RunLimits {
            connect: millis(limits.connect_ms),
            first_event: millis(limits.first_event_ms),
            idle: millis(limits.idle_ms),
            total: millis(limits.total_ms),
        }
    }
}

/// The public ids of a run: the ones the visitor's browser chose.
#[derive(Debug, Clone)]
pub struct RunIds {
    pub thread_id: String,
    pub run_id: String,
}

/// What the visitor may see besides lifecycle and text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Visibility {
    pub tool_calls: bool,
}

enum Phase {
    Starting(StartRun),
    Streaming(UpstreamEvents),
    Done,
}

struct Run {
    phase: Phase,
    limits: RunLimits,
    started: Instant,
    seen_event: bool,
    bounds: RunBounds,
    ids: RunIds,
    visibility: Visibility,
    meter: Option<RunMeter>,
}

/// Our `RUN_STARTED`, then the runtime's events as the visitor may see them.
pub fn visitor_events(
    start: StartRun,
    limits: RunLimits,
    ids: RunIds,
    visibility: Visibility,
    meter: RunMeter,
) -> impl Stream<Item = Event> + Send {
    let started = Event::RunStarted {
        thread_id: ids.thread_id.clone(),
        run_id: ids.run_id.clone(),
    };
    let run = Run {
        phase: Phase::Starting(start),
        limits,
        started: Instant::now(),
        seen_event: false,
        bounds: RunBounds::default(),
        ids,
        visibility,
        meter: Some(meter),
    };
    stream::once(std::future::ready(started)).chain(stream::unfold(run, |mut run| async move {
        let event = run.next_visible().await?;
        Some((event, run))
    }))
}

impl Run {
    /// The next event for the visitor, or None once the run has ended.
    async fn next_visible(&mut self) -> Option<Event> {
        let total_deadline = self.started + self.limits.total;
        let mut upstream = match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Done => return None,
            Phase::Streaming(upstream) => upstream,
            Phase::Starting(start) => {
                let deadline = total_deadline.min(Instant::now() + self.limits.connect);
                match timeout_at(deadline, start).await {
                    Ok(Ok(upstream)) => upstream,
                    Ok(Err(error)) => return Some(self.fail(&error)),
                    Err(_) => {
                        let error =
                            RelayError::Timeout("the runtime did not answer in time".into());
                        return Some(self.fail(&error));
                    }
                }
            }
        };
        loop {
            let wait = if self.seen_event {
                Instant::now() + self.limits.idle
            } else {
                self.started + self.limits.first_event
            };
            let item = match timeout_at(wait.min(total_deadline), upstream.next()).await {
                Ok(item) => item,
                Err(_) => {
                    let why = if Instant::now() >= total_deadline {
                        "the run took longer than its total time limit"
                    } else if self.seen_event {
                        "the runtime went quiet mid-answer"
                    } else {
                        "no event arrived in time"
                    };
                    return Some(self.fail(&RelayError::Timeout(why.into())));
                }
            };
            let event = match item {
                Some(Ok(Upstream::Event(event))) => event,
                Some(Ok(Upstream::Usage(tokens))) => {
                    if let Some(meter) = &mut self.meter {
                        meter.tokens(tokens);
                    }
                    continue;
                }
                Some(Err(error)) => return Some(self.fail(&error)),
                None => {
                    let error =
                        RelayError::Runtime("the stream ended before the run finished".into());
                    return Some(self.fail(&error));
                }
            };
            // Returning drops `upstream`: a run over a bound stops being read at once.
            if let Err(error) = self.bounds.count(&event) {
                return Some(self.fail(&error));
            }
            self.seen_event = true;
            if let Some(meter) = &mut self.meter {
                meter.saw(&event);
            }
            let Some(visible) = self.for_visitor(event) else {
                continue;
            };
            if visible.is_terminal() {
                let outcome = match &visible {
                    Event::RunError { code, .. } => code.clone().unwrap_or_default(),
                    _ => "ok".to_owned(),
                };
                self.finish(&outcome);
            } else {
                self.phase = Phase::Streaming(upstream);
            }
            return Some(visible);
        }
    }

    /// Lifecycle and text pass (lifecycle with our ids), tool calls only when the
    /// widget shows them; everything else — the runtime's own RUN_STARTED, steps,
    /// state, raw and custom events — stays inside.
    fn for_visitor(&self, event: Event) -> Option<Event> {
        match event {
            Event::TextMessageStart { .. }
            | Event::TextMessageContent { .. }
            | Event::TextMessageEnd { .. } => Some(event),
            Event::ToolCallStart { .. }
            | Event::ToolCallArgs { .. }
            | Event::ToolCallEnd { .. }
            | Event::ToolCallResult { .. } => self.visibility.tool_calls.then_some(event),
            Event::RunFinished { .. } => Some(Event::RunFinished {
                thread_id: self.ids.thread_id.clone(),
                run_id: self.ids.run_id.clone(),
            }),
            Event::RunError { message, .. } => {
                Some(run_error(&RelayError::Runtime(excerpt(&message, ""))))
            }
            Event::RunStarted { .. }
            | Event::StepStarted { .. }
            | Event::StepFinished { .. }
            | Event::Other => None,
        }
    }

    fn fail(&mut self, error: &RelayError) -> Event {
        self.finish(error.code().as_str());
        run_error(error)
    }

    fn finish(&mut self, outcome: &str) {
        self.phase = Phase::Done;
        if let Some(meter) = self.meter.take() {
            meter.finish(outcome);
        }
    }
}

/// The one `RUN_ERROR` a visitor sees: a stable code and a safe message; the
/// detail goes to the log.
pub fn run_error(error: &RelayError) -> Event {
    tracing::warn!(%error, "agent run failed");
    Event::RunError {
        message: error.visitor_message().to_owned(),
        code: Some(error.code().as_str().to_owned()),
    }
}
