//! The owner's inbox (`/v1/conversations`): visitors chat with the real
//! Langflow runtime and rate answers; the owner lists, filters, searches,
//! pages, reads and exports their conversations, and deletes them (one, or
//! all of a visitor's); none of it reaches another organisation or a key
//! without the scope.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use sitekit_sdk::wire::usage_types;

use crate::metering::ask;
use crate::sign_in::{add_member, dashboard, session_of, with_provider};
use crate::support::{TestServer, assert_api_error};
use crate::usage_events::{event, post_to};

/// The visitor rates an answer, as the widget's thumbs do.
pub async fn rate(
    server: &TestServer,
    client: &sitekit_sdk::Client,
    thread: &str,
    run: &str,
    rating: &str,
) {
    let token = client.session().await.unwrap().token;
    let data = json!({"threadId": thread, "runId": run, "rating": rating});
    let batch = json!([event(
        &format!("fb-{run}"),
        usage_types::FEEDBACK,
        Some(data)
    )]);
    let answer: Value = post_to(&server.url, &token, &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["results"][0]["status"], "accepted", "{answer}");
}

/// The inbox page `query` asks for, once it holds `count` conversations: a
/// turn is written just after its answer.
async fn inbox(server: &TestServer, key: &str, query: &str, count: usize) -> Value {
    let mut page = Value::Null;
    for _ in 0..100 {
        page = server
            .get_json(&format!("/v1/conversations{query}"), key)
            .await;
        if page["conversations"].as_array().unwrap().len() == count {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("GET /v1/conversations{query} never held {count}: {page}");
}

/// The visitor's id as the server keeps it: its credential's public part.
async fn public_id(client: &sitekit_sdk::Client) -> String {
    let credential = client.session().await.unwrap().visitor_id;
    credential.split('.').next().unwrap().to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The conversation of `thread` on a page.
fn of_thread<'a>(page: &'a Value, thread: &str) -> &'a Value {
    page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["threadId"] == thread)
        .unwrap_or_else(|| panic!("no conversation of {thread}: {page}"))
}

