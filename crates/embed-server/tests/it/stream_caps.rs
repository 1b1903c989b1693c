//! Open chat streams are capped per widget and per server: past a cap
//! `POST /v1/chat` answers `429 too_many_streams` with `Retry-After`, before the
//! runtime is called or the daily budget counted, while the open streams go on;
//! a stream's place frees when it ends or its visitor leaves.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use sitekit_sdk::EventStream;
use sitekit_sdk::agui::Event;

use crate::fake_langflow::{Behaviour, fake_runtime, widget_with};
use crate::support::TestServer;

/// Long enough that no stream here ends by a time limit.
fn long_timeouts() -> Value {
    json!({ "connectMs": 5000, "firstEventMs": 30000, "idleMs": 30000, "totalMs": 120000 })
}

/// A visitor's run on `key`, once its answer is flowing.
async fn streaming(server: &TestServer, key: &str, thread: &str) -> EventStream {
    let mut stream = server.sdk(key).chat_text(thread, "hello").await.unwrap();
    while let Some(event) = stream.next().await {
        if matches!(event.unwrap(), Event::TextMessageContent { .. }) {
            return stream;
        }
    }
    panic!("the run on {thread} ended before its answer flowed");
}

/// Asserts a new visitor's run on `key` is refused for too many open streams.
async fn assert_refused(server: &TestServer, key: &str) {
    match server.sdk(key).chat_text("refused", "hello").await {
        Err(sitekit_sdk::Error::Api {
            status: 429,
            code,
            retry_after: Some(seconds),
            ..
        }) => {
            assert_eq!(code, "too_many_streams");
            assert!((1..=60).contains(&seconds), "Retry-After: {seconds}");
        }
        Err(other) => panic!("expected 429 too_many_streams, got {other:?}"),
        Ok(_) => panic!("expected 429 too_many_streams, got a stream"),
    }
}

/// The next event of an open stream is more of the answer.
async fn assert_streams_on(stream: &mut EventStream) {
    let event = stream.next().await.unwrap().unwrap();
    assert!(
        matches!(event, Event::TextMessageContent { .. }),
        "{event:?}"
    );
}

#[tokio::test]
async fn streams_past_the_widget_and_server_caps_are_refused_while_the_open_ones_stream_on() {
    let server = TestServer::spawn_with(&[
        "--max-streams",
        "3",
        "--max-streams-per-widget",
        "2",
        "--requests-per-ip-per-minute",
        "10000",
    ])
    .await;
    let runtime = fake_runtime(Behaviour::Endless).await;
    // A budget of 3 messages: a refused stream must not use one up.
    let budget = json!({ "dailyMessageBudget": 3 });
    let busy = widget_with(&server, &runtime.url, long_timeouts(), budget).await;
    let other = widget_with(&server, &runtime.url, long_timeouts(), json!({})).await;

    let mut first = streaming(&server, &busy, "first").await;
    let mut second = streaming(&server, &busy, "second").await;
    assert_refused(&server, &busy).await;
    let mut third = streaming(&server, &other, "third").await;
    assert_refused(&server, &other).await;
    assert_refused(&server, &busy).await;
    assert_eq!(
        runtime.requests.lock().unwrap().len(),
        3,
        "a refused stream never reaches the runtime"
    );
    for stream in [&mut first, &mut second, &mut third] {
        assert_streams_on(stream).await;
    }

    // The first visitor leaves: the server notices when it next writes to
    // them, and a new stream on the busy widget gets the third message of its
    // budget.
    drop(first);
    let mut admitted = None;
    for _ in 0..100 {
        match server.sdk(&busy).chat_text("later", "hello").await {
            Ok(stream) => {
                admitted = Some(stream);
                break;
            }
            Err(sitekit_sdk::Error::Api { code, .. }) if code == "too_many_streams" => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    let mut admitted = admitted.expect("no stream was admitted 10 s after a visitor left");
    while let Some(event) = admitted.next().await {
        if matches!(event.unwrap(), Event::TextMessageContent { .. }) {
            break;
        }
    }
    assert_streams_on(&mut second).await;
}

#[tokio::test]
async fn a_stream_that_ends_frees_its_place_at_once() {
    let server = TestServer::spawn_with(&["--max-streams-per-widget", "1"]).await;
    let runtime = fake_runtime(Behaviour::Answer).await;
    let key = widget_with(&server, &runtime.url, long_timeouts(), json!({})).await;
    let visitor = server.sdk(&key);
    for thread in ["one", "two", "three"] {
        let mut stream = visitor.chat_text(thread, "hello").await.unwrap();
        let mut last = None;
        while let Some(event) = stream.next().await {
            last = Some(event.unwrap());
        }
        assert!(
            matches!(last, Some(Event::RunFinished { .. })),
            "{thread}: {last:?}"
        );
    }
}
