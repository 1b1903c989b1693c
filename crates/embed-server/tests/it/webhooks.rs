//! Outgoing webhooks (`/v1/webhooks`): a receiver in the test, on loopback
//! (which the test servers' operator allows), is sent the events of real
//! chats with the Langflow runtime and checks every delivery with the
//! Standard Webhooks reference library (`standardwebhooks`), never with the
//! server's own signing code; failing answers are retried with the same id;
//! endpoints are their organisation's alone and their URLs are held to the
//! egress policy.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};
use standardwebhooks::Webhook;

use crate::conversations::rate;
use crate::support::{TestServer, assert_api_error};

/// One request the receiver was sent.
#[derive(Debug, Clone)]
pub struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    pub fn id(&self) -> String {
        self.headers["webhook-id"].to_str().unwrap().to_owned()
    }

    pub fn payload(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Whether `secret` signed it, by the reference library.
    pub fn verifies_with(&self, secret: &str) -> bool {
        Webhook::new(secret)
            .unwrap()
            .verify(&self.body, &self.headers)
            .is_ok()
    }
}

#[derive(Default)]
struct Inbox {
    received: Vec<Received>,
    /// Statuses to answer first, in order; then 204.
    answers: VecDeque<u16>,
}

/// A webhook receiver on loopback: keeps what it is sent and answers as told.
pub struct Receiver {
    pub url: String,
    inbox: Arc<Mutex<Inbox>>,
    _serving: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// A receiver that answers `answers` first, then 204 to everything.
    pub async fn start(answers: &[u16]) -> Receiver {
        let inbox = Arc::new(Mutex::new(Inbox {
            received: Vec::new(),
            answers: answers.iter().copied().collect(),
        }));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(take))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let serving = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url,
            inbox,
            _serving: serving,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().received.clone()
    }

    /// The requests of event `kind`, once there are `count` of them.
    pub async fn wait_for(&self, kind: &str, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            let of_kind: Vec<Received> = self
                .received()
                .into_iter()
                .filter(|r| r.payload()["type"] == kind)
                .collect();
            if of_kind.len() >= count {
                return of_kind;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never sent {count} {kind}: {:?}", self.received());
    }
}

async fn take(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut inbox = inbox.lock().unwrap();
    inbox.received.push(Received { headers, body });
    let status = inbox.answers.pop_front().unwrap_or(204);
    StatusCode::from_u16(status).unwrap()
}

/// What a visitor said and the run that answered: its id.
async fn ask(client: &sitekit_sdk::Client, thread: &str, text: &str) -> String {
    crate::metering::ask(client, thread, text).await.0
}

