//! Rate limits and stream caps shared by every node through a real Redis: two
//! `sitekit serve` nodes with one `--redis-url` allow an address its limit
//! once between them and a widget its open streams once; two limiters draw
//! on one allowance, each allowance is its own, a lost stream lease ends by
//! itself, and a Redis that goes away is reported, then used again once it
//! is back.

use std::num::NonZeroU32;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use sitekit_embed_server::limits::shared::{Decision, SharedLimiter};
use sitekit_sdk::Client;
use sitekit_sdk::agui::Event;

use crate::fake_langflow::{Behaviour, fake_runtime, widget_with};
use crate::support::redis::Redis;
use crate::support::{SITE, TestServer, assert_api_error};

fn per_minute(rate: u32) -> NonZeroU32 {
    NonZeroU32::new(rate).unwrap()
}

#[tokio::test]
async fn two_nodes_share_one_allowance_and_not_twice_it() {
    let redis = Redis::start().await;
    let node_a = SharedLimiter::new(&redis.url(), "sitekit-test").unwrap();
    let node_c = SharedLimiter::new(&redis.url(), "sitekit-test").unwrap();

    let mut allowed = 0;
    let mut refused = Vec::new();
    for turn in 0..30 {
        let node = if turn % 2 == 0 { &node_a } else { &node_c };
        match node.check("visitor:w:v", per_minute(10)).await.unwrap() {
            Decision::Allowed => allowed += 1,
            Decision::Wait(wait) => refused.push(wait),
        }
    }
    assert_eq!(allowed, 10, "10 a minute over both nodes");
    assert_eq!(refused.len(), 20);
    // The next unit of a 10-a-minute allowance comes within 6 s.
    for wait in refused {
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(6),
            "{wait:?}"
        );
    }
    // Another visitor, and another install's keys, have allowances of their own.
    assert_eq!(
        node_c
            .check("visitor:w:other", per_minute(10))
            .await
            .unwrap(),
        Decision::Allowed
    );
    let elsewhere = SharedLimiter::new(&redis.url(), "another-install").unwrap();
    assert_eq!(
        elsewhere
            .check("visitor:w:v", per_minute(10))
            .await
            .unwrap(),
        Decision::Allowed
    );
}

#[tokio::test]
async fn a_redis_that_goes_away_is_reported_and_used_again_when_back() {
    let mut redis = Redis::start().await;
    let node = SharedLimiter::new(&redis.url(), "sitekit-test").unwrap();
    assert_eq!(
        node.check("ip:192.0.2.1", per_minute(1)).await.unwrap(),
        Decision::Allowed
    );
    redis.stop().await;
    assert!(node.check("ip:192.0.2.1", per_minute(1)).await.is_err());

    redis.restart().await;
    // The connection comes back by itself; the restarted Redis kept nothing.
    let mut decision = node.check("ip:192.0.2.1", per_minute(1)).await;
    for _ in 0..40 {
        if decision.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        decision = node.check("ip:192.0.2.1", per_minute(1)).await;
    }
    assert_eq!(decision.unwrap(), Decision::Allowed);
    assert!(matches!(
        node.check("ip:192.0.2.1", per_minute(1)).await.unwrap(),
        Decision::Wait(_)
    ));
}

#[tokio::test]
async fn a_redis_away_at_start_is_used_once_it_is_there() {
    let mut redis = Redis::start().await;
    redis.stop().await;
    let node = SharedLimiter::new(&redis.url(), "sitekit-test").unwrap();
    assert!(node.check("ip:192.0.2.9", per_minute(1)).await.is_err());
    redis.restart().await;
    let mut decision = node.check("ip:192.0.2.9", per_minute(1)).await;
    for _ in 0..40 {
        if decision.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        decision = node.check("ip:192.0.2.9", per_minute(1)).await;
    }
    assert_eq!(decision.unwrap(), Decision::Allowed);
}

