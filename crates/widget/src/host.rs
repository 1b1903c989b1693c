//! The widget's side of the page it is embedded in: the loader's launcher button,
//! whose label, expanded state and unread badge follow the panel, and the host
//! page's `SiteKit('on', …)` listeners, which the loader's `emit` function calls.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, ShadowRoot};

use crate::i18n::Texts;

/// What the host page hears about (`SiteKit('on', name, listener)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostEvent {
    Open,
    Close,
    /// A message of the conversation: the visitor's as sent, an answer once complete.
    Message {
        role: &'static str,
        text: String,
    },
    /// A failed run, with the stable code the console line also shows.
    Error {
        code: String,
        message: String,
    },
}

/// The launcher and the loader's `emit(name, detail)`; both absent in tests that
/// render the app alone.
#[derive(Debug, Default)]
pub struct HostPage {
    launcher: Option<HtmlElement>,
    emit: Option<js_sys::Function>,
}

impl HostPage {
    pub fn new(launcher: HtmlElement, emit: js_sys::Function) -> Self {
        HostPage {
            launcher: Some(launcher),
            emit: Some(emit),
        }
    }

    /// Calls the host page's listeners; one that throws is the loader's to report.
    pub fn emit(&self, event: HostEvent) {
        let Some(emit) = &self.emit else { return };
        let (name, detail) = match event {
            HostEvent::Open => ("open", JsValue::UNDEFINED),
            HostEvent::Close => ("close", JsValue::UNDEFINED),
            HostEvent::Message { role, text } => {
                ("message", object(&[("role", role), ("text", &text)]))
            }
            HostEvent::Error { code, message } => {
                ("error", object(&[("code", &code), ("message", &message)]))
            }
        };
        let _ = emit.call2(&JsValue::NULL, &name.into(), &detail);
    }

    /// The launcher says what a click does, and how many answers wait unread.
    pub fn show_on_launcher(&self, open: bool, unread: u32, texts: &Texts) {
        let Some(launcher) = &self.launcher else {
            return;
        };
        let label = match (open, unread) {
            (true, _) => texts.close_chat.to_owned(),
            (false, 0) => texts.open_chat.to_owned(),
            (false, count) => format!("{}{}{count}", texts.open_chat, texts.unread),
        };
        let _ = launcher.set_attribute("aria-label", &label);
        let _ = launcher.set_attribute("aria-expanded", if open { "true" } else { "false" });
        // The loader's badge repeats the count for the eye; the label says it.
        if let Some(badge) = launcher.query_selector(".badge").ok().flatten() {
            badge.set_text_content(Some(&unread.to_string()));
            let _ = badge.toggle_attribute_with_force("hidden", unread == 0 || open);
        }
    }

    /// After the panel closed with the focus inside it (Escape, its close
    /// button), the keyboard goes on from the launcher that opened it. Called
    /// right after the panel was hidden, before the browser moves the focus away.
    pub fn take_focus_back(&self) {
        let Some(launcher) = &self.launcher else {
            return;
        };
        let focus_in_widget = launcher
            .get_root_node()
            .dyn_into::<ShadowRoot>()
            .ok()
            .and_then(|root| root.active_element())
            .is_some_and(|active| !active.is_same_node(Some(launcher)));
        if focus_in_widget {
            let _ = launcher.focus();
        }
    }
}

/// One mount, one host page: identity is equality (see `ChatSession`).
impl PartialEq for HostPage {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// A plain object of string fields, as listeners receive details.
fn object(fields: &[(&str, &str)]) -> JsValue {
    let object = js_sys::Object::new();
    for (name, value) in fields {
        let _ = js_sys::Reflect::set(&object, &(*name).into(), &(*value).into());
    }
    object.into()
}
