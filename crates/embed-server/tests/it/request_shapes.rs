//! Requests are read as the spec describes them: a body is a JSON object, a
//! whole number is an integer however it is written, and a path the server
//! cannot read is answered like an unknown id, in JSON.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{SITE, TestServer, assert_api_error};

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_refused_and_changes_nothing() {
    let server = TestServer::in_process().await;
    let (secret, agent) = server.secret_and_agent().await;
    // serde would read an array as the fields in order: `[null, null]` was an
    // empty update, answered 200.
    for body in [
        json!([null, null]),
        json!(["Renamed"]),
        json!(null),
        json!(5),
    ] {
        let response = server
            .admin(
                Method::PATCH,
                &format!("/v1/agents/{agent}"),
                &secret,
                Some(body.clone()),
            )
            .await;
        let message = assert_api_error(response, 400, "invalid_body").await;
        assert!(message.contains("JSON object"), "{body}: {message}");
    }
    let agent: Value = server
        .admin(Method::GET, &format!("/v1/agents/{agent}"), &secret, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(agent["name"], "A", "nothing changed");

    let session = server
        .client()
        .post(format!("{}/v1/sessions", server.url))
        .header("origin", SITE)
        .json(&json!([server.faq_key]))
        .send()
        .await
        .unwrap();
    assert_api_error(session, 400, "invalid_body").await;
}

#[tokio::test]
async fn a_whole_number_is_an_integer_however_it_is_written() {
    let server = TestServer::in_process().await;
    let (secret, agent) = server.secret_and_agent().await;
    // `37.0` is how some JSON encoders write 37; it was refused as a float.
    let created = server
        .post_widget(
            &secret,
            json!({ "agentId": agent, "allowedOrigins": [SITE], "conversationDays": 37.0 }),
        )
        .await;
    assert_eq!(created["widget"]["conversationDays"], 37);
    let widget = created["widget"]["id"].as_str().unwrap();
    let path = format!("/v1/widgets/{widget}");
    let update = |body: Value| server.admin(Method::PATCH, &path, &secret, Some(body));
    let updated: Value = update(json!({ "messagesPerVisitorPerMinute": 1.2e2 }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["messagesPerVisitorPerMinute"], 120);
    let message = assert_api_error(
        update(json!({ "conversationDays": 37.5 })).await,
        400,
        "invalid_body",
    )
    .await;
    assert!(message.contains("conversationDays"), "{message}");
}

#[tokio::test]
async fn a_path_the_server_cannot_read_is_a_json_404() {
    let server = TestServer::in_process().await;
    let (secret, _) = server.secret_and_agent().await;
    // `%FF` is no UTF-8: axum answered 400 in plain text, which no route
    // documents.
    for path in [
        "/v1/agents/%FF",
        "/v1/widgets/%FF/snippet",
        "/v1/keys/%FF/events",
    ] {
        let response = server.admin(Method::GET, path, &secret, None).await;
        assert_api_error(response, 404, "not_found").await;
    }
    let asset = server
        .client()
        .get(format!("{}/v1/assets/%C3%28.js", server.url))
        .send()
        .await
        .unwrap();
    assert_api_error(asset, 404, "not_found").await;
    let config = server
        .client()
        .get(format!("{}/v1/widgets/%FF/config", server.url))
        .header("origin", SITE)
        .send()
        .await
        .unwrap();
    assert_api_error(config, 404, "not_found").await;
}
