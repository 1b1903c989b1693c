//! Runs a callback when the browser comes back online, for as long as `waiting`
//! holds: a message that failed because the visitor was offline goes out again
//! by itself once the connection returns.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

#[hook]
pub fn use_back_online(waiting: bool, on_online: Callback<()>) {
    use_effect_with(waiting, move |waiting| {
        let listener = waiting.then(|| OnlineListener::new(on_online));
        move || drop(listener)
    });
}

/// The window's `online` listener, removed again when dropped.
struct OnlineListener {
    callback: Closure<dyn FnMut()>,
}

impl OnlineListener {
    fn new(on_online: Callback<()>) -> Self {
        let callback = Closure::<dyn FnMut()>::new(move || on_online.emit(()));
        if let Some(window) = web_sys::window() {
            let _ = window
                .add_event_listener_with_callback("online", callback.as_ref().unchecked_ref());
        }
        OnlineListener { callback }
    }
}

impl Drop for OnlineListener {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback(
                "online",
                self.callback.as_ref().unchecked_ref(),
            );
        }
    }
}
