//! The events waiting to reach the server: batching (count and bytes), what is in
//! flight, what the server's answer settles, and the bounded form kept in storage.
//! No I/O here, so every rule is a unit test.

use std::collections::VecDeque;

use super::event::Built;
use crate::wire::UsageEventResult;

/// A batch is sent once this many events wait (or a few seconds after the first).
pub const FLUSH_AT_EVENTS: usize = 20;
/// One batch's body at most; under `fetch(keepalive)`'s 64 KB for the page-exit flush.
pub const MAX_BATCH_BYTES: usize = 48 * 1024;
/// The server takes at most this many events a batch.
pub const MAX_BATCH_EVENTS: usize = crate::fields::UsageEventBatch::MAX_EVENTS;
/// What is kept while the server cannot be reached; the oldest go first.
pub const MAX_KEPT_EVENTS: usize = 200;
pub const MAX_KEPT_BYTES: usize = 256 * 1024;

struct Waiting {
    id: String,
    json: String,
    in_flight: bool,
}

/// A batch taken for sending: the ids it carries and its JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub ids: Vec<String>,
    pub body: String,
}

#[derive(Default)]
pub struct Queue {
    waiting: VecDeque<Waiting>,
    bytes: usize,
}

impl Queue {
    /// The queue a page left in storage (see [`Queue::to_stored`]); anything
    /// unreadable is dropped rather than blocking every later event.
    pub fn from_stored(text: &str) -> Queue {
        let mut queue = Queue::default();
        for (id, json) in crate::decode::stored_events(text) {
            queue.push(Built { id, json });
        }
        queue
    }

