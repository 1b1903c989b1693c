//! A seller's analytics (`GET /v1/seller/usage`, `sitekit seller usage`): how
//! buyers use its published agents, per version, buyer and day, from the
//! server's own run records; counts and times, never a visitor, a thread or a
//! text, and only of the seller's own agents.

use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::usage::UsageRun;

use crate::support::local_cli::json_of;
use crate::support::{KeyIds, SITE, TestServer, assert_api_error};

const RUNTIME: &str = "http://127.0.0.1:9";
const VISITOR: &str = "vis_private_visitor";
const THREAD: &str = "private-thread";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A published agent of `seller` with versions 1 and 2 on the runtime that is
/// down: (its id, the binding ids of its versions).
async fn two_versions(server: &TestServer, seller: &str, name: &str) -> (String, Vec<String>) {
    let created: Value = server
        .admin(
            Method::POST,
            "/v1/catalog/agents",
            seller,
            Some(json!({ "name": name })),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/catalog/agents/{id}/versions");
    let mut bindings = Vec::new();
    for body in [
        json!({ "baseUrl": RUNTIME, "flowId": "one", "runtimeKey": "k" }),
        json!({ "flowId": "two" }),
    ] {
        let version: Value = server
            .admin(Method::POST, &path, seller, Some(body))
            .await
            .json()
            .await
            .unwrap();
        bindings.push(version["binding"]["id"].as_str().unwrap().to_owned());
    }
    (id, bindings)
}

/// A subscription of `buyer` to `agent` and a widget on it: the ids its
/// usage is counted under.
async fn subscribed_widget(
    server: &TestServer,
    buyer: &str,
    agent: &str,
    version: Value,
) -> KeyIds {
    let subscription: Value = server
        .admin(
            Method::POST,
            "/v1/subscriptions",
            buyer,
            Some(json!({ "publishedAgentId": agent, "version": version })),
        )
        .await
        .json()
        .await
        .unwrap();
    let created = server
        .post_widget(
            buyer,
            json!({ "subscriptionId": subscription["id"], "allowedOrigins": [SITE] }),
        )
        .await;
    server
        .key_ids(created["publishableKey"].as_str().unwrap())
        .await
}

/// A run record as the server writes one, of `binding` (version `version`).
fn run(ids: &KeyIds, binding: &str, version: u32, first_event_ms: i64, outcome: &str) -> UsageRun {
    let id = format!("run_{}", rand_suffix());
    UsageRun {
        run_id: id.clone(),
        id,
        tenant_id: ids.tenant.clone(),
        agent_id: binding.into(),
        agent_version: version,
        widget_id: ids.widget.clone(),
        key_id: ids.key.clone(),
        visitor_id: VISITOR.into(),
        thread_id: THREAD.into(),
        input_chars: 10,
        output_chars: 20,
        input_tokens: Some(3),
        output_tokens: Some(5),
        first_event_ms: Some(first_event_ms),
        duration_ms: first_event_ms * 10,
        outcome: outcome.into(),
        started_at_ms: now_ms() - 1_000,
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}_{}", now_ms(), NEXT.fetch_add(1, Ordering::Relaxed))
}

fn version<'a>(report: &'a Value, agent: &str, number: u32) -> &'a Value {
    report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["publishedAgentId"] == agent && row["version"] == number)
        .unwrap_or_else(|| panic!("version {number} of {agent} is not listed: {report}"))
}

