//! Runtimes that misbehave: refusing, hanging before answering or before the
//! first event, stalling mid-answer, sending garbage, closing early, running past
//! the time limit; and visitors who leave mid-answer. Each ends in the right
//! `RUN_ERROR` with a usage record of the outcome, and the server keeps serving.
//! The misbehaving runtime is `fake_langflow`.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sitekit_sdk::agui::Event;

use crate::fake_langflow::{Behaviour, fake_runtime, widget_on};
use crate::metering::usage_of_run;
use crate::support::{SITE, TestServer};

/// Every event of one run on `thread`.
async fn run(server: &TestServer, key: &str, thread: &str) -> Vec<Event> {
    let client = server.sdk(key);
    let mut stream = client.chat_text(thread, "hello").await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    events
}

fn run_id(events: &[Event]) -> String {
    match &events[0] {
        Event::RunStarted { run_id, .. } => run_id.clone(),
        other => panic!("a run starts with RUN_STARTED, not {other:?}"),
    }
}

#[tokio::test]
async fn each_misbehaving_runtime_ends_in_the_right_run_error() {
    let server = TestServer::spawn().await;
    for (behaviour, code) in [
        (Behaviour::HangBeforeAnswering, "runtime_timeout"),
        (Behaviour::SilentAfterHeaders, "runtime_timeout"),
        (Behaviour::StallMidAnswer, "runtime_timeout"),
        (Behaviour::Endless, "runtime_timeout"),
        (Behaviour::Malformed, "runtime_error"),
        (Behaviour::CloseEarly, "runtime_error"),
        (Behaviour::Refuse, "runtime_error"),
        (Behaviour::TooManyRequests, "rate_limited"),
    ] {
        let runtime = fake_runtime(behaviour).await;
        let key = widget_on(&server, &runtime.url).await;
        let thread = format!("{behaviour:?}");
        let events = run(&server, &key, &thread).await;
        let errors: Vec<&Event> = events
            .iter()
            .filter(|event| matches!(event, Event::RunError { .. }))
            .collect();
        assert_eq!(errors.len(), 1, "{behaviour:?}: {events:?}");
        match events.last().unwrap() {
            Event::RunError {
                code: Some(got),
                message,
            } => {
                assert_eq!(got, code, "{behaviour:?}");
                assert!(!message.contains("127.0.0.1"), "{message}");
            }
            other => panic!("{behaviour:?} ended with {other:?}"),
        }
        let usage = usage_of_run(&server.db_url, &thread, &run_id(&events)).await;
        assert_eq!(usage["outcome"], code, "{behaviour:?}: {usage}");
        // The server keeps serving.
        let health = server
            .client()
            .get(format!("{}/healthz", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "after {behaviour:?}");
    }
}

#[tokio::test]
async fn a_visitor_who_leaves_mid_answer_ends_the_upstream_call() {
    let server = TestServer::spawn().await;
    let runtime = fake_runtime(Behaviour::Endless).await;
    let key = widget_on(&server, &runtime.url).await;
    let client = server.sdk(&key);
    let mut stream = client.chat_text("leaving", "hello").await.unwrap();
    let mut run_id = String::new();
    // Read until the answer is flowing, then hang up.
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            Event::RunStarted { run_id: id, .. } => run_id = id,
            Event::TextMessageContent { .. } => break,
            _ => {}
        }
    }
    drop(stream);
    let upstream_closed = tokio::time::timeout(Duration::from_secs(5), runtime.closed.notified());
    assert!(
        upstream_closed.await.is_ok(),
        "the runtime was still streaming 5 s after the visitor left"
    );
    let usage = usage_of_run(&server.db_url, "leaving", &run_id).await;
    assert_eq!(usage["outcome"], "visitor_left", "{usage}");
    assert!(usage["outputChars"].as_i64().unwrap() > 0, "{usage}");
}

#[tokio::test]
async fn shutting_down_lets_running_answers_finish_within_the_grace_period() {
    let mut server = TestServer::spawn_with(&["--shutdown-grace-secs", "20"]).await;
    let runtime = fake_runtime(Behaviour::Slow).await;
    let key = widget_on(&server, &runtime.url).await;
    let client = server.sdk(&key);
    let mut stream = client.chat_text("closing", "hello").await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        let first_chunk = matches!(event, Event::TextMessageContent { .. }) && events.len() < 3;
        events.push(event);
        if first_chunk {
            server.terminate();
        }
    }
    assert!(
        matches!(events.last(), Some(Event::RunFinished { .. })),
        "the answer was cut off: {events:?}"
    );
    assert!(
        server.exited_within(Duration::from_secs(10)).await,
        "the server did not stop after the last answer"
    );
}

#[tokio::test]
async fn shutting_down_stops_answers_still_running_after_the_grace_period() {
    let mut server = TestServer::spawn_with(&["--shutdown-grace-secs", "1"]).await;
    let runtime = fake_runtime(Behaviour::Endless).await;
    // An agent whose runs may take a long time, so only the grace period ends it.
    let secret = server.secret_key().await;
    let agent = server
        .admin(
            Method::POST,
            "/v1/agents",
            &secret,
            Some(
                json!({ "name": "Long", "baseUrl": runtime.url, "flowId": "f", "runtimeKey": "k" }),
            ),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let widget: Value = server
        .admin(
            Method::POST,
            "/v1/widgets",
            &secret,
            Some(json!({ "agentId": agent["id"], "allowedOrigins": [SITE], "testMode": true })),
        )
        .await
        .json()
        .await
        .unwrap();
    let client = server.sdk(widget["publishableKey"].as_str().unwrap());
    let mut stream = client.chat_text("endless", "hello").await.unwrap();
    while let Some(event) = stream.next().await {
        if matches!(event.unwrap(), Event::TextMessageContent { .. }) {
            break;
        }
    }
    server.terminate();
    assert!(
        server.exited_within(Duration::from_secs(10)).await,
        "the server waited for an endless answer past its 1 s grace period"
    );
}
