//! The Site Kit chat widget: a Yew app compiled to Wasm that the loader mounts in
//! the Shadow DOM it made, next to its launcher button.
//!
//! The loader's side of the contract is [`mount`] and the [`Widget`] it returns;
//! everything else is public so the browser tests can drive it.

pub mod app;
pub mod commands;
pub mod components;
pub mod extras;
pub mod failure;
pub mod hooks;
pub mod host;
pub mod i18n;
pub mod markdown;
pub mod session;
pub mod state;

use std::rc::Rc;

use sitekit_sdk::wire::WidgetConfig;

use crate::i18n::Lang;
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, HtmlElement, ShadowRoot};

use crate::app::{App, AppProps};
use crate::commands::{Command, CommandPort};
use crate::host::HostPage;
use crate::session::ChatSession;

/// The panel's styles; adopted, never inlined, so a strict host CSP (no
/// `unsafe-inline`) cannot block them.
const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/style.min.css"));

/// The mounted widget, as the loader holds it.
#[wasm_bindgen]
pub struct Widget {
    commands: Rc<CommandPort>,
}

#[wasm_bindgen]
impl Widget {
    pub fn open(&self) {
        self.commands.send(Command::Open);
    }

    pub fn close(&self) {
        self.commands.send(Command::Close);
    }

    pub fn toggle(&self) {
        self.commands.send(Command::Toggle);
    }

    /// One host-page call `SiteKit(name, arg)` as its argument list, e.g.
    /// `["send", "Hello"]`; also what each entry of the loader's queue is.
    pub fn command(&self, call: &JsValue) {
        let call = js_sys::Array::from(call);
        let name = call.get(0).as_string().unwrap_or_default();
        let arg = call.get(1);
        let command = if name == "identify" {
            site_user(&arg).map(Command::Identify)
        } else {
            Command::parse(&name, arg.as_string())
        };
        match command {
            Some(command) => self.commands.send(command),
            None => web_sys::console::warn_1(
                &format!("[SiteKit] unsupported call SiteKit(\"{name}\", …)").into(),
            ),
        }
    }
}

/// The page's `{id, name, email}` as JSON, if its id is a non-empty string; the
/// server checks the rest.
fn site_user(arg: &JsValue) -> Option<String> {
    js_sys::Reflect::get(arg, &"id".into())
        .ok()?
        .as_string()
        .filter(|id| !id.is_empty())?;
    js_sys::JSON::stringify(arg).ok()?.as_string()
}

/// Renders the widget into `shadow_root` (next to the loader's `launcher`) and
/// replays the calls the host page made before it loaded (`queue`, emptied here).
///
/// `config_json` is the body of `GET /v1/widgets/<key>/config`, which the loader
/// already fetched; `endpoint` is the embed server's origin; `emit(name, detail)`
/// reaches the host page's `SiteKit('on', …)` listeners.
#[wasm_bindgen]
pub fn mount(
    shadow_root: ShadowRoot,
    launcher: HtmlElement,
    endpoint: String,
    publishable_key: String,
    config_json: String,
    queue: Option<js_sys::Array>,
    emit: js_sys::Function,
) -> Result<Widget, JsValue> {
    let config = WidgetConfig::from_json(&config_json)
        .map_err(|error| js_sys::Error::new(&format!("invalid widget config: {error}")))?;
    adopt_style(&shadow_root)?;
    if let Ok(host) = shadow_root.host().dyn_into::<HtmlElement>() {
        // CSSOM, unlike a `style` attribute, is allowed under a strict CSP. A colour
        // the browser cannot parse is ignored and the stylesheet's default stays.
        let style = host.style();
        style.set_property("--sitekit-primary", &config.primary_color)?;
        style.set_property("--sitekit-on-primary", &config.primary_text_color)?;
    }
    let root = shadow_root
        .owner_document()
        .ok_or_else(|| js_sys::Error::new("the shadow root has no document"))?
        .create_element("div")?;
    shadow_root.append_child(&root)?;
    let commands = Rc::new(CommandPort::default());
    let browser_language = web_sys::window().and_then(|window| window.navigator().language());
    let session = ChatSession::new(&endpoint, &publishable_key, config.conversation_days);
    // Only a config with engagement settings names them (a text that merely
    // mentions the word loads a script that finds nothing to do). The engine's
    // search: Rust's string search would cost the Wasm a kilobyte.
    if js_sys::JsString::from(config_json.as_str()).includes(r#""engagement":"#, 0) {
        extras::load(&endpoint, &shadow_root, &config_json);
    }
    let props = AppProps {
        lang: Lang::resolve(&config.locale, browser_language.as_deref()),
        config,
        session: Rc::new(session),
        commands: commands.clone(),
        host: Rc::new(HostPage::new(launcher, emit)),
    };
    yew::Renderer::<App>::with_root_and_props(root, props).render();
    let widget = Widget { commands };
    if let Some(queue) = queue {
        for call in queue.iter() {
            widget.command(&call);
        }
        queue.set_length(0);
    }
    Ok(widget)
}

/// Adds the widget's stylesheet after the loader's. A new array rather than
/// `push`, which browsers with a frozen `adoptedStyleSheets` reject.
fn adopt_style(shadow_root: &ShadowRoot) -> Result<(), JsValue> {
    let sheet = CssStyleSheet::new()?;
    sheet.replace_sync(STYLE)?;
    let sheets = js_sys::Array::from(&shadow_root.adopted_style_sheets());
    sheets.push(&sheet);
    shadow_root.set_adopted_style_sheets(&sheets);
    Ok(())
}
