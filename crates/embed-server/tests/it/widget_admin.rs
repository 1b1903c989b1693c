//! Widget settings beyond the basics (starter prompts, avatar, per-visitor rate,
//! the daily budget a new widget starts with), deleting a widget, and rotating
//! its publishable key, through the admin API.

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::event_names;
use crate::support::local_cli::json_of;
use crate::support::{SITE, TestServer, assert_api_error, session_is_accepted};

#[tokio::test]
async fn starter_prompts_and_avatar_reach_the_page_and_bad_ones_change_nothing() {
    let server = TestServer::in_process().await;
    let (secret, agent) = server.secret_and_agent().await;
    let created = server
        .post_widget(
            &secret,
            json!({
                "agentId": agent,
                "allowedOrigins": [SITE],
                "testMode": true,
                "starterPrompts": ["  What do you sell? ", "Opening hours"],
                "avatarUrl": "https://cdn.example.com/bot.png",
                "messagesPerVisitorPerMinute": 5,
                "primaryColor": "#fde047",
                "primaryTextColor": "#111827",
            }),
        )
        .await;
    assert_eq!(
        created["widget"]["starterPrompts"],
        json!(["What do you sell?", "Opening hours"])
    );
    assert_eq!(created["widget"]["messagesPerVisitorPerMinute"], 5);
    let publishable = created["publishableKey"].as_str().unwrap();
    let page = server.page_config(publishable).await;
    assert_eq!(
        page["starterPrompts"],
        json!(["What do you sell?", "Opening hours"])
    );
    assert_eq!(page["avatarUrl"], "https://cdn.example.com/bot.png");
    assert_eq!(
        (&page["primaryColor"], &page["primaryTextColor"]),
        (&json!("#fde047"), &json!("#111827"))
    );
    // The per-visitor rate is the owner's business, not the page's.
    assert!(page.get("messagesPerVisitorPerMinute").is_none(), "{page}");

    let path = format!("/v1/widgets/{}", created["widget"]["id"].as_str().unwrap());
    for bad in [
        json!({ "title": "New", "starterPrompts": ["a", "b", "c", "d", "e"] }),
        json!({ "title": "New", "avatarUrl": "javascript:alert(1)" }),
        json!({ "title": "New", "avatarUrl": "http://cdn.example.com/bot.png" }),
        json!({ "title": "New", "messagesPerVisitorPerMinute": 100000 }),
        json!({ "title": "New", "primaryTextColor": "black" }),
    ] {
        let response = server
            .admin(Method::PATCH, &path, &secret, Some(bad.clone()))
            .await;
        assert_api_error(response, 400, "invalid_setting").await;
    }
    let unchanged = server.page_config(publishable).await;
    assert_eq!(unchanged, page, "a refused change altered the widget");

    let cleared = server
        .admin(
            Method::PATCH,
            &path,
            &secret,
            Some(json!({ "avatarUrl": "", "starterPrompts": [] })),
        )
        .await;
    assert_eq!(cleared.status(), 200);
    let page = server.page_config(publishable).await;
    assert!(
        page.get("avatarUrl").is_none() && page.get("starterPrompts").is_none(),
        "{page}"
    );
}

