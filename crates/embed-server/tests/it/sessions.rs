//! `POST /v1/sessions`: the publishable key and the page's origin buy a token.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{FOREIGN_SITE, SITE, TestServer, assert_api_error};

#[tokio::test]
async fn an_allowed_page_gets_a_ten_minute_session_for_its_visitor() {
    let server = TestServer::in_process().await;
    let response = server
        .client()
        .post(format!("{}/v1/sessions", server.url))
        .header("origin", SITE)
        .json(&json!({ "publishableKey": server.faq_key }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.unwrap();
    // The server names the visitor: a public id and its signature.
    let visitor_id = session["visitorId"].as_str().unwrap();
    let (public_id, signature) = visitor_id.split_once('.').unwrap();
    assert!(
        public_id.starts_with("vis_") && signature.len() >= 20,
        "{visitor_id}"
    );
    let token = session["token"].as_str().unwrap();
    let usage_token = session["usageToken"].as_str().unwrap();
    assert!(token.len() > 40 && usage_token.len() > 40);
    assert_ne!(token, usage_token);
    let expires = time::OffsetDateTime::parse(
        session["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let lifetime = expires - time::OffsetDateTime::now_utc();
    assert!(
        lifetime.whole_seconds() > 590 && lifetime.whole_seconds() <= 600,
        "{lifetime}"
    );
}

#[tokio::test]
async fn a_new_visitor_gets_an_id_and_the_sdk_reuses_it() {
    let server = TestServer::in_process().await;
    let sdk = server.sdk(&server.faq_key);
    let session = sdk.session().await.unwrap();
    assert!(session.visitor_id.starts_with("vis_"));
    assert_eq!(
        sdk.visitor_id().as_deref(),
        Some(session.visitor_id.as_str())
    );
    // A second call within the lifetime reuses the session instead of minting one.
    assert_eq!(sdk.session().await.unwrap(), session);
}

#[tokio::test]
async fn refusals_carry_stable_codes() {
    let server = TestServer::in_process().await;
    let url = format!("{}/v1/sessions", server.url);
    let post = |origin: &str, body: String, content_type: &str| {
        server
            .client()
            .post(&url)
            .header("origin", origin)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let valid = json!({ "publishableKey": server.faq_key }).to_string();

    assert_api_error(
        post(FOREIGN_SITE, valid.clone(), "application/json")
            .await
            .unwrap(),
        403,
        "origin_not_allowed",
    )
    .await;
    assert_api_error(
        post(SITE, "{not json".into(), "application/json")
            .await
            .unwrap(),
        400,
        "invalid_json",
    )
    .await;
    assert_api_error(
        post(SITE, valid.clone(), "text/plain").await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    assert_api_error(
        post(SITE, json!({ "key": 1 }).to_string(), "application/json")
            .await
            .unwrap(),
        400,
        "invalid_body",
    )
    .await;
    let huge =
        json!({ "publishableKey": server.faq_key, "visitorId": "x".repeat(10_000) }).to_string();
    assert_api_error(
        post(SITE, huge, "application/json").await.unwrap(),
        413,
        "payload_too_large",
    )
    .await;
    let unknown = json!({ "publishableKey": "skt_pub_test_nope" }).to_string();
    assert_api_error(
        post(SITE, unknown, "application/json").await.unwrap(),
        401,
        "invalid_key",
    )
    .await;
    let disabled = json!({ "publishableKey": server.disabled_key }).to_string();
    assert_api_error(
        post(SITE, disabled, "application/json").await.unwrap(),
        403,
        "widget_disabled",
    )
    .await;
}

#[tokio::test]
async fn revoking_a_key_ends_its_sessions_within_the_refresh_interval() {
    let server =
        TestServer::in_process_with(|config| config.key_refresh = Duration::from_secs(1)).await;
    let sdk = server.sdk(&server.down_key);
    let session = sdk.session().await.unwrap();
    let chat = |token: String| {
        server
            .client()
            .post(format!("{}/v1/chat", server.url))
            .bearer_auth(token)
            .json(&json!({ "threadId": "t", "runId": "r", "messages": [{ "id": "1", "role": "user", "content": "hi" }] }))
            .send()
    };
    assert_eq!(chat(session.token.clone()).await.unwrap().status(), 200);

    let db = server.db().await;
    let key = sitekit_embed_server::keys::ParsedKey::parse(&server.down_key).unwrap();
    let (_, record) = db.widget_by_publishable_key(&key).await.unwrap().unwrap();
    let key_id = record.id;
    crate::support::local_cli::json_of(&server.db_url, &["keys", "revoke", &key_id, "--json"])
        .await;

    // New sessions and the widget config are refused at once (they read the database)…
    let refused = server
        .client()
        .post(format!("{}/v1/sessions", server.url))
        .header("origin", SITE)
        .json(&json!({ "publishableKey": server.down_key }))
        .send()
        .await
        .unwrap();
    assert_api_error(refused, 401, "key_revoked").await;
    // …and live sessions end once the node has reloaded key states (every second here).
    let mut status = 200;
    for _ in 0..40 {
        let response = chat(session.token.clone()).await.unwrap();
        status = response.status().as_u16();
        if status != 200 {
            assert_api_error(response, 401, "key_revoked").await;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(
        status, 401,
        "the session still worked 10 s after its key was revoked"
    );
}
