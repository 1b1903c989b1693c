//! Three `sitekit serve` nodes on one database (PostgreSQL in the second
//! run of these tests) and one real Redis, as an install past one machine
//! runs: a visitor's limit holds in total over the nodes, not once per node;
//! while Redis is away chats go on under each node's own limits, and once it
//! is back the limits are shared again; a key revoked on one node is refused
//! by the others within the key refresh interval; a rotated signing key and a
//! widget's new settings reach every node; runs of one thread that end at
//! once on different nodes are all kept; a node killed mid-answer ends its
//! visitor's run with one error, and another node records the run, once.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::keys::ParsedKey;
use sitekit_sdk::Client;
use sitekit_sdk::agui::Event;

use crate::fake_langflow::{Behaviour, fake_runtime, widget_with};
use crate::metering::usage_of_run;
use crate::readiness::sample;
use crate::support::redis::Redis;
use crate::support::{
    Node, SITE, TestServer, assert_api_error, kept_messages, session_is_accepted,
};

/// A visitor's messages a minute, over every node.
const VISITOR_LIMIT: usize = 10;

struct Cluster {
    redis: Redis,
    a: TestServer,
    b: Node,
    c: Node,
}

impl Cluster {
    async fn start() -> Cluster {
        let redis = Redis::start().await;
        let url = redis.url();
        let args = [
            "--redis-url",
            url.as_str(),
            "--messages-per-visitor-per-minute",
            "10",
            "--requests-per-ip-per-minute",
            "10000",
            "--sessions-per-ip-per-minute",
            "10000",
            "--key-refresh-secs",
            "1",
        ];
        let a = TestServer::spawn_with(&args).await;
        let b = a.another_node(&args).await;
        let c = a.another_node(&args).await;
        Cluster { redis, a, b, c }
    }

    fn nodes(&self) -> [&str; 3] {
        [&self.a.url, &self.b.url, &self.c.url]
    }

    /// One visitor of `key`, with a client on each node.
    async fn visitor(&self, key: &str) -> [Client; 3] {
        let first = Client::new(&self.a.url, key).with_origin(SITE);
        first.session().await.unwrap();
        let visitor = first.visitor_id().unwrap();
        let on = |url: &str| {
            Client::new(url, key)
                .with_origin(SITE)
                .with_visitor_id(visitor.clone())
        };
        [first, on(&self.b.url), on(&self.c.url)]
    }

