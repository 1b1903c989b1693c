//! `GET /v1/usage`: usage per day, agent, widget and key, for the caller's
//! tenant only, filtered by agent, widget or key.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::tenants::TenantScope;

use crate::support::{SITE, TestServer, assert_api_error};

/// Waits until `count` runs are recorded in all: the server records a run just
/// after its stream ends. Fails after 10 s.
pub async fn wait_for_runs(db_url: &str, count: i64) {
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    for _ in 0..100 {
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_runs")
            .fetch_one(&pool)
            .await
            .unwrap();
        if stored >= count {
            pool.close().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {count} runs recorded after 10 s");
}

/// `GET /v1/usage<query>` with `key`, which must answer 200.
pub async fn report(server_url: &str, key: &str, query: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{server_url}/v1/usage{query}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET /v1/usage{query}");
    response.json().await.unwrap()
}

/// One message to the widget whose runtime is down: accepted, counted, answered
/// with a RUN_ERROR at once.
pub async fn send_message(server: &TestServer) {
    let token = server.sdk(&server.down_key).session().await.unwrap().token;
    chat_once(server, &token).await;
}

#[tokio::test]
async fn usage_counts_each_run_per_day_agent_widget_and_key() {
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let down = server.key_ids(&server.down_key).await;
    send_message(&server).await;
    send_message(&server).await;
    wait_for_runs(&server.db_url, 2).await;

    let report = report(&server.url, &secret, "").await;
    assert_eq!(report["totalMessages"], 2, "{report}");
    let today = report["to"].as_str().unwrap();
    let counts = json!({
        "conversations": 2, "runs": 2, "messages": 2, "inputChars": 4, "outputChars": 0,
        "inputTokens": 0, "outputTokens": 0, "errors": { "runtime_unavailable": 2 },
        "feedbackUp": 0, "feedbackDown": 0, "csatResponses": 0, "csatScoreSum": 0,
        "loads": 0, "opens": 0,
    });
    let mut day = json!({
        "date": today, "agentId": down.agent, "agentVersion": 1, "widgetId": down.widget,
        "keyId": down.key,
    });
    day.as_object_mut()
        .unwrap()
        .extend(counts.as_object().unwrap().clone());
    assert_eq!(report["days"], json!([day]), "{report}");
    assert_eq!(report["totals"], counts, "{report}");

    let other_widget = server.widget_id(&server.faq_key).await;
    let filtered = crate::usage::report(
        &server.url,
        &secret,
        &format!("?widgetId={other_widget}&granularity=day"),
    )
    .await;
    assert_eq!(filtered["totalMessages"], 0, "{filtered}");
    assert_eq!(filtered["days"], json!([]), "{filtered}");
    assert_eq!(filtered["totals"]["runs"], 0, "{filtered}");
    let before = crate::usage::report(&server.url, &secret, "?from=2020-01-01&to=2020-01-31").await;
    assert_eq!(
        (&before["from"], &before["totalMessages"]),
        (&json!("2020-01-01"), &json!(0))
    );
}

#[tokio::test]
async fn usage_filters_by_agent_widget_and_key_of_the_callers_tenant_only() {
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let down = server.key_ids(&server.down_key).await;
    let budget = server.key_ids(&server.budget_key).await;
    send_message(&server).await;
    let token = server
        .sdk(&server.budget_key)
        .session()
        .await
        .unwrap()
        .token;
    chat_once(&server, &token).await;
    wait_for_runs(&server.db_url, 2).await;

    let all = report(&server.url, &secret, "").await;
    assert_eq!(all["totals"]["runs"], 2, "{all}");
    for (query, ids) in [
        (format!("?agentId={}", down.agent), &down),
        (format!("?widgetId={}", down.widget), &down),
        (format!("?keyId={}", down.key), &down),
        (format!("?agentId={}", budget.agent), &budget),
        (
            format!("?widgetId={}&keyId={}", budget.widget, budget.key),
            &budget,
        ),
    ] {
        let filtered = report(&server.url, &secret, &query).await;
        let days = filtered["days"].as_array().unwrap();
        assert_eq!(days.len(), 1, "{query}: {filtered}");
        assert_eq!(days[0]["widgetId"], ids.widget.as_str(), "{query}");
        assert_eq!(days[0]["keyId"], ids.key.as_str(), "{query}");
        assert_eq!(filtered["totals"]["runs"], 1, "{query}");
    }
    // Filters together select what all of them do: here nothing.
    let none = report(
        &server.url,
        &secret,
        &format!("?agentId={}&widgetId={}", down.agent, budget.widget),
    )
    .await;
    assert_eq!(none["days"], json!([]), "{none}");

    // Another tenant's agent, widget or key is not found, as a missing one.
    let (their_tenant, their_widget) = server.other_tenant().await;
    let (their_key, _) = server.key(&their_tenant, &["--kind", "secret"]).await;
    let db = server.db().await;
    let their_agent = db
        .agents(&TenantScope::one(their_tenant.clone()))
        .await
        .unwrap()[0]
        .id
        .clone();
    for query in [
        format!("?agentId={their_agent}"),
        format!("?widgetId={their_widget}"),
        format!("?keyId={their_key}"),
        "?agentId=agt_missing".to_owned(),
        "?keyId=key_missing".to_owned(),
    ] {
        let response = server
            .admin(Method::GET, &format!("/v1/usage{query}"), &secret, None)
            .await;
        assert_api_error(response, 404, "not_found").await;
    }
    for query in ["?granularity=week", "?granularity=", "?granularity=DAY"] {
        let response = server
            .admin(Method::GET, &format!("/v1/usage{query}"), &secret, None)
            .await;
        let message = assert_api_error(response, 400, "invalid_query").await;
        assert!(
            message.contains("granularity") || message.contains("day"),
            "{message}"
        );
    }
}

/// One message on a session, read to the end.
async fn chat_once(server: &TestServer, token: &str) {
    let response = server
        .client()
        .post(format!("{}/v1/chat", server.url))
        .header("origin", SITE)
        .bearer_auth(token)
        .json(&json!({ "threadId": "t", "runId": "r",
                       "messages": [{ "id": "1", "role": "user", "content": "hi" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap();
}

#[tokio::test]
async fn usage_needs_its_scope_stays_in_the_tenant_and_checks_its_query() {
    let server = TestServer::in_process().await;
    send_message(&server).await;
    let widget = server.widget_id(&server.down_key).await;

    let (their_tenant, _) = server.other_tenant().await;
    let (_, theirs) = server.key(&their_tenant, &["--kind", "secret"]).await;
    let their_report: Value = server
        .admin(Method::GET, "/v1/usage", &theirs, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(their_report["totalMessages"], 0, "{their_report}");
    let path = format!("/v1/usage?widgetId={widget}");
    assert_api_error(
        server.admin(Method::GET, &path, &theirs, None).await,
        404,
        "not_found",
    )
    .await;

    let (_, widgets_only) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "widgets:read"],
        )
        .await;
    let message = assert_api_error(
        server
            .admin(Method::GET, "/v1/usage", &widgets_only, None)
            .await,
        403,
        "missing_scope",
    )
    .await;
    assert!(message.contains("usage:read"), "{message}");
    let (_, reader) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "usage:read"],
        )
        .await;
    for bad in [
        "/v1/usage?from=yesterday",
        "/v1/usage?from=2026-02-30",
        "/v1/usage?from=2026-02-01&to=2026-01-01",
        "/v1/usage?from=2000-01-01&to=2026-01-01",
        "/v1/usage?tenantId=ten_other",
    ] {
        let response = server.admin(Method::GET, bad, &reader, None).await;
        assert_api_error(response, 400, "invalid_query").await;
    }
    assert_api_error(
        server
            .client()
            .get(format!("{}/v1/usage", server.url))
            .send()
            .await
            .unwrap(),
        401,
        "missing_token",
    )
    .await;
}