/// Registers an endpoint for `events`: its id and secret.
pub async fn register(
    server: &TestServer,
    key: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let response = server
        .admin(
            Method::POST,
            "/v1/webhooks",
            key,
            Some(json!({"url": url, "events": events})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    (created["id"].as_str().unwrap().to_owned(), secret)
}

/// The endpoint's delivery log, once `done` holds for its every delivery.
async fn settled_log(server: &TestServer, key: &str, id: &str) -> Vec<Value> {
    let mut log = Vec::new();
    for _ in 0..100 {
        let page = server
            .get_json(&format!("/v1/webhooks/{id}/deliveries"), key)
            .await;
        log = page["deliveries"].as_array().unwrap().clone();
        if log.iter().all(|d| d["state"] == "done") {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deliveries never settled: {log:?}");
}

#[tokio::test]
async fn chats_ratings_and_failed_runs_reach_the_endpoint_signed_by_its_secret() {
    let server = TestServer::spawn_with(&["--webhook-first-retry-ms", "200"]).await;
    let key = server.secret_key().await;
    let receiver = Receiver::start(&[]).await;
    let events = ["conversation.started", "conversation.rated", "run.failed"];
    let (id, secret) = register(&server, &key, &receiver.url, &events).await;

    // The secret is shown once: no later answer holds it.
    for path in ["/v1/webhooks".to_owned(), format!("/v1/webhooks/{id}")] {
        let text = server.get(&path, &key).await.text().await.unwrap();
        assert!(
            !text.contains(&secret[6..]) && !text.contains("secret\""),
            "{text}"
        );
    }

    let visitor = server.sdk(&server.faq_key);
    let run = ask(&visitor, "thread-hooks", "How do I install the snippet?").await;
    let started = &receiver.wait_for("conversation.started", 1).await[0];
    assert!(started.verifies_with(&secret));
    let data = &started.payload()["data"];
    assert_eq!(data["threadId"], "thread-hooks");
    assert!(data["conversationId"].as_str().unwrap().starts_with("cnv_"));
    assert!(started.id().starts_with("whd_"));
    // A later turn of the same thread starts nothing.
    ask(&visitor, "thread-hooks", "And then?").await;

    rate(&server, &visitor, "thread-hooks", &run, "up").await;
    let rated = &receiver.wait_for("conversation.rated", 1).await[0];
    assert!(rated.verifies_with(&secret));
    assert_eq!(rated.payload()["data"]["runId"], run.as_str());
    assert_eq!(rated.payload()["data"]["rating"], "up");

    let failing = server.sdk(&server.failing_key);
    let failed_run = ask(&failing, "thread-fails", "Hello?").await;
    let failed = &receiver.wait_for("run.failed", 1).await[0];
    assert!(failed.verifies_with(&secret));
    assert_eq!(failed.payload()["data"]["runId"], failed_run.as_str());
    assert_eq!(failed.payload()["data"]["outcome"], "runtime_error");
    let timestamp = failed.payload()["timestamp"].as_str().unwrap().to_owned();
    assert!(timestamp.ends_with('Z'), "{timestamp}");

    let log = settled_log(&server, &key, &id).await;
    assert_eq!(log.len(), receiver.received().len(), "{log:?}");
    assert_eq!(receiver.wait_for("conversation.started", 2).await.len(), 2);
    assert!(log.iter().all(|d| d["attempts"] == 1), "{log:?}");

    // Rotating: deliveries verify with the new secret, and for a day with the old.
    let response = server
        .admin(
            Method::POST,
            &format!("/v1/webhooks/{id}/rotate-secret"),
            &key,
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    let rotated: Value = response.json().await.unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["previousSecretExpiresAt"].is_string(), "{rotated}");
    ask(&server.sdk(&server.faq_key), "thread-rotated", "Hi").await;
    let after = receiver.wait_for("conversation.started", 3).await;
    let after = after
        .iter()
        .find(|r| r.payload()["data"]["threadId"] == "thread-rotated");
    let after = after.unwrap();
    assert!(after.verifies_with(&new_secret));
    assert!(after.verifies_with(&secret));
    let stranger = format!("whsec_{}", "A".repeat(43) + "=");
    assert!(!after.verifies_with(&stranger));

    // A resend of a done delivery is sent again, with the same id.
    let sent_before = receiver.received().len();
    let response = server
        .admin(
            Method::POST,
            &format!("/v1/webhooks/{id}/deliveries/{}/resend", rated.id()),
            &key,
            None,
        )
        .await;
    assert_eq!(response.status(), 202);
    for _ in 0..100 {
        if receiver.received().len() > sent_before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = receiver.received()[sent_before].clone();
    assert_eq!(again.id(), rated.id());
    assert_eq!(again.body, rated.body);
    assert!(again.verifies_with(&new_secret));
    settled_log(&server, &key, &id).await;

    // Deleted, it is sent nothing more.
    let response = server
        .admin(Method::DELETE, &format!("/v1/webhooks/{id}"), &key, None)
        .await;
    assert_eq!(response.status(), 204);
    let sent = receiver.received().len();
    ask(&server.sdk(&server.faq_key), "thread-after-delete", "Hi").await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(receiver.received().len(), sent);
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_try_with_one_id() {
    let server = TestServer::spawn_with(&["--webhook-first-retry-ms", "200"]).await;
    let key = server.secret_key().await;
    let receiver = Receiver::start(&[500, 500]).await;
    let (id, secret) = register(&server, &key, &receiver.url, &["conversation.started"]).await;

    ask(&server.sdk(&server.faq_key), "thread-retried", "Hello").await;
    let tries = receiver.wait_for("conversation.started", 3).await;
    assert_eq!(tries.len(), 3);
    assert!(tries.iter().all(|r| r.id() == tries[0].id()), "{tries:?}");
    assert!(tries.iter().all(|r| r.body == tries[0].body));
    assert!(tries.iter().all(|r| r.verifies_with(&secret)));

    let log = settled_log(&server, &key, &id).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["id"], tries[0].id().as_str());
    assert_eq!(log[0]["type"], "conversation.started");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["lastStatus"], 204);
    assert!(log[0]["doneAt"].is_string() && log[0]["nextAttemptAt"].is_null());
}

#[tokio::test]
async fn endpoints_are_their_organisation_s_and_need_webhooks_write() {
    let server = TestServer::in_process().await;
    let key = server.secret_key().await;
    let (id, _) = register(
        &server,
        &key,
        "https://hooks.example.com/in",
        &["run.failed"],
    )
    .await;
    let delivery = "whd_0000000000000000000";

    let (_, other) = server.buyer("Other Company").await;
    let theirs = [
        (Method::GET, format!("/v1/webhooks/{id}"), None),
        (
            Method::PATCH,
            format!("/v1/webhooks/{id}"),
            Some(json!({"events": ["usage.daily"]})),
        ),
        (Method::DELETE, format!("/v1/webhooks/{id}"), None),
        (
            Method::POST,
            format!("/v1/webhooks/{id}/rotate-secret"),
            None,
        ),
        (Method::GET, format!("/v1/webhooks/{id}/deliveries"), None),
        (
            Method::POST,
            format!("/v1/webhooks/{id}/deliveries/{delivery}/resend"),
            None,
        ),
    ];
    for (method, path, body) in &theirs {
        let response = server
            .admin(method.clone(), path, &other, body.clone())
            .await;
        assert_api_error(response, 404, "not_found").await;
    }
    let listed = server.get_json("/v1/webhooks", &other).await;
    assert_eq!(listed["webhooks"], json!([]));

    let (_, reader) = server
        .key(
            &server.tenant_id,
            &[
                "--kind",
                "restricted",
                "--scopes",
                "widgets:read usage:read",
            ],
        )
        .await;
    for (method, path, body) in &theirs {
        let response = server
            .admin(method.clone(), path, &reader, body.clone())
            .await;
        let message = assert_api_error(response, 403, "missing_scope").await;
        assert!(message.contains("webhooks:write"), "{message}");
    }

    // Its own organisation may change it: still nothing of the secret shown.
    let response = server
        .admin(
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            &key,
            Some(json!({"events": ["usage.daily", "lead.created"]})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["events"], json!(["usage.daily", "lead.created"]));
    assert_eq!(changed["url"], "https://hooks.example.com/in");
    assert!(changed.get("secret").is_none());
}

#[tokio::test]
async fn hostile_registrations_are_refused_and_store_nothing() {
    let server = TestServer::in_process().await;
    let key = server.secret_key().await;
    let long = format!("https://hooks.example.com/{}", "a".repeat(3_000));
    for (url, events, code) in [
        (
            "http://hooks.example.com/in",
            json!(["run.failed"]),
            "webhook_url_not_allowed",
        ),
        // Loopback by name, which the operator did not allow.
        (
            "http://localhost:9/in",
            json!(["run.failed"]),
            "webhook_url_not_allowed",
        ),
        (
            "https://10.0.0.1/in",
            json!(["run.failed"]),
            "webhook_url_not_allowed",
        ),
        (
            "https://169.254.169.254/latest",
            json!(["run.failed"]),
            "webhook_url_not_allowed",
        ),
        (
            "https://user:pw@hooks.example.com/",
            json!(["run.failed"]),
            "credentials_in_url",
        ),
        (
            "file:///etc/passwd",
            json!(["run.failed"]),
            "webhook_url_not_allowed",
        ),
        (long.as_str(), json!(["run.failed"]), "invalid_body"),
        (
            "https://hooks.example.com/in",
            json!(["payment.made"]),
            "invalid_body",
        ),
        ("https://hooks.example.com/in", json!([]), "invalid_body"),
        (
            "https://hooks.example.com/in",
            json!(["run.failed", "run.failed"]),
            "invalid_body",
        ),
    ] {
        let body = json!({"url": url, "events": events});
        let response = server
            .admin(Method::POST, "/v1/webhooks", &key, Some(body))
            .await;
        let message = assert_api_error(response, 400, code).await;
        assert!(!message.is_empty(), "{url}");
    }
    let response = server
        .admin(
            Method::POST,
            "/v1/webhooks",
            &key,
            Some(json!({"url": "https://hooks.example.com", "events": ["run.failed"], "x": 1})),
        )
        .await;
    assert_api_error(response, 400, "invalid_body").await;
    let listed = server.get_json("/v1/webhooks", &key).await;
    assert_eq!(listed["webhooks"], json!([]));

    for n in 0..10 {
        let url = format!("https://hooks.example.com/{n}");
        register(&server, &key, &url, &["usage.daily"]).await;
    }
    let response = server
        .admin(
            Method::POST,
            "/v1/webhooks",
            &key,
            Some(json!({"url": "https://hooks.example.com/11", "events": ["usage.daily"]})),
        )
        .await;
    assert_api_error(response, 409, "too_many_webhooks").await;
    let listed = server.get_json("/v1/webhooks", &key).await;
    assert_eq!(listed["webhooks"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn the_past_day_s_usage_is_enqueued_once_per_endpoint_whatever_the_nodes() {
    let server = TestServer::spawn_with(&["--webhook-first-retry-ms", "200"]).await;
    let key = server.secret_key().await;
    let receiver = Receiver::start(&[]).await;
    let (id, secret) = register(&server, &key, &receiver.url, &["usage.daily"]).await;
    // Registered before the past day ended, so that day's usage is its.
    let pool = sqlx::AnyPool::connect(&server.db_url).await.unwrap();
    sqlx::query("UPDATE webhook_endpoints SET created_at = created_at - $1 WHERE id = $2")
        .bind(3 * 86_400_000_i64)
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();

    // Two nodes at once, and a round after (the server's own worker may be
    // one of them): one delivery.
    let (db, now) = (server.db().await, sitekit_embed_server::db::now_unix_ms());
    let (first, second) = tokio::join!(db.enqueue_daily_usage(now), db.enqueue_daily_usage(now));
    assert!(first.unwrap() + second.unwrap() <= 1);
    assert_eq!(db.enqueue_daily_usage(now).await.unwrap(), 0);

    let daily = &receiver.wait_for("usage.daily", 1).await[0];
    assert!(daily.verifies_with(&secret));
    let data = &daily.payload()["data"];
    assert_eq!(
        data["day"].as_str().unwrap().len(),
        "2026-12-07".len(),
        "{data}"
    );
    assert_eq!(data["totals"]["runs"], 0, "{data}");
    settled_log(&server, &key, &id).await;
    assert_eq!(receiver.received().len(), 1);
}
