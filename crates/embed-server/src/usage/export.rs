//! The usage exports' formats, one function per line or file: CSV of a report's
//! daily rows (RFC 4180), CloudEvents 1.0 JSON of the raw records (NDJSON), and
//! Stripe meter events of the run records (NDJSON). The route streams them.

use serde::Serialize;
use serde_json::Value;
use sitekit_sdk::admin::{UsageCounts, UsageReport};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::usage::{StoredUsageEvent, UsageRun};

/// The CloudEvents type of a server run record.
pub const RUN_COMPLETED: &str = "dev.sitekit.run.completed";
/// Stripe meter event names: one message per run, and the run's tokens.
pub const STRIPE_MESSAGES: &str = "sitekit_messages";
pub const STRIPE_TOKENS: &str = "sitekit_tokens";

const CSV_HEADER: [&str; 17] = [
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
    "opens",
];

/// The report's daily rows as CSV: a header line, then one line per row, the
/// errors as `code:count;code:count`. Lines end in CRLF, as RFC 4180 says.
pub fn csv(report: &UsageReport) -> String {
    let mut out = String::new();
    csv_line(&mut out, CSV_HEADER.iter().map(|name| (*name).to_owned()));
    for day in &report.days {
        let mut fields = vec![
            day.date.clone(),
            day.agent_id.clone(),
            day.agent_version.to_string(),
            day.widget_id.clone(),
            day.key_id.clone(),
        ];
        fields.extend(counter_fields(&day.counts, ""));
        csv_line(&mut out, fields.into_iter());
    }
    out
}

/// A report row's counters as text, in the order of the CSV's columns from
/// `conversations` on (the CLI's table shows them in the same order); errors as
/// `code:count;…`, or `no_errors` when there were none.
pub fn counter_fields(counts: &UsageCounts, no_errors: &str) -> Vec<String> {
    let before_errors = [
        counts.conversations,
        counts.runs,
        counts.messages,
        counts.input_chars,
        counts.output_chars,
        counts.input_tokens,
        counts.output_tokens,
    ];
    let after_errors = [
        counts.feedback_up,
        counts.feedback_down,
        counts.loads,
        counts.opens,
    ];
    let mut fields: Vec<String> = before_errors.iter().map(i64::to_string).collect();
    fields.push(errors_text(counts, no_errors));
    fields.extend(after_errors.iter().map(i64::to_string));
    fields
}

/// Errors by code as `code:count;…`, or `no_errors` when there were none.
pub fn errors_text(counts: &UsageCounts, no_errors: &str) -> String {
    if counts.errors.is_empty() {
        return no_errors.to_owned();
    }
    counts
        .errors
        .iter()
        .map(|(code, count)| format!("{code}:{count}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn csv_line(out: &mut String, fields: impl Iterator<Item = String>) {
    for (index, field) in fields.enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(&field));
    }
    out.push_str("\r\n");
}

/// A field quoted when it must be (a comma, quote or line break in it), its
/// quotes doubled.
fn csv_field(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

/// One CloudEvents 1.0 event in its JSON format. The extension attributes say
/// whose usage it is (a client event's own `source` names only the visitor).
#[derive(Debug, Serialize)]
struct CloudEvent<'a> {
    specversion: &'static str,
    id: &'a str,
    source: String,
    #[serde(rename = "type")]
    kind: &'a str,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    datacontenttype: Option<&'static str>,
    tenantid: &'a str,
    agentid: &'a str,
    widgetid: &'a str,
    keyid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Value>,
}

