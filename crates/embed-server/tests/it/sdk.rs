//! The Rust SDK against the real server: it rides out rate limits by waiting as
//! told, and reads a visitor's thread back.

use futures_util::StreamExt;
use sitekit_sdk::agui::Role;

use crate::support::{SITE, TestServer};

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
    let mut messages = Vec::new();
    for _ in 0..50 {
        messages = client.thread("kept").await.unwrap().messages;
        if messages.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
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
