//! The run ledger through a database outage: a run that ends while the
//! database cannot be reached is written once it is back, however long it was
//! away, and counted once.

use std::time::Duration;

use serde_json::json;
use sitekit_embed_server::chat::run_ledger::RunEntry;
use sitekit_embed_server::chat::{ThreadKey, Turn};
use sitekit_embed_server::db::now_unix_ms;
use sitekit_embed_server::usage::UsageRun;

use crate::support::relay::{Relay, host_and_port};
use crate::support::{TestServer, open_db};
use crate::usage::report;

/// Longer than the retries of a write the database refuses (about ten
/// seconds), which an outage once used up and then dropped the run.
const AWAY: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_run_that_ends_while_the_database_is_away_is_recorded_once_it_is_back() {
    let server = TestServer::in_process().await;
    if server.db_url.starts_with("sqlite:") {
        // A SQLite file is the server's own: it cannot be out of reach. The
        // PostgreSQL pass of the suite runs this.
        eprintln!("a database out of reach: PostgreSQL only");
        return;
    }
    let secret = server.secret_key().await;
    let faq = server.key_ids(&server.faq_key).await;
    // A node whose database is behind a relay the test cuts.
    let relay = Relay::start(host_and_port(&server.db_url)).await;
    let node = open_db(&relay.url_for(&server.db_url)).await;
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
