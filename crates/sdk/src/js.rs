//! The npm package's bindings (`--features js`, wasm32 only): the Rust client
//! behind `@sitekit/sdk`. The package's `index.ts` turns them into JS idioms
//! (`SiteKit.connect`, async iterators, `Error` subclasses); here every value
//! crosses as a JSON string and every error as `{kind, code, message, status?,
//! retryAfter?}`, which keeps serde's JS glue out of the Wasm.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use futures_util::stream::{AbortHandle, Abortable};
use js_sys::{Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::wire::usage_types;
use crate::{Client, Error, RawEventStream, UsageReporter};

/// One widget's client and usage reporter, as one visitor.
#[wasm_bindgen]
pub struct Connection {
    client: Client,
    usage: UsageReporter,
}

#[wasm_bindgen]
impl Connection {
    /// `origin` is for Node only (browsers send the page's own).
    #[wasm_bindgen(constructor)]
    pub fn new(
        endpoint: &str,
        publishable_key: &str,
        visitor_id: Option<String>,
        origin: Option<String>,
    ) -> Connection {
        let mut client = Client::new(endpoint, publishable_key);
        if let Some(origin) = origin {
            client = client.with_origin(origin);
        }
        if let Some(visitor_id) = visitor_id {
            client = client.with_visitor_id(visitor_id);
        }
        let usage = UsageReporter::new(&client);
        Connection { client, usage }
    }

    /// Resolves with the session as JSON once the key and origin are accepted.
    pub fn session(&self) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move { json_result(client.session().await) })
    }

    /// Resolves with the widget's public config as JSON.
    pub fn config(&self) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move { text_result(client.config_json().await) })
    }

    /// Resolves with this visitor's messages on `thread_id` as JSON.
    pub fn thread(&self, thread_id: String) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move { text_result(client.thread_json(&thread_id).await) })
    }

    /// Sends `message` on `thread_id`; resolves with the [`Run`] to read.
    pub fn chat(&self, thread_id: String, message: String) -> Promise {
        let client = self.client.clone();
        let usage = self.usage.clone();
        future_to_promise(async move {
            let events = client
                .chat_text_raw(&thread_id, &message)
                .await
                .map_err(js_error)?;
            // Counting the message must never fail the chat.
            if let Ok(thread) = serde_json::to_string(&thread_id) {
                let data = format!(r#"{{"threadId":{thread}}}"#);
                let _ = usage.track_json(usage_types::MESSAGE_SENT, Some(&data));
            }
            Ok(Run::new(events).into())
        })
    }

    /// Queues a usage event of `kind` with `data` (JSON, or none); returns its id.
    pub fn track(&self, kind: &str, data: Option<String>) -> Result<String, JsValue> {
        self.usage
            .track_json(kind, data.as_deref())
            .map_err(js_error)
    }

    /// Sends the waiting usage events; resolves with a `FlushSummary` as JSON.
    pub fn flush(&self) -> Promise {
        let usage = self.usage.clone();
        future_to_promise(async move { json_result(usage.flush().await) })
    }

    #[wasm_bindgen(getter, js_name = visitorId)]
    pub fn visitor_id(&self) -> Option<String> {
        self.client.visitor_id()
    }

    /// Usage events not yet acknowledged by the server.
    #[wasm_bindgen(getter, js_name = pendingEvents)]
    pub fn pending_events(&self) -> usize {
        self.usage.pending()
    }
}

/// One run's events, read one at a time; cancelling it (or dropping it) stops
/// the run.
#[wasm_bindgen]
pub struct Run {
    events: Rc<RefCell<Option<Abortable<RawEventStream>>>>,
    abort: AbortHandle,
}

impl Run {
    fn new(events: RawEventStream) -> Self {
        let (abort, registration) = AbortHandle::new_pair();
        Run {
            events: Rc::new(RefCell::new(Some(Abortable::new(events, registration)))),
            abort,
        }
    }
}

#[wasm_bindgen]
impl Run {
    /// Resolves with the next event as JSON, or `undefined` after the last one
    /// (or once cancelled).
    pub fn next(&self) -> Promise {
        let events = self.events.clone();
        future_to_promise(async move {
            // Taken out while awaited: a second `next` before this one resolves
            // sees the end rather than racing it.
            let Some(mut stream) = events.borrow_mut().take() else {
                return Ok(JsValue::UNDEFINED);
            };
            match stream.next().await {
                Some(Ok(event)) => {
                    *events.borrow_mut() = Some(stream);
                    Ok(event.json.into())
                }
                Some(Err(error)) => Err(js_error(error)),
                // Dropping the stream here aborts the request.
                None => Ok(JsValue::UNDEFINED),
            }
        })
    }

    /// Stops the run: a pending `next` resolves with `undefined`.
    pub fn cancel(&self) {
        self.abort.abort();
        self.events.borrow_mut().take();
    }
}

fn text_result(result: Result<String, Error>) -> Result<JsValue, JsValue> {
    result.map(JsValue::from).map_err(js_error)
}

fn json_result<T: Serialize>(result: Result<T, Error>) -> Result<JsValue, JsValue> {
    let value = result.map_err(js_error)?;
    serde_json::to_string(&value)
        .map(JsValue::from)
        .map_err(|error| js_error(Error::Protocol(error.to_string())))
}

/// An [`Error`] as the plain object `index.ts` turns into an `Error` subclass.
fn js_error(error: Error) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &key.into(), &value);
    };
    let kind = match &error {
        Error::Network(_) => "network",
        Error::Api { .. } => "api",
        Error::Protocol(_) => "protocol",
        Error::Invalid(_) => "invalid",
        Error::Run { .. } => "run",
    };
    set("kind", kind.into());
    set("code", error.code_str().into());
    if let Error::Api {
        status,
        message,
        retry_after,
        ..
    } = &error
    {
        set("status", (*status).into());
        set("message", message.as_str().into());
        if let Some(seconds) = retry_after {
            set("retryAfter", (*seconds as f64).into());
        }
    } else {
        set("message", error.to_string().into());
    }
    object.into()
}
