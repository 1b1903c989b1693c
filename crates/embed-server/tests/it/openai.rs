//! `POST /v1/chat` through the server to an OpenAI-compatible runtime. The
//! runtime is the one stand-in here (a paid API cannot run in tests): a local
//! server that speaks the chat-completions streaming wire format byte for byte,
//! cutting its frames and characters across TCP writes as real networks do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sitekit_sdk::agui::{Event, RunAgentInput};
use sitekit_sdk::sse::SseDecoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::metering::usage_of_run;
use crate::support::{SITE, TestServer, kept_messages};

const CREDENTIAL: &str = "sk-test-CREDENTIAL-4f9a2c";
const MODEL: &str = "gpt-4o-mini";
const SYSTEM_PROMPT: &str = "You are the Site Kit help desk. Answer briefly.";
/// The answer the stand-in streams, one content delta each: umlauts, an emoji
/// and a dash, so TCP writes split multi-byte characters.
const DELTAS: [&str; 5] = [
    "Grüße!",
    " Das Snippet",
    " gehört vor </body> —",
    " fertig 🚀",
    " (à bientôt).",
];
const PROMPT_TOKENS: u64 = 42;
const COMPLETION_TOKENS: u64 = 17;

/// One request the stand-in received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    authorization: Option<String>,
    body: Value,
}

/// An OpenAI-compatible chat-completions server on a local port. What it does
/// is chosen by the first path segment of the agent's base URL, so one
/// instance serves every case: `{url}/<behaviour>/v1/chat/completions`.
struct FakeOpenAi {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl FakeOpenAi {
    async fn start() -> FakeOpenAi {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(answer(socket, log.clone()));
            }
        });
        FakeOpenAi {
            url,
            received,
            accept,
        }
    }

    fn base_url(&self, behaviour: &str) -> String {
        format!("{}/{behaviour}/v1", self.url)
    }

    /// The requests made to one behaviour's base URL, in order.
    fn received(&self, behaviour: &str) -> Vec<Received> {
        let path = format!("/{behaviour}/v1/chat/completions");
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|request| request.path == path)
            .cloned()
            .collect()
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Reads one request, records it and answers as its base URL's behaviour says.
async fn answer(mut socket: TcpStream, log: Arc<Mutex<Vec<Received>>>) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    log.lock().unwrap().push(request.clone());
    let behaviour = request.path.split('/').nth(1).unwrap_or_default();
    let frames = match behaviour {
        "unauthorized" => {
            // OpenAI's answer to a wrong key names part of it; this one echoes
            // all of it, the worst case for what may reach a log.
            let echoed = request.authorization.unwrap_or_default();
            let body = json!({ "error": {
                "message": format!("Incorrect API key provided: {echoed}"),
                "type": "invalid_request_error", "param": null, "code": "invalid_api_key" } });
            return reply_json(socket, "401 Unauthorized", &body).await;
        }
        "overloaded" => {
            let body = json!({ "error": {
                "message": "The server had an error while processing your request. Sorry about that!",
                "type": "server_error", "param": null, "code": null } });
            return reply_json(socket, "500 Internal Server Error", &body).await;
        }
        "error-frame" => vec![
            role_chunk(),
            content_chunk(DELTAS[0]),
            "data: {\"error\":{\"message\":\"The server had an error processing your request.\",\
             \"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"
                .to_owned(),
        ],
        "malformed" => vec![
            role_chunk(),
            content_chunk(DELTAS[0]),
            // A chunk cut short: the string and the objects never close.
            format!(
                "data: {{{CHUNK_HEAD},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Das\n\n"
            ),
            "data: [DONE]\n\n".to_owned(),
        ],
        "cut-off" | "ends-early" => {
            vec![
                role_chunk(),
                content_chunk(DELTAS[0]),
                content_chunk(DELTAS[1]),
            ]
        }
        _ => answer_frames(),
    };
    stream(socket, &frames.concat(), behaviour != "cut-off").await;
}

