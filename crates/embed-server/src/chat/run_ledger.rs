//! A chat run's bookkeeping, written off the visitor's path: the note that a
//! run is open (so that another node records it if this one stops), and once
//! it ends, its usage record, the end of that note, and its turn in the thread.
//!
//! One task per database writes what is queued, in groups: the records (with
//! the notes) in one transaction, then the turns in another. On SQLite every
//! write waits for the one writer, and a chat's message count, which is on the
//! chat's path, waits behind whatever holds it: so the ledger takes the writer
//! only at a moment when no chat is about to count its message
//! (`db::writer`, waiting 20 ms at most), and holds it briefly each time. A
//! run that ends before its note is written needs neither the note nor its
//! removal, so a quick run writes only its record and its turn.
//!
//! When a group's transaction fails (two nodes taking the same next place
//! in a thread on PostgreSQL, a run whose widget was deleted meanwhile), its
//! entries are written again one by one, with retries, so one bad entry costs
//! the others nothing.

use std::collections::HashSet;
use std::time::Duration;

use crate::chat::threads::append_turn_on;
use crate::chat::{ThreadKey, Turn};
use crate::db::Db;
use crate::db::write_queue::{OnPanic, WriteQueue};
use crate::usage::{RollupDelta, UsageRun, forget_open_run, note_open_run, store_run};

/// Entries written in one transaction at most: it bounds how long one turn
/// holds SQLite's writer.
const MAX_GROUP: usize = 64;

/// How long the ledger waits at most for a moment when no chat is about to
/// count its message: long enough for a chat to get there, short enough that
/// bookkeeping keeps up under steady load.
const HOLD_BACK_AT_MOST: Duration = Duration::from_millis(20);

/// Waits before the second, third, … attempt to write an entry alone: a
/// database that fails over or is briefly locked gets about ten seconds.
const RETRY_DELAYS: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
    Duration::from_secs(8),
];

/// What there is to write of one run.
#[derive(Debug)]
pub enum RunEntry {
    /// The run started; if no node records it before `lost_after_ms` (Unix
    /// ms), any node records `run` as it is.
    Opened { run: UsageRun, lost_after_ms: i64 },
    /// The run ended: its record, and the turn to add to its thread.
    Ended {
        record: UsageRun,
        thread: ThreadKey,
        turn: Turn,
    },
}

/// A group of entries as written: the notes still needed, and the runs that
/// ended.
#[derive(Debug, Default)]
struct Group {
    notes: Vec<(UsageRun, i64)>,
    ended: Vec<Ended>,
}

#[derive(Debug)]
struct Ended {
    record: UsageRun,
    thread: ThreadKey,
    turn: Turn,
    /// Its note may be stored (it was written in an earlier group).
    noted: bool,
}

impl Group {
    fn of(entries: Vec<RunEntry>) -> Group {
        let ended_ids: HashSet<String> = entries
            .iter()
            .filter_map(|entry| match entry {
                RunEntry::Ended { record, .. } => Some(record.id.clone()),
                RunEntry::Opened { .. } => None,
            })
            .collect();
        let mut noted_here = HashSet::new();
        let mut group = Group::default();
        for entry in entries {
            match entry {
                RunEntry::Opened { run, .. } if ended_ids.contains(&run.id) => {
                    noted_here.insert(run.id);
                }
                RunEntry::Opened { run, lost_after_ms } => group.notes.push((run, lost_after_ms)),
                RunEntry::Ended {
                    record,
                    thread,
                    turn,
                } => group.ended.push(Ended {
                    noted: !noted_here.contains(&record.id),
                    record,
                    thread,
                    turn,
                }),
            }
        }
        // The same order on every node, so that two groups with runs of the
        // same threads lock their rows in the same order; a thread's own
        // turns keep theirs (the sort is stable).
        group
            .ended
            .sort_by(|a, b| thread_order(&a.thread).cmp(&thread_order(&b.thread)));
        group
    }
}

/// A thread's place in the order groups write in.
fn thread_order(thread: &ThreadKey) -> (&str, &str, &str) {
    (&thread.widget_id, &thread.visitor_id, &thread.thread_id)
}

