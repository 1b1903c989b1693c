//! The widget as the loader mounts it: into a shadow root, driven through the
//! returned handle, talking to an embed server that cannot be reached.

use sitekit_widget::{Widget, mount};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlElement, KeyboardEvent, KeyboardEventInit, Node, ShadowRoot};

use crate::dom::{LoaderParts, click, query, settle, type_into, wait_for};

const CONFIG: &str = r##"{"title":"Acme support","greeting":"Hi there!","locale":"en",
    "primaryColor":"#e11d48","primaryTextColor":"#111827","position":"left"}"##;

/// Port 9 is one browsers refuse to connect to, so every request fails at once,
/// the way it does for a visitor who is offline.
const UNREACHABLE: &str = "http://127.0.0.1:9";

fn shadow_host() -> (HtmlElement, ShadowRoot) {
    let parts = LoaderParts::new();
    (parts.host, parts.shadow)
}

fn mount_parts(parts: &LoaderParts, queue: Option<js_sys::Array>) -> Widget {
    mount(
        parts.shadow.clone(),
        parts.launcher.clone(),
        UNREACHABLE.into(),
        "skt_pub_test_widget".into(),
        CONFIG.into(),
        queue,
        parts.emit.clone(),
    )
    .unwrap()
}

fn mount_with(shadow: &ShadowRoot, queue: Option<js_sys::Array>) -> Widget {
    let parts = LoaderParts::new();
    let parts = LoaderParts {
        shadow: shadow.clone(),
        ..parts
    };
    mount_parts(&parts, queue)
}

fn panel_hidden(root: &Node) -> bool {
    query(root, "[data-testid=sitekit-panel]")
        .unwrap()
        .has_attribute("hidden")
}

#[wasm_bindgen_test]
async fn mounting_styles_the_shadow_root_and_replays_queued_calls() {
    let (host, shadow) = shadow_host();
    let queue = js_sys::Array::of1(&js_sys::Array::of1(&"open".into()));
    mount_with(&shadow, Some(queue.clone()));
    settle().await;
    let root: &Node = shadow.as_ref();
    assert!(
        !panel_hidden(root),
        "the queued SiteKit('open') opened the panel"
    );
    assert_eq!(queue.length(), 0, "the queue was consumed");
    assert_eq!(shadow.adopted_style_sheets().length(), 1);
    assert_eq!(
        host.style()
            .get_property_value("--sitekit-primary")
            .unwrap(),
        "#e11d48"
    );
    assert_eq!(
        host.style()
            .get_property_value("--sitekit-on-primary")
            .unwrap(),
        "#111827"
    );
    let greeting = query(root, "[data-testid=sitekit-message-assistant]").unwrap();
    assert_eq!(greeting.text_content().unwrap(), "Hi there!");
    let panel = query(root, "[data-testid=sitekit-panel]").unwrap();
    assert!(
        panel
            .get_attribute("class")
            .unwrap()
            .split(' ')
            .any(|c| c == "left")
    );
    assert_eq!(
        shadow
            .active_element()
            .and_then(|e| e.get_attribute("data-testid"))
            .as_deref(),
        Some("sitekit-input"),
        "opening focuses the message box"
    );
}

#[wasm_bindgen_test]
async fn the_handle_opens_toggles_and_the_close_button_closes() {
    let (_host, shadow) = shadow_host();
    let widget = mount_with(&shadow, None);
    let root: &Node = shadow.as_ref();
    widget.open();
    settle().await;
    assert!(!panel_hidden(root));
    widget.toggle();
    settle().await;
    assert!(panel_hidden(root));
    widget.toggle();
    settle().await;
    click(&query(root, "[data-testid=sitekit-close]").unwrap());
    settle().await;
    assert!(panel_hidden(root));
    widget.command(&js_sys::Array::of1(&"open".into()).into());
    widget.command(&js_sys::Array::of1(&"no-such-call".into()).into());
    settle().await;
    assert!(!panel_hidden(root));
}

#[wasm_bindgen_test]
async fn an_unreachable_server_shows_the_message_and_an_offline_alert() {
    let (_host, shadow) = shadow_host();
    let widget = mount_with(&shadow, None);
    widget.open();
    settle().await;
    let root: &Node = shadow.as_ref();
    type_into(
        &query(root, "[data-testid=sitekit-input]").unwrap(),
        "Hello?",
    );
    click(&query(root, "[data-testid=sitekit-send]").unwrap());
    settle().await;
    let user = query(root, "[data-testid=sitekit-message-user]").unwrap();
    assert_eq!(user.text_content().unwrap(), "Hello?");
    let banner = wait_for(root, "[data-testid=sitekit-error]").await;
    assert_eq!(banner.get_attribute("role").as_deref(), Some("alert"));
    assert!(
        banner
            .text_content()
            .unwrap()
            .starts_with("You seem to be offline"),
        "{:?}",
        banner.text_content()
    );
    let send = query(root, "[data-testid=sitekit-send]").unwrap();
    assert!(!send.has_attribute("disabled"), "the visitor can try again");
}

#[wasm_bindgen_test]
fn a_config_that_is_not_widget_config_is_refused() {
    let (_host, shadow) = shadow_host();
    let launcher = crate::dom::document()
        .create_element("button")
        .unwrap()
        .unchecked_into();
    let emit = js_sys::Function::new_no_args("");
    let error = mount(
        shadow,
        launcher,
        UNREACHABLE.into(),
        "k".into(),
        "{}".into(),
        None,
        emit,
    )
    .err()
    .unwrap();
    let message: JsValue = js_sys::Reflect::get(&error, &"message".into()).unwrap();
    assert!(
        message
            .as_string()
            .unwrap()
            .starts_with("invalid widget config")
    );
}

#[wasm_bindgen_test]
async fn escape_closes_the_panel_and_the_keyboard_goes_on_from_the_launcher() {
    let parts = LoaderParts::new();
    let widget = mount_parts(&parts, None);
    let root: &Node = parts.shadow.as_ref();
    widget.open();
    settle().await;
    assert_eq!(
        parts.launcher.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(
        parts.launcher.get_attribute("aria-label").as_deref(),
        Some("Close chat")
    );
    let input = query(root, "[data-testid=sitekit-input]").unwrap();
    let init = KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    let escape = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    input.dispatch_event(&escape).unwrap();
    settle().await;
    assert!(panel_hidden(root));
    assert!(
        parts
            .shadow
            .active_element()
            .is_some_and(|active| active.is_same_node(Some(&parts.launcher))),
        "focus returned to the launcher"
    );
    assert_eq!(
        parts.launcher.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert_eq!(
        parts.launcher.get_attribute("aria-label").as_deref(),
        Some("Open chat")
    );
    assert_eq!(parts.event_names(), ["open", "close"]);
}

#[wasm_bindgen_test]
async fn the_host_page_hears_the_visitors_message_and_the_failure() {
    let parts = LoaderParts::new();
    let widget = mount_parts(&parts, None);
    widget.command(&js_sys::Array::of2(&"send".into(), &"Anyone there?".into()).into());
    let root: &Node = parts.shadow.as_ref();
    wait_for(root, "[data-testid=sitekit-error]").await;
    assert_eq!(parts.event_names(), ["message", "error"]);
    let detail = |index: u32, field: &str| {
        let event = js_sys::Array::from(&parts.events.get(index));
        js_sys::Reflect::get(&event.get(1), &field.into())
            .unwrap()
            .as_string()
            .unwrap()
    };
    assert_eq!(detail(0, "role"), "user");
    assert_eq!(detail(0, "text"), "Anyone there?");
    assert_eq!(detail(1, "code"), "network");
}
