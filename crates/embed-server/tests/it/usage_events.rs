//! `POST /v1/usage/events`: a visitor's usage events (CloudEvents), each stored
//! once however often and however concurrently it is sent, every refused one
//! with its reason; beacons (token in the query, a text body) work too.

use futures_util::future::join_all;
use serde_json::{Value, json};
use sitekit_sdk::wire::{public_visitor_id, usage_types};
use sqlx::Row;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::AsyncReadExt;

use crate::support::{FOREIGN_SITE, SITE, TestServer, assert_api_error, per_minute};

const BATCH_TYPE: &str = "application/cloudevents-batch+json";

/// Now, to the millisecond, as RFC 3339 and as Unix milliseconds.
fn now() -> (String, i64) {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_millisecond(now.millisecond()).unwrap();
    let ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap();
    (now.format(&Rfc3339).unwrap(), ms)
}

fn event_at(id: &str, kind: &str, time: &str, data: Option<Value>) -> Value {
    let mut event = json!({
        "specversion": "1.0", "id": id, "source": "/visitors/v1", "type": kind, "time": time,
    });
    if let Some(data) = data {
        event["data"] = data;
    }
    event
}

pub fn event(id: &str, kind: &str, data: Option<Value>) -> Value {
    event_at(id, kind, &now().0, data)
}

pub fn opened(id: &str) -> Value {
    event(id, usage_types::WIDGET_OPENED, None)
}

pub async fn post_to(url: &str, token: &str, batch: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/v1/usage/events"))
        .header("origin", SITE)
        .header("content-type", BATCH_TYPE)
        .bearer_auth(token)
        .body(batch.to_string())
        .send()
        .await
        .unwrap()
}

