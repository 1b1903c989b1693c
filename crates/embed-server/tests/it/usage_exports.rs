//! `GET /v1/usage/export`: CSV read back with Python's `csv`, CloudEvents NDJSON
//! with the `cloudevents` package (`usage_exports.py`, in the repository's
//! venv), Stripe meter events field by field; all of them equal to the report
//! and the records, over more records than one page.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use futures_util::StreamExt;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::db::DAY_MS;
use sitekit_embed_server::db::now_unix_ms;
use sitekit_embed_server::usage::UsageRun;
use sitekit_embed_server::usage::report::format_day;
use sitekit_sdk::admin::{UsageExportFormat, UsageExportQuery};
use sqlx::Row;

use crate::support::{TempDir, TestServer, assert_api_error};
use crate::usage::{report, wait_for_runs};
use crate::usage_exactly_once::{one_of_each, post};

/// More than the export's page of 1,000 records, all at one instant, so pages
/// must break ties on the id.
const SAME_INSTANT: usize = 1_050;

async fn export(server: &TestServer, key: &str, query: &str) -> (String, String, String) {
    let response = server
        .admin(Method::GET, &format!("/v1/usage/export{query}"), key, None)
        .await;
    assert_eq!(response.status(), 200, "{query}");
    let header = |name: &str| {
        response.headers()[name]
            .to_str()
            .unwrap_or_else(|_| panic!("{name}"))
            .to_owned()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    (content_type, disposition, response.text().await.unwrap())
}

/// The repository's venv (`cargo xtask setup` makes it, with `cloudevents`).
fn python() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
}

fn record(ids: &crate::support::KeyIds, id: String, started_at_ms: i64) -> UsageRun {
    UsageRun {
        id,
        tenant_id: ids.tenant.clone(),
        agent_id: ids.agent.clone(),
        agent_version: 1,
        widget_id: ids.widget.clone(),
        key_id: ids.key.clone(),
        visitor_id: "vis_export".into(),
        thread_id: "t-export".into(),
        run_id: "r".into(),
        input_chars: 3,
        output_chars: 5,
        input_tokens: None,
        output_tokens: None,
        first_event_ms: None,
        duration_ms: 10,
        outcome: "ok".into(),
        started_at_ms,
    }
}

