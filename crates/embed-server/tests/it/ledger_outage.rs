//! Writes through a database outage: a run that ends while the database
//! cannot be reached is written once it is back, however long it was away,
//! and counted once; usage events that keep coming while the connections they
//! are written on break are each stored and counted once when sent again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;
use sitekit_embed_server::chat::run_ledger::RunEntry;
use sitekit_embed_server::chat::{ThreadKey, Turn};
use sitekit_embed_server::db::{Db, now_unix_ms};
use sitekit_embed_server::usage::{CountedEvent, EventBatch, EventSender, NewUsageEvent, UsageRun};
use sitekit_sdk::wire::usage_types;

use crate::support::relay::{Relay, host_and_port};
use crate::support::{KeyIds, TestServer, open_db};
use crate::usage::report;

/// Longer than the retries of a write the database refuses (about ten
/// seconds), which an outage once used up and then dropped the run.
const AWAY: Duration = Duration::from_secs(15);

/// A server, its secret key, the FAQ widget's ids, and a node whose database
/// is behind a relay the test cuts; `None` on SQLite, whose file is the
/// server's own and cannot be out of reach (the PostgreSQL pass of the suite
/// runs these tests).
struct BehindRelay {
    server: TestServer,
    secret: String,
    faq: KeyIds,
    relay: Relay,
    node: Db,
}

async fn node_behind_relay() -> Option<BehindRelay> {
    let server = TestServer::in_process().await;
    if server.db_url.starts_with("sqlite:") {
        eprintln!("a database out of reach: PostgreSQL only");
        return None;
    }
    let secret = server.secret_key().await;
    let faq = server.key_ids(&server.faq_key).await;
    let relay = Relay::start(host_and_port(&server.db_url)).await;
    let node = open_db(&relay.url_for(&server.db_url)).await;
    Some(BehindRelay {
        server,
        secret,
        faq,
        relay,
        node,
    })
}

#[tokio::test]
async fn a_run_that_ends_while_the_database_is_away_is_recorded_once_it_is_back() {
    let Some(BehindRelay {
        server,
        secret,
        faq,
        relay,
        node,
    }) = node_behind_relay().await
    else {
        return;
    };
    let thread = ThreadKey {
        widget_id: faq.widget.clone(),
        visitor_id: "vis_outage".into(),
        thread_id: "thread-outage".into(),
    };
    let now = now_unix_ms();
    let record = UsageRun {
        id: "run_outage".into(),
        tenant_id: faq.tenant.clone(),
        agent_id: faq.agent.clone(),
        agent_version: 1,
        widget_id: faq.widget.clone(),
        key_id: faq.key.clone(),
        visitor_id: thread.visitor_id.clone(),
        thread_id: thread.thread_id.clone(),
        run_id: "r-outage".into(),
        input_chars: 8,
        output_chars: 6,
        input_tokens: None,
        output_tokens: None,
        first_event_ms: Some(5),
        duration_ms: 20,
        outcome: "ok".into(),
        started_at_ms: now,
    };
    let turn = Turn {
        run_id: record.run_id.clone(),
        question: "Are you?".into(),
        answer: "I am.".into(),
        at_ms: now,
    };

    relay.cut();
    node.note_run(RunEntry::Ended {
        record,
        thread: thread.clone(),
        turn,
    });
    tokio::time::sleep(AWAY).await;
    let direct = server.db().await;
    let counted = report(&server.url, &secret, "").await;
    assert_eq!(
        counted["totals"]["runs"], 0,
        "nothing got through: {counted}"
    );
    relay.restore();

    let mut messages = Vec::new();
    for _ in 0..300 {
        messages = direct.thread_messages(&thread, 10).await.unwrap();
        if !messages.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let contents: Vec<_> = messages
        .iter()
        .map(|message| message.content.clone().unwrap_or_default())
        .collect();
    assert_eq!(contents, ["Are you?", "I am."], "the turn, once");
    let counted = report(&server.url, &secret, "").await;
    let totals = &counted["totals"];
    assert_eq!(
        (
            &totals["runs"],
            &totals["inputChars"],
            &totals["outputChars"]
        ),
        (&json!(1), &json!(8), &json!(6)),
        "the run, counted once: {counted}"
    );
}

#[tokio::test]
async fn usage_events_sent_while_their_connections_break_are_each_counted_once() {
    const SENDERS: usize = 4;
    const BATCHES: usize = 30;
    const EVENTS: usize = 5;
    let Some(BehindRelay {
        server,
        secret,
        faq,
        relay,
        node,
    }) = node_behind_relay().await
    else {
        return;
    };
    let now = now_unix_ms();
    let batch = |sender: usize, number: usize| EventBatch {
        sender: EventSender {
            tenant_id: faq.tenant.clone(),
            agent_id: faq.agent.clone(),
            widget_id: faq.widget.clone(),
            key_id: faq.key.clone(),
            visitor_id: format!("v{sender}"),
            received_at_ms: now,
        },
        events: (0..EVENTS)
            .map(|event| NewUsageEvent {
                source: format!("/visitors/v{sender}"),
                id: format!("e{number}-{event}"),
                kind: usage_types::WIDGET_LOADED.into(),
                time_ms: now,
                data: None,
                counted: Some(CountedEvent::Load),
            })
            .collect(),
    };
    let answered = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);

    // Each sender posts its batches one after another and sends a batch that
    // failed again at once, as a page does when it got no answer, so the
    // group-commit lines stay busy and keep their connections; the relay is
    // cut under them a third of the way through.
    let send = |sender: usize| {
        let (node, answered, failures, batch) = (&node, &answered, &failures, &batch);
        async move {
            for number in 0..BATCHES {
                while node
                    .record_usage_events(batch(sender, number))
                    .await
                    .is_err()
                {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
                answered.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    let outage = async {
        while answered.load(Ordering::SeqCst) < SENDERS * BATCHES / 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        relay.cut();
        tokio::time::sleep(Duration::from_secs(1)).await;
        relay.restore();
    };
    tokio::time::timeout(
        Duration::from_secs(60),
        futures_util::future::join(join_all((0..SENDERS).map(send)), outage),
    )
    .await
    .expect("every batch stored within a minute of the database coming back");
    assert!(
        failures.load(Ordering::SeqCst) > 0,
        "some batches were sent while the database was away"
    );

    let counted = report(&server.url, &secret, "").await;
    assert_eq!(
        counted["totals"]["loads"],
        SENDERS * BATCHES * EVENTS,
        "every event once, none lost and none twice: {counted}"
    );
}
