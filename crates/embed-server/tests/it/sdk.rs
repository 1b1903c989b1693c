//! The Rust SDK against the real server: it rides out rate limits by waiting as
//! told, reads a visitor's thread back, renews its session before it expires,
//! replaces one the server stopped accepting, streams an answer's text, and keeps
//! the server's codes when something goes wrong.

use futures_util::StreamExt;
use sitekit_sdk::agui::Role;

use crate::support::{SITE, TestServer, kept_messages};

#[tokio::test]
async fn the_sdk_waits_out_a_rate_limit_and_then_succeeds() {
    // One request a second per address, after a burst of 60.
    let server = TestServer::spawn_with(&["--requests-per-ip-per-minute", "60"]).await;
    let config_url = format!("{}/v1/widgets/{}/config", server.url, server.faq_key);
    let mut limited = None;
    for _ in 0..100 {
        let response = server
            .client()
            .get(&config_url)
            .header("origin", SITE)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(
                response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
            break;
        }
    }
    let retry_after = limited.expect("the burst of 60 ran out within 100 requests");
    assert_eq!(retry_after, "1");

    // The next call is over the limit too, and the SDK waits as told and retries.
    let config = server.sdk(&server.faq_key).config().await;
    assert_eq!(
        config.expect("the SDK retried after Retry-After").title,
        "Help"
    );
}

#[tokio::test]
async fn the_sdk_reads_a_visitors_thread_back() {
    let server = TestServer::spawn().await;
    let client = server.sdk(&server.faq_key);
    let mut events = client
        .chat_text("kept", "How do I install the snippet?")
        .await
        .unwrap();
    while events.next().await.is_some() {}
    // The server keeps the exchange once the run has ended, off the stream's path.
    let messages = kept_messages(&client, "kept", 2).await;
    let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant]);
    assert_eq!(
        messages[0].content.as_deref(),
        Some("How do I install the snippet?")
    );
    assert!(
        client
            .thread("never-used")
            .await
            .unwrap()
            .messages
            .is_empty()
    );
}

#[tokio::test]
async fn the_sdk_keeps_its_session_and_renews_it_before_it_expires() {
    // The shortest lifetime a server allows: the SDK renews in the last quarter.
    let server = TestServer::spawn_with(&["--session-ttl-secs", "30"]).await;
    let client = server.sdk(&server.faq_key);
    let first = client.session().await.unwrap();
    assert_eq!(client.session().await.unwrap().token, first.token, "reused");
    tokio::time::sleep(std::time::Duration::from_secs(24)).await;
    let renewed = client.session().await.unwrap();
    assert_ne!(renewed.token, first.token, "renewed before it expired");
    assert_eq!(renewed.visitor_id, first.visitor_id, "the same visitor");
    // The usage token is renewed with the session: the beacon never carries a dead one.
    assert_ne!(renewed.usage_token, first.usage_token, "renewed together");
}

#[tokio::test]
async fn a_session_the_server_stopped_accepting_is_replaced_and_the_chat_goes_through() {
    let server = TestServer::spawn_with(&["--key-refresh-secs", "1"]).await;
    let client = server.sdk(&server.faq_key);
    let old = client.session().await.unwrap();
    // Two rotations of the signing key end every session signed before them.
    crate::signing::rotate(&server.db_url).await;
    crate::signing::rotate(&server.db_url).await;
    let mut refused = false;
    for _ in 0..40 {
        if !crate::support::session_is_accepted(&server.url, &old.token).await {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(refused, "the old session still works after 10 s");

    let mut events = client
        .chat_text("after-rotation", "How do I install the snippet?")
        .await
        .expect("the SDK got a new session and sent the message");
    let mut finished = false;
    while let Some(event) = events.next().await {
        finished |= matches!(event.unwrap(), sitekit_sdk::agui::Event::RunFinished { .. });
    }
    assert!(finished);
    assert_eq!(
        client.visitor_id(),
        Some(old.visitor_id),
        "the same visitor"
    );
}

#[tokio::test]
async fn the_sdk_streams_an_answers_text_and_names_what_went_wrong() {
    let server = TestServer::spawn().await;
    let client = server.sdk(&server.faq_key);
    let mut answer = client
        .answer("text-only", "How do I install the snippet?")
        .await
        .unwrap();
    let mut deltas = Vec::new();
    while let Some(delta) = answer.next().await {
        deltas.push(delta.unwrap());
    }
    assert!(deltas.len() > 1, "streamed in chunks: {deltas:?}");
    assert!(
        deltas
            .concat()
            .starts_with("To install Site Kit embed, copy the snippet")
    );

    // A run that fails ends the text with the run's code.
    let mut failing = server
        .sdk(&server.failing_key)
        .answer("fails", "hello")
        .await
        .unwrap();
    match failing.next().await {
        Some(Err(sitekit_sdk::Error::Run { code, .. })) => assert_eq!(code, "runtime_error"),
        other => panic!("expected the run's error, got {other:?}"),
    }

    // Refusals keep the server's status and code.
    let refusal = |client: sitekit_sdk::Client| async move {
        match client.session().await {
            Err(sitekit_sdk::Error::Api { status, code, .. }) => (status, code),
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    let unknown = sitekit_sdk::Client::new(&server.url, "skt_pub_test_not_a_real_key");
    assert_eq!(
        refusal(unknown.with_origin(SITE)).await,
        (401, "invalid_key".into())
    );
    assert_eq!(
        refusal(server.sdk(&server.disabled_key)).await,
        (403, "widget_disabled".into())
    );
    let elsewhere = sitekit_sdk::Client::new(&server.url, &server.faq_key)
        .with_origin("https://elsewhere.example.net");
    assert_eq!(refusal(elsewhere).await, (403, "origin_not_allowed".into()));
}
