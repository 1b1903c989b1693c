//! What the usage reporter needs of its surroundings, for a native program: no
//! storage across runs and no page to leave; what waits is sent when the
//! reporter is dropped.

use std::future::Future;
use std::time::Duration;

/// How long a dropped reporter may hold its thread to send what waits.
const LAST_FLUSH_LIMIT: Duration = Duration::from_secs(5);

pub fn load(_key: &str) -> Option<String> {
    None
}

pub fn save(_key: &str, _value: &str) {}

pub fn remove(_key: &str) {}

pub fn on_leave(_hook: Box<dyn Fn()>) {}

pub fn send_while_leaving(_url: String, _body: String, _answer: Box<dyn FnOnce(Option<String>)>) {}

/// Runs `work` to the end (or [`LAST_FLUSH_LIMIT`]) before returning, on a runtime
/// of its own: the caller may be a runtime that is shutting down, or none.
pub fn finish_before_exit(work: impl Future<Output = ()> + Send + 'static) {
    let thread = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        // The timer is made inside the runtime, which it needs.
        runtime.block_on(async move {
            let _ = tokio::time::timeout(LAST_FLUSH_LIMIT, work).await;
        });
    });
    let _ = thread.join();
}
