//! How many chat streams may be open at once, per server process and per
//! widget, so one busy widget cannot take every stream a node can hold. A
//! stream holds its [`StreamSlot`] until its run ends or its visitor leaves;
//! past a cap a new chat is refused (`429 too_many_streams`) before anything
//! else is spent on it.
//!
//! Counted per process, like the rate limits: N nodes hold N times the caps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{Stream, StreamExt};
use sitekit_sdk::agui::Event;

use crate::error::ApiError;

/// The most chat streams open at once.
#[derive(Debug, Clone, Copy)]
pub struct StreamCaps {
    pub per_server: u32,
    pub per_widget: u32,
}

/// What a refused chat is told to wait: most answers end within seconds.
const RETRY_AFTER_SECS: u64 = 5;

#[derive(Debug)]
pub struct StreamSlots {
    caps: StreamCaps,
    open: Mutex<OpenStreams>,
}

/// Widgets leave the map when their last stream ends, so it holds only
/// widgets with streams open.
#[derive(Debug, Default)]
struct OpenStreams {
    total: u32,
    per_widget: HashMap<String, u32>,
}

impl StreamSlots {
    pub fn new(caps: StreamCaps) -> Self {
        StreamSlots {
            caps,
            open: Mutex::default(),
        }
    }

    /// A place for one more stream of `widget_id`, or `too_many_streams`.
    pub fn claim(self: &Arc<Self>, widget_id: &str) -> Result<StreamSlot, ApiError> {
        let mut open = self.lock();
        let widget = open.per_widget.get(widget_id).copied().unwrap_or(0);
        if open.total >= self.caps.per_server || widget >= self.caps.per_widget {
            return Err(ApiError::TooManyStreams {
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        open.total += 1;
        open.per_widget.insert(widget_id.to_owned(), widget + 1);
        Ok(StreamSlot {
            slots: Arc::clone(self),
            widget_id: widget_id.to_owned(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OpenStreams> {
        self.open.lock().expect("no panics while holding the lock")
    }
}

/// One open stream's place; dropping it frees the place.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    widget_id: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
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
        Arc::new(StreamSlots::new(StreamCaps {
            per_server,
            per_widget,
        }))
    }

    #[test]
    fn a_widget_at_its_cap_waits_while_others_stream_until_the_server_is_full() {
        let slots = slots(3, 2);
        let a1 = slots.claim("a").unwrap();
        let _a2 = slots.claim("a").unwrap();
        assert!(matches!(
            slots.claim("a"),
            Err(ApiError::TooManyStreams { .. })
        ));
        let _b1 = slots.claim("b").unwrap();
        assert!(slots.claim("c").is_err(), "the server is full");
        drop(a1);
        let _a3 = slots.claim("a").unwrap();
    }

    #[test]
    fn places_come_back_when_streams_end_and_widgets_leave_the_map() {
        let slots = slots(2, 1);
        for _ in 0..5 {
            let _a = slots.claim("a").unwrap();
            let _b = slots.claim("b").unwrap();
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
        let mut events = Box::pin(holding(run, slots.claim("a").unwrap()));
        assert!(events.next().now_or_never().is_some());
        assert!(slots.claim("a").is_err(), "held while the run goes on");
        assert!(events.next().now_or_never().is_some());
        assert!(slots.claim("a").is_ok(), "free once the last event passed");
    }
}