/// One HTTP/1.1 request with a `content-length` body, as reqwest sends it.
async fn read_request(socket: &mut TcpStream) -> Option<Received> {
    let mut bytes = Vec::new();
    let mut read_more = async |bytes: &mut Vec<u8>| {
        let mut buffer = [0; 4096];
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                bytes.extend_from_slice(&buffer[..n]);
                Some(n)
            }
        }
    };
    let head_end = loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        read_more(&mut bytes).await?;
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length").map_or(0, |n| n.parse().unwrap());
    while bytes.len() < head_end + length {
        read_more(&mut bytes).await?;
    }
    Some(Received {
        path: head.split(' ').nth(1)?.to_owned(),
        authorization: header("authorization"),
        body: serde_json::from_slice(&bytes[head_end..head_end + length]).unwrap_or(Value::Null),
    })
}

/// Streams `body` as `text/event-stream` in chunked encoding, one small TCP
/// write per piece; without `complete` the connection drops before the body's end.
async fn stream(mut socket: TcpStream, body: &str, complete: bool) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n\
                transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    for piece in pieces(body.as_bytes()) {
        let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
        chunk.extend_from_slice(piece);
        chunk.extend_from_slice(b"\r\n");
        if socket.write_all(&chunk).await.is_err() || socket.flush().await.is_err() {
            return;
        }
        // Gives every write its own packet, so the server reads the pieces apart.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    if complete {
        let _ = socket.write_all(b"0\r\n\r\n").await;
        let _ = socket.shutdown().await;
    }
}