#[tokio::test]
async fn a_seller_counts_each_version_and_buyer_exactly_and_sees_no_visitor() {
    let server = TestServer::in_process().await;
    let (seller_id, seller) = server.seller("Agent Makers").await;
    let (agent, bindings) = two_versions(&server, &seller, "Support agent").await;
    let pinning = server.secret_key().await;
    let (_, following) = server.buyer("Second Shop").await;
    let on_v1 = subscribed_widget(&server, &pinning, &agent, json!(1)).await;
    let on_latest = subscribed_widget(&server, &following, &agent, json!("latest")).await;

    // Version 1: three runs at the first buyer (one timed out); version 2:
    // two at the second. Times chosen so the percentiles are known.
    let db = server.db().await;
    for record in [
        run(&on_v1, &bindings[0], 1, 100, "ok"),
        run(&on_v1, &bindings[0], 1, 200, "ok"),
        run(&on_v1, &bindings[0], 1, 900, "runtime_timeout"),
        run(&on_latest, &bindings[1], 2, 50, "ok"),
        run(&on_latest, &bindings[1], 2, 70, "ok"),
    ] {
        assert!(db.record_run(&record).await.unwrap());
    }

    let response = server.get("/v1/seller/usage", &seller).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for private in [VISITOR, THREAD, on_v1.widget.as_str(), on_v1.key.as_str()] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    let report: Value = serde_json::from_str(&text).unwrap();
    let v1 = version(&report, &agent, 1);
    assert_eq!(v1["agentName"], "Support agent");
    assert_eq!((&v1["runs"], &v1["conversations"]), (&json!(3), &json!(1)));
    assert_eq!(
        (&v1["inputTokens"], &v1["outputTokens"]),
        (&json!(9), &json!(15))
    );
    assert_eq!(v1["errors"], json!({ "runtime_timeout": 1 }));
    assert_eq!(
        (&v1["firstEventMsP50"], &v1["firstEventMsP95"]),
        (&json!(200), &json!(900))
    );
    assert_eq!(
        (&v1["durationMsP50"], &v1["durationMsP95"]),
        (&json!(2000), &json!(9000))
    );
    assert_eq!(v1["subscriptions"], 1);
    let v2 = version(&report, &agent, 2);
    assert_eq!((&v2["runs"], &v2["errors"]), (&json!(2), &json!({})));
    assert_eq!(v2["firstEventMsP50"], 50);
    assert_eq!(v2["subscriptions"], 1);

    let days = report["days"].as_array().unwrap();
    let cells: Vec<(&Value, &Value, &Value)> = days
        .iter()
        .map(|day| (&day["buyerName"], &day["version"], &day["runs"]))
        .collect();
    let (test_company, second_shop) = (json!("Test Company"), json!("Second Shop"));
    assert_eq!(cells.len(), 2, "{report}");
    assert!(
        cells.contains(&(&test_company, &json!(1), &json!(3))),
        "{report}"
    );
    assert!(
        cells.contains(&(&second_shop, &json!(2), &json!(2))),
        "{report}"
    );
    let mut subscribers: Vec<(&str, i64, i64)> = report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["buyerName"].as_str().unwrap(),
                row["subscriptions"].as_i64().unwrap(),
                row["followingLatest"].as_i64().unwrap(),
            )
        })
        .collect();
    subscribers.sort_unstable();
    assert_eq!(subscribers, [("Second Shop", 1, 1), ("Test Company", 1, 0)]);

    // The command line reads the same report, locally and remotely.
    let local = json_of(
        &server.db_url,
        &["seller", "usage", "--tenant", &seller_id, "--json"],
    )
    .await;
    assert_eq!(local, report);
    let remote = server
        .remote_json(&seller, &["seller", "usage", "--published-agent", &agent])
        .await;
    assert_eq!(remote, report);
    let printed = server.remote(&seller, &["seller", "usage"]).await;
    assert!(
        printed.stdout.contains("Support agent (")
            && printed
                .stdout
                .contains("version 1: 1 subscriptions now; 3 runs"),
        "{}",
        printed.stdout
    );
}

#[tokio::test]
async fn a_seller_reads_only_its_own_agents_and_only_with_the_scope() {
    let server = TestServer::in_process().await;
    let (seller_id, seller) = server.seller("Agent Makers").await;
    let (agent, _) = two_versions(&server, &seller, "Support agent").await;
    let (_, rival) = server.seller("Rival Agents").await;
    let buyer = server.secret_key().await;

    // Another seller sees none of it, and cannot name it.
    let theirs = server.get_json("/v1/seller/usage", &rival).await;
    assert_eq!(theirs["versions"], json!([]));
    assert_eq!(theirs["days"], json!([]));
    let path = format!("/v1/seller/usage?publishedAgentId={agent}");
    assert_api_error(server.get(&path, &rival).await, 404, "not_found").await;
    // A buyer is no seller.
    let message = assert_api_error(
        server.get("/v1/seller/usage", &buyer).await,
        403,
        "not_a_seller",
    )
    .await;
    assert!(message.contains("--role seller"), "{message}");
    // A key of the seller's without the scope.
    let (_, reader) = server
        .key(
            &seller_id,
            &[
                "--kind",
                "restricted",
                "--scopes",
                "widgets:read,usage:read",
            ],
        )
        .await;
    let message = assert_api_error(
        server.get("/v1/seller/usage", &reader).await,
        403,
        "missing_scope",
    )
    .await;
    assert!(message.contains("seller:read"), "{message}");
    let (_, analyst) = server
        .key(
            &seller_id,
            &["--kind", "restricted", "--scopes", "seller:read"],
        )
        .await;
    let own = server.get_json(&path, &analyst).await;
    assert_eq!(own["versions"].as_array().unwrap().len(), 2);

    // Hostile or mistaken queries are refused as such.
    for query in [
        "?from=2026-13-01",
        "?from=2020-01-01&to=2026-01-01",
        "?to=2026-01-01&from=2026-02-01",
        "?agentId=agt_1",
        "?from=%00",
    ] {
        let response = server
            .get(&format!("/v1/seller/usage{query}"), &seller)
            .await;
        assert_api_error(response, 400, "invalid_query").await;
    }
    let long = format!("/v1/seller/usage?publishedAgentId={}", "x".repeat(5_000));
    assert_api_error(server.get(&long, &seller).await, 404, "not_found").await;
}
