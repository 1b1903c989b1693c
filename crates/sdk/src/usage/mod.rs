//! The usage reporter: client events (widget loaded, opened, message sent,
//! feedback, a page's own events) sent to `POST /v1/usage/events` as CloudEvents.
//!
//! Events are batched: a batch goes when 20 events wait or
//! [`FLUSH_AFTER`] after the first, at most 48 KB. An event stays queued (and, in a
//! browser, in `localStorage`) until the server has answered for it, so a reload or
//! a failed request loses nothing; the server dedupes on the event's id, which is
//! derived from its content, so sending an event again never counts it twice.
//! A page going away (`pagehide`, or hidden) sends what waits with
//! `fetch(keepalive)`, falling back to `sendBeacon`; a native program's reporter
//! sends what waits when it is dropped, or on [`UsageReporter::close`].

pub(crate) mod event;
mod queue;

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::time::now_millis;
use crate::transport::{self, page};
use crate::wire::{UsageEventResults, UsageEventStatus, public_visitor_id};
use crate::{Client, Error};

pub use event::MAX_EVENT_BYTES;
use queue::{Batch, FLUSH_AT_EVENTS, Queue};

/// A batch goes this long after the first event that waits for it.
pub const FLUSH_AFTER: Duration = Duration::from_secs(5);

/// What one [`UsageReporter::flush`] achieved.
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FlushSummary {
    /// Stored by the server now.
    pub accepted: usize,
    /// Stored before: a retry or a reload sent them again; counted once.
    pub duplicate: usize,
    /// Refused as invalid (a clock far off, say); dropped.
    pub rejected: usize,
}

/// Sends a client's usage events. Clones share one queue.
#[derive(Clone)]
pub struct UsageReporter {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for UsageReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageReporter")
            .field("pending", &self.pending())
            .finish_non_exhaustive()
    }
}

struct Shared {
    client: Client,
    queue: Mutex<Queue>,
    /// Where a browser keeps the queue across reloads; one per widget.
    storage_key: String,
    /// Names events sent before the server has named the visitor.
    instance: String,
    timer_armed: Mutex<bool>,
}

impl UsageReporter {
    /// A reporter sending as `client`'s visitor. In a browser it picks up the
    /// events an earlier page of this site left unsent, and sends what waits when
    /// the page goes away.
    pub fn new(client: &Client) -> Self {
        let storage_key = format!("sitekit.usage.{}", client.publishable_key());
        let queue = page::load(&storage_key)
            .map(|stored| Queue::from_stored(&stored))
            .unwrap_or_default();
        let instance = format!("{:016x}", (transport::random_unit() * 2f64.powi(53)) as u64);
        let reporter = UsageReporter {
            shared: Arc::new(Shared {
                client: client.clone(),
                queue: Mutex::new(queue),
                storage_key,
                instance,
                timer_armed: Mutex::new(false),
            }),
        };
        let weak = Arc::downgrade(&reporter.shared);
        page::on_leave(Box::new(move || {
            if let Some(shared) = weak.upgrade() {
                shared.send_while_leaving();
            }
        }));
        if reporter.pending() > 0 {
            reporter.shared.arm_timer();
        }
        reporter
    }

    /// Queues an event of `kind` (one of [`crate::wire::usage_types`]) and returns
    /// its id. The server checks `data` against the type.
    pub fn track(&self, kind: &str, data: Option<serde_json::Value>) -> Result<String, Error> {
        self.track_json(kind, data.map(|data| data.to_string()).as_deref())
    }

    /// [`UsageReporter::track`] with `data` as JSON text.
    pub fn track_json(&self, kind: &str, data: Option<&str>) -> Result<String, Error> {
        // The public id only: an event's source is stored and exported, and the
        // whole visitor id is a credential.
        let source = match self.shared.client.visitor_id() {
            Some(visitor) => format!("/visitors/{}", public_visitor_id(&visitor)),
            None => format!("/pages/{}", self.shared.instance),
        };
        let event = event::build(&source, kind, now_millis(), data)
            .ok_or_else(|| Error::Invalid("the event data is not JSON".into()))?;
        if event.json.len() > MAX_EVENT_BYTES {
            return Err(Error::Invalid(format!(
                "a usage event is at most {MAX_EVENT_BYTES} bytes of JSON; this one is {}",
                event.json.len()
            )));
        }
        let id = event.id.clone();
        let waiting = {
            let mut queue = self.shared.queue.lock().unwrap();
            queue.push(event);
            self.shared.save(&queue);
            queue.len()
        };
        if waiting >= FLUSH_AT_EVENTS {
            let shared = Arc::clone(&self.shared);
            transport::spawn(async move {
                // A failure leaves the events queued for the next flush.
                let _ = shared.flush().await;
            });
        } else {
            self.shared.arm_timer();
        }
        Ok(id)
    }

