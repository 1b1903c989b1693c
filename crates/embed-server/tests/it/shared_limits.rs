//! Rate limits shared by every node through a real Redis: two `sitekit serve`
//! nodes with one `--redis-url` allow an address its limit once between
//! them; two limiters draw on one allowance, each allowance is its own, and a
//! Redis that goes away is reported, then used again once it is back.

use std::num::NonZeroU32;
use std::time::Duration;

use sitekit_embed_server::limits::shared::{Decision, SharedLimiter};

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
