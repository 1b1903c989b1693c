//! Group commit for usage-event batches: a batch that arrives while others
//! are being written waits in line, and the batches waiting are then written
//! together in one transaction, so under load one commit serves many batches,
//! while a batch that arrives alone is written at once. The writing happens on
//! a task of its own, so a visitor who hangs up cannot cut short a transaction
//! that carries other visitors' batches.
//!
//! SQLite takes one writer at a time: one line. PostgreSQL writes many
//! transactions at once, so batches take one of [`POSTGRES_LINES`] lines, an
//! idle one first: one line left a core idle (measured, it halved ingestion);
//! since a group is one statement (`events_postgres`), a line no longer waits
//! on round trips inside its transaction, and two lines stored as many events
//! as four with a sixth less of the database's CPU (bigger groups, measured on
//! 2 cores); a transaction per batch made every batch wait for the others'
//! commits on the day's roll-up row, which each of them updates.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::oneshot;

use super::events::{EventBatch, StoredEvents};
use crate::db::Db;
use crate::db::write_queue::{OnPanic, WriteQueue};

/// Events written in one transaction at most (a batch is never split): it
/// bounds how long one commit holds SQLite's write lock, or PostgreSQL's lock
/// on the day's roll-up row.
const MAX_GROUP_EVENTS: usize = 2_000;
/// Lines of group commit on PostgreSQL: enough to keep the database writing
/// while a line's answer travels back, few enough that batches meet in groups.
const POSTGRES_LINES: usize = 2;

/// The lines batches wait in, and which line the next batch takes.
#[derive(Debug, Default)]
struct Lines {
    lines: [WriteQueue<Waiting>; POSTGRES_LINES],
    next: AtomicUsize,
}

impl Lines {
    /// The line for the next batch: always the first on SQLite; on
    /// PostgreSQL an idle line if there is one (a batch behind a busy line
    /// while another is idle waits for nothing), else the next in turn.
    fn take(&self, is_sqlite: bool) -> usize {
        if is_sqlite {
            return 0;
        }
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        (0..POSTGRES_LINES)
            .map(|offset| (first + offset) % POSTGRES_LINES)
            .find(|&line| !self.lines[line].is_writing())
            .unwrap_or(first % POSTGRES_LINES)
    }
}

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
        let lines = self.shared::<Lines>();
        let line = lines.take(self.is_sqlite);
        let (reply, outcome) = oneshot::channel();
        if lines.lines[line].push(Waiting { batch, reply }) {
            tokio::spawn(self.clone().write_waiting(line));
        }
        // Dropped unanswered only if the writer panicked.
        outcome.await.unwrap_or(Err(sqlx::Error::WorkerCrashed))
    }

    /// The writer task of `line`: writes groups until no batch waits there.
    /// If it panics, the batches still waiting fail rather than wait forever.
    async fn write_waiting(self, line: usize) {
        let lines = self.shared::<Lines>();
        let queue = &lines.lines[line];
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
