//! `POST /v1/chat` through the server to a real Langflow runtime.

use futures_util::StreamExt;
use serde_json::{Value, json};
use sitekit_sdk::agui::Event;

use crate::support::{FOREIGN_SITE, SITE, TestServer, assert_api_error};

/// Every event of one run, in order.
async fn run(server: &TestServer, key: &str, thread: &str, text: &str) -> Vec<Event> {
    let sdk = server.sdk(key);
    let mut stream = sdk.chat_text(thread, text).await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    events
}

fn streamed_text(events: &[Event]) -> (String, usize) {
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            Event::TextMessageContent { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    (deltas.concat(), deltas.len())
}

#[tokio::test]
async fn a_question_streams_the_flows_answer_as_agui_events() {
    let server = TestServer::spawn().await;
    let events = run(
        &server,
        &server.faq_key,
        "thread-1",
        "How do I install the snippet?",
    )
    .await;

    let kinds: Vec<&str> = events.iter().map(Event::type_name).collect();
    assert_eq!(kinds.first(), Some(&"RUN_STARTED"));
    assert_eq!(kinds[1], "TEXT_MESSAGE_START");
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["TEXT_MESSAGE_END", "RUN_FINISHED"]
    );
    assert!(
        kinds[2..kinds.len() - 2]
            .iter()
            .all(|k| *k == "TEXT_MESSAGE_CONTENT")
    );

    let (text, chunks) = streamed_text(&events);
    assert!(
        chunks > 1,
        "the answer streams in several chunks, got {chunks}"
    );
    assert!(
        text.starts_with("To install Site Kit embed, copy the snippet"),
        "{text}"
    );
    assert!(text.contains("allowed origins"), "{text}");

    // The lifecycle carries the ids the client chose, not the runtime's.
    match (&events[0], events.last().unwrap()) {
        (
            Event::RunStarted { thread_id, .. },
            Event::RunFinished {
                thread_id: finished,
                run_id,
            },
        ) => {
            assert_eq!(thread_id, "thread-1");
            assert_eq!(finished, "thread-1");
            assert!(run_id.starts_with("run-"));
        }
        other => panic!("unexpected lifecycle {other:?}"),
    }
}

