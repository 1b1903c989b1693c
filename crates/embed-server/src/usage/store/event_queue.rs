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

use sqlx::AnyConnection;
use tokio::sync::oneshot;

use super::events::{EventBatch, StoredEvents};
use crate::db::Db;
use crate::db::write_queue::{OnPanic, WriteQueue};
use crate::db::writer::WriteConnection;

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
        let mut connection = LineConnection {
            db: &self,
            held: None,
        };
        loop {
            let group = queue.next_group(group_size);
            if group.is_empty() {
                return;
            }
            self.write_group(&mut connection, group).await;
            if self.is_sqlite {
                connection.held = None;
            }
        }
    }

    /// Writes a group of batches in one transaction and answers each. If that
    /// fails, each batch is written alone, so one batch's error is its own.
    async fn write_group(&self, connection: &mut LineConnection<'_>, group: Vec<Waiting>) {
        let batches: Vec<&EventBatch> = group.iter().map(|waiting| &waiting.batch).collect();
        match connection.store(&batches).await {
            Ok(stored) => {
                for (waiting, stored) in group.into_iter().zip(stored) {
                    // A request that is gone needs no answer.
                    let _ = waiting.reply.send(Ok(stored));
                }
            }
            Err(error) if group.len() == 1 => {
                if let Some(waiting) = group.into_iter().next() {
                    let _ = waiting.reply.send(Err(error));
                }
            }
            Err(_) => {
                for waiting in group {
                    let outcome = connection
                        .store(&[&waiting.batch])
                        .await
                        .map(|mut stored| stored.pop().unwrap_or_default());
                    let _ = waiting.reply.send(outcome);
                }
            }
        }
    }
}

/// The connection a line writes its groups on. On PostgreSQL the line keeps
/// it while batches keep coming: the pool checks a connection with a round
/// trip both when it lends it and when it takes it back, and for a group of a
/// few batches those two cost as much as its write (they cut ingestion by a
/// tenth, measured). On SQLite it is the one writer, given back after each
/// group, so that the other writes waiting for it go in between.
struct LineConnection<'a> {
    db: &'a Db,
    held: Option<WriteConnection<'a>>,
}

impl LineConnection<'_> {
    /// Stores the batches' new events; a connection that failed is given
    /// back, since it may be broken, and the pool checks the next one.
    async fn store(&mut self, batches: &[&EventBatch]) -> Result<Vec<StoredEvents>, sqlx::Error> {
        let db = self.db;
        let outcome = match self.connection().await {
            Ok(connection) => db.store_batches(connection, batches).await,
            Err(error) => Err(error),
        };
        if outcome.is_err() {
            self.held = None;
        }
        outcome
    }

    async fn connection(&mut self) -> Result<&mut AnyConnection, sqlx::Error> {
        let held = match self.held.take() {
            Some(held) => held,
            None => self.db.writer.connection().await?,
        };
        Ok(self.held.insert(held))
    }
}
