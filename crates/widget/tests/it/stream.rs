//! A whole run through the mounted widget against the real embed server and,
//! behind it, the real Langflow FAQ flow: what a visitor sees while an answer
//! streams in, when it ends, when the agent fails (and they try again), when they
//! stop it, and on the next page.
//!
//! `cargo xtask test` starts that server and passes its address and two widget
//! keys (the FAQ flow and a flow that always fails) in at compile time.

use std::time::Duration;

use sitekit_widget::{Widget, mount};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, Node};

use crate::dom::{LoaderParts, click, eventually, query, settle, type_into, wait_for};

/// Set by `cargo xtask test`, which starts the embed server these tests talk to
/// and seeds widgets allowed on the test runner's origin.
const ENDPOINT: &str = env!(
    "SITEKIT_WASM_TEST_ENDPOINT",
    "run the wasm tests through `cargo xtask test`"
);
const FAQ_KEY: &str = env!(
    "SITEKIT_WASM_TEST_KEY",
    "run the wasm tests through `cargo xtask test`"
);
const FAILING_KEY: &str = env!(
    "SITEKIT_WASM_TEST_FAILING_KEY",
    "run the wasm tests through `cargo xtask test`"
);

/// Mounts an open widget for `key` in a shadow root of its own, continuing the
/// conversation an earlier mount stored, if any.
async fn mount_open(key: &str) -> (Node, Widget) {
    mount_open_with(key, CONFIG).await
}

const CONFIG: &str =
    r#"{"title":"T","greeting":"","locale":"en","primaryColor":"red","position":"right"}"#;

async fn mount_open_with(key: &str, config: &str) -> (Node, Widget) {
    let parts = LoaderParts::new();
    let widget = mount(
        parts.shadow.clone(),
        parts.launcher,
        ENDPOINT.into(),
        key.into(),
        config.into(),
        None,
        parts.emit,
    )
    .unwrap();
    widget.open();
    settle().await;
    (parts.shadow.into(), widget)
}

