//! The roll-ups equal a recount from the raw records: many usage events of every
//! type from several widgets, keys and visitors over several days, posted in
//! random batches with random duplicates, some at once; many run records in
//! random order (so a thread's earlier run is often recorded after a later
//! one), some written twice; a few real chats. `GET /v1/usage` and the roll-up
//! tables must both equal what the test counts itself from `usage_runs` and
//! `usage_events`, and so must the migration's backfill of the same records.
//! Seeded: `SITEKIT_TEST_SEED=<n>` repeats a run.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::StreamExt;
use futures_util::future::join_all;
use serde_json::{Value, json};
use sitekit_embed_server::db::DAY_MS;
use sitekit_embed_server::db::{new_id, now_unix_ms};
use sitekit_embed_server::tenants::TenantScope;
use sitekit_embed_server::usage::UsageRun;
use sitekit_embed_server::usage::report::format_day;
use sitekit_sdk::admin::UsageCounts;
use sitekit_sdk::wire::usage_types;
use sqlx::{Column, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::KeyIds;
use crate::support::TestServer;
use crate::usage::{report, wait_for_runs};
use crate::usage_exactly_once::post;

const EVENTS: usize = 400;
const RUNS: usize = 250;
const REAL_CHATS: usize = 2;
/// Events and runs fall on the last this many days.
const SPREAD_DAYS: i64 = 30;

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let seed = std::env::var("SITEKIT_TEST_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or(0x5EED_2026_u64);
        eprintln!("usage_recount seed: {seed} (set SITEKIT_TEST_SEED to repeat)");
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    /// A time in the last [`SPREAD_DAYS`] days, in Unix milliseconds.
    fn recent_ms(&mut self, now_ms: i64) -> i64 {
        now_ms - 60_000 - (self.next() % (SPREAD_DAYS * DAY_MS) as u64) as i64
    }
}

/// A page's session: its token and what its events are counted under.
struct Sender {
    token: String,
    visitor: String,
    ids: KeyIds,
}

/// One usage event, sent one or more times.
#[derive(Clone)]
struct Event {
    widget: String,
    json: Value,
}

fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

fn random_event(rng: &mut Rng, id: usize, source: &str, now_ms: i64) -> Value {
    let kinds = [
        usage_types::WIDGET_LOADED,
        usage_types::WIDGET_OPENED,
        usage_types::MESSAGE_SENT,
        usage_types::FEEDBACK,
        usage_types::TRACK,
        usage_types::VISITOR_IDENTIFIED,
        usage_types::CSAT,
    ];
    let kind = *rng.pick(&kinds);
    let data = match kind {
        usage_types::MESSAGE_SENT => Some(json!({ "threadId": "t1", "runId": format!("r{id}") })),
        usage_types::FEEDBACK => Some(json!({
            "runId": format!("r{id}"),
            "rating": if rng.percent(60) { "up" } else { "down" },
        })),
        usage_types::TRACK => Some(json!({ "name": "pricing_viewed" })),
        usage_types::VISITOR_IDENTIFIED => Some(json!({ "id": format!("u{id}") })),
        usage_types::CSAT => Some(json!({ "threadId": format!("t{id}"), "score": 1 + id % 5 })),
        _ => None,
    };
    let mut event = json!({
        "specversion": "1.0", "id": format!("e{id}"), "source": source, "type": kind,
        "time": rfc3339(rng.recent_ms(now_ms)),
    });
    if let Some(data) = data {
        event["data"] = data;
    }
    event
}

/// (day, agent, widget, key): one row of the roll-ups.
type Cell = (i64, String, String, String);

/// What the raw tables add up to, counted here by the rules README states.
async fn recount(pool: &sqlx::AnyPool) -> BTreeMap<Cell, UsageCounts> {
    let mut cells: BTreeMap<Cell, UsageCounts> = BTreeMap::new();
    let runs = sqlx::query(
        "SELECT id, agent_id, widget_id, key_id, visitor_id, thread_id, input_chars, \
         output_chars, input_tokens, output_tokens, outcome, started_at FROM usage_runs",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    // Each thread's conversation counts on its earliest run (start time, then id).
    let mut first_of_thread: HashMap<(String, String, String), (i64, String, Cell)> =
        HashMap::new();
    for row in &runs {
        let started: i64 = row.get("started_at");
        let cell: Cell = (
            started.div_euclid(DAY_MS),
            row.get("agent_id"),
            row.get("widget_id"),
            row.get("key_id"),
        );
        let counts = cells.entry(cell.clone()).or_default();
        counts.runs += 1;
        counts.messages += 1;
        counts.input_chars += row.get::<i64, _>("input_chars");
        counts.output_chars += row.get::<i64, _>("output_chars");
        counts.input_tokens += row.get::<Option<i64>, _>("input_tokens").unwrap_or(0);
        counts.output_tokens += row.get::<Option<i64>, _>("output_tokens").unwrap_or(0);
        let outcome: String = row.get("outcome");
        if outcome != "ok" {
            *counts.errors.entry(outcome).or_default() += 1;
        }
        let thread = (
            row.get("widget_id"),
            row.get("visitor_id"),
            row.get("thread_id"),
        );
        let candidate = (started, row.get::<String, _>("id"), cell);
        let first = first_of_thread
            .entry(thread)
            .or_insert_with(|| candidate.clone());
        if (candidate.0, &candidate.1) < (first.0, &first.1) {
            *first = candidate;
        }
    }
    for (_, _, cell) in first_of_thread.into_values() {
        cells.get_mut(&cell).unwrap().conversations += 1;
    }
    let events = sqlx::query(
        "SELECT agent_id, widget_id, key_id, event_type, occurred_at, data FROM usage_events",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for row in &events {
        let occurred: i64 = row.get("occurred_at");
        let cell: Cell = (
            occurred.div_euclid(DAY_MS),
            row.get("agent_id"),
            row.get("widget_id"),
            row.get("key_id"),
        );
        let kind: String = row.get("event_type");
        let data: Option<Value> = row
            .get::<Option<String>, _>("data")
            .map(|data| serde_json::from_str(&data).unwrap());
        match kind.as_str() {
            usage_types::WIDGET_LOADED => cells.entry(cell).or_default().loads += 1,
            usage_types::WIDGET_OPENED => cells.entry(cell).or_default().opens += 1,
            usage_types::FEEDBACK => {
                let counts = cells.entry(cell).or_default();
                match data.unwrap()["rating"].as_str() {
                    Some("up") => counts.feedback_up += 1,
                    Some("down") => counts.feedback_down += 1,
                    other => panic!("a stored rating of {other:?}"),
                }
            }
            usage_types::CSAT => {
                let counts = cells.entry(cell).or_default();
                counts.csat_responses += 1;
                counts.csat_score_sum += data.unwrap()["score"].as_i64().unwrap();
            }
            _ => {}
        }
    }
    cells
}

/// The roll-up tables as they are.
async fn rollup_tables(pool: &sqlx::AnyPool) -> BTreeMap<Cell, UsageCounts> {
    let mut cells: BTreeMap<Cell, UsageCounts> = BTreeMap::new();
    // Not a cached statement: the backfill below makes the table again, with
    // fewer columns, and a cached `*` would still name the old ones.
    let rows = sqlx::query("SELECT * FROM usage_daily")
        .persistent(false)
        .fetch_all(pool)
        .await
        .unwrap();
    let has_csat = rows.first().is_some_and(|row| {
        row.columns()
            .iter()
            .any(|column| column.name() == "csat_responses")
    });
    for row in &rows {
        let cell = (
            row.get("day"),
            row.get("agent_id"),
            row.get("widget_id"),
            row.get("key_id"),
        );
        let counts = UsageCounts {
            conversations: row.get("conversations"),
            runs: row.get("runs"),
            messages: row.get("messages"),
            input_chars: row.get("input_chars"),
            output_chars: row.get("output_chars"),
            input_tokens: row.get("input_tokens"),
            output_tokens: row.get("output_tokens"),
            errors: BTreeMap::new(),
            feedback_up: row.get("feedback_up"),
            feedback_down: row.get("feedback_down"),
            // Not in the table migration 0010 makes again below.
            csat_responses: if has_csat {
                row.get("csat_responses")
            } else {
                0
            },
            csat_score_sum: if has_csat {
                row.get("csat_score_sum")
            } else {
                0
            },
            loads: row.get("loads"),
            opens: row.get("opens"),
        };
        assert!(cells.insert(cell, counts).is_none());
    }
    let errors = sqlx::query("SELECT * FROM usage_daily_errors")
        .fetch_all(pool)
        .await
        .unwrap();
    for row in &errors {
        let cell = (
            row.get("day"),
            row.get("agent_id"),
            row.get("widget_id"),
            row.get("key_id"),
        );
        let runs: i64 = row.get("runs");
        cells
            .get_mut(&cell)
            .unwrap_or_else(|| panic!("errors of a cell without counters: {cell:?}"))
            .errors
            .insert(row.get("code"), runs);
    }
    cells
}

/// `GET /v1/usage`'s rows, as cells.
fn report_cells(report: &Value) -> BTreeMap<Cell, UsageCounts> {
    report["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| {
            let date = day["date"].as_str().unwrap();
            let day_number = (0..100_000).find(|d| format_day(*d) == date).unwrap();
            let cell = (
                day_number,
                day["agentId"].as_str().unwrap().to_owned(),
                day["widgetId"].as_str().unwrap().to_owned(),
                day["keyId"].as_str().unwrap().to_owned(),
            );
            (cell, serde_json::from_value(day.clone()).unwrap())
        })
        .collect()
}

fn assert_same(
    what: &str,
    actual: &BTreeMap<Cell, UsageCounts>,
    expected: &BTreeMap<Cell, UsageCounts>,
) {
    for (cell, counts) in expected {
        assert_eq!(actual.get(cell), Some(counts), "{what}: cell {cell:?}");
    }
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: rows {:?}",
        actual.keys()
    );
}

#[tokio::test]
async fn rollups_equal_a_recount_of_the_raw_records_on_random_traffic() {
    let mut rng = Rng::seeded();
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let db = server.db().await;

    // Four widgets; two of them with a rotated key beside their first one.
    let mut publishable = vec![
        server.faq_key.clone(),
        server.failing_key.clone(),
        server.down_key.clone(),
        server.budget_key.clone(),
    ];
    for key in [&server.faq_key, &server.down_key] {
        let id = server.key_ids(key).await.key;
        let rotated = db
            .rotate_key(&TenantScope::Operator, &id, 3_600, None, "test")
            .await
            .unwrap()
            .unwrap();
        publishable.push(rotated.key.expose().to_owned());
    }
    let mut senders = Vec::new();
    for key in &publishable {
        for _ in 0..2 {
            let session = server.sdk(key).session().await.unwrap();
            senders.push(Sender {
                token: session.token,
                visitor: session.visitor_id,
                ids: server.key_ids(key).await,
            });
        }
    }
    let widgets: Vec<String> = senders
        .iter()
        .map(|sender| sender.ids.widget.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(widgets.len(), 4);

    // Events: distinct (widget, source, id), each sent one to four times, by
    // any page of its widget (the first stored wins).
    let now_ms = now_unix_ms();
    let mut identities = HashSet::new();
    let mut events = Vec::new();
    while events.len() < EVENTS {
        let widget = rng.pick(&widgets).clone();
        let source = format!("/visitors/v{}", rng.below(3));
        let id = rng.below(EVENTS * 2);
        if identities.insert((widget.clone(), source.clone(), id)) {
            events.push(Event {
                json: random_event(&mut rng, id, &source, now_ms),
                widget,
            });
        }
    }
    let mut batches: Vec<(usize, Value)> = Vec::new();
    for widget in &widgets {
        let mut sends: Vec<Value> = events
            .iter()
            .filter(|event| &event.widget == widget)
            .flat_map(|event| {
                let times = 1 + rng.below(4);
                std::iter::repeat_n(event.json.clone(), times)
            })
            .collect();
        rng.shuffle(&mut sends);
        let of_widget: Vec<usize> = (0..senders.len())
            .filter(|&index| &senders[index].ids.widget == widget)
            .collect();
        while !sends.is_empty() {
            let size = (1 + rng.below(40)).min(sends.len());
            let batch = Value::Array(sends.drain(..size).collect());
            batches.push((*rng.pick(&of_widget), batch));
        }
    }
    rng.shuffle(&mut batches);
    let mut accepted: HashMap<(String, String, String), usize> = HashMap::new();
    for group in batches.chunks(6) {
        let answers = join_all(
            group
                .iter()
                .map(|(sender, batch)| post(&server.url, &senders[*sender].token, batch)),
        )
        .await;
        for ((sender, batch), statuses) in group.iter().zip(answers) {
            for (event, status) in batch.as_array().unwrap().iter().zip(statuses) {
                assert_ne!(status, "rejected", "{event}");
                let identity = (
                    senders[*sender].ids.widget.clone(),
                    event["source"].as_str().unwrap().to_owned(),
                    event["id"].as_str().unwrap().to_owned(),
                );
                *accepted.entry(identity).or_default() += usize::from(status == "accepted");
            }
        }
    }
    assert_eq!(accepted.len(), EVENTS);
    assert!(
        accepted.values().all(|count| *count == 1),
        "each event accepted once"
    );

    // Run records as the metering task writes them, in random order, some twice
    // and at once; threads shared by several runs, their start times distinct.
    let outcomes = [
        "ok",
        "ok",
        "ok",
        "runtime_error",
        "runtime_timeout",
        "visitor_left",
        "runtime_unavailable",
    ];
    let mut started = HashSet::new();
    let mut runs = Vec::new();
    for index in 0..RUNS {
        let sender = rng.pick(&senders);
        let mut started_at_ms = rng.recent_ms(now_ms);
        while !started.insert(started_at_ms) {
            started_at_ms += 1;
        }
        let tokens = rng.percent(50);
        runs.push(UsageRun {
            id: new_id("run"),
            tenant_id: sender.ids.tenant.clone(),
            agent_id: sender.ids.agent.clone(),
            agent_version: 1,
            widget_id: sender.ids.widget.clone(),
            key_id: sender.ids.key.clone(),
            visitor_id: sender.visitor.clone(),
            thread_id: format!("t{}", rng.below(4)),
            run_id: format!("r{index}"),
            input_chars: rng.below(200) as i64,
            output_chars: rng.below(2_000) as i64,
            input_tokens: tokens.then(|| rng.below(500) as i64),
            output_tokens: tokens.then(|| rng.below(900) as i64),
            first_event_ms: Some(rng.below(900) as i64),
            duration_ms: rng.below(9_000) as i64,
            outcome: rng.pick(&outcomes).to_string(),
            started_at_ms,
        });
    }
    let mut writes: Vec<&UsageRun> = runs
        .iter()
        .flat_map(|run| std::iter::repeat_n(run, 1 + usize::from(rng.percent(30))))
        .collect();
    rng.shuffle(&mut writes);
    let mut newly_stored = 0;
    for group in writes.chunks(8) {
        for stored in join_all(group.iter().map(|run| db.record_run(run))).await {
            newly_stored += usize::from(stored.unwrap());
        }
    }
    assert_eq!(newly_stored, RUNS);
    // And a few real runs, recorded by the server.
    for index in 0..REAL_CHATS {
        let visitor = server.sdk(&server.faq_key);
        let mut answer = visitor
            .answer(&format!("real-{index}"), "How do I install the snippet?")
            .await
            .unwrap();
        while let Some(delta) = answer.next().await {
            delta.unwrap();
        }
    }
    wait_for_runs(&server.db_url, (RUNS + REAL_CHATS) as i64).await;

    let pool = sqlx::AnyPool::connect(&server.db_url).await.unwrap();
    let expected = recount(&pool).await;
    assert!(expected.len() > 20, "traffic spread over many rows");
    assert_same("roll-up tables", &rollup_tables(&pool).await, &expected);

    let today = now_unix_ms().div_euclid(DAY_MS);
    let query = format!(
        "?from={}&to={}",
        format_day(today - SPREAD_DAYS - 2),
        format_day(today + 1)
    );
    let report = report(&server.url, &secret, &query).await;
    assert_same("GET /v1/usage", &report_cells(&report), &expected);
    let mut totals = UsageCounts::default();
    for counts in expected.values() {
        totals.add(counts);
    }
    assert_eq!(
        serde_json::from_value::<UsageCounts>(report["totals"].clone()).unwrap(),
        totals
    );
    assert_eq!(report["totalMessages"], totals.messages);
    assert_eq!(totals.runs, (RUNS + REAL_CHATS) as i64);

    // The migration's backfill, run again on the same records, counts the same.
    for table in ["usage_daily", "usage_daily_errors", "usage_conversations"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {table}")))
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 10")
        .execute(&pool)
        .await
        .unwrap();
    server.db().await;
    // It predates CSAT answers, which no stored event had then.
    let mut before_csat = expected.clone();
    for counts in before_csat.values_mut() {
        (counts.csat_responses, counts.csat_score_sum) = (0, 0);
    }
    before_csat.retain(|_, counts| *counts != UsageCounts::default());
    assert_same("the backfill", &rollup_tables(&pool).await, &before_csat);
    pool.close().await;
}
