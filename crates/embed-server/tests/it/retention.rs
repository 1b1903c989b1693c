//! What anyone with a publishable or admin key can make the server store does
//! not grow forever: usage events and the keys' audit trail are forgotten
//! after their retention, and a widget accepts so many usage events a day.

use std::time::Duration;

use serde_json::json;
use sitekit_embed_server::db::DAY_MS;
use sitekit_embed_server::db::{now_unix, now_unix_ms};
use sitekit_embed_server::usage::CountedEvent;
use sitekit_embed_server::usage::report::format_day;
use sitekit_embed_server::usage::{EventBatch, EventSender, NewUsageEvent};
use sitekit_sdk::wire::usage_types;

use crate::support::TestServer;
use crate::usage_events::{opened, post_to, results};

/// A widget load `days_ago` days ago, stored the way the route stores one.
fn load(ids: &crate::support::KeyIds, id: &str, days_ago: i64) -> EventBatch {
    let time_ms = now_unix_ms() - days_ago * DAY_MS;
    EventBatch {
        sender: EventSender {
            tenant_id: ids.tenant.clone(),
            agent_id: ids.agent.clone(),
            widget_id: ids.widget.clone(),
            key_id: ids.key.clone(),
            visitor_id: "vis_retention".into(),
            received_at_ms: time_ms,
        },
        events: vec![NewUsageEvent {
            source: "/visitors/retention".into(),
            id: id.into(),
            kind: usage_types::WIDGET_LOADED.into(),
            time_ms,
            data: None,
            counted: Some(CountedEvent::Load),
        }],
    }
}

async fn count(db_url: &str, sql: &str) -> i64 {
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    let count = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

/// Waits (at most 20 s) until `sql` counts `expected`.
async fn until_counted(db_url: &str, sql: &str, expected: i64) {
    for _ in 0..200 {
        if count(db_url, sql).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("`{sql}` never counted {expected}");
}

#[tokio::test]
async fn usage_and_key_events_past_their_retention_are_forgotten_and_reports_keep_them() {
    let server = TestServer::spawn().await;
    let ids = server.key_ids(&server.faq_key).await;
    let db = server.db().await;
    for (id, days_ago) in [("old", 40), ("recent", 2)] {
        db.record_usage_events(load(&ids, id, days_ago))
            .await
            .unwrap();
    }
    // A key made long ago, and one made now.
    let (old_key, _) = server.key(&server.tenant_id, &["--kind", "secret"]).await;
    let pool = sqlx::AnyPool::connect(&server.db_url).await.unwrap();
    sqlx::query("UPDATE key_events SET at = $1 WHERE key_id = $2")
        .bind(now_unix() - 500 * 86_400)
        .bind(&old_key)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (new_key, secret) = server.key(&server.tenant_id, &["--kind", "secret"]).await;

    // A node with a month's retention for usage events and the default for
    // key events forgets at its start, then every hour.
    let _node = server
        .another_node(&["--usage-event-retention-days", "30"])
        .await;
    let events = "SELECT COUNT(*) FROM usage_events WHERE source = '/visitors/retention'";
    until_counted(&server.db_url, events, 1).await;
    let old_events = format!("SELECT COUNT(*) FROM key_events WHERE key_id = '{old_key}'");
    until_counted(&server.db_url, &old_events, 0).await;
    let new_events = format!("SELECT COUNT(*) FROM key_events WHERE key_id = '{new_key}'");
    assert_eq!(count(&server.db_url, &new_events).await, 1);
    let left = "SELECT event_id FROM usage_events WHERE source = '/visitors/retention'";
    let pool = sqlx::AnyPool::connect(&server.db_url).await.unwrap();
    let kept: Vec<String> = sqlx::query_scalar(left).fetch_all(&pool).await.unwrap();
    assert_eq!(kept, ["recent"]);

    // The usage report still counts the forgotten load: roll-ups are kept.
    let day = format_day((now_unix_ms() - 40 * DAY_MS).div_euclid(DAY_MS));
    let report: serde_json::Value = server
        .admin(
            reqwest::Method::GET,
            &format!("/v1/usage?from={day}&to={day}&widgetId={}", ids.widget),
            &secret,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["totals"]["loads"], 1, "{report}");
}

#[tokio::test]
async fn a_widget_accepts_so_many_usage_events_a_day() {
    let server =
        TestServer::in_process_with(|config| config.usage_events_per_widget_per_day = 3).await;
    let (token, _) = server.session(&server.faq_key).await;
    let first = json!([opened("a"), opened("b")]);
    let answered = results(post_to(&server.url, &token, &first).await).await;
    assert!(answered.iter().all(|(_, status, _)| status == "accepted"));
    // Duplicates do not count: the day still has room for one more batch.
    let again = json!([opened("a"), opened("c"), opened("d")]);
    let answered = results(post_to(&server.url, &token, &again).await).await;
    let statuses: Vec<&str> = answered.iter().map(|(_, s, _)| s.as_str()).collect();
    assert_eq!(statuses, ["duplicate", "accepted", "accepted"]);
    // Four accepted: the day went one batch past its three and is full; the
    // next events are rejected and not stored.
    let full = json!([opened("e")]);
    let answered = results(post_to(&server.url, &token, &full).await).await;
    assert_eq!(
        answered,
        [(
            "e".into(),
            "rejected".into(),
            Some("daily_limit_reached".into())
        )]
    );
    let stored = format!(
        "SELECT COUNT(*) FROM usage_events WHERE widget_id = '{}'",
        server.key_ids(&server.faq_key).await.widget
    );
    assert_eq!(count(&server.db_url, &stored).await, 4);
    // Another widget's day is its own.
    let (other, _) = server.session(&server.failing_key).await;
    let answered = results(post_to(&server.url, &other, &json!([opened("a")])).await).await;
    assert_eq!(answered[0].1, "accepted");
}