/// Mounts an open widget for `key` on a new conversation and sends `text`.
async fn send(key: &str, text: &str) -> Node {
    let thread = format!("sitekit:{key}:thread");
    storage().remove_item(&thread).unwrap();
    let (root, _widget) = mount_open(key).await;
    type_into(&query(&root, "[data-testid=sitekit-input]").unwrap(), text);
    click(&query(&root, "[data-testid=sitekit-send]").unwrap());
    root
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn count(root: &Node, selector: &str) -> u32 {
    let root: &web_sys::ShadowRoot = wasm_bindgen::JsCast::unchecked_ref(root);
    root.query_selector_all(selector).unwrap().length()
}

fn text_of(element: &Element) -> String {
    element.text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn an_answer_streams_in_as_text_and_the_visitor_is_remembered() {
    let key = FAQ_KEY;
    let root = send(key, "How do I install the snippet?").await;
    let answer = wait_for(&root, "[data-testid=sitekit-message-assistant]").await;

    // Mid-stream: part of the answer is shown and Stop stands where Send was.
    eventually("a partly streamed answer", || {
        let text = text_of(&answer);
        text.starts_with("To install") && !text.ends_with("list.")
    })
    .await;
    assert!(query(&root, "[data-testid=sitekit-stop]").is_some());
    assert!(query(&root, "[data-testid=sitekit-send]").is_none());

    eventually("the whole answer", || {
        text_of(&answer).ends_with("allowed origins list.")
    })
    .await;
    eventually("the run finishing", || {
        query(&root, "[data-testid=sitekit-send]").is_some()
    })
    .await;
    // The answer mentions `</body>` and `<script>`: shown as text, never parsed.
    assert!(
        text_of(&answer).contains("one <script> tag"),
        "{}",
        text_of(&answer)
    );
    assert!(query(&root, "script").is_none());
    assert!(query(&root, "[data-testid=sitekit-error]").is_none());
    // The finished answer's thumbs, sized, coloured and the down one turned by
    // the widget's stylesheet.
    let thumb = query(&root, "[data-testid=sitekit-rate-up] svg").unwrap();
    let drawn = thumb.get_bounding_client_rect();
    assert_eq!((drawn.width(), drawn.height()), (16.0, 16.0));
    let computed = |selector: &str, property: &str| {
        let element = query(&root, selector).unwrap();
        let window = web_sys::window().unwrap();
        let style = window.get_computed_style(&element).unwrap().unwrap();
        style.get_property_value(property).unwrap()
    };
    assert_eq!(
        computed("[data-testid=sitekit-rate-up] svg", "rotate"),
        "none"
    );
    assert_eq!(
        computed("[data-testid=sitekit-rate-down] svg", "rotate"),
        "180deg"
    );
    assert_eq!(
        computed("[data-testid=sitekit-rate-down] path", "fill"),
        computed("[data-testid=sitekit-rate-down]", "color")
    );

    let visitor = storage()
        .get_item(&format!("sitekit:{key}:visitor"))
        .unwrap();
    assert!(visitor.is_some_and(|id| id.starts_with("vis_")));
}

#[wasm_bindgen_test]
async fn a_failing_agent_ends_the_answer_with_a_readable_alert() {
    let key = FAILING_KEY;
    let root = send(key, "Hi").await;
    let banner = wait_for(&root, "[data-testid=sitekit-error]").await;
    assert_eq!(banner.get_attribute("role").as_deref(), Some("alert"));
    assert!(
        text_of(&banner).starts_with("The assistant is unavailable right now. Please try again."),
        "{}",
        text_of(&banner)
    );
    assert!(query(&root, "[data-testid=sitekit-typing]").is_none());

    // Trying again sends the same message once more (one bubble), and fails again.
    click(&query(&root, "[data-testid=sitekit-retry]").unwrap());
    settle().await;
    eventually("the second failure", || {
        query(&root, "[data-testid=sitekit-retry]").is_some()
    })
    .await;
    assert_eq!(count(&root, "[data-testid=sitekit-message-user]"), 1);
}

#[wasm_bindgen_test]
async fn stop_ends_the_answer_where_it_is() {
    let root = send(FAQ_KEY, "How do I install the snippet?").await;
    let answer = wait_for(&root, "[data-testid=sitekit-message-assistant]").await;
    eventually("a partly streamed answer", || {
        text_of(&answer).starts_with("To install")
    })
    .await;
    click(&query(&root, "[data-testid=sitekit-stop]").unwrap());
    settle().await;
    let stopped_at = text_of(&answer);
    assert!(query(&root, "[data-testid=sitekit-send]").is_some());
    // The rest of the answer would arrive within a second; it does not.
    yew::platform::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(text_of(&answer), stopped_at);
    assert!(
        !stopped_at.ends_with("allowed origins list."),
        "{stopped_at}"
    );
    assert!(query(&root, "[data-testid=sitekit-error]").is_none());
}

#[wasm_bindgen_test]
async fn the_next_page_shows_the_conversation_and_reset_starts_a_new_one() {
    let first = send(FAQ_KEY, "What are keys?").await;
    let answer = wait_for(&first, "[data-testid=sitekit-message-assistant]").await;
    eventually("the run finishing", || {
        query(&first, "[data-testid=sitekit-send]").is_some() && !text_of(&answer).is_empty()
    })
    .await;
    let said = text_of(&answer);

    // A new mount with the same key, as on the next page of the site.
    let (next, widget) = mount_open(FAQ_KEY).await;
    let restored = wait_for(&next, "[data-testid=sitekit-message-assistant]").await;
    eventually("the earlier answer", || text_of(&restored) == said).await;
    assert_eq!(
        text_of(&query(&next, "[data-testid=sitekit-message-user]").unwrap()),
        "What are keys?"
    );

    widget.command(&js_sys::Array::of1(&"reset".into()).into());
    settle().await;
    assert!(query(&next, "[data-testid=sitekit-message-user]").is_none());
    let thread = format!("sitekit:{FAQ_KEY}:thread");
    assert_eq!(storage().get_item(&thread).unwrap(), None);
}

/// Sends `text` on a new conversation and waits for the whole answer.
async fn answered(key: &str, config: &str, text: &str) {
    let thread = format!("sitekit:{key}:thread");
    storage().remove_item(&thread).unwrap();
    let (root, _widget) = mount_open_with(key, config).await;
    type_into(&query(&root, "[data-testid=sitekit-input]").unwrap(), text);
    click(&query(&root, "[data-testid=sitekit-send]").unwrap());
    let answer = wait_for(&root, "[data-testid=sitekit-message-assistant]").await;
    eventually("the run finishing", || {
        query(&root, "[data-testid=sitekit-send]").is_some() && !text_of(&answer).is_empty()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_conversation_older_than_the_widgets_days_is_not_continued() {
    answered(FAQ_KEY, CONFIG, "What are keys?").await;
    let thread = format!("sitekit:{FAQ_KEY}:thread");
    let stored = storage().get_item(&thread).unwrap().unwrap();
    let (id, _) = stored.rsplit_once('@').unwrap();
    // The last message 31 days ago, one more than the default 30.
    let long_ago = js_sys::Date::now() as u64 - 31 * 86_400_000;
    storage()
        .set_item(&thread, &format!("{id}@{long_ago}"))
        .unwrap();

    let (next, _widget) = mount_open(FAQ_KEY).await;
    yew::platform::time::sleep(Duration::from_millis(500)).await;
    assert!(query(&next, "[data-testid=sitekit-message-user]").is_none());
}

#[wasm_bindgen_test]
async fn a_widget_that_keeps_no_conversations_starts_afresh_on_every_page() {
    let keeps_none = r#"{"title":"T","greeting":"","locale":"en","primaryColor":"red",
        "position":"right","conversationDays":0}"#;
    answered(FAQ_KEY, keeps_none, "What are keys?").await;
    let thread = format!("sitekit:{FAQ_KEY}:thread");
    assert_eq!(storage().get_item(&thread).unwrap(), None);

    let (next, _widget) = mount_open_with(FAQ_KEY, keeps_none).await;
    yew::platform::time::sleep(Duration::from_millis(500)).await;
    assert!(query(&next, "[data-testid=sitekit-message-user]").is_none());
}
