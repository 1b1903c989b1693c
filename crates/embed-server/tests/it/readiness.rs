//! One node as an operator and a load balancer see it: `/healthz` says it
//! lives and where its limits are counted, `/readyz` says whether it wants
//! new chats, `/metrics` counts for Prometheus; a node told to stop first
//! drains (not ready, still serving), then exits.

use std::time::Duration;

use serde_json::Value;

use crate::support::{SITE, TestServer, assert_api_error};

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    server
        .client()
        .get(format!("{}{path}", server.url))
        .send()
        .await
        .unwrap()
}

/// A page's request for the FAQ widget's config: rate-limited per address.
async fn page_load(server: &TestServer) -> reqwest::Response {
    server
        .client()
        .get(format!(
            "{}/v1/widgets/{}/config",
            server.url, server.faq_key
        ))
        .header("origin", SITE)
        .send()
        .await
        .unwrap()
}

/// The value of the sample `name` in a Prometheus text page.
pub fn sample(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
        .parse()
        .unwrap()
}

async fn metrics(server: &TestServer) -> String {
    let answer = get(server, "/metrics").await;
    assert_eq!(answer.status(), 200);
    let kind = answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    answer.text().await.unwrap()
}

#[tokio::test]
async fn a_node_told_to_stop_drains_while_still_serving_then_exits() {
    let mut server = TestServer::spawn_with(&["--drain-secs", "5"]).await;
    let ready = get(&server, "/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
    let health: Value = get(&server, "/healthz").await.json().await.unwrap();
    assert_eq!(health["limits"], "local", "{health}");
    assert_eq!(health["draining"], false, "{health}");
    assert_eq!(sample(&metrics(&server).await, "sitekit_ready"), 1);

    server.terminate();
    let mut ready = get(&server, "/readyz").await;
    for _ in 0..40 {
        if ready.status() != 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        ready = get(&server, "/readyz").await;
    }
    let message = assert_api_error(ready, 503, "unavailable").await;
    assert!(message.contains("shutting down"), "{message}");
    // Alive, and still answering what a balancer sends before it notices.
    let health: Value = get(&server, "/healthz").await.json().await.unwrap();
    assert_eq!(health["draining"], true, "{health}");
    assert_eq!(sample(&metrics(&server).await, "sitekit_ready"), 0);
    assert_eq!(page_load(&server).await.status(), 200);

    assert!(
        server.exited_within(Duration::from_secs(30)).await,
        "the node did not stop after its drain period"
    );
}

#[tokio::test]
async fn metrics_count_what_the_limits_refused() {
    let server = TestServer::spawn_with(&["--requests-per-ip-per-minute", "2"]).await;
    let before = metrics(&server).await;
    assert_eq!(sample(&before, "sitekit_rate_limited_total"), 0);
    assert_eq!(sample(&before, "sitekit_limits_shared"), 0);
    assert_eq!(sample(&before, "sitekit_chat_streams_open"), 0);
    for _ in 0..3 {
        page_load(&server).await;
    }
    let after = metrics(&server).await;
    assert_eq!(sample(&after, "sitekit_rate_limited_total"), 1, "{after}");
}