async fn reply_json(mut socket: TcpStream, status: &str, body: &Value) {
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// Pieces of a body cut every 40 bytes and inside every multi-byte character.
fn pieces(body: &[u8]) -> Vec<&[u8]> {
    let mut cuts: Vec<usize> = (40..body.len()).step_by(40).collect();
    cuts.extend((0..body.len()).filter(|&i| body[i] >= 0xC0).map(|i| i + 1));
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts {
        pieces.push(&body[start..cut]);
        start = cut;
    }
    pieces.push(&body[start..]);
    pieces
}

/// The fields of every chunk, in the order OpenAI sends them.
const CHUNK_HEAD: &str = "\"id\":\"chatcmpl-AbC123\",\"object\":\"chat.completion.chunk\",\
    \"created\":1718000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\"";

/// A chunk with one choice; `delta` and `finish_reason` are JSON.
fn chunk(delta: &str, finish_reason: &str) -> String {
    format!(
        "data: {{{CHUNK_HEAD},\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\
         \"finish_reason\":{finish_reason}}}],\"usage\":null}}\n\n"
    )
}

fn role_chunk() -> String {
    chunk(
        r#"{"role":"assistant","content":"","refusal":null}"#,
        "null",
    )
}

fn content_chunk(text: &str) -> String {
    chunk(&format!("{{\"content\":{}}}", Value::from(text)), "null")
}

/// A whole streamed answer as OpenAI sends it with `include_usage`.
fn answer_frames() -> Vec<String> {
    let mut frames = vec![role_chunk()];
    frames.extend(DELTAS.iter().map(|text| content_chunk(text)));
    frames.push(chunk("{}", "\"stop\""));
    frames.push(format!(
        "data: {{{CHUNK_HEAD},\"choices\":[],\"usage\":{{\"prompt_tokens\":{PROMPT_TOKENS},\
         \"completion_tokens\":{COMPLETION_TOKENS},\"total_tokens\":{}}}}}\n\n",
        PROMPT_TOKENS + COMPLETION_TOKENS
    ));
    frames.push("data: [DONE]\n\n".to_owned());
    frames
}

/// An openai agent on `base_url` and a test-mode widget for it on [`SITE`],
/// made through the admin API; returns the widget's publishable key.
async fn openai_widget(
    server: &TestServer,
    secret: &str,
    base_url: &str,
    runtime_key: &str,
) -> String {
    let agent = server
        .admin(
            Method::POST,
            "/v1/agents",
            secret,
            Some(json!({ "name": "Help desk", "runtime": "openai", "baseUrl": base_url,
                         "model": MODEL, "systemPrompt": SYSTEM_PROMPT, "runtimeKey": runtime_key })),
        )
        .await;
    assert_eq!(agent.status(), 201);
    let agent: Value = agent.json().await.unwrap();
    let widget = server
        .admin(
            Method::POST,
            "/v1/widgets",
            secret,
            Some(json!({ "agentId": agent["id"], "allowedOrigins": [SITE], "testMode": true })),
        )
        .await;
    assert_eq!(widget.status(), 201);
    let widget: Value = widget.json().await.unwrap();
    widget["publishableKey"].as_str().unwrap().to_owned()
}

/// Every event of one run through the SDK, in order.
async fn run(visitor: &sitekit_sdk::Client, thread: &str, text: &str) -> Vec<Event> {
    let mut stream = visitor.chat_text(thread, text).await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    events
}

/// One run as the visitor's browser receives it: the raw body and its events.
async fn raw_run(
    server: &TestServer,
    visitor: &sitekit_sdk::Client,
    thread: &str,
) -> (String, Vec<Event>) {
    let token = visitor.session().await.unwrap().token;
    let body = server
        .client()
        .post(format!("{}/v1/chat", server.url))
        .header("origin", SITE)
        .bearer_auth(token)
        .json(&RunAgentInput::user_text(
            thread,
            "run-1",
            "Wo kommt das Snippet hin?",
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = SseDecoder::new()
        .push(body.as_bytes())
        .into_iter()
        .map(|frame| serde_json::from_str(&frame.unwrap().data).unwrap())
        .collect();
    (body, events)
}

fn messages_sent(request: &Received) -> Vec<(String, String)> {
    request.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn said(role: &str, content: &str) -> (String, String) {
    (role.to_owned(), content.to_owned())
}

#[tokio::test]
async fn an_openai_compatible_answer_streams_to_the_visitor_and_the_thread_goes_back_as_history() {
    let server = TestServer::spawn().await;
    let fake = FakeOpenAi::start().await;
    let secret = server.secret_key().await;
    let publishable = openai_widget(&server, &secret, &fake.base_url("answer"), CREDENTIAL).await;
    let visitor = server.sdk(&publishable);
    let question = "Wo kommt das Snippet hin?";

    let events = run(&visitor, "thread-o", question).await;
    let kinds: Vec<&str> = events.iter().map(Event::type_name).collect();
    assert_eq!(
        kinds,
        [
            "RUN_STARTED",
            "TEXT_MESSAGE_START",
            "TEXT_MESSAGE_CONTENT",
            "TEXT_MESSAGE_CONTENT",
            "TEXT_MESSAGE_CONTENT",
            "TEXT_MESSAGE_CONTENT",
            "TEXT_MESSAGE_CONTENT",
            "TEXT_MESSAGE_END",
            "RUN_FINISHED"
        ],
        "{events:?}"
    );
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            Event::TextMessageContent { message_id, delta } => {
                assert_eq!(message_id, "chatcmpl-AbC123");
                Some(delta.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(deltas, DELTAS, "the text arrives whole and in order");
    let Event::RunFinished { thread_id, run_id } = events.last().unwrap() else {
        unreachable!("checked above");
    };
    assert_eq!(thread_id, "thread-o");

    let usage = usage_of_run(&server.db_url, "thread-o", run_id).await;
    assert_eq!(usage["outcome"], "ok", "{usage}");
    assert_eq!(usage["outputChars"], DELTAS.concat().chars().count());
    assert_eq!(
        (&usage["inputTokens"], &usage["outputTokens"]),
        (&json!(PROMPT_TOKENS), &json!(COMPLETION_TOKENS))
    );

    let first = &fake.received("answer")[0];
    assert_eq!(
        first.authorization.as_deref(),
        Some(&*format!("Bearer {CREDENTIAL}"))
    );
    assert_eq!(first.body["model"], MODEL);
    assert_eq!(first.body["stream"], true);
    assert_eq!(first.body["stream_options"]["include_usage"], true);
    assert_eq!(
        messages_sent(first),
        [said("system", SYSTEM_PROMPT), said("user", question)]
    );

    // The runtime keeps no conversation: the next message carries the first exchange.
    kept_messages(&visitor, "thread-o", 2).await;
    let follow_up = "Und was kostet das?";
    let events = run(&visitor, "thread-o", follow_up).await;
    assert_eq!(events.last().map(Event::type_name), Some("RUN_FINISHED"));
    let received = fake.received("answer");
    assert_eq!(received.len(), 2);
    assert_eq!(
        messages_sent(&received[1]),
        [
            said("system", SYSTEM_PROMPT),
            said("user", question),
            said("assistant", &DELTAS.concat()),
            said("user", follow_up),
        ]
    );

    // Another thread of the same visitor starts afresh.
    run(&visitor, "thread-p", "Hallo").await;
    assert_eq!(
        messages_sent(&fake.received("answer")[2]),
        [said("system", SYSTEM_PROMPT), said("user", "Hallo")]
    );
}

#[tokio::test]
async fn an_agent_without_a_runtime_key_sends_no_authorization_header() {
    let server = TestServer::spawn().await;
    let fake = FakeOpenAi::start().await;
    let secret = server.secret_key().await;
    let publishable = openai_widget(&server, &secret, &fake.base_url("keyless"), "").await;
    let events = run(&server.sdk(&publishable), "thread-k", "Hallo").await;
    assert_eq!(events.last().map(Event::type_name), Some("RUN_FINISHED"));
    let received = fake.received("keyless");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].authorization, None);
}

#[tokio::test]
async fn every_failure_of_an_openai_compatible_runtime_is_one_run_error_and_metered() {
    let server = TestServer::spawn().await;
    let fake = FakeOpenAi::start().await;
    let secret = server.secret_key().await;
    let cases = [
        ("unauthorized", "runtime_error", 0),
        ("overloaded", "runtime_error", 0),
        ("error-frame", "runtime_error", 1),
        ("malformed", "runtime_error", 1),
        ("cut-off", "runtime_error", 2),
        ("ends-early", "runtime_error", 2),
        ("refused", "runtime_unavailable", 0),
    ];
    for (behaviour, code, deltas) in cases {
        let base_url = match behaviour {
            // Port 9 (discard) on loopback: nothing listens, the connection is refused.
            "refused" => "http://127.0.0.1:9/v1".to_owned(),
            _ => fake.base_url(behaviour),
        };
        let publishable = openai_widget(&server, &secret, &base_url, CREDENTIAL).await;
        let visitor = server.sdk(&publishable);
        let (body, events) = raw_run(&server, &visitor, behaviour).await;

        let errors: Vec<&Event> = events
            .iter()
            .filter(|e| matches!(e, Event::RunError { .. }))
            .collect();
        assert_eq!(errors.len(), 1, "{behaviour}: {events:?}");
        match events.last() {
            Some(Event::RunError {
                code: Some(got), ..
            }) => assert_eq!(got, code, "{behaviour}"),
            other => panic!("{behaviour}: the run ends with {other:?}"),
        }
        let streamed = events
            .iter()
            .filter(|e| matches!(e, Event::TextMessageContent { .. }))
            .count();
        assert_eq!(
            streamed, deltas,
            "{behaviour}: the text before the failure still shows"
        );
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::RunFinished { .. })),
            "{behaviour}"
        );
        for secret_thing in [
            CREDENTIAL,
            fake.url.as_str(),
            "127.0.0.1:9",
            "chat/completions",
        ] {
            assert!(
                !body.contains(secret_thing),
                "{behaviour} shows {secret_thing}: {body}"
            );
        }

        let usage = usage_of_run(&server.db_url, behaviour, "run-1").await;
        assert_eq!(usage["outcome"], code, "{behaviour}: {usage}");
        if behaviour != "refused" {
            assert_eq!(fake.received(behaviour).len(), 1, "{behaviour}");
        }
    }
}
