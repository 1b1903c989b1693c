//! How many chat streams may be open at once, per server process and per
//! widget, so one busy widget cannot take every stream a node can hold. A
//! stream holds its [`StreamSlot`] until its run ends or its visitor leaves;
//! past a cap a new chat is refused (`429 too_many_streams`) at once, before
//! anything else is spent on it, rather than queued.
//!
//! The per-server cap is each node's own: what one process can hold. The
//! per-widget cap is the install's: with `--redis-url` a widget's streams
//! are counted over every node as leases in Redis (see `limits::shared`),
//! each lasting the run's longest possible time, so the places of a node
//! that dies come back by themselves. While Redis does not answer, and
//! without it, each node counts the widget's streams on its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use sitekit_sdk::agui::Event;

use crate::codec::random_base62;
use crate::error::ApiError;
use crate::limits::shared::SharedLimiter;

/// The most chat streams open at once.
#[derive(Debug, Clone, Copy)]
pub struct StreamCaps {
    pub per_server: u32,
    pub per_widget: u32,
}

/// What a refused chat is told to wait: most answers end within seconds.
const RETRY_AFTER_SECS: u64 = 5;

/// A lease outlives the run it is for by this much: the run's last events
/// still reach its visitor after its time limit.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct StreamSlots {
    caps: StreamCaps,
    open: Mutex<OpenStreams>,
    /// Where every node's streams are counted, when the install has a Redis.
    shared: Option<Arc<SharedLimiter>>,
    /// This process's leases are `<node>:<n>`, unique over every node.
    node: String,
    leases: AtomicU64,
    /// Chats refused for want of a place, since the process started.
    refused: AtomicU64,
}

/// Widgets leave the map when their last stream ends, so it holds only
/// widgets with streams open.
#[derive(Debug, Default)]
struct OpenStreams {
    total: u32,
    per_widget: HashMap<String, u32>,
}

impl StreamSlots {
    /// Caps counted by this process, or with `shared` the per-widget one
    /// by every node.
    pub fn new(caps: StreamCaps, shared: Option<Arc<SharedLimiter>>) -> Self {
        StreamSlots {
            caps,
            open: Mutex::default(),
            shared,
            node: random_base62(12),
            leases: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// A place for one more stream of `widget_id`, whose run lasts at most
    /// `run_lasts`, or `too_many_streams`.
    pub async fn claim(
        self: &Arc<Self>,
        widget_id: &str,
        run_lasts: Duration,
    ) -> Result<StreamSlot, ApiError> {
        let mut slot = self.claim_here(widget_id)?;
        if let Some(shared) = &self.shared {
            let lease_id = format!(
                "{}:{}",
                self.node,
                self.leases.fetch_add(1, Ordering::Relaxed)
            );
            let cap = widget_cap(widget_id);
            let lasts = run_lasts + LEASE_MARGIN;
            match shared
                .try_lease(&cap, &lease_id, self.caps.per_widget, lasts)
                .await
            {
                Some(true) => {
                    slot.lease = Some(Lease {
                        shared: Arc::clone(shared),
                        cap,
                        id: lease_id,
                    });
                }
                Some(false) => return Err(self.refuse()),
                // Redis is away: this node's own count is all there is.
                None => {}
            }
        }
        Ok(slot)
    }

    /// A place among this process's streams.
    fn claim_here(self: &Arc<Self>, widget_id: &str) -> Result<StreamSlot, ApiError> {
        let mut open = self.lock();
        let widget = open.per_widget.get(widget_id).copied().unwrap_or(0);
        if open.total >= self.caps.per_server || widget >= self.caps.per_widget {
            drop(open);
            return Err(self.refuse());
        }
        open.total += 1;
        open.per_widget.insert(widget_id.to_owned(), widget + 1);
        Ok(StreamSlot {
            slots: Arc::clone(self),
            widget_id: widget_id.to_owned(),
            lease: None,
        })
    }

    fn refuse(&self) -> ApiError {
        self.refused.fetch_add(1, Ordering::Relaxed);
        ApiError::TooManyStreams {
            retry_after_secs: RETRY_AFTER_SECS,
        }
    }

    /// How many streams this process has open now.
    pub fn open(&self) -> u32 {
        self.lock().total
    }

    /// How many chats this process refused for want of a place.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OpenStreams> {
        self.open.lock().expect("no panics while holding the lock")
    }
}

/// The key of a widget's stream cap in Redis.
fn widget_cap(widget_id: &str) -> String {
    format!("streams:{widget_id}")
}

/// One open stream's place; dropping it frees the place.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    widget_id: String,
    /// Its place among every node's streams, when they are counted in Redis.
    lease: Option<Lease>,
}

#[derive(Debug)]
struct Lease {
    shared: Arc<SharedLimiter>,
    cap: String,
    id: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Some(lease) = self.lease.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // Given back in the background: a stream ends without waiting
            // for Redis, and its lease ends anyway if this never arrives.
            runtime.spawn(async move { lease.shared.release(&lease.cap, &lease.id).await });
        }
        let mut open = self.slots.lock();
        open.total -= 1;
        if let Some(count) = open.per_widget.get_mut(&self.widget_id) {
            *count -= 1;
            if *count == 0 {
                open.per_widget.remove(&self.widget_id);
            }
        }
    }
}

/// `events`, holding `slot` until the run's last event passes (or the stream is
/// dropped), so the visitor's next chat finds it free.
pub fn holding(
    events: impl Stream<Item = Event> + Send,
    slot: StreamSlot,
) -> impl Stream<Item = Event> + Send {
    let mut slot = Some(slot);
    events.map(move |event| {
        if event.is_terminal() {
            drop(slot.take());
        }
        event
    })
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn slots(per_server: u32, per_widget: u32) -> Arc<StreamSlots> {
        Arc::new(StreamSlots::new(
            StreamCaps {
                per_server,
                per_widget,
            },
            None,
        ))
    }

    #[test]
    fn a_widget_at_its_cap_waits_while_others_stream_until_the_server_is_full() {
        let slots = slots(3, 2);
        let a1 = slots.claim_here("a").unwrap();
        let _a2 = slots.claim_here("a").unwrap();
        assert!(matches!(
            slots.claim_here("a"),
            Err(ApiError::TooManyStreams { .. })
        ));
        let _b1 = slots.claim_here("b").unwrap();
        assert!(slots.claim_here("c").is_err(), "the server is full");
        drop(a1);
        let _a3 = slots.claim_here("a").unwrap();
    }

    #[test]
    fn places_come_back_when_streams_end_and_widgets_leave_the_map() {
        let slots = slots(2, 1);
        for _ in 0..5 {
            let _a = slots.claim_here("a").unwrap();
            let _b = slots.claim_here("b").unwrap();
        }
        let open = slots.lock();
        assert_eq!(open.total, 0);
        assert!(open.per_widget.is_empty());
    }

    #[test]
    fn a_stream_frees_its_place_with_its_last_event() {
        let slots = slots(1, 1);
        let run = futures_util::stream::iter([
            Event::RunStarted {
                thread_id: "t".into(),
                run_id: "r".into(),
            },
            Event::RunFinished {
                thread_id: "t".into(),
                run_id: "r".into(),
            },
        ]);
        let mut events = Box::pin(holding(run, slots.claim_here("a").unwrap()));
        assert!(events.next().now_or_never().is_some());
        assert!(slots.claim_here("a").is_err(), "held while the run goes on");
        assert!(events.next().now_or_never().is_some());
        assert!(
            slots.claim_here("a").is_ok(),
            "free once the last event passed"
        );
    }
}