    /// Where each node counts its limits, as its `/healthz` says.
    async fn counting(&self) -> Vec<String> {
        let mut counting = Vec::new();
        for node in self.nodes() {
            let health: Value = reqwest::get(format!("{node}/healthz"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            counting.push(health["limits"].as_str().unwrap().to_owned());
        }
        counting
    }
}

/// Sends `turns` messages from one visitor, each to the next node in turn,
/// then reads every answer to its end: how many were answered (the others
/// must have been refused by the rate limit), and how long the sending took.
async fn messages_answered(visitor: &[Client; 3], thread: &str, turns: usize) -> (usize, Duration) {
    let started = Instant::now();
    let mut answers = Vec::new();
    for turn in 0..turns {
        match visitor[turn % 3]
            .chat_text(thread, "What is Site Kit?")
            .await
        {
            Ok(events) => answers.push(events),
            Err(sitekit_sdk::Error::Api {
                status: 429, code, ..
            }) => assert_eq!(code, "rate_limited", "turn {turn}"),
            Err(other) => panic!("turn {turn}: {other:?}"),
        }
    }
    let sending = started.elapsed();
    for events in &mut answers {
        let mut last = None;
        while let Some(event) = events.next().await {
            last = Some(event.unwrap());
        }
        assert!(matches!(last, Some(Event::RunFinished { .. })), "{last:?}");
    }
    (answers.len(), sending)
}

/// Asserts `answered` is the visitor's limit once over the nodes: 10, and
/// one more for each 6 s the sending took (the allowance refills steadily).
fn assert_limited_once((answered, sending): (usize, Duration)) {
    let refilled = usize::try_from(sending.as_secs() / 6).unwrap();
    assert!(
        (VISITOR_LIMIT..=VISITOR_LIMIT + refilled).contains(&answered),
        "{answered} answered in {sending:?}: the limit is 10 a minute over the three nodes, not 30"
    );
}

#[tokio::test]
async fn a_visitors_limit_holds_over_three_nodes_and_each_node_limits_alone_while_redis_is_away() {
    let mut cluster = Cluster::start().await;
    let key = cluster.a.faq_key.clone();
    assert_eq!(cluster.counting().await, ["shared"; 3]);

    let visitor = cluster.visitor(&key).await;
    let answered = messages_answered(&visitor, "shared", 15).await;
    assert_limited_once(answered);
    // Runs of one thread that ended at once, on three nodes, all kept.
    let kept = kept_messages(&visitor[1], "shared", 2 * answered.0).await;
    assert_eq!(kept.len(), 2 * answered.0);

    cluster.redis.stop().await;
    let visitor = cluster.visitor(&key).await;
    // 4 on each node: within each node's own limit, past the shared one.
    assert_eq!(
        messages_answered(&visitor, "alone", 12).await.0,
        12,
        "chats go on under each node's own limits"
    );
    assert_eq!(cluster.counting().await, ["local_while_redis_is_away"; 3]);
    for node in cluster.nodes() {
        let metrics = reqwest::get(format!("{node}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(sample(&metrics, "sitekit_limits_redis_unreachable"), 1);
        assert_eq!(sample(&metrics, "sitekit_limits_redis_losses_total"), 1);
    }

    cluster.redis.restart().await;
    // Each node tries Redis again a few seconds after it failed, on a request.
    let mut counting = Vec::new();
    for _ in 0..60 {
        for node in cluster.nodes() {
            Client::new(node, &key)
                .with_origin(SITE)
                .config()
                .await
                .unwrap();
        }
        counting = cluster.counting().await;
        if counting == ["shared"; 3] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(counting, ["shared"; 3], "back on Redis");
    let visitor = cluster.visitor(&key).await;
    assert_limited_once(messages_answered(&visitor, "shared-again", 15).await);
}

#[tokio::test]
async fn keys_signing_secrets_and_widget_settings_changed_on_one_node_hold_on_every_node() {
    let cluster = Cluster::start().await;
    let secret = cluster.a.secret_key().await;
    let admin = |node: &str, method: Method, path: &str, body: Option<Value>| {
        let request = cluster
            .a
            .client()
            .request(method, format!("{node}{path}"))
            .bearer_auth(&secret);
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
        .send()
    };

    // A widget's new settings: every node serves them on the next page load.
    let faq_key = ParsedKey::parse(&cluster.a.faq_key).unwrap();
    let (faq, faq_key) = cluster
        .a
        .db()
        .await
        .widget_by_publishable_key(&faq_key)
        .await
        .unwrap()
        .unwrap();
    let renamed = admin(
        &cluster.a.url,
        Method::PATCH,
        &format!("/v1/widgets/{}", faq.id),
        Some(json!({ "title": "Renamed on node A" })),
    )
    .await
    .unwrap();
    assert_eq!(renamed.status(), 200);
    for node in cluster.nodes() {
        let config = Client::new(node, &cluster.a.faq_key)
            .with_origin(SITE)
            .config_json()
            .await
            .unwrap();
        assert!(config.contains("Renamed on node A"), "{node}: {config}");
    }

    // The stored signing key rotated: every node signs with the new one and
    // still accepts sessions signed with the previous one.
    let before = Client::new(&cluster.c.url, &cluster.a.faq_key)
        .with_origin(SITE)
        .session()
        .await
        .unwrap()
        .token;
    crate::signing::rotate(&cluster.a.db_url).await;
    let mut after = String::new();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        after = Client::new(&cluster.a.url, &cluster.a.faq_key)
            .with_origin(SITE)
            .session()
            .await
            .unwrap()
            .token;
        if session_is_accepted(&cluster.c.url, &after).await
            && session_is_accepted(&cluster.b.url, &after).await
        {
            break;
        }
    }
    for node in cluster.nodes() {
        assert!(session_is_accepted(node, &after).await, "{node}: new key");
        assert!(
            session_is_accepted(node, &before).await,
            "{node}: previous key"
        );
    }

    // A publishable key revoked through node A: its live session ends on node
    // C within the refresh interval (1 s here; 5 s by default).
    let session = Client::new(&cluster.c.url, &cluster.a.faq_key)
        .with_origin(SITE)
        .session()
        .await
        .unwrap()
        .token;
    assert!(session_is_accepted(&cluster.c.url, &session).await);
    let revoked = admin(
        &cluster.a.url,
        Method::POST,
        &format!("/v1/keys/{}/revoke", faq_key.id),
        None,
    )
    .await
    .unwrap();
    assert_eq!(revoked.status(), 204, "{}", revoked.text().await.unwrap());
    let mut refused = false;
    for _ in 0..40 {
        if !session_is_accepted(&cluster.c.url, &session).await {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        refused,
        "node C still took the session 10 s after the revocation"
    );
    let fresh = cluster
        .a
        .client()
        .post(format!("{}/v1/sessions", cluster.c.url))
        .header("origin", SITE)
        .json(&json!({ "publishableKey": cluster.a.faq_key }))
        .send()
        .await
        .unwrap();
    assert_api_error(fresh, 401, "key_revoked").await;
}

#[tokio::test]
async fn a_node_killed_mid_answer_ends_the_run_once_and_another_node_records_it_once() {
    let mut cluster = Cluster::start().await;
    let runtime = fake_runtime(Behaviour::Endless).await;
    let timeouts =
        json!({ "connectMs": 2000, "firstEventMs": 3000, "idleMs": 3000, "totalMs": 3000 });
    let key = widget_with(&cluster.a, &runtime.url, timeouts, json!({})).await;
    let on_b = Client::new(&cluster.b.url, &key).with_origin(SITE);
    let mut stream = on_b.chat_text("cut", "hello").await.unwrap();
    let mut run_id = None;
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            Event::RunStarted { run_id: id, .. } => run_id = Some(id),
            Event::TextMessageContent { .. } => break,
            _ => {}
        }
    }
    let run_id = run_id.expect("the run started");
    // The node notes the run as open off the visitor's path, moments after it
    // starts: what lets another node record it. Killed before that, nothing
    // knows of the run (on a loaded machine the note can lag the first text).
    let pool = sqlx::AnyPool::connect(&cluster.a.db_url).await.unwrap();
    // The run's rows in `table` (`open_runs` or `usage_runs`), once there are
    // any or `tries` waits of `pause` have passed.
    let rows_of_run = |table: &'static str, tries: u32, pause: Duration| {
        let (pool, run_id) = (&pool, &run_id);
        async move {
            let mut rows = 0;
            for _ in 0..tries {
                rows = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM {table} WHERE run_id = $1"
                )))
                .bind(run_id)
                .fetch_one(pool)
                .await
                .unwrap();
                if rows > 0 {
                    break;
                }
                tokio::time::sleep(pause).await;
            }
            rows
        }
    };
    assert_eq!(
        rows_of_run("open_runs", 100, Duration::from_millis(100)).await,
        1,
        "the run is noted as open within 10 s"
    );

    cluster.b.kill().await;
    let rest: Vec<_> = stream.collect().await;
    // Text that streamed while the note was written may come first; then one
    // RUN_ERROR ends the visitor's run, and nothing else.
    let (last, before) = rest.split_last().expect("the run ends");
    assert!(
        before
            .iter()
            .all(|event| matches!(event, Ok(Event::TextMessageContent { .. }))),
        "only text before the RUN_ERROR: {rest:?}"
    );
    match last {
        Ok(Event::RunError { code, .. }) => assert_eq!(code.as_deref(), Some("connection_lost")),
        other => panic!("not a RUN_ERROR: {other:?}"),
    }

    // Another node records the run once its time limit and margin have
    // passed (3 s + 10 s here), once, as `node_stopped`.
    rows_of_run("usage_runs", 160, Duration::from_millis(250)).await;
    let usage = usage_of_run(&cluster.a.db_url, "cut", &run_id).await;
    assert_eq!(usage["outcome"], "node_stopped", "{usage}");
    assert_eq!(usage["inputChars"], 5, "{usage}");
    // Two nodes look for lost runs every 5 s: neither counts it again.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(rows_of_run("usage_runs", 1, Duration::ZERO).await, 1);
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM open_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(open, 0, "the lost run is no longer open");
    pool.close().await;

    // The visitor asks again, on a node still running.
    let answer = Client::new(&cluster.c.url, &key)
        .with_origin(SITE)
        .chat_text("again", "hello")
        .await;
    assert!(answer.is_ok(), "{:?}", answer.err());
}