#[tokio::test]
async fn exports_parse_with_real_tools_and_equal_the_report_and_the_records() {
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let faq = server.key_ids(&server.faq_key).await;
    let down = server.key_ids(&server.down_key).await;
    let db = server.db().await;

    // Real runs: an answer, and a flow that fails.
    for (key, thread) in [(&server.faq_key, "ok"), (&server.failing_key, "failed")] {
        let mut answer = server
            .sdk(key)
            .answer(thread, "How do I install the snippet?")
            .await
            .unwrap();
        while answer.next().await.is_some() {}
    }
    // A record with token counts, yesterday, and many at one instant today.
    let now_ms = now_unix_ms();
    let mut tokens = record(&faq, "run_with_tokens".into(), now_ms - DAY_MS);
    (tokens.input_tokens, tokens.output_tokens) = (Some(12), Some(30));
    tokens.outcome = "runtime_timeout".into();
    assert!(db.record_run(&tokens).await.unwrap());
    let instant = now_ms - 60_000;
    let many: Vec<UsageRun> = (0..SAME_INSTANT)
        .map(|n| record(&down, format!("run_page_{n:05}"), instant))
        .collect();
    for chunk in many.chunks(8) {
        for stored in join_all(chunk.iter().map(|run| db.record_run(run))).await {
            assert!(stored.unwrap());
        }
    }
    wait_for_runs(&server.db_url, (SAME_INSTANT + 3) as i64).await;
    // Client events: one of each type, and many at one instant.
    let token = server.sdk(&server.faq_key).session().await.unwrap().token;
    post(&server.url, &token, &one_of_each("export")).await;
    let time = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let opens: Vec<Value> = (0..SAME_INSTANT)
        .map(|n| {
            json!({ "specversion": "1.0", "id": format!("open-{n:05}"), "source": "/visitors/v1",
                    "type": "dev.sitekit.widget.opened", "time": time })
        })
        .collect();
    for batch in opens.chunks(100) {
        let statuses = post(&server.url, &token, &Value::Array(batch.to_vec())).await;
        assert!(statuses.iter().all(|status| status == "accepted"));
    }

    let today = now_ms.div_euclid(DAY_MS);
    let range = format!(
        "from={}&to={}",
        format_day(today - 2),
        format_day(today + 1)
    );
    let report = report(&server.url, &secret, &format!("?{range}")).await;
    let dir = TempDir::new();

    let (content_type, disposition, csv) =
        export(&server, &secret, &format!("?format=csv&{range}")).await;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let file_name = format!(
        "sitekit-usage-{}-{}.csv",
        format_day(today - 2),
        format_day(today + 1)
    );
    assert_eq!(disposition, format!("attachment; filename=\"{file_name}\""));
    let csv_path = dir.path().join(&file_name);
    std::fs::write(&csv_path, &csv).unwrap();
    // The SDK's client reads the same file.
    let through_sdk = sitekit_sdk::AdminClient::new(&server.url, &secret)
        .usage_export(&UsageExportQuery {
            format: UsageExportFormat::Csv,
            from: Some(format_day(today - 2)),
            to: Some(format_day(today + 1)),
            agent_id: None,
            widget_id: None,
            key_id: None,
            granularity: None,
        })
        .await
        .unwrap();
    assert_eq!(through_sdk, csv);

    let (content_type, disposition, cloudevents) =
        export(&server, &secret, &format!("?format=cloudevents&{range}")).await;
    assert_eq!(content_type, "application/x-ndjson");
    assert!(disposition.ends_with(".ndjson\""), "{disposition}");
    let cloudevents_path = dir.path().join("usage.ndjson");
    std::fs::write(&cloudevents_path, &cloudevents).unwrap();

    let output = tokio::process::Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/usage_exports.py"
        ))
        .arg(&csv_path)
        .arg(&cloudevents_path)
        .output()
        .await
        .expect("the repository's venv has python (cargo xtask setup)");
    assert!(
        output.status.success(),
        "usage_exports.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();

    // CSV: the report's rows, field by field.
    assert_eq!(
        parsed["csv"]["header"],
        json!([
            "date",
            "agentId",
            "agentVersion",
            "widgetId",
            "keyId",
            "conversations",
            "runs",
            "messages",
            "inputChars",
            "outputChars",
            "inputTokens",
            "outputTokens",
            "errors",
            "feedbackUp",
            "feedbackDown",
            "loads",
            "opens"
        ])
    );
    let rows = parsed["csv"]["rows"].as_array().unwrap();
    let days = report["days"].as_array().unwrap();
    assert_eq!(rows.len(), days.len());
    assert!(days.len() >= 4, "{report}");
    for (row, day) in rows.iter().zip(days) {
        for (name, value) in row.as_object().unwrap() {
            let expected = match (name.as_str(), &day[name]) {
                ("errors", Value::Object(errors)) => errors
                    .iter()
                    .map(|(code, count)| format!("{code}:{count}"))
                    .collect::<Vec<_>>()
                    .join(";"),
                (_, Value::String(text)) => text.clone(),
                (_, number) => number.to_string(),
            };
            assert_eq!(value.as_str().unwrap(), expected, "{name} of {day}");
        }
    }

    // CloudEvents: every run record and every stored event, once each.
    let events = parsed["cloudevents"].as_array().unwrap();
    let pool = sqlx::AnyPool::connect(&server.db_url).await.unwrap();
    let runs: BTreeMap<String, sqlx::any::AnyRow> = sqlx::query("SELECT * FROM usage_runs")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.get("id"), row))
        .collect();
    let stored_events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events.len(), runs.len() + stored_events as usize);
    let mut seen = HashSet::new();
    for event in events {
        let id = event["id"].as_str().unwrap();
        assert!(
            seen.insert((event["source"].clone(), id.to_owned())),
            "{id} twice"
        );
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["extensions"]["tenantid"], server.tenant_id.as_str());
        if event["type"] != "dev.sitekit.run.completed" {
            assert!(event["type"].as_str().unwrap().starts_with("dev.sitekit."));
            assert_eq!(event["source"], "/visitors/v1");
            continue;
        }
        let run = &runs[id];
        let widget: String = run.get("widget_id");
        assert_eq!(
            event["source"],
            format!("/tenants/{}/widgets/{widget}", server.tenant_id)
        );
        assert_eq!(event["extensions"]["widgetid"], widget.as_str());
        let started: i64 = run.get("started_at");
        let seconds = event["time"].as_f64().unwrap();
        assert!(
            (seconds - started as f64 / 1_000.0).abs() < 0.000_5,
            "{event}"
        );
        assert_eq!(event["datacontenttype"], "application/json");
        let data = &event["data"];
        assert_eq!(data["outcome"], run.get::<String, _>("outcome"));
        assert_eq!(data["inputChars"], run.get::<i64, _>("input_chars"));
        assert_eq!(data["outputChars"], run.get::<i64, _>("output_chars"));
        assert_eq!(
            data["inputTokens"],
            json!(run.get::<Option<i64>, _>("input_tokens"))
        );
        assert_eq!(data["runId"], run.get::<String, _>("run_id"));
    }
    let feedback = events
        .iter()
        .find(|event| event["id"] == "export-up")
        .expect("the thumbs-up event");
    assert_eq!(feedback["data"], json!({ "runId": "r1", "rating": "up" }));
    assert_eq!(feedback["extensions"]["keyid"], faq.key.as_str());

    // Stripe: field by field.
    let (content_type, disposition, stripe) =
        export(&server, &secret, &format!("?format=stripe&{range}")).await;
    assert_eq!(content_type, "application/x-ndjson");
    assert!(disposition.ends_with("-stripe.ndjson\""), "{disposition}");
    let mut messages = 0;
    let mut token_events = 0;
    for line in stripe.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        let fields: Vec<&String> = event.as_object().unwrap().keys().collect();
        assert_eq!(fields.len(), 4, "{line}");
        let identifier = event["identifier"].as_str().unwrap();
        let record_id = identifier.trim_end_matches(":tokens");
        let run = runs
            .get(record_id)
            .unwrap_or_else(|| panic!("{identifier}"));
        let started: i64 = run.get("started_at");
        assert_eq!(event["timestamp"], started.div_euclid(1_000), "{line}");
        let payload = event["payload"].as_object().unwrap();
        assert_eq!(payload.len(), 2, "{line}");
        assert_eq!(payload["stripe_customer_id"], server.tenant_id.as_str());
        match event["event_name"].as_str().unwrap() {
            "sitekit_messages" => {
                assert_eq!(identifier, record_id);
                assert_eq!(payload["value"], "1");
                messages += 1;
            }
            "sitekit_tokens" => {
                assert_eq!(identifier, format!("{record_id}:tokens"));
                let tokens = run.get::<Option<i64>, _>("input_tokens").unwrap_or(0)
                    + run.get::<Option<i64>, _>("output_tokens").unwrap_or(0);
                assert_eq!(payload["value"], tokens.to_string());
                token_events += 1;
            }
            other => panic!("event_name {other}"),
        }
    }
    assert_eq!(messages, runs.len());
    let with_tokens: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM usage_runs WHERE input_tokens IS NOT NULL OR output_tokens IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(token_events, with_tokens);
    assert!(token_events >= 1);
    assert!(stripe.contains(r#""identifier":"run_with_tokens:tokens""#));
    assert!(stripe.contains(r#""value":"42""#));

    // The filters narrow exports as they do the report.
    let (_, _, only_faq) = export(
        &server,
        &secret,
        &format!("?format=stripe&{range}&widgetId={}", faq.widget),
    )
    .await;
    let faq_runs = runs
        .values()
        .filter(|run| run.get::<String, _>("widget_id") == faq.widget)
        .count();
    assert_eq!(
        only_faq
            .lines()
            .filter(|line| line.contains("sitekit_messages"))
            .count(),
        faq_runs
    );
    pool.close().await;
}

#[tokio::test]
async fn exports_check_their_query_scope_and_tenant() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;
    for query in [
        "",
        "?format=xml",
        "?format=csv&granularity=week",
        "?format=csv&from=yesterday",
        "?format=csv&tenantId=ten_other",
    ] {
        let response = server
            .admin(
                Method::GET,
                &format!("/v1/usage/export{query}"),
                &secret,
                None,
            )
            .await;
        assert_api_error(response, 400, "invalid_query").await;
    }
    let (_, their_widget) = server.other_tenant().await;
    let response = server
        .admin(
            Method::GET,
            &format!("/v1/usage/export?format=csv&widgetId={their_widget}"),
            &secret,
            None,
        )
        .await;
    assert_api_error(response, 404, "not_found").await;
    let (_, widgets_only) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "widgets:read"],
        )
        .await;
    let response = server
        .admin(
            Method::GET,
            "/v1/usage/export?format=csv",
            &widgets_only,
            None,
        )
        .await;
    let message = assert_api_error(response, 403, "missing_scope").await;
    assert!(message.contains("usage:read"), "{message}");
    // An empty range is a header alone, or nothing.
    let (_, _, csv) = export(
        &server,
        &secret,
        "?format=csv&from=2020-01-01&to=2020-01-02",
    )
    .await;
    assert_eq!(csv.lines().count(), 1, "{csv}");
    let (_, _, ndjson) = export(
        &server,
        &secret,
        "?format=cloudevents&from=2020-01-01&to=2020-01-02",
    )
    .await;
    assert_eq!(ndjson, "");
}
