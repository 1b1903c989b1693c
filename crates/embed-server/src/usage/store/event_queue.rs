//! Group commit for usage-event batches on SQLite, which takes one writer at a
//! time: a batch that arrives while others are being written waits in line,
//! and the batches waiting are then written together in one transaction, so
//! under load one commit (and one turn of the single writer) serves many
//! batches, while a batch that arrives alone is written at once. The writing
//! happens on a task of its own, so a visitor who hangs up cannot cut short a
//! transaction that carries other visitors' batches. PostgreSQL writes many
//! transactions at once, and each batch goes straight in: measured, a single
//! line there halved ingestion.

use tokio::sync::oneshot;

use super::events::{EventBatch, StoredEvents};
use crate::db::Db;
use crate::db::write_queue::{OnPanic, WriteQueue};

/// Events written in one transaction at most (a batch is never split): it
/// bounds how long one commit holds SQLite's write lock.
const MAX_GROUP_EVENTS: usize = 2_000;

/// A batch and where its outcome goes.
#[derive(Debug)]
pub(super) struct Waiting {
    pub batch: EventBatch,
    pub reply: oneshot::Sender<Result<StoredEvents, sqlx::Error>>,
}

/// How many of the oldest waiting batches go together: up to
/// [`MAX_GROUP_EVENTS`] events.
fn group_size(waiting: &[Waiting]) -> usize {
    let mut events = 0;
    waiting
        .iter()
        .take_while(|waiting| {
            events += waiting.batch.events.len();
            events <= MAX_GROUP_EVENTS
        })
        .count()
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
        if self
            .shared::<WriteQueue<Waiting>>()
            .push(Waiting { batch, reply })
        {
            tokio::spawn(self.clone().write_waiting());
        }
        // Dropped unanswered only if the writer panicked.
        outcome.await.unwrap_or(Err(sqlx::Error::WorkerCrashed))
    }

    /// The writer task: writes groups until no batch waits. If it panics,
    /// the batches still waiting fail rather than wait forever.
    async fn write_waiting(self) {
        let queue = self.shared::<WriteQueue<Waiting>>();
        let _turn = queue.writer_turn(OnPanic::Drop);
        loop {
            let group = queue.next_group(group_size);
            if group.is_empty() {
                return;
            }
            self.write_group(group).await;
        }
    }
}
