//! Usage counts exactly once: a batch of usage events sent again, sent
//! concurrently, sent to a restarted server, or sent again by a client that
//! never got the answer; a chat run, and its record written again. A batch
//! that cannot be stored fails alone.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{Value, json};
use sitekit_embed_server::db::now_unix_ms;
use sitekit_embed_server::tenants::TenantScope;
use sitekit_embed_server::usage::{
    CountedEvent, EventBatch, EventSender, NewUsageEvent, UsageFilter,
};
use sitekit_sdk::wire::usage_types;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::AsyncWriteExt;

use crate::support::{SITE, TestServer};
use crate::usage::{report, wait_for_runs};

/// One event of each type, ids prefixed with `prefix`: a load, an open, a thumbs
/// up and a thumbs down (counted), a sent message and a page's own event (stored
/// only).
pub fn one_of_each(prefix: &str) -> Value {
    let time = OffsetDateTime::now_utc().format(&Rfc3339).unwrap();
    let event = |id: &str, kind: &str, data: Option<Value>| {
        let mut event = json!({ "specversion": "1.0", "id": format!("{prefix}-{id}"),
            "source": "/visitors/v1", "type": kind, "time": time });
        if let Some(data) = data {
            event["data"] = data;
        }
        event
    };
    json!([
        event("loaded", usage_types::WIDGET_LOADED, None),
        event("opened", usage_types::WIDGET_OPENED, None),
        event(
            "up",
            usage_types::FEEDBACK,
            Some(json!({ "runId": "r1", "rating": "up" }))
        ),
        event(
            "down",
            usage_types::FEEDBACK,
            Some(json!({ "runId": "r2", "rating": "down" }))
        ),
        event(
            "sent",
            usage_types::MESSAGE_SENT,
            Some(json!({ "threadId": "t1", "runId": "r1" }))
        ),
        event(
            "track",
            usage_types::TRACK,
            Some(json!({ "name": "pricing_viewed" }))
        ),
    ])
}

/// Posts a batch; returns each event's status.
pub async fn post(url: &str, token: &str, batch: &Value) -> Vec<String> {
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/usage/events"))
        .header("origin", SITE)
        .header("content-type", "application/cloudevents-batch+json")
        .bearer_auth(token)
        .body(batch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["status"].as_str().unwrap().to_owned())
        .collect()
}

/// The event counters of a report's totals: (loads, opens, up, down).
fn event_totals(report: &Value) -> (i64, i64, i64, i64) {
    let totals = &report["totals"];
    let count = |name: &str| totals[name].as_i64().unwrap();
    (
        count("loads"),
        count("opens"),
        count("feedbackUp"),
        count("feedbackDown"),
    )
}

#[tokio::test]
async fn a_batch_counts_once_sent_again_concurrently_or_to_a_restarted_server() {
    let mut server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let token = server.sdk(&server.faq_key).session().await.unwrap().token;

    // Twice, one after the other: the second time every event is a duplicate.
    let first = one_of_each("seq");
    assert!(
        post(&server.url, &token, &first)
            .await
            .iter()
            .all(|s| s == "accepted")
    );
    assert!(
        post(&server.url, &token, &first)
            .await
            .iter()
            .all(|s| s == "duplicate")
    );
    assert_eq!(
        event_totals(&report(&server.url, &secret, "").await),
        (1, 1, 1, 1)
    );

    // Eight times at once: each event is accepted by exactly one of them.
    let concurrent = one_of_each("conc");
    let answers = join_all((0..8).map(|_| post(&server.url, &token, &concurrent))).await;
    for event in 0..6 {
        let accepted = answers.iter().filter(|a| a[event] == "accepted").count();
        assert_eq!(accepted, 1, "event {event}: {answers:?}");
    }
    let before_restart = report(&server.url, &secret, "").await;
    assert_eq!(event_totals(&before_restart), (2, 2, 2, 2));

    // A new server process on the same database knows them all.
    server.terminate();
    assert!(server.exited_within(Duration::from_secs(10)).await);
    let restarted = server.another_node(&[]).await;
    for batch in [&first, &concurrent] {
        let statuses = post(&restarted.url, &token, batch).await;
        assert!(statuses.iter().all(|s| s == "duplicate"), "{statuses:?}");
    }
    let after = report(&restarted.url, &secret, "").await;
    assert_eq!(after, before_restart);
    let fresh = one_of_each("after");
    assert!(
        post(&restarted.url, &token, &fresh)
            .await
            .iter()
            .all(|s| s == "accepted")
    );
    assert_eq!(
        event_totals(&report(&restarted.url, &secret, "").await),
        (3, 3, 3, 3)
    );
}