/// A run record as a `dev.sitekit.run.completed` event: its id is the record's,
/// its time when the run started (the day it counts on), its data the run's
/// numbers and outcome.
pub fn run_cloudevent(run: &UsageRun) -> String {
    let data = serde_json::json!({
        "visitorId": run.visitor_id,
        "threadId": run.thread_id,
        "runId": run.run_id,
        "agentVersion": run.agent_version,
        "outcome": run.outcome,
        "inputChars": run.input_chars,
        "outputChars": run.output_chars,
        "inputTokens": run.input_tokens,
        "outputTokens": run.output_tokens,
        "firstEventMs": run.first_event_ms,
        "durationMs": run.duration_ms,
    });
    ndjson_line(&CloudEvent {
        specversion: "1.0",
        id: &run.id,
        source: format!("/tenants/{}/widgets/{}", run.tenant_id, run.widget_id),
        kind: RUN_COMPLETED,
        time: rfc3339(run.started_at_ms),
        datacontenttype: Some("application/json"),
        tenantid: &run.tenant_id,
        agentid: &run.agent_id,
        widgetid: &run.widget_id,
        keyid: &run.key_id,
        data: Some(data),
    })
}

/// A stored client event as it was sent: its own id, source, type, time and data.
pub fn stored_cloudevent(event: &StoredUsageEvent) -> String {
    // Stored as the JSON the event carried, so it parses; if it ever did not,
    // the event still goes out, with its data as text.
    let data = event
        .data
        .as_deref()
        .map(|text| serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())));
    ndjson_line(&CloudEvent {
        specversion: "1.0",
        id: &event.id,
        source: event.source.clone(),
        kind: &event.kind,
        time: rfc3339(event.time_ms),
        datacontenttype: data.as_ref().map(|_| "application/json"),
        tenantid: &event.tenant_id,
        agentid: &event.agent_id,
        widgetid: &event.widget_id,
        keyid: &event.key_id,
        data,
    })
}

/// A Stripe meter event (`POST /v1/billing/meter_events`), field for field.
#[derive(Debug, Serialize)]
struct MeterEvent<'a> {
    event_name: &'static str,
    identifier: String,
    timestamp: i64,
    payload: MeterPayload<'a>,
}

#[derive(Debug, Serialize)]
struct MeterPayload<'a> {
    /// Stripe's default customer key; it holds the tenant id, which the seller
    /// maps to a Stripe customer (or names customers after).
    stripe_customer_id: &'a str,
    /// Stripe reads meter values as strings.
    value: String,
}

/// A run record's Stripe meter events: one `sitekit_messages` event worth 1,
/// and a `sitekit_tokens` event worth its input plus output tokens when the
/// runtime reported them. Identifiers derive from the record id, so sending an
/// export again is deduplicated by Stripe too.
pub fn stripe_events(run: &UsageRun) -> String {
    let timestamp = run.started_at_ms.div_euclid(1_000);
    let mut lines = ndjson_line(&MeterEvent {
        event_name: STRIPE_MESSAGES,
        identifier: run.id.clone(),
        timestamp,
        payload: MeterPayload {
            stripe_customer_id: &run.tenant_id,
            value: "1".into(),
        },
    });
    if run.input_tokens.is_some() || run.output_tokens.is_some() {
        let tokens = run.input_tokens.unwrap_or(0) + run.output_tokens.unwrap_or(0);
        lines.push_str(&ndjson_line(&MeterEvent {
            event_name: STRIPE_TOKENS,
            identifier: format!("{}:tokens", run.id),
            timestamp,
            payload: MeterPayload {
                stripe_customer_id: &run.tenant_id,
                value: tokens.to_string(),
            },
        }));
    }
    lines
}

fn ndjson_line(value: &impl Serialize) -> String {
    // Serializing these plain structs cannot fail.
    let mut line = serde_json::to_string(value).unwrap_or_default();
    line.push('\n');
    line
}

/// Unix milliseconds as RFC 3339 in UTC, e.g. `2026-01-02T03:04:05.678Z`.
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

#[cfg(test)]
mod tests {
    use sitekit_sdk::admin::DailyUsage;

    use super::*;

    fn run(tokens: Option<(i64, i64)>) -> UsageRun {
        UsageRun {
            id: "run_abc".into(),
            tenant_id: "ten_1".into(),
            agent_id: "agt_1".into(),
            agent_version: 3,
            widget_id: "wgt_1".into(),
            key_id: "key_1".into(),
            visitor_id: "vis_1".into(),
            thread_id: "t1".into(),
            run_id: "r1".into(),
            input_chars: 5,
            output_chars: 7,
            input_tokens: tokens.map(|(input, _)| input),
            output_tokens: tokens.map(|(_, output)| output),
            first_event_ms: Some(12),
            duration_ms: 40,
            outcome: "ok".into(),
            // 2026-01-01T00:00:01.500Z
            started_at_ms: 1_767_225_601_500,
        }
    }