/// (id, status, reason) of each event, in the answer's order.
pub async fn results(response: reqwest::Response) -> Vec<(String, String, Option<String>)> {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {body}"))
        .iter()
        .map(|result| {
            (
                result["id"].as_str().unwrap().to_owned(),
                result["status"].as_str().unwrap().to_owned(),
                result["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn statuses(response: reqwest::Response) -> Vec<String> {
    results(response)
        .await
        .into_iter()
        .map(|(_, status, _)| status)
        .collect()
}

/// Every stored event, as the database has it.
async fn stored(db_url: &str) -> Vec<Value> {
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    let rows = sqlx::query(
        "SELECT e.tenant_id, e.widget_id, e.key_id, e.visitor_id, e.source, e.event_id, \
         e.event_type, e.occurred_at, e.received_at, e.data, \
         CASE WHEN e.agent_id = w.agent_id THEN 1 ELSE 0 END AS agent_matches \
         FROM usage_events e JOIN widgets w ON w.id = e.widget_id \
         ORDER BY e.widget_id, e.source, e.event_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.iter()
        .map(|row| {
            let text = |column: &str| Value::from(row.get::<String, _>(column));
            json!({
                "tenantId": text("tenant_id"), "widgetId": text("widget_id"),
                "keyId": text("key_id"), "visitorId": text("visitor_id"),
                "source": text("source"), "id": text("event_id"), "type": text("event_type"),
                "time": row.get::<i64, _>("occurred_at"),
                "receivedAt": row.get::<i64, _>("received_at"),
                "data": row.get::<Option<String>, _>("data")
                    .map(|data| serde_json::from_str::<Value>(&data).unwrap()),
                "agentMatches": row.get::<i64, _>("agent_matches") == 1,
            })
        })
        .collect()
}

fn ids(rows: &[Value]) -> Vec<&str> {
    rows.iter().map(|row| row["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_batch_is_stored_once_and_sent_again_is_all_duplicate() {
    let server = TestServer::in_process().await;
    let (token, visitor) = server.session(&server.faq_key).await;
    let (time, time_ms) = now();
    let batch = json!([
        event_at("e1", usage_types::WIDGET_OPENED, &time, None),
        event_at(
            "e2",
            usage_types::MESSAGE_SENT,
            &time,
            Some(json!({ "threadId": "t1", "runId": "r1" }))
        ),
        event_at(
            "e3",
            usage_types::FEEDBACK,
            &time,
            Some(json!({ "runId": "r1", "rating": "up" }))
        ),
    ]);
    let first = results(post_to(&server.url, &token, &batch).await).await;
    assert_eq!(
        first,
        ["e1", "e2", "e3"].map(|id| (id.to_owned(), "accepted".to_owned(), None))
    );
    // A retry (the answer was lost, say) counts nothing again.
    let again = statuses(post_to(&server.url, &token, &batch).await).await;
    assert_eq!(again, ["duplicate"; 3]);

    let rows = stored(&server.db_url).await;
    assert_eq!(ids(&rows), ["e1", "e2", "e3"], "{rows:?}");
    let widget = server.widget_id(&server.faq_key).await;
    let sent = &rows[1];
    assert_eq!(sent["type"], usage_types::MESSAGE_SENT);
    assert_eq!(sent["data"], json!({ "threadId": "t1", "runId": "r1" }));
    assert_eq!(sent["time"], time_ms);
    assert_eq!(rows[0]["data"], Value::Null);
    for row in &rows {
        assert_eq!(row["tenantId"], server.tenant_id.as_str());
        assert_eq!(row["widgetId"], widget.as_str());
        // The visitor's public id, never the credential its browser keeps.
        assert_eq!(row["visitorId"], public_visitor_id(&visitor));
        assert_ne!(row["visitorId"], visitor.as_str());
        assert_eq!(row["source"], "/visitors/v1");
        assert!(row["keyId"].as_str().unwrap().starts_with("key_"), "{row}");
        assert_eq!(row["agentMatches"], true, "{row}");
        assert!(row["receivedAt"].as_i64().unwrap() >= time_ms, "{row}");
    }
}

/// Ids and data reach PostgreSQL inside array literals: quotes, backslashes,
/// braces, escapes, a NUL, non-ASCII and the word NULL must be stored as sent.
#[tokio::test]
async fn ids_and_data_with_quotes_escapes_and_any_script_are_stored_as_sent() {
    let server = TestServer::in_process().await;
    let (token, _) = server.session(&server.faq_key).await;
    let properties = json!({
        "quote": "he said \"hi\"; DROP TABLE usage_events; --",
        "path": "C:\\new\\table",
        "escape": "\\u0041 is not A, \\\" neither",
        "nul": "before\u{0}after",
        "script": "😀 ünïcødé 日本語 עברית",
        "nested": [{"a": null}, 1.5, true],
    });
    let sent_ids = [
        r#"id-"quoted"-\back"#,
        "id-😀-ünï",
        r#"{"looks":"like json"}"#,
        "NULL",
    ];
    let batch: Vec<Value> = sent_ids
        .iter()
        .map(|id| {
            event(
                id,
                usage_types::TRACK,
                Some(json!({ "name": *id, "properties": properties })),
            )
        })
        .collect();
    let answered = statuses(post_to(&server.url, &token, &json!(batch)).await).await;
    assert_eq!(answered, ["accepted"; 4]);
    let again = statuses(post_to(&server.url, &token, &json!(batch)).await).await;
    assert_eq!(again, ["duplicate"; 4]);

    let rows = stored(&server.db_url).await;
    // Sorted here: the database's collation may order them otherwise.
    let mut stored_ids = ids(&rows);
    stored_ids.sort_unstable();
    let mut expected = sent_ids.to_vec();
    expected.sort_unstable();
    assert_eq!(stored_ids, expected);
    for row in &rows {
        assert_eq!(
            row["data"],
            json!({ "name": row["id"], "properties": properties }),
            "{row}"
        );
    }
}

#[tokio::test]
async fn identical_batches_sent_concurrently_store_each_event_once() {
    let server = TestServer::in_process().await;
    let (token, _) = server.session(&server.faq_key).await;
    let ids: Vec<String> = (0..20).map(|n| format!("c{n:02}")).collect();
    let forward: Vec<Value> = ids.iter().map(|id| opened(id)).collect();
    // Some in the opposite order: concurrent writers of the same events must
    // not lock each other out.
    let backward: Vec<Value> = forward.iter().rev().cloned().collect();
    let (forward, backward) = (Value::from(forward), Value::from(backward));
    let (url, token) = (server.url.as_str(), token.as_str());
    let answers = join_all((0..6).map(|n| {
        let batch = if n % 2 == 0 { &forward } else { &backward };
        async move { results(post_to(url, token, batch).await).await }
    }))
    .await;
    for id in &ids {
        let statuses: Vec<&str> = answers
            .iter()
            .map(|answer| {
                let (_, status, _) = answer.iter().find(|(of, _, _)| of == id).unwrap();
                status.as_str()
            })
            .collect();
        let accepted = statuses.iter().filter(|s| **s == "accepted").count();
        let duplicate = statuses.iter().filter(|s| **s == "duplicate").count();
        assert_eq!((accepted, duplicate), (1, 5), "{id}: {statuses:?}");
    }
    let rows = stored(&server.db_url).await;
    assert_eq!(ids.len(), rows.len(), "{rows:?}");
}

#[tokio::test]
async fn an_event_twice_in_a_batch_counts_once_per_widget_and_source() {
    let server = TestServer::in_process().await;
    let (token, _) = server.session(&server.faq_key).await;
    let mut elsewhere = opened("a");
    elsewhere["source"] = json!("/visitors/v2");
    let batch = json!([opened("a"), opened("b"), opened("a"), elsewhere]);
    let answer = statuses(post_to(&server.url, &token, &batch).await).await;
    assert_eq!(answer, ["accepted", "accepted", "duplicate", "accepted"]);
    // The same events for another widget are that widget's own.
    let (other_token, _) = server.session(&server.failing_key).await;
    let answer = statuses(post_to(&server.url, &other_token, &batch).await).await;
    assert_eq!(answer, ["accepted", "accepted", "duplicate", "accepted"]);
    assert_eq!(stored(&server.db_url).await.len(), 6);
}

#[tokio::test]
async fn each_broken_event_is_rejected_with_its_reason_and_the_others_are_stored() {
    let server = TestServer::in_process().await;
    let (token, _) = server.session(&server.faq_key).await;
    let with = |id: &str, name: &str, value: Value| {
        let mut event = opened(id);
        event[name] = value;
        event
    };
    let days_ago = |days: i64| {
        (OffsetDateTime::now_utc() - time::Duration::days(days))
            .format(&Rfc3339)
            .unwrap()
    };
    let in_an_hour = (OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&Rfc3339)
        .unwrap();
    let cases = [
        (opened("ok-1"), "ok-1", None),
        (
            with("v", "specversion", json!("0.3")),
            "v",
            Some("unsupported_specversion"),
        ),
        (with("", "id", json!("")), "", Some("invalid_id")),
        (
            with("long", "id", json!("x".repeat(129))),
            "",
            Some("invalid_id"),
        ),
        // PostgreSQL cannot store a NUL: it once failed the whole batch (a 500).
        (with("nul", "id", json!("e\u{0}1")), "", Some("invalid_id")),
        (with("s", "source", json!("")), "s", Some("invalid_source")),
        (
            with("nul-source", "source", json!("page\u{0}")),
            "nul-source",
            Some("invalid_source"),
        ),
        (
            with("t", "type", json!("dev.sitekit.other")),
            "t",
            Some("unknown_type"),
        ),
        (
            with("bad-time", "time", json!("yesterday")),
            "bad-time",
            Some("invalid_time"),
        ),
        (
            with("old", "time", json!(days_ago(36))),
            "old",
            Some("time_out_of_range"),
        ),
        (with("recent", "time", json!(days_ago(34))), "recent", None),
        (
            with("ahead", "time", json!(in_an_hour)),
            "ahead",
            Some("time_out_of_range"),
        ),
        (
            event(
                "big",
                usage_types::TRACK,
                Some(json!({ "name": "x", "properties": { "pad": "x".repeat(9_000) } })),
            ),
            "big",
            Some("event_too_large"),
        ),
        (
            event(
                "meh",
                usage_types::FEEDBACK,
                Some(json!({ "runId": "r1", "rating": "meh" })),
            ),
            "meh",
            Some("invalid_data"),
        ),
        (
            event("nameless", usage_types::TRACK, Some(json!({ "name": "" }))),
            "nameless",
            Some("invalid_data"),
        ),
        (
            event(
                "anonymous",
                usage_types::VISITOR_IDENTIFIED,
                Some(json!({ "name": "Ada" })),
            ),
            "anonymous",
            Some("invalid_data"),
        ),
        (
            event(
                "long-email",
                usage_types::VISITOR_IDENTIFIED,
                Some(json!({ "id": "u-1", "email": "a".repeat(255) })),
            ),
            "long-email",
            Some("invalid_data"),
        ),
        (
            event(
                "who",
                usage_types::VISITOR_IDENTIFIED,
                Some(json!({ "id": "u-1", "name": "Ada", "email": "ada@example.com" })),
            ),
            "who",
            None,
        ),
        (json!("not an event"), "", Some("invalid_event")),
        (
            event(
                "ok-2",
                usage_types::TRACK,
                Some(json!({ "name": "pricing_viewed", "properties": { "plan": "pro" } })),
            ),
            "ok-2",
            None,
        ),
    ];
    let batch: Vec<Value> = cases.iter().map(|(event, _, _)| event.clone()).collect();
    let answer = results(post_to(&server.url, &token, &Value::from(batch)).await).await;
    let expected: Vec<(String, String, Option<String>)> = cases
        .iter()
        .map(|(event, id, reason)| {
            // An id that is there but not valid is named as it was sent.
            let id = event["id"].as_str().unwrap_or(id).to_owned();
            match reason {
                None => (id, "accepted".to_owned(), None),
                Some(reason) => (id, "rejected".to_owned(), Some((*reason).to_owned())),
            }
        })
        .collect();
    assert_eq!(answer, expected);
    let rows = stored(&server.db_url).await;
    assert_eq!(ids(&rows), ["ok-1", "ok-2", "recent", "who"]);
    assert_eq!(
        rows[1]["data"],
        json!({ "name": "pricing_viewed", "properties": { "plan": "pro" } })
    );
}

/// What navigator.sendBeacon(url, string) sends: no Authorization, no
/// preflight, the token in the query.
async fn beacon(server: &TestServer, token: &str, batch: &Value) -> reqwest::Response {
    server
        .client()
        .post(format!(
            "{}/v1/usage/events?access_token={token}",
            server.url
        ))
        .header("origin", SITE)
        .header("content-type", "text/plain;charset=UTF-8")
        .body(batch.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_beacon_with_the_usage_token_in_the_query_and_a_text_body_is_stored() {
    let server = TestServer::in_process().await;
    let session = server.sdk(&server.faq_key).session().await.unwrap();
    let response = beacon(&server, &session.usage_token, &json!([opened("beacon")])).await;
    assert_eq!(response.headers()["access-control-allow-origin"], SITE);
    assert_eq!(statuses(response).await, ["accepted"]);
    // fetch(keepalive) with plain JSON and either token in the header works as well.
    for (token, id) in [
        (&session.token, "fetched"),
        (&session.usage_token, "fetched-too"),
    ] {
        let response = server
            .client()
            .post(format!("{}/v1/usage/events", server.url))
            .header("origin", SITE)
            .bearer_auth(token)
            .json(&json!([opened(id)]))
            .send()
            .await
            .unwrap();
        assert_eq!(statuses(response).await, ["accepted"]);
    }
    assert_eq!(
        ids(&stored(&server.db_url).await),
        ["beacon", "fetched", "fetched-too"]
    );
}

#[tokio::test]
async fn the_session_token_is_refused_in_the_query_so_it_never_needs_a_url() {
    let server = TestServer::in_process().await;
    let session = server.sdk(&server.faq_key).session().await.unwrap();
    let refused = beacon(&server, &session.token, &json!([opened("leaked")])).await;
    let message = assert_api_error(refused, 403, "missing_scope").await;
    assert!(message.contains("usageToken"), "{message}");
    assert_eq!(stored(&server.db_url).await, Vec::<Value>::new());
}

#[tokio::test]
async fn the_usage_token_writes_usage_events_and_nothing_else() {
    let server = TestServer::in_process().await;
    let usage_token = server
        .sdk(&server.faq_key)
        .session()
        .await
        .unwrap()
        .usage_token;
    let chat = server
        .client()
        .post(format!("{}/v1/chat", server.url))
        .header("origin", SITE)
        .bearer_auth(&usage_token)
        .json(&json!({ "threadId": "t1", "runId": "r2", "messages": [{ "id": "1", "role": "user", "content": "hi" }] }))
        .send()
        .await
        .unwrap();
    let message = assert_api_error(chat, 403, "missing_scope").await;
    assert!(message.contains("`chat`"), "{message}");
    let thread = server
        .client()
        .get(format!("{}/v1/threads/t1", server.url))
        .header("origin", SITE)
        .bearer_auth(&usage_token)
        .send()
        .await
        .unwrap();
    assert_api_error(thread, 403, "missing_scope").await;
    // The one thing it is for (in the query too: see the beacon test).
    let batch = json!([opened("by-usage-token")]);
    let answer = post_to(&server.url, &usage_token, &batch).await;
    assert_eq!(statuses(answer).await, ["accepted"]);
}

#[tokio::test]
async fn a_page_on_another_site_may_ask_but_a_json_batch_needs_a_preflight_it_passes() {
    let server = TestServer::in_process().await;
    let preflight = server
        .client()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/usage/events", server.url),
        )
        .header("origin", SITE)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let header = |name: &str| {
        preflight.headers()[name]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
    };
    assert_eq!(header("access-control-allow-origin"), SITE);
    assert!(header("access-control-allow-methods").contains("post"));
    let allowed = header("access-control-allow-headers");
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
}

#[tokio::test]
async fn the_token_in_the_query_is_never_logged() {
    let server = TestServer::in_process().await;
    let session = server.sdk(&server.faq_key).session().await.unwrap();
    let (token, usage_token) = (session.token, session.usage_token);
    let (node, mut log) = server.another_node_logging("debug", &[]).await;
    let response = server
        .client()
        .post(format!(
            "{}/v1/usage/events?access_token={usage_token}",
            node.url
        ))
        .header("origin", SITE)
        .header("content-type", "text/plain")
        .body(json!([opened("quiet")]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(statuses(response).await, ["accepted"]);
    drop(node);
    let mut text = String::new();
    log.read_to_string(&mut text).await.unwrap();
    assert!(
        text.contains("/v1/usage/events"),
        "the request is in the log: {text}"
    );
    for token in [&token, &usage_token] {
        assert!(
            !text.contains(token.as_str()),
            "a token is in the log: {text}"
        );
    }
}

#[tokio::test]
async fn refusals_carry_stable_codes_and_store_nothing() {
    let server = TestServer::in_process().await;
    let (token, _) = server.session(&server.faq_key).await;
    let url = format!("{}/v1/usage/events", server.url);
    let send = |origin: &str, token: Option<&str>, content_type: Option<&str>, body: String| {
        let mut request = server
            .client()
            .post(&url)
            .header("origin", origin)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send()
    };
    let batch = json!([opened("e1")]).to_string();
    let ok = |body: String| send(SITE, Some(&token), Some(BATCH_TYPE), body);

    let response = send(SITE, None, Some(BATCH_TYPE), batch.clone());
    assert_api_error(response.await.unwrap(), 401, "missing_token").await;
    let response = send(SITE, Some("not-a-session"), Some(BATCH_TYPE), batch.clone());
    assert_api_error(response.await.unwrap(), 401, "invalid_session").await;
    let forged = server
        .client()
        .post(format!("{url}?access_token=not-a-session"))
        .header("origin", SITE)
        .header("content-type", "text/plain")
        .body(batch.clone())
        .send();
    assert_api_error(forged.await.unwrap(), 401, "invalid_session").await;
    let response = send(FOREIGN_SITE, Some(&token), Some(BATCH_TYPE), batch.clone());
    assert_api_error(response.await.unwrap(), 403, "origin_not_allowed").await;
    for content_type in [Some("application/xml"), Some("multipart/form-data"), None] {
        let response = send(SITE, Some(&token), content_type, batch.clone());
        assert_api_error(response.await.unwrap(), 415, "unsupported_media_type").await;
    }
    let response = ok(format!("[{}]", " ".repeat(64 * 1024)));
    assert_api_error(response.await.unwrap(), 413, "payload_too_large").await;
    let many: Vec<Value> = (0..101).map(|n| opened(&format!("m{n}"))).collect();
    let message = assert_api_error(
        ok(Value::from(many).to_string()).await.unwrap(),
        400,
        "batch_too_large",
    )
    .await;
    assert!(message.contains("100"), "{message}");
    let response = ok(json!({ "events": [opened("e1")] }).to_string());
    assert_api_error(response.await.unwrap(), 400, "invalid_batch").await;
    let response = ok("[{\"specversion\":".to_owned());
    assert_api_error(response.await.unwrap(), 400, "invalid_json").await;
    assert_eq!(stored(&server.db_url).await, Vec::<Value>::new());
    // A full batch of 100 is fine.
    let full: Vec<Value> = (0..100).map(|n| opened(&format!("f{n}"))).collect();
    let answer = statuses(ok(Value::from(full).to_string()).await.unwrap()).await;
    assert_eq!(answer, ["accepted"; 100]);
}

#[tokio::test]
async fn one_address_over_its_limit_is_told_to_wait() {
    let server = TestServer::in_process_with(|config| {
        config.limits.requests_per_ip_per_minute = per_minute(2)
    })
    .await;
    // The session is the first request, this batch the second.
    let (token, _) = server.session(&server.faq_key).await;
    let batch = json!([opened("e1")]);
    assert_eq!(
        statuses(post_to(&server.url, &token, &batch).await).await,
        ["accepted"]
    );
    let limited = post_to(&server.url, &token, &batch).await;
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1, "{wait}");
    assert_api_error(limited, 429, "rate_limited").await;
}
