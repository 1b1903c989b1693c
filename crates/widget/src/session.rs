//! One conversation per mounted widget: the SDK client, the thread the messages go
//! to, and the visitor id that makes a returning visitor the same visitor.

use sitekit_sdk::Client;

/// Shared by the components of one mount through an `Rc`.
#[derive(Debug)]
pub struct ChatSession {
    pub client: Client,
    pub thread_id: String,
    /// The `localStorage` key of the visitor id.
    visitor_key: String,
}

impl ChatSession {
    /// A client for `endpoint` that continues as the stored visitor, if any, on a
    /// new thread.
    pub fn new(endpoint: &str, publishable_key: &str) -> Self {
        let visitor_key = format!("sitekit:{publishable_key}:visitor");
        let client = Client::new(endpoint, publishable_key);
        let client = match storage().and_then(|s| s.get_item(&visitor_key).ok().flatten()) {
            Some(visitor_id) => client.with_visitor_id(visitor_id),
            None => client,
        };
        ChatSession {
            client,
            thread_id: new_thread_id(),
            visitor_key,
        }
    }

    /// Stores the visitor id the server assigned, once a session exists. Storage
    /// may be full or blocked; the visitor then just counts as new next time.
    pub fn remember_visitor(&self) {
        if let (Some(storage), Some(visitor_id)) = (storage(), self.client.visitor_id()) {
            let _ = storage.set_item(&self.visitor_key, &visitor_id);
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

/// `localStorage`, unless the browser denies it (privacy settings throw here).
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Random hex that keeps one mount's thread apart from every other. Not
/// `crypto.randomUUID`: that needs a secure context, and host pages may be plain http.
fn new_thread_id() -> String {
    let word = || (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    format!(
        "thread-{:08x}{:08x}{:08x}{:08x}",
        word(),
        word(),
        word(),
        word()
    )
}
