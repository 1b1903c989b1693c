//! The SDK in headless Chromium: its `fetch` transport and SSE decoding against a
//! real embed server (and through it the real Langflow FAQ flow).
//!
//! `cargo xtask test` starts that server, seeds widgets allowed on the test
//! runner's origin and passes them in at compile time.
#![cfg(target_arch = "wasm32")]

use futures_util::StreamExt;
use sitekit_sdk::agui::Event;
use sitekit_sdk::usage::FlushSummary;
use sitekit_sdk::wire::usage_types::{TRACK, WIDGET_OPENED};
use sitekit_sdk::{Client, Error, UsageReporter};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

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

wasm_bindgen_test_configure!(run_in_browser);

fn faq_client() -> Client {
    Client::new(ENDPOINT, FAQ_KEY)
}

async fn collect(client: &Client, thread: &str, text: &str) -> Vec<Event> {
    let mut stream = client.chat_text(thread, text).await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    events
}

#[wasm_bindgen_test]
async fn the_widget_config_arrives_for_the_allowed_page() {
    let config = faq_client().config().await.unwrap();
    assert_eq!(config.title, "Wasm test widget");
}

#[wasm_bindgen_test]
async fn a_chat_streams_agui_events_through_fetch() {
    let client = faq_client();
    let events = collect(&client, "wasm-thread", "What are keys?").await;
    let kinds: Vec<&str> = events.iter().map(Event::type_name).collect();
    assert_eq!(kinds.first(), Some(&"RUN_STARTED"));
    assert_eq!(kinds.last(), Some(&"RUN_FINISHED"));
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            Event::TextMessageContent { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert!(deltas.len() > 1, "streamed in chunks: {deltas:?}");
    assert!(deltas.concat().contains("skt_pub_"), "{}", deltas.concat());
    assert!(client.visitor_id().unwrap().starts_with("vis_"));
}

#[wasm_bindgen_test]
async fn a_failing_flow_arrives_as_a_run_error_event() {
    let key = FAILING_KEY;
    let events = collect(&Client::new(ENDPOINT, key), "wasm-fail", "hello").await;
    match events.last() {
        Some(Event::RunError { code, .. }) => assert_eq!(code.as_deref(), Some("runtime_error")),
        other => panic!("expected RUN_ERROR, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn refusals_become_typed_errors_with_the_servers_code() {
    let client = Client::new(ENDPOINT, "skt_pub_test_not_a_real_key");
    match client.session().await {
        Err(Error::Api { status, code, .. }) => {
            assert_eq!(status, 401);
            assert_eq!(code, "invalid_key");
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    let offline = Client::new("http://127.0.0.1:9", "skt_pub_test_x");
    assert_eq!(offline.session().await.unwrap_err().code(), "network");
}

#[wasm_bindgen_test]
async fn usage_events_wait_in_local_storage_across_a_reload_and_count_once() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let stored_key = format!("sitekit.usage.{FAQ_KEY}");
    storage.remove_item(&stored_key).unwrap();
    let client = faq_client();
    client.session().await.unwrap();

    // A page queues two events and goes away before its batch is sent.
    let page = UsageReporter::new(&client);
    let data = serde_json::json!({ "name": "reload test" });
    page.track(TRACK, Some(data)).unwrap();
    page.track(WIDGET_OPENED, None).unwrap();
    let left_behind = storage
        .get_item(&stored_key)
        .unwrap()
        .expect("kept in localStorage");
    drop(page);

    // The next page finds them and sends them; the server has them, storage is clear.
    let next_page = UsageReporter::new(&client);
    assert_eq!(next_page.pending(), 2);
    let sent = next_page.flush().await.unwrap();
    assert_eq!(
        sent,
        FlushSummary {
            accepted: 2,
            ..FlushSummary::default()
        }
    );
    assert_eq!(storage.get_item(&stored_key).unwrap(), None);

    // A page that sent them but died before the answer: the same events again,
    // which the server already counted.
    storage.set_item(&stored_key, &left_behind).unwrap();
    let resent = UsageReporter::new(&client).flush().await.unwrap();
    assert_eq!(
        resent,
        FlushSummary {
            duplicate: 2,
            ..FlushSummary::default()
        }
    );
}
