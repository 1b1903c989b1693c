//! A Langflow stand-in on loopback, speaking (or failing to speak) the AG-UI
//! stream of `POST /api/v2/workflows`, for what a real `lfx serve` will not do:
//! hang, stall, send garbage, close early, or show what it was sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use sitekit_embed_server::chat::relay::bounds::{MAX_ANSWER_CHARS, MAX_RUN_EVENTS};

use crate::support::{SITE, TestServer};

/// What the fake runtime does with each request.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
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
    /// Answers 429, as a runtime over its own rate limit does.
    TooManyRequests,
    /// Streams a chunk every 100 ms, forever.
    Endless,
    /// Streams a short answer slowly (10 chunks, 150 ms apart), then finishes.
    Slow,
    /// Answers "ok" at once.
    Answer,
    /// Starts an answer, then streams one 50 MB `data:` line in 64 KB writes.
    HugeLine,
    /// Sends a malformed frame of 100 KB, under the frame limit.
    LargeMalformed,
    /// Ends the run with a `RUN_ERROR` whose message is 100 KB long.
    LongRunError,
    /// Streams an answer longer than the relay's character limit, then finishes.
    LongAnswer,
    /// Streams more events than the relay's event limit, then finishes.
    ManyEvents,
}

/// The size of [`Behaviour::HugeLine`]'s line.
pub const HUGE_LINE_BYTES: usize = 50 * 1024 * 1024;

/// A fake runtime on loopback. `closed` fires when a client hangs up on it;
/// `requests` holds the JSON body of every request it got.
pub struct FakeRuntime {
    pub url: String,
    pub closed: Arc<Notify>,
    pub requests: Arc<Mutex<Vec<Value>>>,
}

pub async fn fake_runtime(behaviour: Behaviour) -> FakeRuntime {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let closed = Arc::new(Notify::new());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (notify, seen) = (closed.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (notify, seen) = (notify.clone(), seen.clone());
            tokio::spawn(async move {
                if serve(socket, behaviour, seen).await.is_err() {
                    notify.notify_one();
                }
            });
        }
    });
    FakeRuntime {
        url,
        closed,
        requests,
    }
}

fn frame(event: Value) -> String {
    format!("data: {event}\n\n")
}

fn content(delta: &str) -> String {
    frame(json!({ "type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": delta }))
}

/// Serves one request; an error means the client went away.
async fn serve(
    mut socket: TcpStream,
    behaviour: Behaviour,
    seen: Arc<Mutex<Vec<Value>>>,
) -> std::io::Result<()> {
    let body = read_request(&mut socket).await?;
    seen.lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
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
        Behaviour::TooManyRequests => {
            let answer = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 20\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
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
        Behaviour::Answer => {
            socket
                .write_all(format!("{ok}{start}{}{}", content("ok"), end()).as_bytes())
                .await?;
            socket.shutdown().await?;
        }
        Behaviour::Slow => {
            socket.write_all(format!("{ok}{start}").as_bytes()).await?;
            for _ in 0..10 {
                socket.write_all(content("slow ").as_bytes()).await?;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            socket.write_all(end().as_bytes()).await?;
            socket.shutdown().await?;
        }
        Behaviour::HugeLine => {
            socket
                .write_all(format!("{ok}{start}data: ").as_bytes())
                .await?;
            let piece = vec![b'x'; 64 * 1024];
            for _ in 0..HUGE_LINE_BYTES / piece.len() {
                socket.write_all(&piece).await?;
            }
            socket.write_all(b"\n\n").await?;
            socket.shutdown().await?;
        }
        Behaviour::LargeMalformed => {
            let garbage = "{".repeat(100 * 1024);
            socket
                .write_all(format!("{ok}{start}data: {garbage}\n\n").as_bytes())
                .await?;
            tokio::time::sleep(forever).await;
        }
        Behaviour::LongRunError => {
            let message = "e".repeat(100 * 1024);
            let error = frame(json!({ "type": "RUN_ERROR", "message": message }));
            socket
                .write_all(format!("{ok}{start}{error}").as_bytes())
                .await?;
            socket.shutdown().await?;
        }
        Behaviour::LongAnswer => {
            socket.write_all(format!("{ok}{start}").as_bytes()).await?;
            let delta = "a".repeat(50_000);
            for _ in 0..=MAX_ANSWER_CHARS / delta.len() {
                socket.write_all(content(&delta).as_bytes()).await?;
            }
            socket.write_all(end().as_bytes()).await?;
            socket.shutdown().await?;
        }
        Behaviour::ManyEvents => {
            socket.write_all(format!("{ok}{start}").as_bytes()).await?;
            let step = frame(json!({ "type": "STEP_STARTED", "stepName": "think" }));
            for _ in 0..MAX_RUN_EVENTS {
                socket.write_all(step.as_bytes()).await?;
            }
            socket.write_all(end().as_bytes()).await?;
            socket.shutdown().await?;
        }
    }
    Ok(())
}

/// The frames that finish an answer and its run.
fn end() -> String {
    frame(json!({ "type": "TEXT_MESSAGE_END", "messageId": "m" }))
        + &frame(json!({ "type": "RUN_FINISHED", "threadId": "x", "runId": "y" }))
}

/// Reads one HTTP request (headers and a Content-Length body); returns the body.
async fn read_request(socket: &mut TcpStream) -> std::io::Result<Vec<u8>> {
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
                return Ok(request[end + 4..end + 4 + length].to_vec());
            }
        }
    }
}

/// A widget on an agent at `runtime_url` with short time limits; its
/// publishable key.
pub async fn widget_on(server: &TestServer, runtime_url: &str) -> String {
    let timeouts =
        json!({ "connectMs": 500, "firstEventMs": 1000, "idleMs": 1000, "totalMs": 2500 });
    widget_with(server, runtime_url, timeouts, json!({})).await
}

/// A widget with `settings` (the API's, e.g. `dailyMessageBudget`) on an agent
/// at `runtime_url` with these time limits (the API's `timeouts`); its
/// publishable key.
pub async fn widget_with(
    server: &TestServer,
    runtime_url: &str,
    timeouts: Value,
    mut settings: Value,
) -> String {
    let secret = server.secret_key().await;
    let agent = server
        .admin(
            Method::POST,
            "/v1/agents",
            &secret,
            Some(json!({
                "name": "Flaky", "baseUrl": runtime_url, "flowId": "f", "runtimeKey": "k",
                "timeouts": timeouts,
            })),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    settings["agentId"] = agent["id"].clone();
    settings["allowedOrigins"] = json!([SITE]);
    settings["testMode"] = json!(true);
    let widget = server
        .admin(Method::POST, "/v1/widgets", &secret, Some(settings))
        .await
        .json::<Value>()
        .await
        .unwrap();
    widget["publishableKey"].as_str().unwrap().to_owned()
}