#[tokio::test]
async fn the_raw_stream_is_sse_with_ids_and_no_runtime_internals() {
    let server = TestServer::spawn().await;
    let session = server.sdk(&server.faq_key).session().await.unwrap();
    let response = server
        .client()
        .post(format!("{}/v1/chat", server.url))
        .header("origin", SITE)
        .bearer_auth(&session.token)
        .json(&json!({
            "threadId": "t", "runId": "r", "state": {}, "tools": [], "context": [], "forwardedProps": {},
            "messages": [{ "id": "m1", "role": "user", "content": "What are keys?" }]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with(
            "id: 0\ndata: {\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}"
        ),
        "{body}"
    );
    assert!(body.contains("RUN_FINISHED"), "{body}");
    for leak in ["flow", "127.0.0.1", "x-api-key", "rawEvent"] {
        assert!(
            !body.contains(leak),
            "the stream must not mention `{leak}`: {body}"
        );
    }
    for line in body.lines().filter(|line| line.starts_with("data: ")) {
        let event: Value = serde_json::from_str(&line[6..]).unwrap();
        assert!(event["type"].is_string());
    }
}

#[tokio::test]
async fn a_failing_flow_ends_in_one_safe_run_error() {
    let server = TestServer::spawn().await;
    let events = run(&server, &server.failing_key, "thread-f", "hello").await;
    let kinds: Vec<&str> = events.iter().map(Event::type_name).collect();
    assert_eq!(kinds, ["RUN_STARTED", "RUN_ERROR"]);
    let Event::RunError { message, code } = &events[1] else {
        unreachable!()
    };
    assert_eq!(code.as_deref(), Some("runtime_error"));
    assert!(
        !message.contains("Always Fails") && !message.contains("Component"),
        "internals leaked: {message}"
    );
}

#[tokio::test]
async fn a_runtime_that_is_down_yields_runtime_unavailable() {
    let server = TestServer::spawn().await;
    let events = run(&server, &server.down_key, "thread-d", "hello").await;
    let Some(Event::RunError { code, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(code.as_deref(), Some("runtime_unavailable"));
    // The server keeps serving after a failed run.
    let again = run(&server, &server.faq_key, "thread-ok", "hello").await;
    assert!(matches!(again.last(), Some(Event::RunFinished { .. })));
}

#[tokio::test]
async fn chat_refuses_missing_forged_and_foreign_sessions_and_bad_bodies() {
    let server = TestServer::spawn().await;
    let url = format!("{}/v1/chat", server.url);
    let body = json!({ "threadId": "t", "runId": "r", "messages": [{ "id": "1", "role": "user", "content": "hi" }] });

    let none = server.client().post(&url).json(&body).send().await.unwrap();
    assert_api_error(none, 401, "missing_token").await;

    let forged = server
        .client()
        .post(&url)
        .bearer_auth("eyJ0biI6IngifQ.c2ln")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_api_error(forged, 401, "invalid_session").await;

    let token = server.sdk(&server.faq_key).session().await.unwrap().token;
    let foreign = server
        .client()
        .post(&url)
        .header("origin", FOREIGN_SITE)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_api_error(foreign, 403, "origin_not_allowed").await;

    let post = |body: String| {
        server
            .client()
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_api_error(post("{".into()).await.unwrap(), 400, "invalid_json").await;
    let no_user_message = json!({ "threadId": "t", "runId": "r", "messages": [] }).to_string();
    assert_api_error(post(no_user_message).await.unwrap(), 400, "invalid_body").await;
    let too_long = json!({ "threadId": "t", "runId": "r", "messages": [{ "id": "1", "role": "user", "content": "x".repeat(5_000) }] });
    assert_api_error(
        post(too_long.to_string()).await.unwrap(),
        400,
        "message_too_long",
    )
    .await;
    let oversized = json!({ "threadId": "t", "runId": "r", "messages": [{ "id": "1", "role": "user", "content": "x".repeat(70_000) }] });
    assert_api_error(
        post(oversized.to_string()).await.unwrap(),
        413,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn ids_with_control_characters_are_refused_before_any_run() {
    // PostgreSQL cannot compare a NUL: such a chat was once a 500.
    let server = TestServer::spawn().await;
    let token = server.sdk(&server.faq_key).session().await.unwrap().token;
    let message = json!([{ "id": "1", "role": "user", "content": "hi" }]);
    for (thread, run) in [("t\u{0}", "r"), ("t", "r\u{1b}[2J")] {
        let response = server
            .client()
            .post(format!("{}/v1/chat", server.url))
            .header("origin", SITE)
            .bearer_auth(&token)
            .json(&json!({ "threadId": thread, "runId": run, "messages": message }))
            .send()
            .await
            .unwrap();
        let reason = assert_api_error(response, 400, "invalid_body").await;
        assert!(reason.contains("control characters"), "{reason}");
    }
    let thread = server
        .client()
        .get(format!("{}/v1/threads/t%00", server.url))
        .header("origin", SITE)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_api_error(thread, 400, "invalid_thread").await;
}

#[tokio::test]
async fn each_thread_of_each_visitor_is_its_own_runtime_session() {
    use crate::fake_langflow::{Behaviour, fake_runtime, widget_on};
    let server = TestServer::spawn().await;
    let runtime = fake_runtime(Behaviour::Answer).await;
    let key = widget_on(&server, &runtime.url).await;
    let (first, second) = (server.sdk(&key), server.sdk(&key));
    for (client, thread) in [(&first, "a"), (&first, "b"), (&second, "a"), (&first, "a")] {
        let mut stream = client.chat_text(thread, "hello").await.unwrap();
        while stream.next().await.is_some() {}
    }
    let sessions: Vec<String> = runtime
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|body| body["session_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sessions.len(), 4);
    assert_ne!(sessions[0], sessions[1], "two threads of one visitor");
    assert_ne!(sessions[0], sessions[2], "one thread id of two visitors");
    assert_eq!(sessions[0], sessions[3], "the same thread again");
}