impl Db {
    /// Queues `entry` to be written; returns at once.
    pub fn note_run(&self, entry: RunEntry) {
        // A run ending while the runtime shuts down has nowhere to be written.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("a run's bookkeeping is not written: the server is stopping");
            return;
        };
        if self.shared::<WriteQueue<RunEntry>>().push(entry) {
            runtime.spawn(self.clone().write_ledger());
        }
    }

    /// The writer task: writes groups until no entry waits.
    async fn write_ledger(self) {
        let ledger = self.shared::<WriteQueue<RunEntry>>();
        // A panic loses its group only; the next entry starts a new writer.
        let _turn = ledger.writer_turn(OnPanic::Keep);
        loop {
            let entries = ledger.next_group(|_| MAX_GROUP);
            if entries.is_empty() {
                return;
            }
            let group = Group::of(entries);
            if let Err(error) = self.write_together(&group).await {
                tracing::debug!(%error, "writing the runs of a group one by one");
                self.write_alone(group).await;
            }
        }
    }

    /// The group in two transactions, each after a moment when no chat is
    /// about to count its message: the records (with the notes), then the
    /// turns, so a chat waits behind at most one of them.
    async fn write_together(&self, group: &Group) -> Result<(), sqlx::Error> {
        self.writer.quiet(HOLD_BACK_AT_MOST).await;
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        for (run, lost_after_ms) in &group.notes {
            note_open_run(&mut tx, run, *lost_after_ms).await?;
        }
        let mut delta = RollupDelta::default();
        for ended in &group.ended {
            store_run(&mut tx, &ended.record, &mut delta).await?;
            if ended.noted {
                forget_open_run(&mut tx, &ended.record.id).await?;
            }
        }
        delta.apply(&mut tx).await?;
        tx.commit().await?;
        drop(writer);
        if group.ended.is_empty() {
            return Ok(());
        }
        self.writer.quiet(HOLD_BACK_AT_MOST).await;
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        for ended in &group.ended {
            append_turn_on(&mut tx, &ended.thread, &ended.turn).await?;
        }
        tx.commit().await
    }

    /// Each entry in its own transactions. A record stored before counts
    /// nothing again; a turn is added again only if a commit succeeded whose
    /// answer was lost.
    async fn write_alone(&self, group: Group) {
        for (run, lost_after_ms) in &group.notes {
            if let Err(error) = self.open_run(run, *lost_after_ms).await {
                tracing::warn!(%error, run = %run.run_id, "cannot note a run as open");
            }
        }
        for ended in &group.ended {
            let run_id = &ended.record.run_id;
            retrying("record a run's usage", run_id, || {
                self.record_run(&ended.record)
            })
            .await;
            if ended.noted
                && let Err(error) = self.close_run(&ended.record.id).await
            {
                // Its record is in; the open run is forgotten when it is found lost.
                tracing::debug!(%error, run = %run_id, "cannot forget an open run");
            }
            retrying("keep a run's messages", run_id, || {
                self.append_turn(&ended.thread, &ended.turn)
            })
            .await;
        }
    }
}

/// `attempt`, tried again after each of [`RETRY_DELAYS`] while it fails.
async fn retrying<T, F>(what: &str, run_id: &str, mut attempt: impl FnMut() -> F)
where
    F: Future<Output = Result<T, sqlx::Error>>,
{
    let mut delays = RETRY_DELAYS.iter();
    loop {
        let error = match attempt().await {
            Ok(_) => return,
            Err(error) => error,
        };
        let Some(delay) = delays.next() else {
            tracing::error!(%error, run = %run_id, "cannot {what}");
            return;
        };
        tracing::warn!(%error, run = %run_id, "cannot {what} yet; trying again");
        tokio::time::sleep(*delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, thread: &str) -> UsageRun {
        UsageRun {
            id: id.into(),
            tenant_id: "ten".into(),
            agent_id: "agt".into(),
            agent_version: 1,
            widget_id: "wid".into(),
            key_id: "key".into(),
            visitor_id: "vis".into(),
            thread_id: thread.into(),
            run_id: format!("r-{id}"),
            input_chars: 1,
            output_chars: 0,
            input_tokens: None,
            output_tokens: None,
            first_event_ms: None,
            duration_ms: 0,
            outcome: "ok".into(),
            started_at_ms: 0,
        }
    }

    fn opened(id: &str, thread: &str) -> RunEntry {
        RunEntry::Opened {
            run: run(id, thread),
            lost_after_ms: 1,
        }
    }

    fn ended(id: &str, thread: &str) -> RunEntry {
        let record = run(id, thread);
        RunEntry::Ended {
            thread: ThreadKey {
                widget_id: record.widget_id.clone(),
                visitor_id: record.visitor_id.clone(),
                thread_id: record.thread_id.clone(),
            },
            turn: Turn {
                run_id: record.run_id.clone(),
                question: "q".into(),
                answer: "a".into(),
                at_ms: 0,
            },
            record,
        }
    }

    #[test]
    fn a_run_that_ended_in_the_same_group_is_never_noted_nor_forgotten() {
        let group = Group::of(vec![
            opened("run_a", "t1"),
            opened("run_b", "t1"),
            ended("run_a", "t1"),
            ended("run_c", "t1"),
        ]);
        let notes: Vec<_> = group.notes.iter().map(|(run, _)| run.id.as_str()).collect();
        assert_eq!(notes, ["run_b"]);
        let ended: Vec<_> = group
            .ended
            .iter()
            .map(|ended| (ended.record.id.as_str(), ended.noted))
            .collect();
        // run_c's note went in an earlier group: it is removed with its record.
        assert_eq!(ended, [("run_a", false), ("run_c", true)]);
    }

    #[test]
    fn ended_runs_go_in_thread_order_keeping_each_threads_own() {
        let group = Group::of(vec![
            ended("run_1", "t2"),
            ended("run_2", "t1"),
            ended("run_3", "t2"),
            ended("run_4", "t1"),
        ]);
        let order: Vec<_> = group
            .ended
            .iter()
            .map(|ended| ended.record.id.as_str())
            .collect();
        assert_eq!(order, ["run_2", "run_4", "run_1", "run_3"]);
    }
}
