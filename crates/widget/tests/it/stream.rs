//! A whole run through the mounted widget against the real embed server and,
//! behind it, the real Langflow FAQ flow: what a visitor sees while an answer
//! streams in, when it ends, and when the agent fails.
//!
//! `cargo xtask test` starts that server and passes its address and two widget
//! keys (the FAQ flow and a flow that always fails) in at compile time.

use sitekit_widget::mount;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, Node, ShadowRootInit, ShadowRootMode};

use crate::dom::{click, container, eventually, query, settle, type_into, wait_for};

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

/// Mounts an open widget for `key` and sends `text`.
async fn send(key: &str, text: &str) -> Node {
    let host = container();
    let shadow = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .unwrap();
    let config =
        r#"{"title":"T","greeting":"","locale":"en","primaryColor":"red","position":"right"}"#;
    let endpoint = ENDPOINT;
    let widget = mount(
        shadow.clone(),
        endpoint.into(),
        key.into(),
        config.into(),
        None,
    )
    .unwrap();
    widget.open();
    settle().await;
    let root: Node = shadow.into();
    type_into(&query(&root, "[data-testid=sitekit-input]").unwrap(), text);
    click(&query(&root, "[data-testid=sitekit-send]").unwrap());
    root
}

fn text_of(element: &Element) -> String {
    element.text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn an_answer_streams_in_as_text_and_the_visitor_is_remembered() {
    let key = FAQ_KEY;
    let root = send(key, "How do I install the snippet?").await;
    let answer = wait_for(&root, "[data-testid=sitekit-message-assistant]").await;

    // Mid-stream: part of the answer is shown and sending is paused.
    let send_button = query(&root, "[data-testid=sitekit-send]").unwrap();
    eventually("a partly streamed answer", || {
        let text = text_of(&answer);
        text.starts_with("To install") && !text.ends_with("list.")
    })
    .await;
    assert!(send_button.has_attribute("disabled"));

    eventually("the whole answer", || {
        text_of(&answer).ends_with("allowed origins list.")
    })
    .await;
    eventually("the run finishing", || {
        !send_button.has_attribute("disabled")
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

    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let visitor = storage.get_item(&format!("sitekit:{key}:visitor")).unwrap();
    assert!(visitor.is_some_and(|id| id.starts_with("vis_")));
}

#[wasm_bindgen_test]
async fn a_failing_agent_ends_the_answer_with_a_readable_alert() {
    let key = FAILING_KEY;
    let root = send(key, "Hi").await;
    let banner = wait_for(&root, "[data-testid=sitekit-error]").await;
    assert_eq!(banner.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        text_of(&banner),
        "The assistant is unavailable right now. Please try again."
    );
    assert!(query(&root, "[data-testid=sitekit-typing]").is_none());
}