    /// Sends every waiting event now, batch after batch, retrying network errors
    /// and 429/503 with back-off. On error the events stay queued.
    pub async fn flush(&self) -> Result<FlushSummary, Error> {
        self.shared.flush().await
    }

    /// How many events wait for the server's answer.
    pub fn pending(&self) -> usize {
        self.shared.queue.lock().unwrap().len()
    }

    /// Sends what waits and stops; a native program calls it before it exits
    /// (dropping the last clone does the same, blocking for at most a few seconds).
    pub async fn close(self) -> Result<FlushSummary, Error> {
        self.shared.flush().await
    }
}

impl Shared {
    async fn flush(&self) -> Result<FlushSummary, Error> {
        let mut summary = FlushSummary::default();
        loop {
            let Some(Batch { ids, body }) = self.queue.lock().unwrap().take_batch() else {
                return Ok(summary);
            };
            match self.client.post_usage_events(body).await {
                Ok(UsageEventResults { results }) => {
                    for result in &results {
                        match result.status {
                            UsageEventStatus::Accepted => summary.accepted += 1,
                            UsageEventStatus::Duplicate => summary.duplicate += 1,
                            UsageEventStatus::Rejected => summary.rejected += 1,
                        }
                    }
                    let mut queue = self.queue.lock().unwrap();
                    queue.settle(&ids, &results);
                    self.save(&queue);
                }
                Err(error) => {
                    self.queue.lock().unwrap().release(&ids);
                    return Err(error);
                }
            }
        }
    }

    /// Flushes [`FLUSH_AFTER`] from now, unless a flush is already due.
    fn arm_timer(self: &Arc<Self>) {
        {
            let mut armed = self.timer_armed.lock().unwrap();
            if *armed {
                return;
            }
            *armed = true;
        }
        // Weak: a waiting timer must not keep a dropped reporter alive.
        let weak: Weak<Shared> = Arc::downgrade(self);
        transport::spawn(async move {
            transport::sleep(FLUSH_AFTER).await;
            if let Some(shared) = weak.upgrade() {
                *shared.timer_armed.lock().unwrap() = false;
                if shared.flush().await.is_err() {
                    // Try again later; the events are still queued.
                    shared.arm_timer();
                }
            }
        });
    }

    fn save(&self, queue: &Queue) {
        if queue.is_empty() {
            page::remove(&self.storage_key);
        } else {
            page::save(&self.storage_key, &queue.to_stored());
        }
    }

    /// The page is going away: one last request with everything that waits. Its
    /// answer may never arrive, so the events stay stored until one does.
    fn send_while_leaving(self: &Arc<Self>) {
        let Some(batch) = self.queue.lock().unwrap().peek_all() else {
            return;
        };
        let Some(url) = self.client.usage_beacon_url() else {
            // No live session to send with; the stored events go on the next page.
            return;
        };
        let weak = Arc::downgrade(self);
        page::send_while_leaving(
            url,
            batch.body,
            Box::new(move |answer| {
                let (Some(shared), Some(text)) = (weak.upgrade(), answer) else {
                    return;
                };
                if let Ok(results) = crate::decode::usage_results(&text) {
                    let mut queue = shared.queue.lock().unwrap();
                    queue.settle(&[], &results);
                    shared.save(&queue);
                }
            }),
        );
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let queue = std::mem::take(&mut *self.queue.lock().unwrap());
        if queue.is_empty() {
            return;
        }
        // Natively nothing outlives the process, so send now; in a browser the
        // events are in storage already and the next page sends them.
        let client = self.client.with_fresh_connection();
        page::finish_before_exit(async move {
            let shared = Shared {
                client,
                queue: Mutex::new(queue),
                storage_key: String::new(),
                instance: String::new(),
                timer_armed: Mutex::new(true),
            };
            let _ = shared.flush().await;
            // Whatever the server did not take is given up: this is the last try.
            *shared.queue.lock().unwrap() = Queue::default();
        });
    }
}
