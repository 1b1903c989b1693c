//! Where a tenant's agent may make the server connect: the egress policy, checked
//! when an agent is saved and again when the server connects; runtime redirects
//! never followed; credentials never in a URL and never sent to a server they
//! were not given for.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::egress::EgressPolicy;
use sitekit_sdk::agui::Event;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::{SITE, TestServer, assert_api_error, create_widget, widget_request};

/// Non-public addresses of each class, as base URLs; `{port}` is a live
/// listener's port for those that reach this machine.
const REFUSED: &[&str] = &[
    "http://127.0.0.1:{port}",
    "http://127.9.9.9:{port}",
    "http://localhost:{port}",
    "http://[::ffff:127.0.0.1]:{port}",
    "http://0.0.0.0:{port}",
    "http://[::1]:{port}",
    "http://10.0.0.1",
    "http://172.16.0.1",
    "http://192.168.0.1",
    "http://100.64.0.1",
    "http://169.254.169.254/latest",
    "http://[fe80::1]",
    "http://[fc00::1]",
    "http://224.0.0.1",
    "http://[::ffff:10.0.0.1]",
];

/// A name this machine resolves to a non-public address: its own host name
/// (in containers, loopback or a private address).
async fn inside_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let name = name.trim().to_owned();
    let addresses: Vec<_> = tokio::net::lookup_host((name.as_str(), 0))
        .await
        .unwrap_or_else(|e| panic!("this machine's host name {name} does not resolve: {e}"))
        .collect();
    assert!(
        addresses
            .iter()
            .all(|a| sitekit_embed_server::egress::refused_class(a.ip()).is_some()),
        "{name} resolves to a public address here: {addresses:?}"
    );
    name
}

/// A server that allows no runtime but the public internet (the tests' own
/// allowance of loopback taken away).
async fn strict_server() -> TestServer {
    TestServer::in_process_with(|config| config.runtime_allow = EgressPolicy::default()).await
}

/// A listener on loopback that counts the connections it accepts and answers
/// each request with `answer`.
struct Listener {
    port: u16,
    connections: Arc<AtomicUsize>,
    /// Every request's head (request line and headers), lower-cased.
    heads: Arc<std::sync::Mutex<Vec<String>>>,
}

async fn listener(answer: String) -> Listener {
    let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (counted, seen) = (connections.clone(), heads.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = socket.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let (seen, answer) = (seen.clone(), answer.clone());
            tokio::spawn(async move {
                let (read, mut write) = stream.split();
                let mut reader = BufReader::new(read);
                let mut head = String::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&lower);
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body).await;
                seen.lock().unwrap().push(head);
                let _ = write.write_all(answer.as_bytes()).await;
                let _ = write.shutdown().await;
            });
        }
    });
    Listener {
        port,
        connections,
        heads,
    }
}

