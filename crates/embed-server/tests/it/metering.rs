//! Every run leaves one usage record, measured by the server, and its messages
//! in the visitor's thread, which only that visitor can read back.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use sitekit_sdk::agui::Event;
use sqlx::Row;

use crate::support::{TestServer, kept_messages};

/// The usage record of a run, once the server has written it. Run ids are the
/// browser's, unique per thread.
pub async fn usage_of_run(db_url: &str, thread_id: &str, run_id: &str) -> Value {
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    for _ in 0..100 {
        let row = sqlx::query(
            "SELECT outcome, input_chars, output_chars, input_tokens, output_tokens, \
             first_event_ms, duration_ms, thread_id, visitor_id, key_id FROM usage_runs WHERE thread_id = $1 AND run_id = $2",
        )
        .bind(thread_id)
        .bind(run_id)
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some(row) = row {
            let text = |column: &str| Value::from(row.get::<String, _>(column));
            let number = |column: &str| Value::from(row.get::<Option<i64>, _>(column));
            return serde_json::json!({
                "outcome": text("outcome"), "inputChars": number("input_chars"),
                "outputChars": number("output_chars"), "inputTokens": number("input_tokens"),
                "outputTokens": number("output_tokens"), "firstEventMs": number("first_event_ms"),
                "durationMs": number("duration_ms"), "threadId": text("thread_id"),
                "visitorId": text("visitor_id"), "keyId": text("key_id"),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no usage record for run {run_id} after 10 s");
}

/// Runs one message to the end; returns the run id and the answer text.
pub async fn ask(client: &sitekit_sdk::Client, thread: &str, text: &str) -> (String, String) {
    let mut stream = client.chat_text(thread, text).await.unwrap();
    let (mut run_id, mut answer) = (String::new(), String::new());
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            Event::RunStarted { run_id: id, .. } => run_id = id,
            Event::TextMessageContent { delta, .. } => answer.push_str(&delta),
            _ => {}
        }
    }
    (run_id, answer)
}

#[tokio::test]
async fn a_run_is_metered_and_kept_in_the_visitors_thread_only() {
    let server = TestServer::spawn().await;
    let visitor = server.sdk(&server.faq_key);
    let question = "How do I install the snippet?";
    let (run_id, answer) = ask(&visitor, "thread-m", question).await;
    assert!(!answer.is_empty());

    let usage = usage_of_run(&server.db_url, "thread-m", &run_id).await;
    assert_eq!(usage["outcome"], "ok", "{usage}");
    assert_eq!(usage["inputChars"], question.chars().count());
    assert_eq!(usage["outputChars"], answer.chars().count());
    assert_eq!(usage["threadId"], "thread-m");
    let first = usage["firstEventMs"].as_i64().expect("a first event");
    assert!(first <= usage["durationMs"].as_i64().unwrap(), "{usage}");

    let token = visitor.session().await.unwrap().token;
    let thread = server.read_thread(&token, "thread-m").await;
    let messages = thread["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{thread}");
    assert_eq!(
        (&messages[0]["role"], &messages[0]["content"]),
        (&"user".into(), &question.into())
    );
    assert_eq!(
        (&messages[1]["role"], &messages[1]["content"]),
        (&"assistant".into(), &answer.clone().into())
    );

    // Another visitor of the same widget asking for the same thread id sees nothing.
    let stranger = server.sdk(&server.faq_key);
    let stranger_token = stranger.session().await.unwrap().token;
    let theirs = server.read_thread(&stranger_token, "thread-m").await;
    assert_eq!(theirs["messages"], serde_json::json!([]), "{theirs}");
}

#[tokio::test]
async fn a_nul_in_a_message_is_kept_in_the_thread_as_a_replacement_character() {
    // PostgreSQL's text cannot hold NUL: such a run's messages were once lost.
    let server = TestServer::spawn().await;
    let visitor = server.sdk(&server.faq_key);
    let (_, answer) = ask(&visitor, "thread-nul", "What are\0 keys?").await;
    assert!(!answer.is_empty());
    let messages = kept_messages(&visitor, "thread-nul", 2).await;
    assert_eq!(
        messages[0].content.as_deref(),
        Some("What are\u{FFFD} keys?")
    );
    assert_eq!(messages[1].content.as_deref(), Some(answer.as_str()));
}

#[tokio::test]
async fn failed_runs_are_metered_with_their_outcome() {
    let server = TestServer::spawn().await;
    for (key, outcome) in [
        (&server.failing_key, "runtime_error"),
        (&server.down_key, "runtime_unavailable"),
    ] {
        let (run_id, answer) = ask(&server.sdk(key), outcome, "hello").await;
        assert_eq!(answer, "");
        let usage = usage_of_run(&server.db_url, outcome, &run_id).await;
        assert_eq!(usage["outcome"], outcome, "{usage}");
        assert_eq!(usage["outputChars"], 0);
    }
}
