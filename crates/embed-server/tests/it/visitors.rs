//! Visitor ids are the server's: a page may continue only as a visitor the
//! server issued it, so neither a made-up id, nor one read from a usage export,
//! nor a forged one continues anybody (or reads their threads); and one address
//! may start only so many sessions, each a possible new visitor.

use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::db::DAY_MS;
use sitekit_embed_server::db::now_unix_ms;
use sitekit_embed_server::usage::report::format_day;
use sitekit_sdk::wire::public_visitor_id;

use crate::support::{SITE, TestServer, assert_api_error, kept_messages, per_minute};
use crate::usage::wait_for_runs;

/// `POST /v1/sessions` for `key`, presenting `visitor_id` if any.
async fn session(server: &TestServer, key: &str, visitor_id: Option<&str>) -> reqwest::Response {
    let mut body = json!({ "publishableKey": key });
    if let Some(visitor_id) = visitor_id {
        body["visitorId"] = visitor_id.into();
    }
    server
        .client()
        .post(format!("{}/v1/sessions", server.url))
        .header("origin", SITE)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn session_json(server: &TestServer, key: &str, visitor_id: Option<&str>) -> Value {
    let response = session(server, key, visitor_id).await;
    assert_eq!(response.status(), 200, "{visitor_id:?}");
    response.json().await.unwrap()
}

/// The messages `GET /v1/threads/<thread>` gives a session's token.
async fn thread_with(server: &TestServer, token: &str, thread: &str) -> Vec<Value> {
    server.read_thread(token, thread).await["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// The visitor ids today's CloudEvents export names, read as a tenant would.
async fn exported_visitor_ids(server: &TestServer) -> Vec<String> {
    let secret = server.secret_key().await;
    let today = now_unix_ms().div_euclid(DAY_MS);
    let query = format!(
        "/v1/usage/export?format=cloudevents&from={}&to={}",
        format_day(today - 1),
        format_day(today + 1)
    );
    let response = server.admin(Method::GET, &query, &secret, None).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    text.lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap();
            event["data"]["visitorId"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_server_given_visitor_id_continues_the_visitor_and_its_thread() {
    let server = TestServer::spawn().await;
    let first_page = server.sdk(&server.faq_key);
    let _answer = first_page
        .chat_text("kept", "What are keys?")
        .await
        .unwrap();
    kept_messages(&first_page, "kept", 2).await;
    let visitor_id = first_page.visitor_id().unwrap();

    // The next page presents the id it kept: the same visitor, the same thread.
    let next_page = server
        .sdk(&server.faq_key)
        .with_visitor_id(visitor_id.clone());
    assert_eq!(next_page.session().await.unwrap().visitor_id, visitor_id);
    let messages = next_page.thread("kept").await.unwrap().messages;
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0].content.as_deref(), Some("What are keys?"));
}

#[tokio::test]
async fn made_up_exported_or_forged_visitor_ids_get_a_fresh_visitor_and_no_threads() {
    let server = TestServer::spawn().await;
    let victim = server.sdk(&server.faq_key);
    let _answer = victim
        .chat_text("private", "How do I install the snippet?")
        .await
        .unwrap();
    kept_messages(&victim, "private", 2).await;
    let credential = victim.visitor_id().unwrap();
    let public_id = public_visitor_id(&credential).to_owned();

    // What a tenant's export shows is the public id, never the credential.
    wait_for_runs(&server.db_url, 1).await;
    assert_eq!(
        exported_visitor_ids(&server).await,
        std::slice::from_ref(&public_id)
    );

    // The signature (empty from a server that issued none).
    let signature = credential.split_once('.').map_or("", |(_, s)| s);
    let forged_signature: String = signature
        .chars()
        .map(|c| if c == 'A' { 'B' } else { 'A' })
        .collect();
    let presented = [
        public_id.clone(),
        "visitor-42".to_owned(),
        format!("{public_id}.{forged_signature}"),
        format!("vis_{}.{signature}", "x".repeat(22)),
        "<script>".to_owned(),
    ];
    for presented in &presented {
        let answer = session_json(&server, &server.faq_key, Some(presented)).await;
        let given = answer["visitorId"].as_str().unwrap();
        assert_ne!(given, presented, "a visitor id the server did not issue");
        assert_ne!(public_visitor_id(given), public_id, "{presented}");
        let token = answer["token"].as_str().unwrap();
        assert_eq!(
            thread_with(&server, token, "private").await,
            Vec::<Value>::new(),
            "{presented} read the other visitor's thread"
        );
    }
    // A credential issued for one widget continues nobody on another.
    let elsewhere = session_json(&server, &server.failing_key, Some(&credential)).await;
    assert_ne!(
        public_visitor_id(elsewhere["visitorId"].as_str().unwrap()),
        public_id
    );
    // Only one too long to be anybody's is an error.
    let too_long = session(&server, &server.faq_key, Some(&"v".repeat(129))).await;
    assert_api_error(too_long, 400, "invalid_visitor_id").await;
    // The visitor with the credential still reads their own.
    let own = session_json(&server, &server.faq_key, Some(&credential)).await;
    assert_eq!(own["visitorId"], credential.as_str());
    let own_token = own["token"].as_str().unwrap();
    assert_eq!(thread_with(&server, own_token, "private").await.len(), 2);
}

/// Sends messages with `token` until one is refused; returns how many went
/// through and the refusal.
async fn chat_until_refused(server: &TestServer, token: &str) -> (usize, reqwest::Response) {
    for sent in 0.. {
        let response = server
            .client()
            .post(format!("{}/v1/chat", server.url))
            .header("origin", SITE)
            .bearer_auth(token)
            .json(&json!({ "threadId": "t", "runId": format!("r{sent}"),
                "messages": [{ "id": "1", "role": "user", "content": "hi" }] }))
            .send()
            .await
            .unwrap();
        if response.status() != 200 {
            return (sent, response);
        }
    }
    unreachable!("the loop returns")
}

#[tokio::test]
async fn new_sessions_with_made_up_ids_do_not_reset_the_per_visitor_limit_past_the_per_address_one()
{
    let server = TestServer::in_process_with(|config| {
        config.limits.messages_per_visitor_per_minute = per_minute(2);
        config.limits.sessions_per_ip_per_minute = per_minute(3);
    })
    .await;
    // The runtime of this widget is down: runs end at once.
    let key = &server.down_key;
    let first = session_json(&server, key, Some("script-1")).await;
    assert_ne!(first["visitorId"], "script-1");
    let (sent, refused) = chat_until_refused(&server, first["token"].as_str().unwrap()).await;
    assert_eq!(sent, 2);
    assert_api_error(refused, 429, "rate_limited").await;

    // Coming back as the same visitor keeps the spent allowance.
    let visitor_id = first["visitorId"].as_str().unwrap();
    let again = session_json(&server, key, Some(visitor_id)).await;
    assert_eq!(again["visitorId"], visitor_id);
    let (sent, refused) = chat_until_refused(&server, again["token"].as_str().unwrap()).await;
    assert_eq!(sent, 0, "the limit was reset by a new session");
    assert_api_error(refused, 429, "rate_limited").await;

    // A made-up id is a new visitor, but this address has no sessions left.
    let third = session_json(&server, key, Some("script-2")).await;
    let (sent, _) = chat_until_refused(&server, third["token"].as_str().unwrap()).await;
    assert_eq!(sent, 2);
    let limited = session(&server, key, Some("script-3")).await;
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let message = assert_api_error(limited, 429, "rate_limited").await;
    assert!(message.contains("sessions"), "{message}");
    // It is the address that is limited: every widget refuses it.
    let other_widget = session(&server, &server.faq_key, None).await;
    assert_api_error(other_widget, 429, "rate_limited").await;
}