/// What a real Langflow-wire runtime answers: a short AG-UI stream.
fn agui_answer() -> String {
    let events = [
        json!({ "type": "RUN_STARTED", "threadId": "t", "runId": "r" }),
        json!({ "type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant" }),
        json!({ "type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "hello" }),
        json!({ "type": "TEXT_MESSAGE_END", "messageId": "m" }),
        json!({ "type": "RUN_FINISHED", "threadId": "t", "runId": "r" }),
    ];
    let body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Every event of one run of the widget with `key`.
async fn run(server: &TestServer, key: &str) -> Vec<Event> {
    let client = server.sdk(key);
    let mut stream = client.chat_text("t", "hello").await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    events
}

/// The code and message of a run's one `RUN_ERROR`.
fn run_error(events: &[Event]) -> (String, String) {
    match events.last() {
        Some(Event::RunError { code, message }) => {
            (code.clone().unwrap_or_default(), message.clone())
        }
        other => panic!("the run ends in RUN_ERROR, not {other:?}: {events:?}"),
    }
}

#[tokio::test]
async fn each_class_of_non_public_address_is_refused_when_an_agent_is_saved() {
    let server = strict_server().await;
    let secret = server.secret_key().await;
    let public = server
        .admin(
            Method::POST,
            "/v1/agents",
            &secret,
            Some(json!({ "name": "Public", "baseUrl": "https://runtime.example.com", "flowId": "f" })),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let public_id = public["id"].as_str().expect("a public runtime is accepted");
    for template in REFUSED {
        let url = template.replace("{port}", "7860");
        let body = json!({ "name": "Inside", "baseUrl": url, "flowId": "f" });
        let response = server
            .admin(Method::POST, "/v1/agents", &secret, Some(body))
            .await;
        let message = assert_api_error(response, 400, "runtime_not_allowed").await;
        assert!(message.contains("--runtime-allow"), "{url}: {message}");
        let update = json!({ "baseUrl": url, "runtimeKey": "" });
        let response = server
            .admin(
                Method::PATCH,
                &format!("/v1/agents/{public_id}"),
                &secret,
                Some(update),
            )
            .await;
        assert_api_error(response, 400, "runtime_not_allowed").await;
    }
    let agents: Value = server
        .admin(Method::GET, "/v1/agents", &secret, None)
        .await
        .json()
        .await
        .unwrap();
    let stored: Vec<&str> = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|agent| agent["id"] == public_id)
        .map(|agent| agent["baseUrl"].as_str().unwrap())
        .collect();
    assert_eq!(stored, ["https://runtime.example.com"], "nothing changed");
}

#[tokio::test]
async fn each_class_of_non_public_address_is_refused_when_the_server_connects() {
    let server = strict_server().await;
    // A runtime that would answer, on loopback: it must never see a connection.
    let inside = listener(agui_answer()).await;
    // Agents stored before the policy (or by someone who bypassed it): the
    // check at connect time is what holds then.
    let db = server.db().await;
    let permissive = EgressPolicy::parse("0.0.0.0/0,::/0,localhost").unwrap();
    let (node, mut log) = server
        .another_node_logging("warn", &["--runtime-allow", ""])
        .await;
    let mut lines = BufReader::new(&mut log).lines();
    let name = inside_name().await;
    let by_name = format!("http://{name}:{{port}}");
    for template in REFUSED.iter().copied().chain([by_name.as_str()]) {
        let url = template.replace("{port}", &inside.port.to_string());
        let request = sitekit_sdk::admin::NewAgentRequest {
            name: "Inside".into(),
            runtime: None,
            base_url: url.clone(),
            flow_id: "f".into(),
            model: None,
            system_prompt: None,
            timeouts: None,
            runtime_key: "inside-key".into(),
        };
        let settings = sitekit_embed_server::agents::settings::AgentSettings::from_request(
            &request,
            &permissive,
        )
        .unwrap();
        let agent = db.create_agent(&server.tenant_id, settings).await.unwrap();
        let request = widget_request(&agent.id, &[SITE]);
        let (_, key) = create_widget(&db, &agent, &request).await;
        let client = sitekit_sdk::Client::new(&node.url, key.expose()).with_origin(SITE);
        let mut stream = client.chat_text("t", "hello").await.unwrap();
        let mut events = Vec::new();
        while let Some(event) = stream.next().await {
            events.push(event.unwrap());
        }
        let (code, _) = run_error(&events);
        assert_eq!(code, "runtime_unavailable", "{url}");
        // The operator's log says why; the visitor is told nothing more.
        let logged = async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.contains("egress policy") {
                    return true;
                }
            }
            false
        };
        let logged = tokio::time::timeout(std::time::Duration::from_secs(30), logged).await;
        assert_eq!(logged, Ok(true), "{url}: the node logs why it refused");
    }
    assert_eq!(
        inside.connections.load(Ordering::SeqCst),
        0,
        "the server connected to a refused address"
    );
}

#[tokio::test]
async fn refused_and_unreachable_runtimes_look_the_same_to_a_visitor() {
    let strict = strict_server().await;
    let db = strict.db().await;
    let permissive = EgressPolicy::parse("0.0.0.0/0").unwrap();
    let request = sitekit_sdk::admin::NewAgentRequest {
        name: "Inside".into(),
        runtime: None,
        base_url: "http://10.0.0.1:7860".into(),
        flow_id: "f".into(),
        model: None,
        system_prompt: None,
        timeouts: None,
        runtime_key: String::new(),
    };
    let settings =
        sitekit_embed_server::agents::settings::AgentSettings::from_request(&request, &permissive)
            .unwrap();
    let agent = db.create_agent(&strict.tenant_id, settings).await.unwrap();
    let (_, refused_key) = create_widget(&db, &agent, &widget_request(&agent.id, &[SITE])).await;
    let refused = run_error(&run(&strict, refused_key.expose()).await);
    // The test server's `down` widget: a runtime the policy allows where
    // nothing listens.
    let allowed = TestServer::in_process().await;
    let unreachable = run_error(&run(&allowed, &allowed.down_key).await);
    assert_eq!(refused, unreachable);
}

#[tokio::test]
async fn a_runtime_that_redirects_is_not_followed() {
    let server = TestServer::spawn().await;
    let target = listener(agui_answer()).await;
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{}/api/v2/workflows\r\n\
         content-length: 0\r\nconnection: close\r\n\r\n",
        target.port
    );
    let redirecting = listener(redirect).await;
    let secret = server.secret_key().await;
    let (_, key) = agent_and_widget(
        &server,
        &secret,
        "Redirecting",
        &format!("http://127.0.0.1:{}", redirecting.port),
        "k",
    )
    .await;
    let events = run(&server, &key).await;
    let (code, _) = run_error(&events);
    assert_eq!(code, "runtime_error");
    assert_eq!(redirecting.connections.load(Ordering::SeqCst), 1);
    assert_eq!(
        target.connections.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
}

/// An agent (the default runtime, Langflow) at `base_url` and a test-mode widget for it: the agent's id
/// and the widget's publishable key.
async fn agent_and_widget(
    server: &TestServer,
    secret: &str,
    name: &str,
    base_url: &str,
    runtime_key: &str,
) -> (String, String) {
    let agent: Value = server
        .admin(
            Method::POST,
            "/v1/agents",
            secret,
            Some(json!({
                "name": name,
                "baseUrl": base_url,
                "flowId": "f",
                "runtimeKey": runtime_key,
            })),
        )
        .await
        .json()
        .await
        .unwrap();
    let widget: Value = server
        .admin(
            Method::POST,
            "/v1/widgets",
            secret,
            Some(json!({ "agentId": agent["id"], "allowedOrigins": [SITE], "testMode": true })),
        )
        .await
        .json()
        .await
        .unwrap();
    (
        agent["id"].as_str().unwrap().to_owned(),
        widget["publishableKey"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_runtime_credential_never_follows_its_agent_to_another_server() {
    let server = TestServer::in_process().await;
    let old = listener(agui_answer()).await;
    let new = listener(agui_answer()).await;
    let secret = server.secret_key().await;
    let (agent_id, key) = agent_and_widget(
        &server,
        &secret,
        "Moving",
        &format!("http://127.0.0.1:{}", old.port),
        "old-server-key",
    )
    .await;
    let path = format!("/v1/agents/{agent_id}");
    let moved_to = format!("http://127.0.0.1:{}", new.port);
    // Another server without its own credential: refused, nothing changes.
    let response = server
        .admin(
            Method::PATCH,
            &path,
            &secret,
            Some(json!({ "baseUrl": moved_to })),
        )
        .await;
    let message = assert_api_error(response, 400, "runtime_key_required").await;
    assert!(message.contains("runtimeKey"), "{message}");
    run(&server, &key).await;
    assert_eq!(new.connections.load(Ordering::SeqCst), 0);
    assert!(old.heads.lock().unwrap()[0].contains("x-api-key: old-server-key"));
    // With the new server's credential in the same update, it moves.
    let response = server
        .admin(
            Method::PATCH,
            &path,
            &secret,
            Some(json!({ "baseUrl": moved_to, "runtimeKey": "new-server-key" })),
        )
        .await;
    assert_eq!(response.status(), 200);
    run(&server, &key).await;
    let heads = new.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    assert!(heads[0].contains("x-api-key: new-server-key"), "{heads:?}");
    assert!(!heads[0].contains("old-server-key"));
    // Credentials inside a URL are refused: they would be shown and logged.
    for url in [
        format!("http://user:pass@127.0.0.1:{}", new.port),
        format!("http://127.0.0.1:{}/?key=secret", new.port),
    ] {
        let response = server
            .admin(
                Method::PATCH,
                &path,
                &secret,
                Some(json!({ "baseUrl": url, "runtimeKey": "x" })),
            )
            .await;
        assert_api_error(response, 400, "credentials_in_url").await;
    }
}
