//! What a widget asks of visitors besides chat, against the real server and
//! Langflow: the owner turns the CSAT question, the contact form and the
//! "talk to a person" button on; visitors chat, leave their details, ask for
//! a person and rate the conversation; the owner finds it all in the inbox,
//! the list of leads, its CSV export, the usage report and their webhooks
//! (checked with the `standardwebhooks` reference library). Hostile input is
//! refused and stores nothing; nothing reaches another organisation.

use reqwest::Method;
use serde_json::{Value, json};
use sitekit_sdk::wire::usage_types;

use crate::metering::ask;
use crate::support::{SITE, TestServer, assert_api_error};
use crate::usage_events::{event, post_to};
use crate::webhooks::{Receiver, register};

/// Everything on: a contact form that shows when the agent fails.
fn all_on() -> Value {
    json!({
        "csat": true,
        "handoff": true,
        "leadForm": {
            "fields": ["message", "email", "name"],
            "when": "onFailure",
            "consentText": "I agree that Acme may contact me about my request."
        }
    })
}

async fn set_engagement(server: &TestServer, key: &str, widget: &str, engagement: Value) {
    let response = server
        .admin(
            Method::PATCH,
            &format!("/v1/widgets/{widget}"),
            key,
            Some(json!({ "engagement": engagement })),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// A visitor's `POST /v1/threads/{thread}/{what}` with their session token.
async fn post_thread(
    server: &TestServer,
    token: &str,
    thread: &str,
    what: &str,
    body: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/threads/{thread}/{what}", server.url))
        .header("origin", SITE)
        .header("content-type", "application/json")
        .bearer_auth(token)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// The visitor answers the CSAT question, as the widget does.
async fn answer_csat(server: &TestServer, token: &str, thread: &str, score: u8) {
    let data = json!({"threadId": thread, "score": score});
    let batch = json!([event(
        &format!("csat-{thread}"),
        usage_types::CSAT,
        Some(data)
    )]);
    let answer: Value = post_to(&server.url, token, &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["results"][0]["status"], "accepted", "{answer}");
}

/// The inbox's conversation of `thread`, once its turn is written.
async fn conversation_of(server: &TestServer, key: &str, thread: &str) -> Value {
    for _ in 0..100 {
        let page = server.get_json("/v1/conversations", key).await;
        if let Some(found) = page["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["threadId"] == thread)
        {
            return found.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no conversation of {thread}");
}

#[tokio::test]
async fn visitors_leave_details_ask_for_a_person_and_rate_and_the_owner_gets_all_of_it() {
    let server = TestServer::spawn_with(&["--webhook-first-retry-ms", "200"]).await;
    let key = server.secret_key().await;
    let widget = server.widget_id(&server.faq_key).await;
    let receiver = Receiver::start(&[]).await;
    let events = ["lead.created", "handoff.requested", "conversation.rated"];
    let (_, secret) = register(&server, &key, &receiver.url, &events).await;

    // Off by default: the page's config says nothing of it.
    assert_eq!(
        server.page_config(&server.faq_key).await.get("engagement"),
        None
    );
    set_engagement(&server, &key, &widget, all_on()).await;
    let config = server.page_config(&server.faq_key).await;
    assert_eq!(config["engagement"]["csat"], true);
    // Kept in the form's order, as the widget shows the fields.
    assert_eq!(
        config["engagement"]["leadForm"]["fields"],
        json!(["name", "email", "message"])
    );
    assert_eq!(config["engagement"]["leadForm"]["afterMessages"], 3);

    let visitor = server.sdk(&server.faq_key);
    let question = "Can a person call me about the quokka plan?";
    ask(&visitor, "thread-quokka", question).await;
    let token = visitor.session().await.unwrap().token;

    // A name a spreadsheet would run as a formula, a message with lines.
    let lead = json!({
        "name": "=HYPERLINK(\"http://evil.example\")",
        "email": " ada@example.com ",
        "message": "Call me\nafter 5pm, please",
        "consent": true
    });
    // Through the SDK, as a chat UI of a site's own sends it.
    let created = visitor
        .post_to_thread("thread-quokka", "lead", &lead.to_string())
        .await
        .unwrap();
    let created: Value = serde_json::from_str(&created).unwrap();
    assert!(
        created["id"].as_str().unwrap().starts_with("lead_"),
        "{created}"
    );
    let again = post_thread(&server, &token, "thread-quokka", "lead", &lead.to_string()).await;
    assert_api_error(again, 409, "lead_exists").await;

    let first = post_thread(&server, &token, "thread-quokka", "handoff", "{}").await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    let second: Value = post_thread(&server, &token, "thread-quokka", "handoff", "{}")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["requestedAt"], second["requestedAt"]);
    answer_csat(&server, &token, "thread-quokka", 4).await;

    // The help desk hears of each once, signed.
    let lead_event = &receiver.wait_for("lead.created", 1).await[0];
    assert!(lead_event.verifies_with(&secret));
    let data = &lead_event.payload()["data"];
    assert_eq!(data["email"], "ada@example.com");
    assert_eq!(data["threadId"], "thread-quokka");
    let handoff = &receiver.wait_for("handoff.requested", 1).await[0];
    assert!(handoff.verifies_with(&secret));
    let transcript = &handoff.payload()["data"]["transcript"];
    assert_eq!(transcript[0]["role"], "user", "{transcript}");
    assert_eq!(transcript[0]["content"], question);
    assert_eq!(transcript[1]["role"], "assistant");
    let rated = &receiver.wait_for("conversation.rated", 1).await[0];
    assert_eq!(rated.payload()["data"]["csat"], 4);

    // The inbox shows it, filters on it and reads it whole.
    let conversation = conversation_of(&server, &key, "thread-quokka").await;
    assert_eq!(conversation["hasLead"], true, "{conversation}");
    assert_eq!(conversation["handoffRequested"], true);
    assert_eq!(conversation["csat"], 4);
    ask(&visitor, "thread-other", "And the wombat plan?").await;
    conversation_of(&server, &key, "thread-other").await;
    let with_lead = server
        .get_json("/v1/conversations?hasLead=true", &key)
        .await;
    let threads: Vec<&Value> = with_lead["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["threadId"])
        .collect();
    assert_eq!(threads, [&json!("thread-quokka")]);
    let id = conversation["id"].as_str().unwrap();
    let whole = server
        .get_json(&format!("/v1/conversations/{id}"), &key)
        .await;
    assert_eq!(whole["lead"]["message"], "Call me\nafter 5pm, please");
    assert_eq!(
        whole["lead"]["consentText"],
        "I agree that Acme may contact me about my request."
    );
    assert_eq!(whole["handoffRequestedAt"], first["requestedAt"]);

    // The list of leads and its CSV, formula defused.
    let leads = server.get_json("/v1/leads", &key).await;
    assert_eq!(leads["leads"].as_array().unwrap().len(), 1, "{leads}");
    assert_eq!(leads["leads"][0]["conversationId"], id);
    let export = server.get("/v1/leads/export", &key).await;
    assert_eq!(export.status(), 200);
    assert_eq!(export.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = export.text().await.unwrap();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some(
            "created_at,widget_id,conversation_id,name,email,message,consent_text,visitor_id,thread_id"
        )
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\")\",ada@example.com,"),
        "{row}"
    );
    assert!(row.contains("\"Call me\nafter 5pm, please\""), "{row}");

    // The usage report: the day's CSAT, once however often it is sent.
    answer_csat(&server, &token, "thread-other", 2).await;
    let usage = server.get_json("/v1/usage", &key).await;
    let day = &usage["satisfaction"][0];
    assert_eq!(day["csatResponses"], 2, "{usage}");
    assert_eq!(day["csatAverage"], 3.0);
    assert_eq!(usage["totals"]["csatScoreSum"], 6);
}

#[tokio::test]
async fn what_the_owner_did_not_turn_on_and_hostile_input_are_refused_and_store_nothing() {
    let server = TestServer::spawn().await;
    let key = server.secret_key().await;
    let widget = server.widget_id(&server.faq_key).await;
    let visitor = server.sdk(&server.faq_key);
    let token = visitor.session().await.unwrap().token;
    let lead = r#"{"email":"ada@example.com","consent":true}"#;
    assert_api_error(
        post_thread(&server, &token, "thread-1", "lead", lead).await,
        403,
        "lead_form_off",
    )
    .await;
    assert_api_error(
        post_thread(&server, &token, "thread-1", "handoff", "{}").await,
        403,
        "handoff_off",
    )
    .await;

    // Settings that break the form's rules change nothing.
    for bad in [
        json!({"leadForm": {"fields": ["name"], "when": "before", "consentText": "ok"}}),
        json!({"leadForm": {"fields": ["email"], "when": "before", "consentText": " "}}),
        json!({"leadForm": {"fields": ["email"], "when": "afterMessages", "afterMessages": 0, "consentText": "ok"}}),
        json!({"leadForm": {"fields": ["email"], "when": "later", "consentText": "ok"}}),
        json!({"leadForm": {"fields": ["phone"], "when": "before", "consentText": "ok"}}),
        json!({"leadForm": {"fields": ["email"], "when": "before", "consentText": "a\u{0}b"}}),
        json!({"csat": "yes"}),
        json!({"surprise": true}),
    ] {
        let response = server
            .admin(
                Method::PATCH,
                &format!("/v1/widgets/{widget}"),
                &key,
                Some(json!({ "engagement": bad })),
            )
            .await;
        assert_eq!(response.status(), 400, "{bad} was accepted");
    }
    assert_eq!(
        server.page_config(&server.faq_key).await.get("engagement"),
        None
    );

    set_engagement(
        &server,
        &key,
        &widget,
        json!({"leadForm": {"fields": ["email"], "when": "before", "consentText": "I agree."}}),
    )
    .await;
    let long = "x".repeat(2_001);
    for (body, code) in [
        (
            r#"{"email":"ada@example.com","consent":false}"#.to_owned(),
            "invalid_lead",
        ),
        (r#"{"email":"ada@example.com"}"#.to_owned(), "invalid_body"),
        (
            r#"{"email":"not an address","consent":true}"#.to_owned(),
            "invalid_lead",
        ),
        (
            r#"{"email":"ada@example","consent":true}"#.to_owned(),
            "invalid_lead",
        ),
        // Fields this form does not ask for.
        (
            r#"{"name":"Ada","email":"ada@example.com","consent":true}"#.to_owned(),
            "invalid_lead",
        ),
        (
            format!(r#"{{"email":"ada@example.com","message":"{long}","consent":true}}"#),
            "invalid_lead",
        ),
        (
            r#"{"email":"ada@example.com","consent":true,"admin":true}"#.to_owned(),
            "invalid_body",
        ),
        (r#"[1,2,3]"#.to_owned(), "invalid_body"),
        ("not json".to_owned(), "invalid_json"),
    ] {
        let response = post_thread(&server, &token, "thread-1", "lead", &body).await;
        assert_api_error(response, 400, code).await;
    }
    let bad_thread = post_thread(&server, &token, "thread%01", "lead", lead).await;
    assert_api_error(bad_thread, 400, "invalid_thread").await;
    let too_long = "t".repeat(129);
    assert_api_error(
        post_thread(&server, &token, &too_long, "lead", lead).await,
        400,
        "invalid_thread",
    )
    .await;
    // No session, or another site's page with this visitor's token.
    let anonymous = reqwest::Client::new()
        .post(format!("{}/v1/threads/thread-1/lead", server.url))
        .header("origin", SITE)
        .header("content-type", "application/json")
        .body(lead)
        .send()
        .await
        .unwrap();
    assert_api_error(anonymous, 401, "missing_token").await;
    let elsewhere = reqwest::Client::new()
        .post(format!("{}/v1/threads/thread-1/lead", server.url))
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .bearer_auth(&token)
        .body(lead)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403);
    let leads = server.get_json("/v1/leads", &key).await;
    assert_eq!(leads["leads"], json!([]), "{leads}");

    // A CSAT answer out of range is refused like any broken event.
    let batch = json!([event(
        "csat-bad",
        usage_types::CSAT,
        Some(json!({"threadId": "thread-1", "score": 6}))
    )]);
    let answer: Value = post_to(&server.url, &token, &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["results"][0]["reason"], "invalid_data", "{answer}");
}

#[tokio::test]
async fn leads_are_their_organisation_s_need_conversations_read_and_go_with_their_visitor() {
    let server = TestServer::spawn().await;
    let key = server.secret_key().await;
    let widget = server.widget_id(&server.faq_key).await;
    set_engagement(&server, &key, &widget, all_on()).await;
    let visitor = server.sdk(&server.faq_key);
    ask(&visitor, "thread-mine", "What are keys?").await;
    let token = visitor.session().await.unwrap().token;
    let lead = r#"{"name":"Ada","email":"ada@example.com","consent":true}"#;
    assert_eq!(
        post_thread(&server, &token, "thread-mine", "lead", lead)
            .await
            .status(),
        201
    );
    let mine = server.get_json("/v1/leads", &key).await;
    assert_eq!(mine["leads"].as_array().unwrap().len(), 1);

    let (other, other_widget) = server.other_tenant().await;
    let (_, theirs) = server.key(&other, &["--kind", "secret"]).await;
    assert_eq!(
        server.get_json("/v1/leads", &theirs).await["leads"],
        json!([])
    );
    let export = server
        .get("/v1/leads/export", &theirs)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(export.lines().count(), 1, "only the header: {export}");
    for (path, caller) in [
        (format!("/v1/leads?widgetId={widget}"), &theirs),
        (format!("/v1/leads/export?widgetId={other_widget}"), &key),
    ] {
        assert_api_error(server.get(&path, caller).await, 404, "not_found").await;
    }
    let (_, usage_only) = server
        .key(
            &server.tenant_id,
            &[
                "--kind",
                "restricted",
                "--scopes",
                "usage:read widgets:read",
            ],
        )
        .await;
    for path in ["/v1/leads", "/v1/leads/export"] {
        let message =
            assert_api_error(server.get(path, &usage_only).await, 403, "missing_scope").await;
        assert!(message.contains("conversations:read"), "{message}");
    }
    for query in [
        "?limit=0",
        "?limit=201",
        "?cursor=1.cnv_x",
        "?from=2026-13-01",
        "?to=x",
    ] {
        let response = server.get(&format!("/v1/leads{query}"), &key).await;
        assert_api_error(response, 400, "invalid_query").await;
    }

    // A data-subject request takes the visitor's leads with their conversations.
    let visitor_id = mine["leads"][0]["visitorId"].as_str().unwrap().to_owned();
    conversation_of(&server, &key, "thread-mine").await;
    let deleted: Value = server
        .admin(
            Method::DELETE,
            &format!("/v1/visitors/{visitor_id}/conversations"),
            &key,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["conversations"], 1, "{deleted}");
    assert_eq!(server.get_json("/v1/leads", &key).await["leads"], json!([]));
}

/// The events the widget sends for what the visitor gave (`SiteKit('lead', …)`
/// and the like), one batch.
async fn send_events(server: &TestServer, token: &str, events: Vec<Value>) -> Vec<Value> {
    let answer: Value = post_to(&server.url, token, &Value::Array(events))
        .await
        .json()
        .await
        .unwrap();
    answer["results"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_widget_s_events_leave_a_lead_and_ask_for_a_person_once_and_keep_no_details() {
    let server = TestServer::spawn_with(&["--webhook-first-retry-ms", "200"]).await;
    let key = server.secret_key().await;
    let widget = server.widget_id(&server.faq_key).await;
    let receiver = Receiver::start(&[]).await;
    register(
        &server,
        &key,
        &receiver.url,
        &["lead.created", "handoff.requested"],
    )
    .await;
    let visitor = server.sdk(&server.faq_key);
    let token = visitor.session().await.unwrap().token;
    let lead = |id: &str, email: &str| {
        let data = json!({"threadId": "thread-ev", "name": "Ada", "email": email, "consent": true});
        event(id, usage_types::LEAD, Some(data))
    };
    let handoff = |id: &str| {
        event(
            id,
            usage_types::HANDOFF,
            Some(json!({"threadId": "thread-ev"})),
        )
    };

    // Turned off, both are refused like any event the widget cannot take.
    let results = send_events(
        &server,
        &token,
        vec![lead("l0", "ada@example.com"), handoff("h0")],
    )
    .await;
    for result in &results {
        assert_eq!(result["status"], "rejected", "{result}");
        assert_eq!(result["reason"], "invalid_data");
    }

    set_engagement(&server, &key, &widget, all_on()).await;
    let results = send_events(
        &server,
        &token,
        vec![
            lead("l1", "not an address"),
            lead("l2", "ada@example.com"),
            lead("l3", "grace@example.com"),
            handoff("h1"),
            handoff("h2"),
        ],
    )
    .await;
    let statuses: Vec<&Value> = results.iter().map(|r| &r["status"]).collect();
    assert_eq!(
        statuses,
        [
            &json!("rejected"),
            &json!("accepted"),
            &json!("accepted"),
            &json!("accepted"),
            &json!("accepted")
        ]
    );
    // Sent again (a retried batch): duplicates, and nothing new.
    let again = send_events(
        &server,
        &token,
        vec![lead("l2", "ada@example.com"), handoff("h1")],
    )
    .await;
    assert!(
        again.iter().all(|r| r["status"] == "duplicate"),
        "{again:?}"
    );

    // The first lead of the thread stands; one request for a person goes out.
    let leads = server.get_json("/v1/leads", &key).await;
    let leads = leads["leads"].as_array().unwrap();
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0]["email"], "ada@example.com");
    assert_eq!(receiver.wait_for("lead.created", 1).await.len(), 1);
    assert_eq!(receiver.wait_for("handoff.requested", 1).await.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let sent: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.payload()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");

    // The usage events keep the thread, never the visitor's details.
    let export = server
        .get("/v1/usage/export?format=cloudevents", &key)
        .await
        .text()
        .await
        .unwrap();
    assert!(export.contains(usage_types::LEAD), "{export}");
    assert!(!export.contains("ada@example.com"), "{export}");
    assert!(!export.contains("\"Ada\""), "{export}");
}