#[tokio::test]
async fn two_server_nodes_allow_an_address_its_limit_once_between_them() {
    let redis = Redis::start().await;
    let url = redis.url();
    let args = [
        "--redis-url",
        url.as_str(),
        "--requests-per-ip-per-minute",
        "10",
    ];
    let node_a = TestServer::spawn_with(&args).await;
    let node_c = node_a.another_node(&args).await;
    let config = |node: &str| format!("{node}/v1/widgets/{}/config", node_a.faq_key);
    let (mut allowed, mut limited) = (0, Vec::new());
    for turn in 0..20 {
        let node = if turn % 2 == 0 {
            &node_a.url
        } else {
            &node_c.url
        };
        let answer = node_a
            .client()
            .get(config(node))
            .header("origin", SITE)
            .send()
            .await
            .unwrap();
        if answer.status() == 200 {
            allowed += 1;
        } else {
            limited.push(answer);
        }
    }
    assert_eq!(
        allowed, 10,
        "10 a minute from this address over both nodes, not 20"
    );
    for answer in limited {
        assert_api_error(answer, 429, "rate_limited").await;
    }
}

#[tokio::test]
async fn a_cap_on_open_streams_holds_over_every_node_and_a_lost_lease_ends_by_itself() {
    let redis = Redis::start().await;
    let node_a = SharedLimiter::new(&redis.url(), "sitekit-test").unwrap();
    let node_c = SharedLimiter::new(&redis.url(), "sitekit-test").unwrap();
    let short = Duration::from_millis(500);
    let long = Duration::from_secs(60);
    assert!(node_a.lease("streams:w", "a:0", 2, long).await.unwrap());
    assert!(node_c.lease("streams:w", "c:0", 2, short).await.unwrap());
    assert!(!node_a.lease("streams:w", "a:1", 2, long).await.unwrap());
    assert!(
        node_c.lease("streams:other", "c:1", 2, long).await.unwrap(),
        "another widget's cap is its own"
    );
    // A node that dies never gives its place back: its lease ends instead.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(node_a.lease("streams:w", "a:2", 2, long).await.unwrap());
    assert!(!node_c.lease("streams:w", "c:2", 2, long).await.unwrap());
    node_a.release("streams:w", "a:0").await;
    assert!(node_c.lease("streams:w", "c:3", 2, long).await.unwrap());
}

#[tokio::test]
async fn a_widgets_stream_cap_holds_over_two_server_nodes() {
    let redis = Redis::start().await;
    let url = redis.url();
    let args = [
        "--redis-url",
        url.as_str(),
        "--max-streams-per-widget",
        "2",
        "--requests-per-ip-per-minute",
        "10000",
    ];
    let node_a = TestServer::spawn_with(&args).await;
    let node_c = node_a.another_node(&args).await;
    let runtime = fake_runtime(Behaviour::Endless).await;
    let timeouts =
        json!({ "connectMs": 5000, "firstEventMs": 30000, "idleMs": 30000, "totalMs": 120000 });
    let key = widget_with(&node_a, &runtime.url, timeouts, json!({})).await;
    let on_a = node_a.sdk(&key);
    let on_c = Client::new(&node_c.url, &key).with_origin(SITE);

    let first = streaming(&on_a, "first").await;
    let _second = streaming(&on_c, "second").await;
    for node in [&on_a, &on_c] {
        match node.chat_text("third", "hello").await {
            Err(sitekit_sdk::Error::Api {
                status: 429, code, ..
            }) => assert_eq!(code, "too_many_streams"),
            Err(other) => panic!("expected 429 too_many_streams, got {other:?}"),
            Ok(_) => panic!("a third stream of a widget capped at 2 over both nodes"),
        }
    }
    // The visitor on node A leaves: its place is free on every node.
    drop(first);
    let mut third = on_c.chat_text("third", "hello").await;
    for _ in 0..20 {
        if third.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        third = on_c.chat_text("third", "hello").await;
    }
    assert!(
        third.is_ok(),
        "the place freed on node A: {:?}",
        third.err()
    );
}

/// A visitor's run through `client`, once its answer is flowing.
async fn streaming(client: &Client, thread: &str) -> sitekit_sdk::EventStream {
    let mut stream = client.chat_text(thread, "hello").await.unwrap();
    while let Some(event) = stream.next().await {
        if matches!(event.unwrap(), Event::TextMessageContent { .. }) {
            return stream;
        }
    }
    panic!("the run on {thread} ended before its answer flowed");
}