#[tokio::test]
async fn texts_with_control_characters_are_refused_and_greetings_keep_their_lines() {
    // A NUL once made PostgreSQL fail the insert (a 500), and an escape sequence
    // would reach the terminal of whoever lists the widgets with the CLI.
    let server = TestServer::in_process().await;
    let (secret, agent) = server.secret_and_agent().await;
    let widget = |field: &str, value: Value| {
        let mut body = json!({ "agentId": agent, "allowedOrigins": [SITE], "testMode": true });
        body[field] = value;
        body
    };
    for (body, refusal) in [
        (
            widget("title", json!("Help\u{0}desk")),
            "the title may not contain control characters",
        ),
        (
            widget("title", json!("\u{1b}[31mHelp")),
            "the title may not contain control characters",
        ),
        (
            widget("title", json!("Help\ndesk")),
            "the title may not contain control characters",
        ),
        (
            widget("starterPrompts", json!(["Opening\u{0}hours"])),
            "a starter prompt may not contain control characters",
        ),
        (
            widget("starterPrompts", json!(["Opening\u{85}hours"])),
            "a starter prompt may not contain control characters",
        ),
        (
            widget("greeting", json!("Hi\u{0}!")),
            "the greeting may not contain control characters other than line breaks and tabs",
        ),
        (
            widget("greeting", json!("Hi\u{7}!")),
            "the greeting may not contain control characters other than line breaks and tabs",
        ),
    ] {
        let response = server
            .admin(Method::POST, "/v1/widgets", &secret, Some(body.clone()))
            .await;
        let message = assert_api_error(response, 400, "invalid_setting").await;
        assert_eq!(message, refusal, "{body}");
    }

    // A one-line text has no line break or tab even at its ends, as the spec's
    // pattern says; spaces around it are trimmed. A greeting, which is
    // Markdown, keeps its line breaks and tabs, and loses those around it.
    let tabbed = server
        .admin(
            Method::POST,
            "/v1/widgets",
            &secret,
            Some(widget("title", json!("\tHelp desk\r\n"))),
        )
        .await;
    assert_api_error(tabbed, 400, "invalid_setting").await;
    let greeting = "Hi!\r\n\n- opening hours\n- prices\tand plans";
    let mut body = widget("greeting", json!(format!("\n{greeting}\n\n")));
    body["title"] = json!("  Help desk ");
    let created = server.post_widget(&secret, body).await;
    assert_eq!(created["widget"]["title"], "Help desk");
    assert_eq!(created["widget"]["greeting"], greeting);

    let path = format!("/v1/widgets/{}", created["widget"]["id"].as_str().unwrap());
    for bad in [
        json!({ "title": "Help\u{0}" }),
        json!({ "greeting": "Hi\u{1b}[2J" }),
        json!({ "starterPrompts": ["a\u{0}"] }),
    ] {
        let response = server
            .admin(Method::PATCH, &path, &secret, Some(bad.clone()))
            .await;
        assert_api_error(response, 400, "invalid_setting").await;
    }
    let unchanged: Value = server
        .admin(Method::GET, &path, &secret, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&unchanged["title"], &unchanged["greeting"]),
        (&json!("Help desk"), &json!(greeting))
    );
}

#[tokio::test]
async fn a_widgets_own_visitor_rate_applies_to_each_of_its_visitors() {
    // The runtime is down, so every allowed message ends fast in a RUN_ERROR.
    let server = TestServer::in_process().await;
    let (secret, agent) = server.secret_and_agent().await;
    let created = server
        .post_widget(
            &secret,
            json!({ "agentId": agent, "allowedOrigins": [SITE], "testMode": true,
                "messagesPerVisitorPerMinute": 1 }),
        )
        .await;
    let publishable = created["publishableKey"].as_str().unwrap();
    let chat = async |client: &sitekit_sdk::Client| {
        let token = client.session().await.unwrap().token;
        reqwest::Client::new()
            .post(format!("{}/v1/chat", server.url))
            .header("origin", SITE)
            .bearer_auth(token)
            .json(&json!({ "threadId": "t", "runId": "r",
                           "messages": [{ "id": "1", "role": "user", "content": "hi" }] }))
            .send()
            .await
            .unwrap()
    };
    let visitor = server.sdk(publishable);
    assert_eq!(chat(&visitor).await.status(), 200);
    let limited = chat(&visitor).await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_api_error(limited, 429, "rate_limited").await;
    // The server default (20 a minute) would have allowed it: the widget's rate
    // applied. Another visitor has an allowance of their own.
    assert_eq!(chat(&server.sdk(publishable)).await.status(), 200);
}

#[tokio::test]
async fn a_new_widget_has_a_finite_daily_budget_unless_its_owner_sets_one() {
    let server = TestServer::in_process().await;
    let (secret, agent) = server.secret_and_agent().await;
    let widget = async |budget: Option<u32>| {
        let mut body = json!({ "agentId": agent, "allowedOrigins": [SITE], "testMode": true });
        if let Some(budget) = budget {
            body["dailyMessageBudget"] = budget.into();
        }
        server.post_widget(&secret, body).await
    };
    let by_default = widget(None).await;
    assert_eq!(by_default["widget"]["dailyMessageBudget"], 1_000);
    // 0, said explicitly, is still "no budget"; any other number is the budget.
    assert_eq!(widget(Some(0)).await["widget"]["dailyMessageBudget"], 0);
    assert_eq!(widget(Some(7)).await["widget"]["dailyMessageBudget"], 7);
    // The CLI (local, as the operator) gives the same default.
    let created = json_of(
        &server.db_url,
        &[
            "widgets", "create", "--agent", &agent, "--origin", SITE, "--json",
        ],
    )
    .await;
    assert_eq!(created["widget"]["dailyMessageBudget"], 1_000);
    let unlimited = json_of(
        &server.db_url,
        &[
            "widgets",
            "create",
            "--agent",
            &agent,
            "--origin",
            SITE,
            "--daily-messages",
            "0",
            "--json",
        ],
    )
    .await;
    assert_eq!(unlimited["widget"]["dailyMessageBudget"], 0);

    // The default is enforced: with 999 of today's messages counted, the
    // 1,000th goes through and the next is refused.
    let widget_id = by_default["widget"]["id"].as_str().unwrap();
    let pool = sqlx::AnyPool::connect(&server.db_url).await.unwrap();
    sqlx::query(
        "INSERT INTO widget_daily_messages (widget_id, day, messages) VALUES ($1, $2, 999)",
    )
    .bind(widget_id)
    .bind(sitekit_embed_server::db::now_unix().div_euclid(sitekit_embed_server::db::DAY_SECS))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let visitor = server.sdk(by_default["publishableKey"].as_str().unwrap());
    let _last = visitor
        .chat_text("t", "the thousandth")
        .await
        .expect("within the budget");
    match visitor.chat_text("t", "one more").await {
        Err(sitekit_sdk::Error::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (429, "budget_exhausted"));
        }
        Err(other) => panic!("expected 429, got {other:?}"),
        Ok(_) => panic!("the widget answered past its default budget"),
    }
}