    /// Every waiting event as one JSON array, the form kept in storage.
    pub fn to_stored(&self) -> String {
        join(self.waiting.iter().map(|waiting| waiting.json.as_str()))
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Queues `event` unless the same event already waits; over the bounds the
    /// oldest events not in flight are dropped.
    pub fn push(&mut self, Built { id, json }: Built) {
        if self.waiting.iter().any(|waiting| waiting.id == id) {
            return;
        }
        self.bytes += json.len();
        self.waiting.push_back(Waiting {
            id,
            json,
            in_flight: false,
        });
        while self.waiting.len() > MAX_KEPT_EVENTS || self.bytes > MAX_KEPT_BYTES {
            let Some(oldest) = self.waiting.iter().position(|waiting| !waiting.in_flight) else {
                break;
            };
            if let Some(dropped) = self.waiting.remove(oldest) {
                self.bytes -= dropped.json.len();
            }
        }
    }

    /// The oldest events not yet in flight, within the batch bounds, now marked
    /// in flight; None when there is nothing to send.
    pub fn take_batch(&mut self) -> Option<Batch> {
        let mut ids = Vec::new();
        let mut jsons = Vec::new();
        let mut bytes = 2;
        for waiting in self.waiting.iter_mut().filter(|waiting| !waiting.in_flight) {
            let grown = bytes + waiting.json.len() + 1;
            if ids.len() == MAX_BATCH_EVENTS || (grown > MAX_BATCH_BYTES && !ids.is_empty()) {
                break;
            }
            waiting.in_flight = true;
            bytes = grown;
            ids.push(waiting.id.clone());
            jsons.push(waiting.json.as_str());
        }
        (!ids.is_empty()).then(|| Batch {
            body: join(jsons.into_iter()),
            ids,
        })
    }

    /// Everything waiting (in flight or not) that fits one batch, without marking
    /// it: the last try as the page goes away, whose answer may never come.
    pub fn peek_all(&self) -> Option<Batch> {
        let mut ids = Vec::new();
        let mut jsons = Vec::new();
        let mut bytes = 2;
        for waiting in &self.waiting {
            bytes += waiting.json.len() + 1;
            if ids.len() == MAX_BATCH_EVENTS || bytes > MAX_BATCH_BYTES {
                break;
            }
            ids.push(waiting.id.clone());
            jsons.push(waiting.json.as_str());
        }
        (!ids.is_empty()).then(|| Batch {
            body: join(jsons.into_iter()),
            ids,
        })
    }

    /// Applies the server's answer to `sent`: every event it answered for
    /// (accepted, duplicate or rejected) is done; the rest go back to waiting.
    pub fn settle(&mut self, sent: &[String], results: &[UsageEventResult]) {
        // A linear search: a batch holds at most a hundred events, and a hash set
        // would bring its hasher into the widget's Wasm.
        self.waiting.retain(|waiting| {
            let done = results.iter().any(|result| result.id == waiting.id);
            if done {
                self.bytes -= waiting.json.len();
            }
            !done
        });
        self.release(sent);
    }

    /// Puts `sent` back to waiting after a failed request.
    pub fn release(&mut self, sent: &[String]) {
        for waiting in &mut self.waiting {
            if sent.contains(&waiting.id) {
                waiting.in_flight = false;
            }
        }
    }
}

fn join<'a>(jsons: impl Iterator<Item = &'a str>) -> String {
    let mut body = String::from("[");
    for (index, json) in jsons.enumerate() {
        if index > 0 {
            body.push(',');
        }
        body.push_str(json);
    }
    body.push(']');
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::event::build;
    use crate::wire::{UsageEvent, UsageEventStatus};

    fn event(n: i64, padding: usize) -> Built {
        let data = serde_json::json!({"name": "n", "properties": {"pad": "x".repeat(padding)}});
        build(
            "/visitors/v",
            "dev.sitekit.track",
            n,
            Some(&data.to_string()),
        )
        .unwrap()
    }

    fn result(id: &str, status: UsageEventStatus) -> UsageEventResult {
        UsageEventResult {
            id: id.into(),
            status,
            reason: None,
        }
    }

    #[test]
    fn batches_keep_to_the_byte_and_count_bounds_and_never_send_twice_at_once() {
        let mut queue = Queue::default();
        for n in 0..30 {
            queue.push(event(n, 4000));
        }
        let first = queue.take_batch().unwrap();
        assert!(first.body.len() <= MAX_BATCH_BYTES, "{}", first.body.len());
        assert!(
            first.ids.len() > 5 && first.ids.len() < 30,
            "{}",
            first.ids.len()
        );
        let parsed: Vec<UsageEvent> = serde_json::from_str(&first.body).unwrap();
        assert_eq!(parsed.len(), first.ids.len());
        let second = queue.take_batch().unwrap();
        assert!(second.ids.iter().all(|id| !first.ids.contains(id)));
        let small: Vec<_> = (100..250).map(|n| event(n, 0)).collect();
        let mut many = Queue::default();
        small.into_iter().for_each(|event| many.push(event));
        assert_eq!(many.take_batch().unwrap().ids.len(), MAX_BATCH_EVENTS);
    }

    #[test]
    fn answered_events_are_done_and_unanswered_ones_wait_for_the_next_batch() {
        let mut queue = Queue::default();
        for n in 0..3 {
            queue.push(event(n, 0));
        }
        let batch = queue.take_batch().unwrap();
        assert_eq!(queue.take_batch(), None, "all three are in flight");
        let results = [
            result(&batch.ids[0], UsageEventStatus::Accepted),
            result(&batch.ids[1], UsageEventStatus::Rejected),
        ];
        queue.settle(&batch.ids, &results);
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.take_batch().unwrap().ids, vec![batch.ids[2].clone()]);
    }

    #[test]
    fn a_failed_request_puts_its_events_back() {
        let mut queue = Queue::default();
        queue.push(event(1, 0));
        let batch = queue.take_batch().unwrap();
        queue.release(&batch.ids);
        assert_eq!(queue.take_batch().unwrap().ids, batch.ids);
    }

    #[test]
    fn storage_round_trips_and_is_bounded_dropping_the_oldest() {
        let mut queue = Queue::default();
        for n in 0..(MAX_KEPT_EVENTS as i64 + 10) {
            queue.push(event(n, 0));
        }
        queue.push(event(5_000, 0));
        queue.push(event(5_000, 0));
        assert_eq!(
            queue.len(),
            MAX_KEPT_EVENTS,
            "bounded, and the repeat not queued"
        );
        let restored = Queue::from_stored(&queue.to_stored());
        let events = |queue: &Queue| -> Vec<UsageEvent> {
            serde_json::from_str(&queue.to_stored()).unwrap()
        };
        // The same events (their JSON may differ in key order, never in content).
        assert!(events(&restored) == events(&queue), "restored as stored");
        let kept = events(&restored);
        assert_eq!(
            kept.first().unwrap().id,
            event(11, 0).id,
            "the oldest eleven went"
        );
        assert!(Queue::from_stored("not json").is_empty());
        let mut heavy = Queue::default();
        for n in 0..100 {
            heavy.push(event(n, 7000));
        }
        assert!(heavy.to_stored().len() <= MAX_KEPT_BYTES + 2);
    }
}
