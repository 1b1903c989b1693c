//! One conversation per mounted widget: the SDK client, the thread the messages go
//! to, and the visitor id that makes a returning visitor the same visitor. Both
//! are kept in `localStorage`, so the conversation goes on across reloads and the
//! site's pages until the page calls `SiteKit('reset')` or the widget's
//! `conversationDays` pass without a message (0: every page load starts afresh;
//! the server keeps the thread's messages for its own retention period).

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use sitekit_sdk::wire::usage_types;
use sitekit_sdk::{Client, UsageReporter};

use crate::state::Rating;

const DAY_MS: u64 = 86_400_000;

/// Shared by the components of one mount through an `Rc`.
#[derive(Debug)]
pub struct ChatSession {
    pub client: Client,
    /// The widget's usage events (loaded, opened, message sent, feedback).
    usage: UsageReporter,
    thread_id: RefCell<String>,
    /// The thread was stored by an earlier page: its messages can be read back.
    continued: bool,
    /// The `localStorage` keys of the visitor id and the thread id.
    visitor_key: String,
    thread_key: String,
    /// How long a stored conversation lasts without a message; 0 keeps none.
    conversation_days: u32,
    /// The embed server's origin.
    endpoint: String,
}

impl ChatSession {
    /// A client for `endpoint` that continues as the stored visitor on the stored
    /// thread, if it is younger than `conversation_days`.
    pub fn new(endpoint: &str, publishable_key: &str, conversation_days: u32) -> Self {
        let visitor_key = format!("sitekit:{publishable_key}:visitor");
        let thread_key = format!("sitekit:{publishable_key}:thread");
        let stored = |key: &str| storage().and_then(|s| s.get_item(key).ok().flatten());
        let client = Client::new(endpoint, publishable_key);
        let client = match stored(&visitor_key) {
            Some(visitor_id) => client.with_visitor_id(visitor_id),
            None => client,
        };
        let thread = stored(&thread_key).and_then(|stored| {
            // `<thread id>@<last message, ms since the epoch>`
            let (thread, at) = stored.rsplit_once('@')?;
            let age_ms = now_ms().saturating_sub(at.parse().ok()?);
            (age_ms < u64::from(conversation_days) * DAY_MS).then(|| thread.to_owned())
        });
        let usage = UsageReporter::new(&client);
        let session = ChatSession {
            usage,
            client,
            continued: thread.is_some(),
            thread_id: RefCell::new(thread.unwrap_or_else(new_thread_id)),
            visitor_key,
            thread_key,
            conversation_days,
            endpoint: endpoint.to_owned(),
        };
        session.report(usage_types::WIDGET_LOADED, None);
        session
    }

    /// Counts an event for the site owner's usage; never gets in the visitor's way.
    fn report(&self, kind: &str, data: Option<&str>) {
        let _ = self.usage.track_json(kind, data);
    }

    pub fn report_opened(&self) {
        self.report(usage_types::WIDGET_OPENED, None);
    }

    pub fn report_message_sent(&self, run_id: &str) {
        self.report_run(usage_types::MESSAGE_SENT, run_id, None);
    }

    /// The rated answer is one of the current thread's: a reset starts a new
    /// thread and clears the messages with it, and an earlier page's answers,
    /// read back, have no run to rate.
    pub fn report_feedback(&self, run_id: &str, rating: Rating) {
        self.report_run(usage_types::FEEDBACK, run_id, Some(rating));
    }

    /// An event about a run of the current thread. The ids are the widget's own
    /// (hex, `run-<digits>-<digits>`): no escaping.
    fn report_run(&self, kind: &str, run_id: &str, rating: Option<Rating>) {
        // The `rating` field as the usage event says it.
        let rating = match rating {
            None => "",
            Some(Rating::Up) => r#","rating":"up""#,
            Some(Rating::Down) => r#","rating":"down""#,
        };
        let data = format!(
            r#"{{"threadId":"{}","runId":"{run_id}"{rating}}}"#,
            self.thread_id()
        );
        self.report(kind, Some(&data));
    }

    /// What the visitor answered besides chat (`commands.rs`), as a usage
    /// event of the current thread: sent durably and counted once, like the
    /// rest. `body` is the CSAT score (a digit), or the contact details as a
    /// JSON object; the server checks both against the widget's settings.
    pub fn report_engagement(&self, kind: &str, body: &str) {
        let thread = format!(r#"{{"threadId":"{}""#, self.thread_id());
        let data = match kind {
            usage_types::CSAT if matches!(body, "1" | "2" | "3" | "4" | "5") => {
                format!(r#"{thread},"score":{body}}}"#)
            }
            // Its fields after the thread's: `{"email":…}` → `,"email":…}`.
            usage_types::LEAD if body.starts_with("{\"") => format!("{thread},{}", &body[1..]),
            usage_types::HANDOFF => format!("{thread}}}"),
            _ => return,
        };
        self.report(kind, Some(&data));
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The host site's user behind this visitor (their `{id, name, email}` as
    /// JSON), for the site owner's usage.
    pub fn report_identified(&self, user_json: &str) {
        self.report(usage_types::VISITOR_IDENTIFIED, Some(user_json));
    }

    pub fn thread_id(&self) -> String {
        self.thread_id.borrow().clone()
    }

    /// Whether an earlier page left this conversation (worth reading back).
    pub fn continues_a_conversation(&self) -> bool {
        self.continued
    }

    /// Stores the visitor id the server assigned and the thread, once a message
    /// went out. Storage may be full or blocked; the visitor then just counts as
    /// new next time.
    pub fn remember(&self) {
        let Some(storage) = storage() else { return };
        if let Some(visitor_id) = self.client.visitor_id() {
            let _ = storage.set_item(&self.visitor_key, &visitor_id);
        }
        if self.conversation_days > 0 {
            let stored = format!("{}@{}", self.thread_id.borrow(), now_ms());
            let _ = storage.set_item(&self.thread_key, &stored);
        }
    }

    /// Starts a new conversation (`SiteKit('reset')`); the visitor stays.
    pub fn start_new_thread(&self) {
        *self.thread_id.borrow_mut() = new_thread_id();
        if let Some(storage) = storage() {
            let _ = storage.remove_item(&self.thread_key);
        }
    }
}

/// One mount is one session: identity is equality, which is what Yew's props
/// comparison needs to skip re-renders.
impl PartialEq for ChatSession {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// Whole milliseconds, so that no float formatting or parsing is compiled in.
fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// `localStorage`, unless the browser denies it (privacy settings throw here).
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[wasm_bindgen]
extern "C" {
    /// Fills `buffer` from the browser's CSPRNG; unlike `crypto.randomUUID` it
    /// needs no secure context, and host pages may be plain http.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buffer: &mut [u8]);
}

/// A new thread id: `thread-` and 128 random bits as hex, from
/// `crypto.getRandomValues`, so nobody can predict another visitor's (as
/// `Math.random`'s could be).
pub fn new_thread_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut random = [0u8; 16];
    get_random_values(&mut random);
    let mut id = String::with_capacity(7 + 2 * random.len());
    id.push_str("thread-");
    for byte in random {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}