#[tokio::test]
async fn deleting_a_widget_ends_its_sessions_and_keeps_its_key_history() {
    let server = TestServer::in_process().await;
    let (secret, created) = server.secret_and_widget().await;
    let publishable = created["publishableKey"].as_str().unwrap();
    let path = format!("/v1/widgets/{}", created["widget"]["id"].as_str().unwrap());
    let session = server.sdk(publishable).session().await.unwrap().token;

    // Another tenant cannot delete it.
    let (their_tenant, _) = server.other_tenant().await;
    let (_, theirs) = server.key(&their_tenant, &["--kind", "secret"]).await;
    let refused = server.admin(Method::DELETE, &path, &theirs, None).await;
    assert_api_error(refused, 404, "not_found").await;
    assert!(session_is_accepted(&server.url, &session).await);

    let deleted = server.admin(Method::DELETE, &path, &secret, None).await;
    assert_eq!(deleted.status(), 204);
    assert!(!session_is_accepted(&server.url, &session).await);
    assert_api_error(server.widget_config(publishable).await, 401, "invalid_key").await;
    assert_api_error(
        server.admin(Method::GET, &path, &secret, None).await,
        404,
        "not_found",
    )
    .await;
    let list = server
        .admin(Method::GET, "/v1/widgets", &secret, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains(created["widget"]["id"].as_str().unwrap()));
    assert_api_error(
        server.admin(Method::DELETE, &path, &secret, None).await,
        404,
        "not_found",
    )
    .await;
    let keys = server
        .admin(Method::GET, "/v1/keys", &secret, None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let key = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["widgetId"] == created["widget"]["id"])
        .expect("the deleted widget's key is still listed");
    assert_eq!(key["revoked"], true);
    assert_eq!(
        event_names(&server.db_url, key["id"].as_str().unwrap()).await,
        ["created", "revoked"]
    );
}

#[tokio::test]
async fn a_publishable_key_rotates_with_a_grace_period() {
    let server = TestServer::in_process().await;
    let (secret, created) = server.secret_and_widget().await;
    let old = created["publishableKey"].as_str().unwrap();
    let key_id = |listing: &Value, widget: &Value| {
        listing["keys"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|key| key["widgetId"] == *widget && key["revoked"] == false)
            .map(|key| key["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let keys: Value = server
        .admin(Method::GET, "/v1/keys", &secret, None)
        .await
        .json()
        .await
        .unwrap();
    let old_id = key_id(&keys, &created["widget"]["id"]);

    let rotate = async |id: String, grace: u32| {
        let path = format!("/v1/keys/{id}/rotate");
        let body = json!({ "graceSeconds": grace });
        server.admin(Method::POST, &path, &secret, Some(body)).await
    };
    let rotated = rotate(old_id.clone(), 3600).await;
    assert_eq!(rotated.status(), 201);
    let rotated: Value = rotated.json().await.unwrap();
    let new = rotated["key"].as_str().unwrap();
    assert!(new.starts_with("skt_pub_test_") && new != old, "{rotated}");
    assert_eq!(rotated["scopes"], json!(["chat", "usage:write"]));
    // Both work during the grace period, so pages can switch over.
    assert_eq!(server.widget_config(old).await.status(), 200);
    assert_eq!(server.widget_config(new).await.status(), 200);

    // With no grace, the replaced key stops at once.
    let newest = rotate(rotated["id"].as_str().unwrap().to_owned(), 0)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_api_error(server.widget_config(new).await, 401, "key_expired").await;
    assert_eq!(
        server
            .widget_config(newest["key"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert_eq!(
        event_names(&server.db_url, &old_id).await,
        ["created", "rotated"]
    );
}
