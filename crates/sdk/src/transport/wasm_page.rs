//! What the usage reporter needs of a web page: `localStorage` to keep unsent
//! events across reloads, and a last request as the page goes away
//! (`fetch(keepalive)`, falling back to `navigator.sendBeacon`). Outside a page
//! (Node, a worker) there is no storage and nothing to leave.

use std::future::Future;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response, Storage, VisibilityState};

fn storage() -> Option<Storage> {
    // `localStorage` throws where the browser forbids it (some private modes).
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

pub fn save(key: &str, value: &str) {
    if let Some(storage) = storage() {
        // Over the quota the events still wait in memory.
        let _ = storage.set_item(key, value);
    }
}

pub fn remove(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(key);
    }
}

/// Calls `hook` when the page is hidden or unloaded: `pagehide` fires on
/// navigation, `visibilitychange` to hidden is the last event mobile browsers
/// promise before they kill a tab.
pub fn on_leave(hook: Box<dyn Fn()>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hook = std::rc::Rc::new(hook);
    let on_pagehide = {
        let hook = hook.clone();
        Closure::<dyn Fn()>::new(move || hook())
    };
    let document = window.document();
    let on_visibility = {
        let document = document.clone();
        Closure::<dyn Fn()>::new(move || {
            if document
                .as_ref()
                .is_some_and(|document| document.visibility_state() == VisibilityState::Hidden)
            {
                hook();
            }
        })
    };
    let _ =
        window.add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
    if let Some(document) = document {
        let _ = document.add_event_listener_with_callback(
            "visibilitychange",
            on_visibility.as_ref().unchecked_ref(),
        );
    }
    // The listeners live as long as the page.
    on_pagehide.forget();
    on_visibility.forget();
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch_with_init(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;
}

/// Posts `body` to `url` so that it outlives the page: `fetch` with `keepalive`
/// (its answer, if the page lives to read it, goes to `answer`), and where that
/// is refused, `sendBeacon`, whose answer nobody can read. Sent as `text/plain`,
/// which needs no CORS preflight that a dying page could not wait for.
pub fn send_while_leaving(url: String, body: String, answer: Box<dyn FnOnce(Option<String>)>) {
    let init = RequestInit::new();
    init.set_method("POST");
    // Not in web-sys's stable API yet; every current engine knows it.
    let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
    init.set_body(&JsValue::from_str(&body));
    // Called now, not from a task: the page may not run another one.
    let Ok(sent) = fetch_with_init(&url, &init) else {
        send_beacon(&url, &body);
        return answer(None);
    };
    wasm_bindgen_futures::spawn_local(async move {
        let text = match JsFuture::from(sent).await {
            Ok(response) => match response.unchecked_into::<Response>().text() {
                Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
                Err(_) => None,
            },
            Err(_) => {
                // Refused, e.g. over keepalive's 64 KB quota: the beacon has its own.
                send_beacon(&url, &body);
                None
            }
        };
        answer(text);
    });
}

fn send_beacon(url: &str, body: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().send_beacon_with_opt_str(url, Some(body));
    }
}

/// In a page nothing needs finishing: the events are stored and the next page
/// sends them.
pub fn finish_before_exit(_work: impl Future<Output = ()> + 'static) {}