    #[test]
    fn csv_quotes_what_needs_it_and_lists_errors_by_code() {
        let mut counts = UsageCounts {
            runs: 3,
            messages: 3,
            ..UsageCounts::default()
        };
        counts.errors.insert("runtime_error".into(), 1);
        counts.errors.insert("visitor_left".into(), 2);
        let report = UsageReport {
            from: "2026-01-01".into(),
            to: "2026-01-01".into(),
            total_messages: 3,
            totals: counts.clone(),
            days: vec![DailyUsage {
                date: "2026-01-01".into(),
                agent_id: "agt_1".into(),
                agent_version: 2,
                widget_id: "wgt,\"odd\"".into(),
                key_id: "key_1".into(),
                counts,
            }],
            satisfaction: Vec::new(),
        };
        let text = csv(&report);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert_eq!(
            lines[1],
            "2026-01-01,agt_1,2,\"wgt,\"\"odd\"\"\",key_1,0,3,3,0,0,0,0,\
             runtime_error:1;visitor_left:2,0,0,0,0"
        );
        assert_eq!(lines[2], "");
    }

    #[test]
    fn a_run_is_a_cloudevent_with_the_records_id_and_numbers() {
        let line = run_cloudevent(&run(Some((3, 4))));
        assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
        let event: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["id"], "run_abc");
        assert_eq!(event["type"], RUN_COMPLETED);
        assert_eq!(event["source"], "/tenants/ten_1/widgets/wgt_1");
        assert_eq!(event["time"], "2026-01-01T00:00:01.5Z");
        assert_eq!(event["data"]["inputTokens"], 3);
        assert_eq!(event["data"]["outcome"], "ok");
        assert_eq!(event["data"]["agentVersion"], 3);
        assert_eq!(event["agentid"], "agt_1");
    }

    #[test]
    fn a_stored_event_keeps_its_own_attributes() {
        let event = StoredUsageEvent {
            tenant_id: "ten_1".into(),
            agent_id: "agt_1".into(),
            widget_id: "wgt_1".into(),
            key_id: "key_1".into(),
            visitor_id: "vis_1".into(),
            source: "/visitors/vis_1".into(),
            id: "e-1".into(),
            kind: "dev.sitekit.feedback".into(),
            time_ms: 1_767_225_600_000,
            received_at_ms: 1_767_225_600_100,
            data: Some(r#"{"rating":"up","runId":"r1"}"#.into()),
        };
        let value: Value = serde_json::from_str(&stored_cloudevent(&event)).unwrap();
        assert_eq!(value["id"], "e-1");
        assert_eq!(value["source"], "/visitors/vis_1");
        assert_eq!(value["time"], "2026-01-01T00:00:00Z");
        assert_eq!(value["data"]["rating"], "up");
        let bare = StoredUsageEvent {
            data: None,
            ..event
        };
        let value: Value = serde_json::from_str(&stored_cloudevent(&bare)).unwrap();
        assert!(value.get("data").is_none() && value.get("datacontenttype").is_none());
    }

    #[test]
    fn stripe_gets_a_message_per_run_and_tokens_when_reported() {
        let lines = stripe_events(&run(Some((3, 4))));
        let events: Vec<Value> = lines
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(
            events,
            [
                serde_json::json!({ "event_name": STRIPE_MESSAGES, "identifier": "run_abc",
                    "timestamp": 1_767_225_601_i64,
                    "payload": { "stripe_customer_id": "ten_1", "value": "1" } }),
                serde_json::json!({ "event_name": STRIPE_TOKENS, "identifier": "run_abc:tokens",
                    "timestamp": 1_767_225_601_i64,
                    "payload": { "stripe_customer_id": "ten_1", "value": "7" } }),
            ]
        );
        assert_eq!(stripe_events(&run(None)).lines().count(), 1);
    }
}
