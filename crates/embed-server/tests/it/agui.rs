//! Agents of the `agui` runtime: the server posts AG-UI `RunAgentInput` to any
//! AG-UI HTTP agent and passes its events through the visitor filter. The agent
//! here is a small AG-UI server in the test process that records what it was sent
//! and answers with real AG-UI SSE, state and steps included.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use reqwest::Method;
use serde_json::{Value, json};
use sitekit_sdk::agui::{Event, RunAgentInput};
use sitekit_sdk::sse::SseDecoder;

use crate::support::{SITE, TestServer, kept_messages};

/// The agent's own run id, which a visitor must never see.
const AGENT_RUN_ID: &str = "agent-internal-run-7";
/// In the agent's state snapshot and step names: internals the filter must keep in.
const INTERNAL: &str = "internal-state-do-not-show";
const RUNTIME_KEY: &str = "agent-bearer-credential";

/// One request the agent received.
#[derive(Debug, Clone)]
struct Received {
    authorization: Option<String>,
    accept: Option<String>,
    input: Value,
}

/// The local AG-UI agent: `POST /run` answers, `POST /broken` fails with 500,
/// `POST /run-error` starts and then reports an error in the stream.
struct AguiAgent {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl AguiAgent {
    async fn start() -> AguiAgent {
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/run", post(answer))
            .route("/broken", post(broken))
            .route("/run-error", post(run_error))
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        AguiAgent { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

type Recorded = State<Arc<Mutex<Vec<Received>>>>;

fn record(received: &Recorded, headers: &HeaderMap, body: &str) -> Value {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let input: Value = serde_json::from_str(body).unwrap();
    received.lock().unwrap().push(Received {
        authorization: header("authorization"),
        accept: header("accept"),
        input: input.clone(),
    });
    input
}

/// What the agent answers a question.
fn answer_to(question: &str) -> String {
    format!("You asked: «{question}».\nÜnïcode and a second line ✓")
}

/// The answer as an AG-UI agent streams it: its own lifecycle ids, state and
/// steps around the text, and one tool call.
async fn answer(received: Recorded, headers: HeaderMap, body: String) -> Response {
    let input = record(&received, &headers, &body);
    let thread_id = input["threadId"].clone();
    let question = input["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .get("content")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let text = answer_to(&question);
    let split = text.char_indices().nth(7).unwrap().0;
    let events = [
        json!({ "type": "RUN_STARTED", "threadId": thread_id, "runId": AGENT_RUN_ID }),
        json!({ "type": "STATE_SNAPSHOT", "snapshot": { "secret": INTERNAL } }),
        json!({ "type": "STEP_STARTED", "stepName": INTERNAL }),
        json!({ "type": "TEXT_MESSAGE_START", "messageId": "m1", "role": "assistant" }),
        json!({ "type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": &text[..split] }),
        json!({ "type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": &text[split..] }),
        json!({ "type": "TEXT_MESSAGE_END", "messageId": "m1" }),
        json!({ "type": "TOOL_CALL_START", "toolCallId": "c1", "toolCallName": "lookup_order", "parentMessageId": "m1" }),
        json!({ "type": "TOOL_CALL_ARGS", "toolCallId": "c1", "delta": "{\"order\":42}" }),
        json!({ "type": "TOOL_CALL_END", "toolCallId": "c1" }),
        json!({ "type": "TOOL_CALL_RESULT", "messageId": "m2", "toolCallId": "c1", "content": "shipped", "role": "tool" }),
        json!({ "type": "STATE_DELTA", "delta": [{ "op": "add", "path": "/x", "value": INTERNAL }] }),
        json!({ "type": "STEP_FINISHED", "stepName": INTERNAL }),
        json!({ "type": "RUN_FINISHED", "threadId": thread_id, "runId": AGENT_RUN_ID }),
    ];
    sse(&events)
}

async fn broken(received: Recorded, headers: HeaderMap, body: String) -> Response {
    record(&received, &headers, &body);
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .body(Body::from(format!("Traceback: {INTERNAL}")))
        .unwrap()
}

async fn run_error(received: Recorded, headers: HeaderMap, body: String) -> Response {
    let input = record(&received, &headers, &body);
    sse(&[
        json!({ "type": "RUN_STARTED", "threadId": input["threadId"], "runId": AGENT_RUN_ID }),
        json!({ "type": "RUN_ERROR", "message": format!("KeyError: {INTERNAL}"), "code": "agent_crashed" }),
    ])
}

/// An SSE body sent in small pieces, so events arrive split across reads the way
/// they do over a real network.
fn sse(events: &[Value]) -> Response {
    let body: String = events
        .iter()
        .map(|event| format!("data: {event}\n\n"))
        .collect();
    let pieces: Vec<Result<Vec<u8>, Infallible>> = body
        .into_bytes()
        .chunks(40)
        .map(|piece| Ok(piece.to_vec()))
        .collect();
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(futures_util::stream::iter(pieces)))
        .unwrap()
}

/// An `agui` agent at `endpoint`, created through the admin API, and two widgets
/// on [`SITE`] for it: (showing tool events, not showing them) publishable keys.
async fn agent_with_widgets(
    server: &TestServer,
    endpoint: &str,
    runtime_key: &str,
) -> (String, String) {
    let secret = server.secret_key().await;
    let created = server
        .admin(
            Method::POST,
            "/v1/agents",
            &secret,
            Some(json!({
                "name": "AG-UI agent", "runtime": "agui", "baseUrl": endpoint,
                "runtimeKey": runtime_key,
            })),
        )
        .await;
    assert_eq!(created.status(), 201);
    let agent: Value = created.json().await.unwrap();
    assert_eq!(agent["runtime"], "agui");
    let widget = async |show_tool_events: bool| {
        let created = server
            .admin(
                Method::POST,
                "/v1/widgets",
                &secret,
                Some(json!({
                    "agentId": agent["id"], "allowedOrigins": [SITE], "testMode": true,
                    "showToolEvents": show_tool_events,
                })),
            )
            .await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        created["publishableKey"].as_str().unwrap().to_owned()
    };
    (widget(true).await, widget(false).await)
}

/// One run as the visitor's browser sends it: the raw SSE body and its events.
async fn visit(
    server: &TestServer,
    visitor: &sitekit_sdk::Client,
    thread: &str,
    run: &str,
    text: &str,
) -> (String, Vec<Event>) {
    let session = visitor.session().await.unwrap();
    let response = server
        .client()
        .post(format!("{}/v1/chat", server.url))
        .header("origin", SITE)
        .bearer_auth(&session.token)
        .json(&RunAgentInput::user_text(thread, run, text))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let events = SseDecoder::new()
        .push(body.as_bytes())
        .into_iter()
        .map(|frame| serde_json::from_str(&frame.unwrap().data).unwrap())
        .collect();
    (body, events)
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::type_name).collect()
}

fn text_of(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            Event::TextMessageContent { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_agui_agents_text_reaches_the_visitor_with_tool_calls_only_where_shown() {
    let server = TestServer::spawn().await;
    let agent = AguiAgent::start().await;
    let (shows_tools, hides_tools) =
        agent_with_widgets(&server, &format!("{}/run", agent.url), RUNTIME_KEY).await;
    let question = "Where is order 42?";

    let (body, events) = visit(
        &server,
        &server.sdk(&shows_tools),
        "thread-1",
        "run-a",
        question,
    )
    .await;
    assert_eq!(
        kinds(&events),
        [
            "RUN_STARTED",
            "TEXT_MESSAGE_START",
            "TEXT_MESSAGE_CONTENT",
            "TEXT_MESSAGE_CONTENT",
            "TEXT_MESSAGE_END",
            "TOOL_CALL_START",
            "TOOL_CALL_ARGS",
            "TOOL_CALL_END",
            "TOOL_CALL_RESULT",
            "RUN_FINISHED",
        ]
    );
    let browsers_ids = Event::RunStarted {
        thread_id: "thread-1".into(),
        run_id: "run-a".into(),
    };
    assert_eq!(events[0], browsers_ids);
    assert_eq!(
        events.last().unwrap(),
        &Event::RunFinished {
            thread_id: "thread-1".into(),
            run_id: "run-a".into(),
        }
    );
    assert_eq!(text_of(&events), answer_to(question));
    assert_eq!(
        events[6],
        Event::ToolCallArgs {
            tool_call_id: "c1".into(),
            delta: "{\"order\":42}".into(),
        }
    );
    for leak in [
        INTERNAL,
        AGENT_RUN_ID,
        "STATE_",
        "STEP_",
        "snapshot",
        &agent.url,
    ] {
        assert!(
            !body.contains(leak),
            "the stream must not mention `{leak}`: {body}"
        );
    }

    let (body, events) = visit(
        &server,
        &server.sdk(&hides_tools),
        "thread-2",
        "run-b",
        question,
    )
    .await;
    assert_eq!(
        kinds(&events),
        [
            "RUN_STARTED",
            "TEXT_MESSAGE_START",
            "TEXT_MESSAGE_CONTENT",
            "TEXT_MESSAGE_CONTENT",
            "TEXT_MESSAGE_END",
            "RUN_FINISHED",
        ]
    );
    assert_eq!(text_of(&events), answer_to(question));
    assert!(!body.contains("lookup_order"), "{body}");

    // What the agent was sent: AG-UI input with the server's thread key, the
    // browser's run id, the credential as a bearer token, and no tools of ours.
    let received = agent.received();
    assert_eq!(received.len(), 2);
    let first = &received[0];
    assert_eq!(
        first.authorization.as_deref(),
        Some("Bearer agent-bearer-credential")
    );
    assert_eq!(first.accept.as_deref(), Some("text/event-stream"));
    let input = &first.input;
    let thread_key = input["threadId"].as_str().unwrap();
    assert!(
        thread_key.ends_with(":thread-1") && thread_key != "thread-1",
        "the runtime's thread is keyed per widget and visitor: {thread_key}"
    );
    assert_eq!(input["runId"], "run-a");
    assert_eq!(input["messages"].as_array().unwrap().len(), 1);
    assert_eq!(input["messages"][0]["role"], "user");
    assert_eq!(input["messages"][0]["content"], question);
    assert_eq!(
        (
            &input["tools"],
            &input["context"],
            &input["state"],
            &input["forwardedProps"]
        ),
        (&json!([]), &json!([]), &json!({}), &json!({}))
    );
    // It is AG-UI's RunAgentInput as the SDK defines it.
    serde_json::from_value::<RunAgentInput>(input.clone()).unwrap();
}

#[tokio::test]
async fn the_agent_is_sent_the_threads_history_with_the_next_message() {
    let server = TestServer::spawn().await;
    let agent = AguiAgent::start().await;
    // An agent open to anyone: no credential, so no Authorization header.
    let (_, key) = agent_with_widgets(&server, &format!("{}/run", agent.url), "").await;
    let visitor = server.sdk(&key);

    let (_, first) = visit(&server, &visitor, "thread-h", "run-1", "First question").await;
    assert_eq!(kinds(&first).last(), Some(&"RUN_FINISHED"));
    kept_messages(&visitor, "thread-h", 2).await;
    let (_, second) = visit(&server, &visitor, "thread-h", "run-2", "And a second one").await;
    assert_eq!(text_of(&second), answer_to("And a second one"));

    let received = agent.received();
    assert_eq!(received.len(), 2);
    assert!(
        received.iter().all(|r| r.authorization.is_none()),
        "{received:?}"
    );
    let messages = received[1].input["messages"].as_array().unwrap();
    let turns: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| (m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    let first_answer = answer_to("First question");
    assert_eq!(
        turns,
        [
            ("user", "First question"),
            ("assistant", first_answer.as_str()),
            ("user", "And a second one"),
        ]
    );
    let mut ids: Vec<&str> = messages.iter().map(|m| m["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "message ids are distinct: {messages:?}");
    assert_eq!(received[0].input["threadId"], received[1].input["threadId"]);
}

#[tokio::test]
async fn a_failing_agui_agent_ends_in_one_safe_run_error() {
    let server = TestServer::spawn().await;
    let agent = AguiAgent::start().await;
    for path in ["/broken", "/run-error"] {
        let (key, _) =
            agent_with_widgets(&server, &format!("{}{path}", agent.url), RUNTIME_KEY).await;
        let (body, events) = visit(&server, &server.sdk(&key), "thread-f", "run-f", "hello").await;
        assert_eq!(
            kinds(&events),
            ["RUN_STARTED", "RUN_ERROR"],
            "{path}: {body}"
        );
        let Event::RunError { code, .. } = &events[1] else {
            unreachable!()
        };
        assert_eq!(code.as_deref(), Some("runtime_error"), "{path}");
        for leak in [INTERNAL, "KeyError", "agent_crashed", "Traceback"] {
            assert!(!body.contains(leak), "{path} leaked `{leak}`: {body}");
        }
    }
    assert_eq!(
        agent.received().len(),
        2,
        "each failing agent was asked once"
    );
}

#[tokio::test]
async fn an_agui_agent_that_is_down_yields_runtime_unavailable() {
    let server = TestServer::spawn().await;
    // Port 9 (discard) on loopback: nothing listens there, connections are refused.
    let (key, _) = agent_with_widgets(&server, "http://127.0.0.1:9/run", RUNTIME_KEY).await;
    let (body, events) = visit(&server, &server.sdk(&key), "thread-d", "run-d", "hello").await;
    assert_eq!(kinds(&events), ["RUN_STARTED", "RUN_ERROR"], "{body}");
    let Event::RunError { code, .. } = &events[1] else {
        unreachable!()
    };
    assert_eq!(code.as_deref(), Some("runtime_unavailable"));
    assert!(!body.contains("127.0.0.1:9"), "{body}");
}
