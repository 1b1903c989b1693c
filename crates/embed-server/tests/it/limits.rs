//! Rate limits: over a limit a client gets 429 with `Retry-After` and a JSON error
//! its page can read; other clients carry on.

use sitekit_embed_server::client_ip::TrustedProxies;
use sitekit_sdk::Error;

use crate::support::{SITE, TestServer, assert_api_error, per_minute};

#[tokio::test]
async fn a_noisy_visitor_is_limited_without_starving_other_visitors() {
    let server = TestServer::in_process_with(|config| {
        config.limits.messages_per_visitor_per_minute = per_minute(2)
    })
    .await;
    let noisy = server.sdk(&server.down_key);
    for _ in 0..2 {
        let _run = noisy
            .chat_text("t", "hello")
            .await
            .expect("within the limit");
    }
    match noisy.chat_text("t", "hello").await {
        Err(Error::Api {
            status,
            code,
            retry_after,
            ..
        }) => {
            assert_eq!((status, code.as_str()), (429, "rate_limited"));
            let wait = retry_after.expect("Retry-After is set");
            assert!((1..=30).contains(&wait), "{wait}");
        }
        Err(other) => panic!("expected 429, got {other:?}"),
        Ok(_) => panic!("expected 429, got a stream"),
    }
    let quiet = server.sdk(&server.down_key);
    assert!(
        quiet.chat_text("t", "hello").await.is_ok(),
        "another visitor is not affected"
    );
}

#[tokio::test]
async fn one_address_over_its_limit_gets_a_readable_429() {
    let server = TestServer::in_process_with(|config| {
        config.limits.requests_per_ip_per_minute = per_minute(3)
    })
    .await;
    let url = format!("{}/v1/widgets/{}/config", server.url, server.faq_key);
    let get = || server.client().get(&url).header("origin", SITE).send();
    for _ in 0..3 {
        assert_eq!(get().await.unwrap().status(), 200);
    }
    let limited = get().await.unwrap();
    // The page's script must be able to read both the error and the wait.
    assert_eq!(limited.headers()["access-control-allow-origin"], SITE);
    let exposed = limited.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    let message = assert_api_error(limited, 429, "rate_limited").await;
    assert!(message.contains("try again"), "{message}");
}

#[tokio::test]
async fn a_widget_starts_only_so_many_sessions_a_minute() {
    // One a minute: the next is a minute away, longer than the SDK waits by
    // itself, so the limit reaches the caller.
    let server = TestServer::in_process_with(|config| {
        config.limits.sessions_per_key_per_minute = per_minute(1)
    })
    .await;
    server
        .sdk(&server.faq_key)
        .session()
        .await
        .expect("within the limit");
    let error = server.sdk(&server.faq_key).session().await.unwrap_err();
    assert_eq!(error.code(), "rate_limited");
    assert!(
        matches!(error, sitekit_sdk::Error::Api { retry_after: Some(wait), .. } if wait > 30),
        "{error:?}"
    );
    // Another widget has its own allowance.
    assert!(server.sdk(&server.failing_key).session().await.is_ok());
}

#[tokio::test]
async fn a_widgets_daily_budget_is_shared_by_its_visitors_and_counts_only_valid_messages() {
    let server = TestServer::in_process().await;
    let first = server.sdk(&server.budget_key);
    let token = first.session().await.unwrap().token;
    // A refused request uses no budget.
    let invalid = server
        .client()
        .post(format!("{}/v1/chat", server.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "threadId": "t", "runId": "r", "messages": [] }))
        .send()
        .await
        .unwrap();
    assert_api_error(invalid, 400, "invalid_body").await;

    let _one = first
        .chat_text("t", "one")
        .await
        .expect("within the budget");
    let second = server.sdk(&server.budget_key);
    let _two = second
        .chat_text("t", "two")
        .await
        .expect("within the budget");
    for visitor in [&first, &second] {
        match visitor.chat_text("t", "three").await {
            Err(Error::Api {
                status,
                code,
                retry_after,
                ..
            }) => {
                assert_eq!((status, code.as_str()), (429, "budget_exhausted"));
                assert!(retry_after.is_some_and(|secs| (1..=86_400).contains(&secs)));
            }
            Err(other) => panic!("expected 429, got {other:?}"),
            Ok(_) => panic!("expected 429, got a stream"),
        }
    }
    // Other widgets have budgets of their own.
    assert!(
        server
            .sdk(&server.down_key)
            .chat_text("t", "hi")
            .await
            .is_ok()
    );
}

/// The status of `GET …/config` as if forwarded for `forwarded_for`.
async fn config_status(server: &TestServer, forwarded_for: &str) -> u16 {
    let url = format!("{}/v1/widgets/{}/config", server.url, server.faq_key);
    server
        .client()
        .get(&url)
        .header("origin", SITE)
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance() {
    let server = TestServer::in_process_with(|config| {
        config.limits.requests_per_ip_per_minute = per_minute(2);
        config.trusted_proxies = TrustedProxies::parse("127.0.0.0/8").unwrap();
    })
    .await;
    // Whatever a client writes left of what the proxy appended is ignored.
    for spoofed in ["6.6.6.6, 203.0.113.1", "7.7.7.7, 203.0.113.1"] {
        assert_eq!(config_status(&server, spoofed).await, 200);
    }
    assert_eq!(config_status(&server, "8.8.8.8, 203.0.113.1").await, 429);
    // Another client behind the same proxy is not affected.
    assert_eq!(config_status(&server, "203.0.113.2").await, 200);
    // IPv6 clients are counted per /64: two addresses of one /64 share an
    // allowance, the next /64 has its own.
    assert_eq!(config_status(&server, "2001:db8:0:1::1").await, 200);
    assert_eq!(config_status(&server, "2001:db8:0:1:ffff::2").await, 200);
    assert_eq!(config_status(&server, "2001:db8:0:1::3").await, 429);
    assert_eq!(config_status(&server, "2001:db8:0:2::1").await, 200);
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_for_is_ignored() {
    let server = TestServer::in_process_with(|config| {
        config.limits.requests_per_ip_per_minute = per_minute(2)
    })
    .await;
    // Each request claims another client; all come from one peer.
    assert_eq!(config_status(&server, "203.0.113.1").await, 200);
    assert_eq!(config_status(&server, "203.0.113.2").await, 200);
    assert_eq!(config_status(&server, "203.0.113.3").await, 429);
}

#[tokio::test]
async fn guessing_admin_keys_runs_into_a_limit_per_address() {
    let server = TestServer::in_process_with(|config| {
        config.limits.admin_requests_per_ip_per_minute = per_minute(3)
    })
    .await;
    // Well-formed keys (their checksum holds) that no one was given.
    let guesses: Vec<String> = (0..3)
        .map(|_| {
            sitekit_embed_server::keys::ParsedKey::generate(
                sitekit_embed_server::keys::KeyKind::Secret,
                sitekit_embed_server::keys::KeyMode::Live,
            )
            .expose()
            .to_owned()
        })
        .collect();
    for guess in &guesses {
        let response = server.get("/v1/widgets", guess).await;
        assert_api_error(response, 401, "invalid_key").await;
    }
    // The fourth is refused before any lookup, whatever key it carries.
    let real = server.secret_key().await;
    let response = server.get("/v1/widgets", &real).await;
    assert_api_error(response, 429, "rate_limited").await;
}