async fn export(server: &TestServer, key: &str, query: &str) -> Vec<Value> {
    let response = server
        .get(&format!("/v1/conversations/export{query}"), key)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let body = response.text().await.unwrap();
    body.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn owners_find_conversations_by_filter_and_search_and_read_their_transcripts() {
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let asker = server.sdk(&server.faq_key);
    let question = "How do I install the snippet, platypus?";
    let (rated_run, answer) = ask(&asker, "thread-snippet", question).await;
    assert!(!answer.is_empty());
    rate(&server, &asker, "thread-snippet", &rated_run, "down").await;
    let (_, failed) = ask(
        &server.sdk(&server.failing_key),
        "thread-zebra",
        "Any zebras?",
    )
    .await;
    assert!(failed.is_empty());
    // What an agent or a visitor writes is text, Markdown or not.
    let hostile = "<img src=x onerror=alert(1)> **crocodile** [x](javascript:alert(1))";
    ask(&server.sdk(&server.faq_key), "thread-hostile", hostile).await;

    let all = inbox(&server, &secret, "", 3).await;
    assert_eq!(all["nextCursor"], Value::Null);
    let snippet = of_thread(&all, "thread-snippet");
    assert_eq!(snippet["messages"], 2, "{snippet}");
    assert_eq!(snippet["runs"], 1);
    assert_eq!(snippet["outcome"], "answered");
    assert_eq!(
        (snippet["ratedUp"].clone(), snippet["ratedDown"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(snippet["agentVersion"], 1);
    assert_eq!(snippet["visitorId"], public_id(&asker).await);
    let zebra = of_thread(&all, "thread-zebra");
    assert_eq!(zebra["outcome"], "errored", "{zebra}");
    assert_ne!(zebra["widgetId"], snippet["widgetId"]);
    // Newest first.
    let times: Vec<&str> = all["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["lastMessageAt"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] >= pair[1]), "{times:?}");

    // Each filter lets through what it names, and nothing else.
    let only = |page: &Value| -> Vec<String> {
        page["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["threadId"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("?ratedDown=true", vec!["thread-snippet"]),
        ("?errored=true", vec!["thread-zebra"]),
        ("?q=platypus", vec!["thread-snippet"]),
        ("?q=PLATYPUS%20install", vec!["thread-snippet"]),
        ("?q=crocodile", vec!["thread-hostile"]),
        ("?q=zebras", vec!["thread-zebra"]),
        ("?q=platypus%20crocodile", vec![]),
        ("?q=unheardofword", vec![]),
        (
            &format!("?widgetId={}", zebra["widgetId"].as_str().unwrap()),
            vec!["thread-zebra"],
        ),
        ("?errored=true&q=platypus", vec![]),
    ] {
        let page = server
            .get_json(&format!("/v1/conversations{query}"), &secret)
            .await;
        assert_eq!(only(&page), expected, "{query}: {page}");
    }
    let today = &snippet["lastMessageAt"].as_str().unwrap()[..10];
    let in_range = server
        .get_json(
            &format!("/v1/conversations?from={today}&to={today}"),
            &secret,
        )
        .await;
    assert_eq!(ids(&in_range).len(), 3);
    let before = server
        .get_json("/v1/conversations?from=2020-01-01&to=2020-01-31", &secret)
        .await;
    assert_eq!(ids(&before).len(), 0);

    // Pages of one follow each other to the end, each conversation once.
    let mut seen = Vec::new();
    let mut query = "?limit=1".to_owned();
    loop {
        let page = server
            .get_json(&format!("/v1/conversations{query}"), &secret)
            .await;
        seen.extend(ids(&page));
        match page["nextCursor"].as_str() {
            Some(cursor) => query = format!("?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ids(&all));

    // The transcript, with its run's outcome, tokens, times and rating.
    let id = snippet["id"].as_str().unwrap();
    let whole = server
        .get_json(&format!("/v1/conversations/{id}"), &secret)
        .await;
    let transcript = whole["transcript"].as_array().unwrap();
    assert_eq!(transcript.len(), 2, "{whole}");
    assert_eq!(
        (&transcript[0]["role"], &transcript[0]["content"]),
        (&json!("user"), &json!(question))
    );
    assert_eq!(
        (&transcript[1]["role"], &transcript[1]["content"]),
        (&json!("assistant"), &json!(answer))
    );
    let run = &whole["runRecords"][0];
    assert_eq!(
        (&run["runId"], &run["outcome"], &run["rating"]),
        (&json!(rated_run), &json!("ok"), &json!("down"))
    );
    assert!(
        run["durationMs"].as_i64().unwrap() >= run["firstEventMs"].as_i64().unwrap(),
        "{run}"
    );
    let hostile_id = of_thread(&all, "thread-hostile")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = server
        .get_json(&format!("/v1/conversations/{hostile_id}"), &secret)
        .await;
    assert_eq!(
        kept["transcript"][0]["content"], hostile,
        "kept as written, as text"
    );

    // The export holds what the filters let through, each with its transcript.
    let lines = export(&server, &secret, "").await;
    assert_eq!(
        lines
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>(),
        ids(&all)
    );
    assert_eq!(lines.iter().find(|c| c["id"] == id).unwrap(), &whole);
    // From a cursor on, at most `limit`: an export cut short goes on from its last line.
    let first = server.get_json("/v1/conversations?limit=1", &secret).await;
    let cursor = first["nextCursor"].as_str().unwrap();
    let head = export(&server, &secret, "?limit=1").await;
    let rest = export(&server, &secret, &format!("?cursor={cursor}")).await;
    let resumed: Vec<&Value> = head.iter().chain(&rest).collect();
    assert_eq!(resumed, lines.iter().collect::<Vec<_>>());
    let errored = export(&server, &secret, "?errored=true").await;
    assert_eq!(errored.len(), 1);
    assert_eq!(errored[0]["threadId"], "thread-zebra");
    assert_eq!(
        errored[0]["runRecords"][0]["outcome"], "runtime_error",
        "{}",
        errored[0]
    );
}

#[tokio::test]
async fn conversations_are_the_callers_own_and_need_their_scopes() {
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    ask(
        &server.sdk(&server.faq_key),
        "thread-mine",
        "What are keys?",
    )
    .await;
    let mine = inbox(&server, &secret, "", 1).await;
    let id = mine["conversations"][0]["id"].as_str().unwrap().to_owned();
    let widget = mine["conversations"][0]["widgetId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another organisation sees none of it: a conversation of ours is a 404.
    let (other, other_widget) = server.other_tenant().await;
    let (_, theirs) = server.key(&other, &["--kind", "secret"]).await;
    let empty = server.get_json("/v1/conversations?q=keys", &theirs).await;
    assert_eq!(empty["conversations"], json!([]));
    assert_api_error(
        server
            .get(&format!("/v1/conversations/{id}"), &theirs)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_api_error(
        server
            .get(&format!("/v1/conversations?widgetId={widget}"), &theirs)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_api_error(
        server
            .get(
                &format!("/v1/conversations?widgetId={other_widget}"),
                &secret,
            )
            .await,
        404,
        "not_found",
    )
    .await;
    let delete = server
        .admin(
            Method::DELETE,
            &format!("/v1/conversations/{id}"),
            &theirs,
            None,
        )
        .await;
    assert_api_error(delete, 404, "not_found").await;
    let visitor = mine["conversations"][0]["visitorId"].as_str().unwrap();
    let request = server
        .admin(
            Method::DELETE,
            &format!("/v1/visitors/{visitor}/conversations"),
            &theirs,
            None,
        )
        .await;
    let deleted: Value = request.json().await.unwrap();
    assert_eq!(deleted, json!({"conversations": 0, "usageEvents": 0}));
    assert_eq!(
        ids(&server.get_json("/v1/conversations", &secret).await),
        std::slice::from_ref(&id)
    );

    // Reading takes conversations:read; deleting widgets:write besides.
    let restricted = |scopes: &'static str| {
        let server = &server;
        async move {
            server
                .key(
                    &server.tenant_id,
                    &["--kind", "restricted", "--scopes", scopes],
                )
                .await
                .1
        }
    };
    let usage_only = restricted("usage:read widgets:read").await;
    for path in [
        "/v1/conversations".to_owned(),
        format!("/v1/conversations/{id}"),
        "/v1/conversations/export".to_owned(),
    ] {
        let message =
            assert_api_error(server.get(&path, &usage_only).await, 403, "missing_scope").await;
        assert!(message.contains("conversations:read"), "{message}");
    }
    let reader = restricted("conversations:read").await;
    assert_eq!(
        ids(&server.get_json("/v1/conversations", &reader).await),
        std::slice::from_ref(&id)
    );
    for path in [
        format!("/v1/conversations/{id}"),
        format!("/v1/visitors/{visitor}/conversations"),
    ] {
        let refused = server.admin(Method::DELETE, &path, &reader, None).await;
        let message = assert_api_error(refused, 403, "missing_scope").await;
        assert!(message.contains("widgets:write"), "{message}");
    }
    assert_eq!(
        ids(&server.get_json("/v1/conversations", &secret).await),
        std::slice::from_ref(&id)
    );

    // Hostile queries are refused with a reason, or find nothing; none fails.
    let long = "a".repeat(201);
    for query in [
        "?limit=0",
        "?limit=201",
        "?limit=-1",
        "?limit=ten",
        "?cursor=garbage",
        "?cursor=1.wgt_x",
        "?cursor=1.cnv_x%27--",
        "?from=2026-13-01",
        "?from=2026-02-01&to=2026-01-01",
        "?ratedDown=maybe",
        "?tenantId=ten_other",
        &format!("?q={long}"),
    ] {
        let response = server
            .get(&format!("/v1/conversations{query}"), &secret)
            .await;
        assert_api_error(response, 400, "invalid_query").await;
    }
    for q in [
        "%22",
        "NEAR(keys",
        "keys%20OR%20*",
        "%27%3B%20DROP%20TABLE%20conversations%3B--",
        "%E2%80%8B",
        "-keys",
        "keys:*",
        "%F0%9F%94%91",
    ] {
        let response = server
            .get(&format!("/v1/conversations?q={q}"), &secret)
            .await;
        assert_eq!(response.status(), 200, "q={q}");
    }
    // A hostile visitor id deletes nothing (the conversation is still there below).
    for visitor in [
        "%27%20OR%201%3D1--".to_owned(),
        "%25".to_owned(),
        "v".repeat(3_000),
    ] {
        let path = format!("/v1/visitors/{visitor}/conversations");
        let response = server.admin(Method::DELETE, &path, &secret, None).await;
        assert_eq!(response.status(), 200, "{path}");
        let deleted: Value = response.json().await.unwrap();
        assert_eq!(deleted, json!({"conversations": 0, "usageEvents": 0}));
    }
    let response = server
        .get("/v1/conversations/export?limit=0", &secret)
        .await;
    assert_api_error(response, 400, "invalid_query").await;
    assert_eq!(
        ids(&server.get_json("/v1/conversations?q=keys", &secret).await),
        [id]
    );
}

#[tokio::test]
async fn a_viewer_reads_conversations_only_if_their_role_allows_it() {
    let (server, provider) = with_provider(|_| {}).await;
    ask(
        &server.sdk(&server.faq_key),
        "thread-role",
        "What are keys?",
    )
    .await;
    let secret = server.secret_key().await;
    inbox(&server, &secret, "", 1).await;
    add_member(&server, &server.tenant_id, "victor", "viewer").await;
    let (token, _) = session_of(&server, &provider, "victor").await;
    let refused = dashboard(&server, Method::GET, "/v1/conversations", &token, None)
        .send()
        .await
        .unwrap();
    let message = assert_api_error(refused, 403, "missing_scope").await;
    assert!(
        message.contains("viewer") && message.contains("conversations:read"),
        "{message}"
    );

    add_member(&server, &server.tenant_id, "alice", "admin").await;
    let (token, _) = session_of(&server, &provider, "alice").await;
    let page: Value = dashboard(&server, Method::GET, "/v1/conversations", &token, None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["conversations"][0]["threadId"], "thread-role",
        "{page}"
    );
}

#[tokio::test]
async fn a_visitors_data_deleted_on_request_is_gone_from_inbox_and_export_and_audited() {
    let server = TestServer::spawn().await;
    let secret = server.secret_key().await;
    let leaving = server.sdk(&server.faq_key);
    let (run, _) = ask(&leaving, "thread-1", "What are keys?").await;
    rate(&server, &leaving, "thread-1", &run, "up").await;
    ask(&leaving, "thread-2", "How do I install the snippet?").await;
    let staying = server.sdk(&server.faq_key);
    ask(&staying, "thread-3", "What are keys?").await;
    inbox(&server, &secret, "", 3).await;

    let visitor = public_id(&leaving).await;
    let path = format!("/v1/visitors/{visitor}/conversations");
    let deleted: Value = server
        .admin(Method::DELETE, &path, &secret, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["conversations"], 2, "{deleted}");
    assert!(
        deleted["usageEvents"].as_i64().unwrap() >= 1,
        "the rating's event: {deleted}"
    );

    let left = server.get_json("/v1/conversations?q=keys", &secret).await;
    assert_eq!(left["conversations"].as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left["conversations"][0]["threadId"], "thread-3");
    assert!(
        server
            .get_json(&format!("/v1/conversations?visitorId={visitor}"), &secret)
            .await["conversations"]
            == json!([])
    );
    let lines = export(&server, &secret, "").await;
    assert_eq!(lines.len(), 1);
    assert!(!serde_json::to_string(&lines).unwrap().contains(&visitor));
    // The visitor's own page reads nothing back either.
    let token = leaving.session().await.unwrap().token;
    assert_eq!(
        server.read_thread(&token, "thread-1").await["messages"],
        json!([])
    );

    // One conversation, by its id: gone, and a second delete finds nothing.
    let id = left["conversations"][0]["id"].as_str().unwrap().to_owned();
    let response = server
        .admin(
            Method::DELETE,
            &format!("/v1/conversations/{id}"),
            &secret,
            None,
        )
        .await;
    assert_eq!(response.status(), 204);
    let again = server
        .admin(
            Method::DELETE,
            &format!("/v1/conversations/{id}"),
            &secret,
            None,
        )
        .await;
    assert_api_error(again, 404, "not_found").await;
    assert_eq!(
        server.get_json("/v1/conversations", &secret).await["conversations"],
        json!([])
    );

    // Each deletion is in the audit trail, with who made it.
    let trail = server.get_json("/v1/audit", &secret).await;
    let events = trail["events"].as_array().unwrap();
    for (path, status) in [
        (path.as_str(), 200),
        (&*format!("/v1/conversations/{id}"), 204),
        (&*format!("/v1/conversations/{id}"), 404),
    ] {
        assert!(
            events
                .iter()
                .any(|e| e["method"] == "DELETE" && e["path"] == path && e["status"] == status),
            "no DELETE {path} {status} in {trail}"
        );
    }
}
