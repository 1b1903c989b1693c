//! Runtimes that answer without bounds: a 50 MB line, an answer over the
//! character limit, more events than the event limit, frames and error messages
//! too long to log. Each run ends in one `RUN_ERROR` with code `runtime_error`,
//! the upstream call is dropped, the server's memory stays where it was and its
//! log holds an excerpt, never the frame; other visitors chat on meanwhile. The
//! runtimes are `fake_langflow`'s.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use sitekit_sdk::agui::Event;
use tokio::io::AsyncReadExt;

use crate::fake_langflow::{Behaviour, fake_runtime, widget_with};
use crate::metering::usage_of_run;
use crate::support::TestServer;

/// Time limits none of these runs comes near: each must end by a bound, not by
/// a timeout.
fn generous_timeouts() -> Value {
    json!({ "connectMs": 5000, "firstEventMs": 30000, "idleMs": 30000, "totalMs": 60000 })
}

/// Every event of one run on `thread` (through the server at `url`).
async fn run(url: &str, key: &str, thread: &str) -> Vec<Event> {
    let client = sitekit_sdk::Client::new(url, key).with_origin(crate::support::SITE);
    let mut stream = client.chat_text(thread, "hello").await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    events
}

/// The FAQ widget's whole answer to a question about the snippet (real Langflow).
async fn faq_answer(server: &TestServer, thread: &str) -> String {
    let client = server.sdk(&server.faq_key);
    let mut answer = client
        .answer(thread, "How do I install the snippet?")
        .await
        .unwrap();
    let mut text = String::new();
    while let Some(delta) = answer.next().await {
        text.push_str(&delta.unwrap());
    }
    text
}

/// Asserts the run started, then ended in exactly one `RUN_ERROR`
/// `runtime_error` with a message fit for a visitor; returns its run id.
fn assert_one_runtime_error(events: &[Event]) -> String {
    let run_id = match events.first() {
        Some(Event::RunStarted { run_id, .. }) => run_id.clone(),
        other => panic!("a run starts with RUN_STARTED, not {other:?}"),
    };
    let errors = events
        .iter()
        .filter(|event| matches!(event, Event::RunError { .. }))
        .count();
    assert_eq!(errors, 1, "{:?}", kinds(events));
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::RunFinished { .. })),
        "{:?}",
        kinds(events)
    );
    match events.last().unwrap() {
        Event::RunError {
            code: Some(code),
            message,
        } => {
            assert_eq!(code, "runtime_error");
            assert!(message.len() < 200, "{message}");
        }
        other => panic!("the run ended with {other:?}"),
    }
    run_id
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::type_name).collect()
}

#[tokio::test]
async fn a_50_mb_line_ends_the_run_without_the_server_growing_while_others_chat_on() {
    let server = TestServer::spawn().await;
    let runtime = fake_runtime(Behaviour::HugeLine).await;
    let key = widget_with(&server, &runtime.url, generous_timeouts(), json!({})).await;
    // One answer first, so what is measured is the run, not the server's first use.
    faq_answer(&server, "warm-up").await;
    let before = server.rss_kib();
    let (events, answer) = tokio::join!(
        run(&server.url, &key, "huge"),
        faq_answer(&server, "meanwhile")
    );
    let after = server.rss_kib();

    let run_id = assert_one_runtime_error(&events);
    assert!(
        answer.starts_with("To install Site Kit embed, copy the snippet"),
        "the other visitor's answer: {answer}"
    );
    assert!(
        after <= before + 8 * 1024,
        "the server grew from {before} KiB to {after} KiB"
    );
    let upstream_closed = tokio::time::timeout(Duration::from_secs(10), runtime.closed.notified());
    assert!(
        upstream_closed.await.is_ok(),
        "the server read on after refusing the line"
    );
    let usage = usage_of_run(&server.db_url, "huge", &run_id).await;
    assert_eq!(usage["outcome"], "runtime_error", "{usage}");
}

#[tokio::test]
async fn an_answer_over_the_character_limit_or_a_run_over_the_event_limit_ends_in_one_error() {
    let server = TestServer::spawn().await;
    for behaviour in [Behaviour::LongAnswer, Behaviour::ManyEvents] {
        let runtime = fake_runtime(behaviour).await;
        let key = widget_with(&server, &runtime.url, generous_timeouts(), json!({})).await;
        let thread = format!("{behaviour:?}");
        let events = run(&server.url, &key, &thread).await;
        let run_id = assert_one_runtime_error(&events);
        let usage = usage_of_run(&server.db_url, &thread, &run_id).await;
        assert_eq!(usage["outcome"], "runtime_error", "{behaviour:?}: {usage}");
    }
    assert!(
        faq_answer(&server, "after")
            .await
            .contains("allowed origins"),
        "the server keeps answering"
    );
}

#[tokio::test]
async fn the_log_holds_an_excerpt_of_a_bad_frame_never_the_frame() {
    let server = TestServer::spawn().await;
    let mut widgets = Vec::new();
    let behaviours = [
        Behaviour::LargeMalformed,
        Behaviour::LongRunError,
        Behaviour::HugeLine,
    ];
    for behaviour in behaviours {
        let runtime = fake_runtime(behaviour).await;
        let key = widget_with(&server, &runtime.url, generous_timeouts(), json!({})).await;
        widgets.push((behaviour, key, runtime));
    }
    let (node, mut log) = server.another_node_logging("warn", &[]).await;
    // Read as it is written: a server whose log pipe is full stops.
    let reader = tokio::spawn(async move {
        let mut text = String::new();
        log.read_to_string(&mut text).await.map(|_| text)
    });
    for (behaviour, key, _) in &widgets {
        assert_one_runtime_error(&run(&node.url, key, &format!("{behaviour:?}")).await);
    }
    drop(node);
    let text = reader.await.unwrap().unwrap();
    let failures: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("agent run failed"))
        .collect();
    assert_eq!(
        failures.len(),
        behaviours.len(),
        "{}",
        &text[..text.len().min(2_000)]
    );
    for line in failures {
        assert!(line.len() < 1_000, "a log line of {} bytes", line.len());
    }
}
