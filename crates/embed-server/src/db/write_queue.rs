//! Writes that one task per queue drains in groups: the first write starts
//! the task, writes that arrive while it writes wait and go together in its
//! next group, and its turn ends when none waits. Usage events (group commit,
//! one queue on SQLite and two on PostgreSQL) and the run ledger queue this way.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// The writes waiting, and whether a writer task is running.
#[derive(Debug)]
pub(crate) struct WriteQueue<T> {
    state: Mutex<QueueState<T>>,
}

#[derive(Debug)]
struct QueueState<T> {
    waiting: Vec<T>,
    writing: bool,
}

impl<T> Default for WriteQueue<T> {
    fn default() -> Self {
        WriteQueue {
            state: Mutex::new(QueueState {
                waiting: Vec::new(),
                writing: false,
            }),
        }
    }
}

/// What becomes of the writes still waiting if the writer panics.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OnPanic {
    /// Dropped: whoever waits for their outcome hears of the failure.
    Drop,
    /// Kept for the writer that the next write starts.
    Keep,
}

impl<T> WriteQueue<T> {
    fn state(&self) -> MutexGuard<'_, QueueState<T>> {
        // The state is a list and a flag, whole after any panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `write`; true when no writer is running, so the caller starts one.
    pub(crate) fn push(&self, write: T) -> bool {
        let mut state = self.state();
        state.waiting.push(write);
        !std::mem::replace(&mut state.writing, true)
    }

    /// Whether a writer is running now: a hint for choosing among queues,
    /// stale as soon as it is read.
    pub(crate) fn is_writing(&self) -> bool {
        self.state().writing
    }

    /// The oldest waiting writes, as many as `how_many` says of them but at
    /// least one; when none is waiting, the writer's turn ends.
    pub(crate) fn next_group(&self, how_many: impl FnOnce(&[T]) -> usize) -> Vec<T> {
        let mut state = self.state();
        let take = how_many(&state.waiting).max(1).min(state.waiting.len());
        if take == 0 {
            state.writing = false;
        }
        state.waiting.drain(..take).collect()
    }

    /// Held by the writer task: if it panics, its turn ends, so the next
    /// write starts a new writer.
    pub(crate) fn writer_turn(&self, on_panic: OnPanic) -> WriterTurn<'_, T> {
        WriterTurn {
            queue: self,
            on_panic,
        }
    }
}

pub(crate) struct WriterTurn<'a, T> {
    queue: &'a WriteQueue<T>,
    on_panic: OnPanic,
}

impl<T> Drop for WriterTurn<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut state = self.queue.state();
            if let OnPanic::Drop = self.on_panic {
                state.waiting.clear();
            }
            state.writing = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_write_starts_the_writer_and_the_rest_go_in_its_groups() {
        let queue = WriteQueue::default();
        assert!(!queue.is_writing());
        assert!(queue.push(1), "no writer yet");
        assert!(queue.is_writing());
        assert!(!queue.push(2), "the writer takes it");
        assert!(!queue.push(3));
        assert_eq!(queue.next_group(|_| 2), [1, 2]);
        // At least one, whatever the count says.
        assert_eq!(queue.next_group(|_| 0), [3]);
        assert!(queue.next_group(|_| 2).is_empty(), "the turn ends");
        assert!(!queue.is_writing());
        assert!(queue.push(4), "a new writer is needed");
    }

    #[test]
    fn a_writer_that_panics_leaves_the_queue_to_the_next_one() {
        for (on_panic, left) in [(OnPanic::Drop, vec![]), (OnPanic::Keep, vec![2])] {
            let queue = WriteQueue::default();
            queue.push(1);
            queue.push(2);
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _turn = queue.writer_turn(on_panic);
                let _group = queue.next_group(|_| 1);
                panic!("a bug in the writer");
            }));
            assert!(panicked.is_err());
            assert!(queue.push(3), "the next write starts a writer");
            let mut expected = left;
            expected.push(3);
            assert_eq!(queue.next_group(|waiting| waiting.len()), expected);
        }
    }
}
