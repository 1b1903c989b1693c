//! Group commit for usage-event batches on SQLite, which takes one writer at a
//! time: a batch that arrives while others are being written waits in line,
//! and the batches waiting are then written together in one transaction, so
//! under load one commit (and one turn of the single writer) serves many
//! batches, while a batch that arrives alone is written at once. The writing
//! happens on a task of its own, so a visitor who hangs up cannot cut short a
//! transaction that carries other visitors' batches. PostgreSQL writes many
//! transactions at once, and each batch goes straight in: measured, a single
//! line there halved ingestion.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use super::events::{EventBatch, StoredEvents};
use crate::db::Db;

/// Events written in one transaction at most (a batch is never split): it
/// bounds how long one commit holds SQLite's write lock.
const MAX_GROUP_EVENTS: usize = 2_000;

/// The batches waiting to be written, and whether a writer task is running.
#[derive(Debug, Default)]
pub(super) struct EventQueue {
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    waiting: Vec<Waiting>,
    writing: bool,
}

/// A batch and where its outcome goes.
#[derive(Debug)]
pub(super) struct Waiting {
    pub batch: EventBatch,
    pub reply: oneshot::Sender<Result<StoredEvents, sqlx::Error>>,
}

impl EventQueue {
    fn state(&self) -> MutexGuard<'_, QueueState> {
        // The state is a list and a flag, whole after any panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The oldest waiting batches, up to [`MAX_GROUP_EVENTS`] events but at
    /// least one batch; when none is waiting, the writer's turn ends.
    fn next_group(&self) -> Vec<Waiting> {
        let mut state = self.state();
        let mut events = 0;
        let take = state
            .waiting
            .iter()
            .take_while(|waiting| {
                events += waiting.batch.events.len();
                events <= MAX_GROUP_EVENTS
            })
            .count()
            .max(1)
            .min(state.waiting.len());
        if take == 0 {
            state.writing = false;
        }
        state.waiting.drain(..take).collect()
    }
}

impl Db {
    /// Stores the batch's events that were not stored before, all or none, and
    /// returns the (source, id) of those stored now; the others were
    /// duplicates. The events must differ in (source, id).
    pub async fn record_usage_events(
        &self,
        batch: EventBatch,
    ) -> Result<StoredEvents, sqlx::Error> {
        if !self.is_sqlite {
            let mut stored = self.store_batches(&[&batch]).await?;
            return Ok(stored.pop().unwrap_or_default());
        }
        let (reply, outcome) = oneshot::channel();
        let start_writer = {
            let queue = self.shared::<EventQueue>();
            let mut state = queue.state();
            state.waiting.push(Waiting { batch, reply });
            !std::mem::replace(&mut state.writing, true)
        };
        if start_writer {
            tokio::spawn(self.clone().write_waiting());
        }
        // Dropped unanswered only if the writer panicked.
        outcome.await.unwrap_or(Err(sqlx::Error::WorkerCrashed))
    }

    /// The writer task: writes groups until no batch waits.
    async fn write_waiting(self) {
        let queue = self.shared::<EventQueue>();
        let _guard = EndTurnOnPanic(&queue);
        loop {
            let group = queue.next_group();
            if group.is_empty() {
                return;
            }
            self.write_group(group).await;
        }
    }
}

/// If the writer panics, the batches still waiting fail rather than wait
/// forever, and the next batch starts a new writer.
struct EndTurnOnPanic<'a>(&'a EventQueue);

impl Drop for EndTurnOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut state = self.0.state();
            state.waiting.clear();
            state.writing = false;
        }
    }
}