#[tokio::test]
async fn a_client_that_never_got_the_answer_and_sends_again_counts_once() {
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let token = server.sdk(&server.faq_key).session().await.unwrap().token;
    let address = server.url.trim_start_matches("http://").to_owned();

    // The connection goes away at a different moment each time: before the
    // server reads the whole body, while it stores the batch, after it has
    // committed. Whatever happened, sending the batch again settles it.
    for (attempt, wait_ms) in [0, 1, 2, 5, 10, 20, 50].into_iter().enumerate() {
        let batch = one_of_each(&format!("lost-{attempt}"));
        let body = batch.to_string();
        let request = format!(
            "POST /v1/usage/events HTTP/1.1\r\nhost: {address}\r\norigin: {SITE}\r\n\
             authorization: Bearer {token}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        drop(stream);

        let statuses = post(&server.url, &token, &batch).await;
        assert!(
            statuses.iter().all(|s| s == "accepted" || s == "duplicate"),
            "{statuses:?}"
        );
        // All or nothing: the lost answer's batch was stored whole or not at all.
        assert!(
            statuses.iter().all(|s| s == &statuses[0]),
            "attempt {attempt}: {statuses:?}"
        );
        let expected = i64::try_from(attempt).unwrap() + 1;
        let totals = event_totals(&report(&server.url, &secret, "").await);
        assert_eq!(totals, (expected, expected, expected, expected));
    }
}

#[tokio::test]
async fn a_chat_run_counts_once_and_its_record_written_again_counts_nothing() {
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let faq = server.key_ids(&server.faq_key).await;
    let visitor = server.sdk(&server.faq_key);
    let question = "How do I install the snippet?";
    let mut answer = String::new();
    let mut stream = visitor.answer("thread-once", question).await.unwrap();
    while let Some(delta) = futures_util::StreamExt::next(&mut stream).await {
        answer.push_str(&delta.unwrap());
    }
    wait_for_runs(&server.db_url, 1).await;

    let once = report(&server.url, &secret, "").await;
    let totals = &once["totals"];
    assert_eq!(
        (
            &totals["runs"],
            &totals["messages"],
            &totals["conversations"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{once}"
    );
    assert_eq!(totals["inputChars"], question.chars().count(), "{once}");
    assert_eq!(totals["outputChars"], answer.chars().count(), "{once}");
    assert_eq!(totals["errors"], json!({}), "{once}");
    assert_eq!(once["days"][0]["keyId"], faq.key.as_str());

    // The metering task writes a record again when an attempt failed, perhaps
    // after it committed: the same record id is stored and counted once.
    let db = server.db().await;
    let filter = UsageFilter {
        scope: TenantScope::one(server.tenant_id.clone()),
        agent_id: None,
        widget_id: None,
        key_id: None,
        from_day: 0,
        to_day: 100_000,
    };
    let stored = db.runs_page(&filter, None, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!db.record_run(&stored[0]).await.unwrap());
    // A new record written by eight tasks at once is counted by one.
    let again = sitekit_embed_server::usage::UsageRun {
        id: "run_concurrent_once".into(),
        run_id: "r-2".into(),
        ..stored[0].clone()
    };
    let written = join_all((0..8).map(|_| db.record_run(&again))).await;
    let inserted = written.into_iter().filter(|w| *w.as_ref().unwrap()).count();
    assert_eq!(inserted, 1);

    let twice = report(&server.url, &secret, "").await;
    let totals = &twice["totals"];
    assert_eq!(
        (
            &totals["runs"],
            &totals["messages"],
            &totals["conversations"]
        ),
        (&json!(2), &json!(2), &json!(1)),
        "a second run of the same thread is no new conversation: {twice}"
    );
}

#[tokio::test]
async fn a_batch_that_cannot_be_stored_fails_alone_and_the_others_count() {
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let faq = server.key_ids(&server.faq_key).await;
    let db = server.db().await;
    refuse_events_of_unknown_tenants(&server.db_url).await;
    let now = now_unix_ms();
    // A batch of loads; one naming a tenant that does not exist cannot be
    // stored.
    let batch = |tenant_id: &str, ids: &[&str]| EventBatch {
        sender: EventSender {
            tenant_id: tenant_id.to_owned(),
            agent_id: faq.agent.clone(),
            widget_id: faq.widget.clone(),
            key_id: faq.key.clone(),
            visitor_id: "v1".into(),
            received_at_ms: now,
        },
        events: ids
            .iter()
            .map(|id| NewUsageEvent {
                source: "/visitors/v1".into(),
                id: (*id).to_owned(),
                kind: usage_types::WIDGET_LOADED.into(),
                time_ms: now,
                data: None,
                counted: Some(CountedEvent::Load),
            })
            .collect(),
    };

    // Sent at once on this single-threaded runtime: the first starts the
    // writer and the others wait for it, so on SQLite the three are one group
    // commit, which fails and is written again batch by batch.
    let (first, broken, last) = tokio::join!(
        db.record_usage_events(batch(&faq.tenant, &["a1", "a2"])),
        db.record_usage_events(batch("ten_missing", &["b1"])),
        db.record_usage_events(batch(&faq.tenant, &["c1", "c2", "c3"])),
    );
    assert_eq!(first.unwrap().len(), 2);
    assert!(broken.is_err(), "{broken:?}");
    assert_eq!(last.unwrap().len(), 3);
    let counted = report(&server.url, &secret, "").await;
    assert_eq!(counted["totals"]["loads"], 5, "{counted}");
}

#[tokio::test]
async fn an_event_another_writer_stores_meanwhile_is_a_duplicate_and_counts_once() {
    let server = TestServer::spawn().await;
    if server.db_url.starts_with("sqlite:") {
        // SQLite has one writer, the server: nothing stores meanwhile. The
        // PostgreSQL pass of the suite runs this.
        eprintln!("another writer meanwhile: PostgreSQL only");
        return;
    }
    let secret = server.secret_key().await;
    let faq = server.key_ids(&server.faq_key).await;
    let db = server.db().await;
    let now = now_unix_ms();
    let events = (0..60)
        .map(|n| NewUsageEvent {
            source: "/visitors/v1".into(),
            id: format!("e{n:02}"),
            kind: usage_types::WIDGET_LOADED.into(),
            time_ms: now,
            data: None,
            counted: Some(CountedEvent::Load),
        })
        .collect();
    let batch = EventBatch {
        sender: EventSender {
            tenant_id: faq.tenant.clone(),
            agent_id: faq.agent.clone(),
            widget_id: faq.widget.clone(),
            key_id: faq.key.clone(),
            visitor_id: "v1".into(),
            received_at_ms: now,
        },
        events,
    };
    // Another writer (another node, say) is storing one of the events and
    // has not committed: the batch's insert meets it, waits for that commit
    // and then skips it.
    let other = sqlx::AnyPool::connect(&server.db_url).await.unwrap();
    let mut meanwhile = other.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO usage_events (tenant_id, agent_id, widget_id, key_id, visitor_id, \
         received_at, source, event_id, event_type, occurred_at) \
         VALUES ($1, $2, $3, $4, 'v1', $5, '/visitors/v1', 'e30', $6, $5)",
    )
    .bind(&faq.tenant)
    .bind(&faq.agent)
    .bind(&faq.widget)
    .bind(&faq.key)
    .bind(now)
    .bind(usage_types::WIDGET_LOADED)
    .execute(&mut *meanwhile)
    .await
    .unwrap();
    let storing = tokio::spawn(async move { db.record_usage_events(batch).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    meanwhile.commit().await.unwrap();
    let stored = storing.await.unwrap().unwrap();
    assert_eq!(stored.len(), 59, "all but the other writer's event are new");
    assert!(!stored.contains(&("/visitors/v1".to_owned(), "e30".to_owned())));
    // The other writer's event is its own to count (this one added no
    // roll-up for it): the batch counted its 59.
    let counted = report(&server.url, &secret, "").await;
    assert_eq!(counted["totals"]["loads"], 59, "{counted}");
    other.close().await;
}

/// A database that refuses one batch: the server checks no reference when it
/// stores usage events (it writes them only for the widget it has just looked
/// up), so a trigger refuses those naming an unknown tenant.
async fn refuse_events_of_unknown_tenants(db_url: &str) {
    let statements: &[&'static str] = if db_url.starts_with("sqlite:") {
        &[
            "CREATE TRIGGER refuse_unknown_tenant BEFORE INSERT ON usage_events \
           WHEN NEW.tenant_id NOT IN (SELECT id FROM tenants) \
           BEGIN SELECT RAISE(ABORT, 'no such tenant'); END",
        ]
    } else {
        &[
            "CREATE FUNCTION refuse_unknown_tenant() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = NEW.tenant_id) THEN \
             RAISE EXCEPTION 'no such tenant'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_unknown_tenant BEFORE INSERT ON usage_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_unknown_tenant()",
        ]
    };
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    for statement in statements {
        sqlx::raw_sql(*statement).execute(&pool).await.unwrap();
    }
    pool.close().await;
}
