//! Runtimes that misbehave: refusing, hanging before answering or before the
//! first event, stalling mid-answer, sending garbage, closing early, running past
//! the time limit; and visitors who leave mid-answer. Each ends in the right
//! `RUN_ERROR` with a usage record of the outcome, and the server keeps serving.
//! The misbehaving runtime is a raw TCP server speaking (or failing to speak)
//! Langflow's AG-UI stream.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sitekit_sdk::agui::Event;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::admin::key;
use crate::metering::usage_of_run;
use crate::support::{SITE, TestServer};

/// What the fake runtime does with each request.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Accepts the connection and never answers.
    HangBeforeAnswering,
    /// Answers 200 with an event-stream and then says nothing.
    SilentAfterHeaders,
    /// Starts an answer, then goes quiet.
    StallMidAnswer,
    /// Sends a frame that is not an AG-UI event.
    Malformed,
    /// Starts an answer, then closes the connection.
    CloseEarly,
    /// Answers 503.
    Refuse,
    /// Streams a chunk every 100 ms, forever.
    Endless,
    /// Streams a short answer slowly (10 chunks, 150 ms apart), then finishes.
    Slow,
}

/// A fake runtime on loopback; `closed` fires when a client hangs up on it.
struct FakeRuntime {
    url: String,
    closed: Arc<Notify>,
}

async fn fake_runtime(behaviour: Behaviour) -> FakeRuntime {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let closed = Arc::new(Notify::new());
    let notify = closed.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let notify = notify.clone();
            tokio::spawn(async move {
                if serve(socket, behaviour).await.is_err() {
                    notify.notify_one();
                }
            });
        }
    });
    FakeRuntime { url, closed }
}

fn frame(event: Value) -> String {
    format!("data: {event}\n\n")
}

fn content(delta: &str) -> String {
    frame(json!({ "type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": delta }))
}

/// Serves one request; an error means the client went away.
async fn serve(mut socket: TcpStream, behaviour: Behaviour) -> std::io::Result<()> {
    read_request(&mut socket).await?;
    let ok = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
    let start = frame(json!({ "type": "RUN_STARTED", "threadId": "x", "runId": "y" }))
        + &frame(json!({ "type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant" }));
    let forever = Duration::from_secs(3_600);
    match behaviour {
        Behaviour::HangBeforeAnswering => tokio::time::sleep(forever).await,
        Behaviour::SilentAfterHeaders => {
            socket.write_all(ok.as_bytes()).await?;
            tokio::time::sleep(forever).await;
        }
        Behaviour::StallMidAnswer => {
            socket
                .write_all(format!("{ok}{start}{}", content("Hel")).as_bytes())
                .await?;
            tokio::time::sleep(forever).await;
        }
        Behaviour::Malformed => {
            socket
                .write_all(format!("{ok}{start}data: {{not json\n\n").as_bytes())
                .await?;
            tokio::time::sleep(forever).await;
        }
        Behaviour::CloseEarly => {
            socket
                .write_all(format!("{ok}{start}{}", content("Hel")).as_bytes())
                .await?;
            socket.shutdown().await?;
        }
        Behaviour::Refuse => {
            let body = "{\"detail\":\"overloaded\"}";
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(answer.as_bytes()).await?;
        }
        Behaviour::Endless => {
            socket.write_all(format!("{ok}{start}").as_bytes()).await?;
            loop {
                socket.write_all(content("tick ").as_bytes()).await?;
                socket.flush().await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Behaviour::Slow => {
            socket.write_all(format!("{ok}{start}").as_bytes()).await?;
            for _ in 0..10 {
                socket.write_all(content("slow ").as_bytes()).await?;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            let end = frame(json!({ "type": "TEXT_MESSAGE_END", "messageId": "m" }))
                + &frame(json!({ "type": "RUN_FINISHED", "threadId": "x", "runId": "y" }));
            socket.write_all(end.as_bytes()).await?;
            socket.shutdown().await?;
        }
    }
    Ok(())
}

/// Reads one HTTP request (headers and a Content-Length body).
async fn read_request(socket: &mut TcpStream) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = socket.read(&mut buffer).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        request.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&request).to_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map(|value| value.trim().parse().unwrap())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                return Ok(());
            }
        }
    }
}

/// A widget on an agent at `runtime_url` with short time limits; its
/// publishable key.
async fn widget_on(server: &TestServer, runtime_url: &str) -> String {
    let (_, secret) = key(server, &server.tenant_id, &["--kind", "secret"]).await;
    let agent = server
        .admin(
            Method::POST,
            "/v1/agents",
            &secret,
            Some(json!({
                "name": "Flaky", "baseUrl": runtime_url, "flowId": "f", "runtimeKey": "k",
                "timeouts": { "connectMs": 500, "firstEventMs": 1000, "idleMs": 1000, "totalMs": 2500 },
            })),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let widget = server
        .admin(
            Method::POST,
            "/v1/widgets",
            &secret,
            Some(json!({ "agentId": agent["id"], "allowedOrigins": [SITE], "testMode": true })),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    widget["publishableKey"].as_str().unwrap().to_owned()
}

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
    let (_, secret) = key(&server, &server.tenant_id, &["--kind", "secret"]).await;
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
