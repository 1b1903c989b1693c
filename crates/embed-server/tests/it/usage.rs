//! `GET /v1/usage`: messages per widget and day, for the caller's tenant only.

use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::db::Db;
use sitekit_embed_server::keys::ParsedKey;

use crate::admin::{key, other_tenant};
use crate::support::{SITE, TestServer, assert_api_error};

pub async fn widget_id(server: &TestServer, publishable_key: &str) -> String {
    let db = Db::open(&server.db_url).await.unwrap();
    let key = ParsedKey::parse(publishable_key).unwrap();
    db.widget_by_publishable_key(&key)
        .await
        .unwrap()
        .unwrap()
        .0
        .id
}

/// One message to the widget whose runtime is down: accepted, counted, answered
/// with a RUN_ERROR at once.
pub async fn send_message(server: &TestServer) {
    let token = server.sdk(&server.down_key).session().await.unwrap().token;
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
async fn usage_counts_each_accepted_message_per_widget_and_day() {
    let server = TestServer::spawn().await;
    let (_, secret) = key(&server, &server.tenant_id, &["--kind", "secret"]).await;
    let widget = widget_id(&server, &server.down_key).await;
    send_message(&server).await;
    send_message(&server).await;

    let report: Value = server
        .admin(Method::GET, "/v1/usage", &secret, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["totalMessages"], 2, "{report}");
    let today = report["to"].as_str().unwrap();
    assert_eq!(
        report["days"],
        json!([{ "date": today, "widgetId": widget, "messages": 2 }])
    );
    let other_widget = widget_id(&server, &server.faq_key).await;
    let filtered: Value = server
        .admin(
            Method::GET,
            &format!("/v1/usage?widgetId={other_widget}"),
            &secret,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["totalMessages"], 0, "{filtered}");
    let before: Value = server
        .admin(
            Method::GET,
            "/v1/usage?from=2020-01-01&to=2020-01-31",
            &secret,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&before["from"], &before["totalMessages"]),
        (&json!("2020-01-01"), &json!(0))
    );
}

#[tokio::test]
async fn usage_needs_its_scope_stays_in_the_tenant_and_checks_its_query() {
    let server = TestServer::spawn().await;
    send_message(&server).await;
    let widget = widget_id(&server, &server.down_key).await;

    let (their_tenant, _) = other_tenant(&server).await;
    let (_, theirs) = key(&server, &their_tenant, &["--kind", "secret"]).await;
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

    let (_, widgets_only) = key(
        &server,
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
    let (_, reader) = key(
        &server,
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
