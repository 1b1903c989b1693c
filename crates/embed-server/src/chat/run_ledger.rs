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
//! While the database cannot be reached (down, restarting, failing over), a
//! write waits for it and is tried again, however long that takes: nothing is
//! dropped for an outage. When the database refuses a group's transaction
//! (two nodes taking the same next place in a thread on PostgreSQL, a run
//! whose widget was deleted meanwhile), its entries are written again one by
//! one, with a few retries, so one bad entry costs the others nothing.

use std::collections::HashSet;
use std::time::Duration;

use crate::chat::threads::append_turn_on;
use crate::chat::{ThreadKey, Turn};
use crate::db::Db;
use crate::db::reachability::is_unreachable;
use crate::db::write_queue::{OnPanic, WriteQueue};
use crate::usage::{RollupDelta, UsageRun, forget_open_run, note_open_run, store_run};

/// Entries written in one transaction at most: it bounds how long one turn
/// holds SQLite's writer.
const MAX_GROUP: usize = 64;

/// How long the ledger waits at most for a moment when no chat is about to
/// count its message: long enough for a chat to get there, short enough that
/// bookkeeping keeps up under steady load.
const HOLD_BACK_AT_MOST: Duration = Duration::from_millis(20);

/// Waits before the second, third, … attempt to write an entry alone that
/// the database refused: a row briefly locked gets about ten seconds.
const RETRY_DELAYS: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
    Duration::from_secs(8),
];

/// The first wait before trying a write again while the database cannot be
/// reached; each next one is twice as long, up to [`AWAY_LONGEST_WAIT`], so a
/// database that comes back is used within seconds without being called on
/// constantly while it is away.
const AWAY_FIRST_WAIT: Duration = Duration::from_millis(200);
const AWAY_LONGEST_WAIT: Duration = Duration::from_secs(10);

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
            self.write_runs(Group::of(entries)).await;
        }
    }

    /// Writes `group` together, waiting out any outage; if the database
    /// refuses it, one entry at a time. The records go first, in a transaction
    /// of their own: when the turns' transaction then meets an outage, only
    /// it is tried again.
    async fn write_runs(&self, group: Group) {
        let written = match until_reachable(|| self.write_records(&group)).await {
            Ok(()) => until_reachable(|| self.write_turns(&group)).await,
            refused => refused,
        };
        if let Err(error) = written {
            tracing::debug!(%error, "writing the runs of a group one by one");
            self.write_alone(group).await;
        }
    }

    /// The group's records (with the notes) in one transaction, after a
    /// moment when no chat is about to count its message: a chat waits
    /// behind this or the turns' transaction, never both.
    async fn write_records(&self, group: &Group) -> Result<(), sqlx::Error> {
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
        tx.commit().await
    }

    /// The turns of the group's runs, in one transaction of their own.
    async fn write_turns(&self, group: &Group) -> Result<(), sqlx::Error> {
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

/// `write`, tried again while it fails because the database cannot be
/// reached, until it is written or refused. The outage is logged once, and
/// its end.
async fn until_reachable<T, F>(mut write: impl FnMut() -> F) -> Result<T, sqlx::Error>
where
    F: Future<Output = Result<T, sqlx::Error>>,
{
    let mut wait = AWAY_FIRST_WAIT;
    let mut away = false;
    loop {
        match write().await {
            Err(error) if is_unreachable(&error) => {
                if !away {
                    tracing::warn!(
                        %error,
                        "the database cannot be reached: chat runs' records and messages wait \
                         for it"
                    );
                    away = true;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(AWAY_LONGEST_WAIT);
            }
            written => {
                if away && written.is_ok() {
                    tracing::info!("the database is back: the waiting chat runs are written");
                }
                return written;
            }
        }
    }
}

/// `attempt`, tried again after each of [`RETRY_DELAYS`] while the database
/// refuses it (and for as long as it cannot be reached).
async fn retrying<T, F>(what: &str, run_id: &str, mut attempt: impl FnMut() -> F)
where
    F: Future<Output = Result<T, sqlx::Error>>,
{
    let mut delays = RETRY_DELAYS.iter();
    loop {
        let error = match until_reachable(&mut attempt).await {
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
