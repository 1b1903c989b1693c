//! What the widget's owner may ask of visitors besides chat: the CSAT
//! question, the contact form and the "talk to a person" button. A small
//! script draws them (`www/widget-extras.js`); the widget loads it only when
//! its owner turned one of them on, as it starts, so the chat's first-open
//! bytes stay within budget and other pages fetch nothing more.
//!
//! The script is a classic one, checked against the integrity the build
//! compiled in (as the loader checks the widget). No function crosses from
//! the Wasm to it (each would cost the Wasm glue): its `<script>` element
//! carries the widget's shadow root and the config; it reads how the
//! conversation stands from the panel itself (the visitor's messages, the
//! answers that can be rated, the error banner); and it sends through the
//! page's own `SiteKit('lead' | 'handoff' | 'csat', …)` (`commands.rs`),
//! which the widget reports as usage events: durable, retried and counted
//! once, with the rest.

use wasm_bindgen::JsValue;
use web_sys::ShadowRoot;

/// The script's asset name and integrity, from `cargo xtask build`; a build
/// without them (the tests') has no extras to draw.
const SCRIPT: Option<&str> = option_env!("SITEKIT_EXTRAS_JS");
const INTEGRITY: Option<&str> = option_env!("SITEKIT_EXTRAS_INTEGRITY");

/// Adds the script to the page for the widget in `root` and the config's
/// JSON; `mount` calls it once, and the loader mounts the widget once a page.
pub fn load(endpoint: &str, root: &ShadowRoot, config_json: &str) {
    let (Some(name), Some(integrity)) = (SCRIPT, INTEGRITY) else {
        return;
    };
    let Some(document) = root.owner_document() else {
        return;
    };
    let (Ok(script), Some(body)) = (document.create_element("script"), document.body()) else {
        return;
    };
    let _ = script.set_attribute("src", &format!("{endpoint}/v1/assets/{name}"));
    let _ = script.set_attribute("integrity", integrity);
    let _ = script.set_attribute("crossorigin", "anonymous");
    let _ = js_sys::Reflect::set(&script, &"sitekitRoot".into(), root);
    let _ = js_sys::Reflect::set(
        &script,
        &"sitekitConfig".into(),
        &JsValue::from_str(config_json),
    );
    // The page's body, as the loader does: a script out of the document never runs.
    let _ = body.append_child(&script);
}
