//! Subscriptions: a buyer subscribes to a published agent, pinned to a version
//! or following the latest, and puts it on its sites through widgets; every
//! chat runs the version the subscription resolves to when it starts, and the
//! usage record says which. The buyer never sees where a version runs.

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::local_cli::{json_of, run};
use crate::support::{Langflow, SITE, TestServer, assert_api_error};

/// Where the in-process tests' versions run: a runtime that is down.
const RUNTIME: &str = "http://127.0.0.1:9";
const SELLER_CREDENTIAL: &str = "seller-runtime-credential";
const QUESTION: &str = "How do I install the snippet?";
/// How the FAQ flow's answer to [`QUESTION`] begins.
const FAQ_ANSWER: &str = "To install Site Kit embed, copy the snippet";

/// A published agent of `seller` with one version per binding; its id.
pub(crate) async fn published(server: &TestServer, seller: &str, bindings: &[Value]) -> String {
    let created = server
        .admin(
            Method::POST,
            "/v1/catalog/agents",
            seller,
            Some(json!({ "name": "Support agent" })),
        )
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for binding in bindings {
        publish(server, seller, &id, binding.clone()).await;
    }
    id
}

async fn publish(server: &TestServer, seller: &str, id: &str, binding: Value) -> Value {
    let path = format!("/v1/catalog/agents/{id}/versions");
    let response = server
        .admin(Method::POST, &path, seller, Some(binding))
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// Versions 1 (the FAQ flow) and 2 (the echo flow) on the runtime that is down.
fn two_versions() -> [Value; 2] {
    [
        json!({ "baseUrl": RUNTIME, "flowId": "faq-flow", "runtimeKey": SELLER_CREDENTIAL }),
        json!({ "flowId": "echo-flow", "releaseNotes": "Echoes" }),
    ]
}

async fn subscribe(server: &TestServer, buyer: &str, body: Value) -> reqwest::Response {
    server
        .admin(Method::POST, "/v1/subscriptions", buyer, Some(body))
        .await
}

async fn subscribed(server: &TestServer, buyer: &str, agent: &str, version: Value) -> Value {
    let response = subscribe(
        server,
        buyer,
        json!({ "publishedAgentId": agent, "version": version }),
    )
    .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn set_version(
    server: &TestServer,
    key: &str,
    id: &str,
    version: Value,
) -> reqwest::Response {
    server
        .admin(
            Method::PATCH,
            &format!("/v1/subscriptions/{id}"),
            key,
            Some(json!({ "version": version })),
        )
        .await
}

/// The version of its agent a chat of `widget` would run now.
async fn version_run_by(server: &TestServer, widget: &str) -> u32 {
    let (_, agent) = server
        .db()
        .await
        .widget_with_agent(widget)
        .await
        .unwrap()
        .unwrap();
    agent.version
}

#[tokio::test]
async fn a_buyer_pins_or_follows_and_moves_between_versions_in_one_call() {
    let server = TestServer::in_process().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let buyer = server.secret_key().await;
    let agent = published(&server, &seller, &two_versions()).await;

    let pinned = subscribed(&server, &buyer, &agent, json!(1)).await;
    assert_eq!(pinned["version"], 1);
    assert_eq!(pinned["versionPolicy"], 1);
    assert_eq!(pinned["agentName"], "Support agent");
    assert_eq!(pinned["sellerName"], "Agent Makers");
    assert_eq!(pinned["status"], "active");
    // Following the latest is the default.
    let response = subscribe(&server, &buyer, json!({ "publishedAgentId": agent })).await;
    assert_eq!(response.status(), 201);
    let text = response.text().await.unwrap();
    for secret_of_the_seller in [RUNTIME, SELLER_CREDENTIAL, "faq-flow", "echo-flow"] {
        assert!(!text.contains(secret_of_the_seller), "{text}");
    }
    let following: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(following["version"], 2);
    assert_eq!(following["versionPolicy"], "latest");
    let (pinned_id, following_id) = (
        pinned["id"].as_str().unwrap(),
        following["id"].as_str().unwrap(),
    );

    // A widget on each; each is the buyer's, and runs its subscription.
    let widget_on = async |subscription: &str| {
        let created = server
            .post_widget(
                &buyer,
                json!({ "subscriptionId": subscription, "allowedOrigins": [SITE] }),
            )
            .await;
        assert_eq!(created["widget"]["subscriptionId"], subscription);
        assert!(created["widget"].get("agentId").is_none(), "{created}");
        created["widget"]["id"].as_str().unwrap().to_owned()
    };
    let (pinned_widget, following_widget) =
        (widget_on(pinned_id).await, widget_on(following_id).await);
    let widgets = server.get_json("/v1/widgets", &buyer).await;
    let mut on_subscriptions: Vec<&str> = widgets["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|widget| widget.get("subscriptionId")?.as_str())
        .collect();
    on_subscriptions.sort_unstable();
    let mut both = [pinned_id, following_id];
    both.sort_unstable();
    assert_eq!(on_subscriptions, both);
    assert_eq!(version_run_by(&server, &pinned_widget).await, 1);
    assert_eq!(version_run_by(&server, &following_widget).await, 2);

    // A new version moves only the subscription that follows the latest.
    let v3 = publish(&server, &seller, &agent, json!({ "flowId": "third-flow" })).await;
    assert_eq!(version_run_by(&server, &pinned_widget).await, 1);
    assert_eq!(version_run_by(&server, &following_widget).await, 3);
    let moved = server
        .get_json(&format!("/v1/subscriptions/{following_id}"), &buyer)
        .await;
    assert_eq!(moved["version"], 3);
    assert!(moved["versionSince"].as_i64() >= v3["publishedAt"].as_i64());

    // Roll back, upgrade, follow again: one call each, each read back.
    let response = set_version(&server, &buyer, following_id, json!(1)).await;
    assert_eq!(response.status(), 200);
    let rolled_back: Value = response.json().await.unwrap();
    assert_eq!(
        (&rolled_back["version"], &rolled_back["versionPolicy"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(version_run_by(&server, &following_widget).await, 1);
    let upgraded: Value = set_version(&server, &buyer, pinned_id, json!(2))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(upgraded["version"], 2);
    assert_eq!(version_run_by(&server, &pinned_widget).await, 2);
    let latest: Value = set_version(&server, &buyer, following_id, json!("latest"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(latest["version"], 3);
    assert!(latest["policyChangedAt"].as_i64() >= rolled_back["policyChangedAt"].as_i64());

    let list = server.get_json("/v1/subscriptions", &buyer).await;
    // Oldest first, and by id within a second: sorted here by id alone.
    let mut listed: Vec<(&str, &Value)> = list["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|subscription| {
            (
                subscription["id"].as_str().unwrap(),
                &subscription["version"],
            )
        })
        .collect();
    listed.sort_unstable_by_key(|(id, _)| *id);
    let (v2, v3) = (json!(2), json!(3));
    let mut expected = [(pinned_id, &v2), (following_id, &v3)];
    expected.sort_unstable_by_key(|(id, _)| *id);
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn only_the_buyer_reaches_its_subscriptions_and_their_widgets() {
    let server = TestServer::in_process().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let buyer = server.secret_key().await;
    let agent = published(&server, &seller, &two_versions()).await;
    let subscription = subscribed(&server, &buyer, &agent, json!("latest")).await;
    let id = subscription["id"].as_str().unwrap();
    let path = format!("/v1/subscriptions/{id}");
    let widget = server
        .post_widget(
            &buyer,
            json!({ "subscriptionId": id, "allowedOrigins": [SITE] }),
        )
        .await;
    let widget_path = format!("/v1/widgets/{}", widget["widget"]["id"].as_str().unwrap());

    let (_, rival) = server.buyer("Rival Shop").await;
    for key in [&rival, &seller] {
        assert_api_error(server.get(&path, key).await, 404, "not_found").await;
        assert_api_error(
            set_version(&server, key, id, json!(1)).await,
            404,
            "not_found",
        )
        .await;
        assert_api_error(server.get(&widget_path, key).await, 404, "not_found").await;
        assert_eq!(
            server.get_json("/v1/subscriptions", key).await,
            json!({ "subscriptions": [] })
        );
    }
    // Nor may another buyer put the subscription on its own site.
    let response = server
        .admin(
            Method::POST,
            "/v1/widgets",
            &rival,
            Some(json!({ "subscriptionId": id, "allowedOrigins": [SITE] })),
        )
        .await;
    assert_api_error(response, 404, "not_found").await;
    // Nothing moved.
    assert_eq!(
        server.get_json(&path, &buyer).await["versionPolicy"],
        "latest"
    );

    // The buyer never reaches the seller's binding, whose id the seller sees.
    let seller_view = server
        .get_json(&format!("/v1/catalog/agents/{agent}"), &seller)
        .await;
    let binding = seller_view["versions"][0]["binding"]["id"]
        .as_str()
        .unwrap();
    let binding_path = format!("/v1/agents/{binding}");
    assert_api_error(server.get(&binding_path, &buyer).await, 404, "not_found").await;
    let response = server
        .admin(
            Method::PATCH,
            &binding_path,
            &buyer,
            Some(json!({ "baseUrl": "https://attacker.example" })),
        )
        .await;
    assert_api_error(response, 404, "not_found").await;
    let buyer_view = server
        .get_json(&format!("/v1/catalog/agents/{agent}"), &buyer)
        .await;
    assert!(buyer_view["versions"][0].get("binding").is_none());
}

#[tokio::test]
async fn subscribing_takes_a_buyer_the_scope_and_an_agent_open_to_it() {
    let server = TestServer::in_process().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let buyer = server.secret_key().await;
    let agent = published(&server, &seller, &two_versions()).await;
    let body = json!({ "publishedAgentId": agent });

    // The scopes: agents:write to subscribe and move, widgets:read to look.
    let (_, reader) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "widgets:read"],
        )
        .await;
    assert_api_error(
        subscribe(&server, &reader, body.clone()).await,
        403,
        "missing_scope",
    )
    .await;
    let (_, writer) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "agents:write"],
        )
        .await;
    assert_api_error(
        server.get("/v1/subscriptions", &writer).await,
        403,
        "missing_scope",
    )
    .await;
    let made = subscribe(&server, &writer, body.clone()).await;
    assert_eq!(made.status(), 201);
    let id = made.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_api_error(
        set_version(&server, &reader, &id, json!(1)).await,
        403,
        "missing_scope",
    )
    .await;

    // A seller that does not buy.
    let message = assert_api_error(
        subscribe(&server, &seller, body.clone()).await,
        403,
        "not_a_buyer",
    )
    .await;
    assert!(message.contains("--role buyer"), "{message}");

    // An agent with no version yet is not there to buyers.
    let empty = published(&server, &seller, &[]).await;
    assert_api_error(
        subscribe(&server, &buyer, json!({ "publishedAgentId": empty })).await,
        404,
        "not_found",
    )
    .await;

    // Withdrawn: no new subscriptions; the one there is keeps working and
    // still moves between versions, and its buyer is told.
    let withdraw = json!({ "status": "withdrawn" });
    let response = server
        .admin(
            Method::PATCH,
            &format!("/v1/catalog/agents/{agent}"),
            &seller,
            Some(withdraw),
        )
        .await;
    assert_eq!(response.status(), 200);
    let message = assert_api_error(
        subscribe(&server, &buyer, body.clone()).await,
        409,
        "agent_withdrawn",
    )
    .await;
    assert!(message.contains("Support agent"), "{message}");
    let kept: Value = set_version(&server, &buyer, &id, json!(1))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&kept["version"], &kept["status"]),
        (&json!(1), &json!("withdrawn"))
    );
    // On the command line too.
    let (ok, _, stderr) = run(
        &server.db_url,
        &[
            "subscriptions",
            "create",
            "--tenant",
            &server.tenant_id,
            "--published-agent",
            &agent,
        ],
    )
    .await;
    assert!(!ok && stderr.contains("withdrawn"), "{stderr}");
}

#[tokio::test]
async fn hostile_subscription_requests_change_nothing() {
    let server = TestServer::in_process().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let buyer = server.secret_key().await;
    let agent = published(&server, &seller, &two_versions()).await;
    let subscription = subscribed(&server, &buyer, &agent, json!(2)).await;
    let id = subscription["id"].as_str().unwrap();

    for (body, status, code) in [
        (json!({}), 400, "invalid_body"),
        (
            json!({ "publishedAgentId": agent, "version": 0 }),
            400,
            "invalid_body",
        ),
        (
            json!({ "publishedAgentId": agent, "version": -1 }),
            400,
            "invalid_body",
        ),
        (
            json!({ "publishedAgentId": agent, "version": "newest" }),
            400,
            "invalid_body",
        ),
        (
            json!({ "publishedAgentId": agent, "version": 7 }),
            409,
            "unknown_version",
        ),
        (
            json!({ "publishedAgentId": agent, "runtimeKey": "x" }),
            400,
            "invalid_body",
        ),
        (
            json!({ "publishedAgentId": "x".repeat(5_000) }),
            404,
            "not_found",
        ),
        (
            json!({ "publishedAgentId": "pag_'; DROP TABLE subscriptions; --" }),
            404,
            "not_found",
        ),
    ] {
        let response = subscribe(&server, &buyer, body.clone()).await;
        assert_api_error(response, status, code).await;
    }
    for (version, status, code) in [
        (json!(null), 400, "invalid_body"),
        (json!(4_294_967_296_u64), 400, "invalid_body"),
        (json!([1]), 400, "invalid_body"),
        (json!(9), 409, "unknown_version"),
    ] {
        let response = set_version(&server, &buyer, id, version).await;
        assert_api_error(response, status, code).await;
    }
    let response = server
        .admin(
            Method::PATCH,
            &format!("/v1/subscriptions/{id}"),
            &buyer,
            Some(json!({})),
        )
        .await;
    assert_api_error(response, 400, "invalid_body").await;
    let response = server
        .client()
        .post(format!("{}/v1/subscriptions", server.url))
        .bearer_auth(&buyer)
        .header("content-type", "text/plain")
        .body(format!("{{\"publishedAgentId\":\"{agent}\"}}"))
        .send()
        .await
        .unwrap();
    assert_api_error(response, 415, "unsupported_media_type").await;

    // A widget names one thing to run.
    let widgets = async || server.get_json("/v1/widgets", &buyer).await["widgets"].clone();
    let widgets_before = widgets().await;
    for body in [
        json!({ "allowedOrigins": [SITE] }),
        json!({ "subscriptionId": id, "agentId": "agt_x", "allowedOrigins": [SITE] }),
    ] {
        let response = server
            .admin(Method::POST, "/v1/widgets", &buyer, Some(body))
            .await;
        assert_api_error(response, 400, "invalid_body").await;
    }

    let list = server.get_json("/v1/subscriptions", &buyer).await;
    assert_eq!(list["subscriptions"].as_array().unwrap().len(), 1);
    assert_eq!(list["subscriptions"][0]["versionPolicy"], 2);
    assert_eq!(widgets().await, widgets_before);
}

#[tokio::test]
async fn the_command_line_subscribes_and_moves_versions_locally_and_remotely() {
    let server = TestServer::in_process().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let agent = published(&server, &seller, &two_versions()).await;

    let local = json_of(
        &server.db_url,
        &[
            "subscriptions",
            "create",
            "--tenant",
            &server.tenant_id,
            "--published-agent",
            &agent,
            "--version",
            "1",
            "--json",
        ],
    )
    .await;
    assert_eq!(
        (&local["version"], &local["versionPolicy"]),
        (&json!(1), &json!(1))
    );
    let id = local["id"].as_str().unwrap();
    let moved = json_of(
        &server.db_url,
        &["subscriptions", "set-version", id, "latest", "--json"],
    )
    .await;
    assert_eq!(moved["version"], 2);
    let widget = json_of(
        &server.db_url,
        &[
            "widgets",
            "create",
            "--subscription",
            id,
            "--origin",
            SITE,
            "--json",
        ],
    )
    .await;
    assert_eq!(widget["widget"]["subscriptionId"], id);
    let (_, text, _) = run(&server.db_url, &["subscriptions", "list"]).await;
    assert!(
        text.contains(id) && text.contains("version 2 (follows the latest version)"),
        "{text}"
    );
    let (ok, _, stderr) = run(&server.db_url, &["subscriptions", "set-version", id, "v2"]).await;
    assert!(
        !ok && stderr.contains("neither a version number"),
        "{stderr}"
    );

    // The same through a server, with the buyer's key.
    let buyer = server.secret_key().await;
    let remote = server
        .remote_json(
            &buyer,
            &["subscriptions", "create", "--published-agent", &agent],
        )
        .await;
    assert_eq!(remote["versionPolicy"], "latest");
    let remote_id = remote["id"].as_str().unwrap();
    let rolled_back = server
        .remote_json(&buyer, &["subscriptions", "set-version", remote_id, "1"])
        .await;
    assert_eq!(rolled_back["version"], 1);
    let shown = server
        .remote_json(&buyer, &["subscriptions", "show", remote_id])
        .await;
    assert_eq!(shown, rolled_back);
    server
        .remote_error(
            &seller,
            &["subscriptions", "create", "--published-agent", &agent],
            "buys agents",
        )
        .await;
}

/// The chat's answer text from a widget's publishable key.
async fn answer(server: &TestServer, publishable_key: &str, thread: &str) -> String {
    let client = server.sdk(publishable_key);
    let mut answer = client.answer(thread, QUESTION).await.unwrap();
    let mut text = String::new();
    while let Some(delta) = answer.next().await {
        text.push_str(&delta.unwrap());
    }
    text
}

/// The buyer's run records as the CloudEvents export has them, once `count`
/// are there: (widget, agentVersion) in the order they ran.
async fn exported_runs(server: &TestServer, key: &str, count: usize) -> Vec<(String, u64)> {
    for _ in 0..100 {
        let text = server
            .get("/v1/usage/export?format=cloudevents", key)
            .await
            .text()
            .await
            .unwrap();
        let runs: Vec<(String, u64)> = text
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|event| event["type"] == "dev.sitekit.run.completed")
            .map(|event| {
                (
                    event["widgetid"].as_str().unwrap().to_owned(),
                    event["data"]["agentVersion"].as_u64().unwrap(),
                )
            })
            .collect();
        if runs.len() >= count {
            return runs;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("fewer than {count} run records after 10 s");
}

#[tokio::test]
async fn each_buyer_chats_with_the_version_its_subscription_resolves_to() {
    let server = TestServer::spawn().await;
    let langflow = Langflow::from_env().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let agent = published(
        &server,
        &seller,
        &[
            json!({ "baseUrl": langflow.url, "flowId": langflow.faq_flow, "runtimeKey": langflow.key }),
            json!({ "flowId": langflow.echo_flow, "releaseNotes": "Says it back" }),
        ],
    )
    .await;
    let pinning = server.secret_key().await;
    let (_, following) = server.buyer("Second Shop").await;
    let widget_of = async |buyer: &str, version: Value| {
        let subscription = subscribed(&server, buyer, &agent, version).await;
        let id = subscription["id"].as_str().unwrap().to_owned();
        let created = server
            .post_widget(
                buyer,
                json!({ "subscriptionId": id, "allowedOrigins": [SITE], "testMode": true }),
            )
            .await;
        (
            id,
            created["widget"]["id"].as_str().unwrap().to_owned(),
            created["publishableKey"].as_str().unwrap().to_owned(),
        )
    };
    let (_, pinned_widget, pinned_key) = widget_of(&pinning, json!(1)).await;
    let (following_id, following_widget, following_key) =
        widget_of(&following, json!("latest")).await;

    // Version 1 answers from the FAQ, version 2 says the question back.
    assert!(
        answer(&server, &pinned_key, "a")
            .await
            .starts_with(FAQ_ANSWER)
    );
    assert_eq!(answer(&server, &following_key, "b").await, QUESTION);
    assert_eq!(
        exported_runs(&server, &pinning, 1).await,
        [(pinned_widget.clone(), 1)]
    );
    assert_eq!(
        exported_runs(&server, &following, 1).await,
        [(following_widget.clone(), 2)]
    );

    // Visitors rate the answers they got, the follower's before it moves.
    rate(&server, &pinned_key, &pinning, "up").await;
    rate(&server, &following_key, &following, "down").await;

    // One call rolls the follower back; its next chat runs version 1.
    let response = set_version(&server, &following, &following_id, json!(1)).await;
    assert_eq!(response.status(), 200);
    assert!(
        answer(&server, &following_key, "b")
            .await
            .starts_with(FAQ_ANSWER)
    );
    assert_eq!(
        exported_runs(&server, &following, 2).await,
        [(following_widget.clone(), 2), (following_widget.clone(), 1)]
    );
    // The daily rows and their CSV name the version too.
    let csv = server
        .get("/v1/usage/export?format=csv", &following)
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("date,agentId,agentVersion,")
    );
    let mut versions: Vec<&str> = lines.map(|line| line.split(',').nth(2).unwrap()).collect();
    versions.sort_unstable();
    assert_eq!(versions, ["1", "2"]);

    // The seller counts each buyer and version exactly, and reads no text.
    let response = server.get("/v1/seller/usage", &seller).await;
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(QUESTION) && !text.contains(FAQ_ANSWER),
        "{text}"
    );
    let report: Value = serde_json::from_str(&text).unwrap();
    let versions: Vec<(&Value, &Value, &Value, &Value)> = report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                &row["version"],
                &row["runs"],
                &row["feedbackUpRatio"],
                &row["subscriptions"],
            )
        })
        .collect();
    assert_eq!(
        versions,
        [
            (&json!(1), &json!(2), &json!(1.0), &json!(2)),
            (&json!(2), &json!(1), &json!(0.0), &json!(0)),
        ]
    );
    let mut days: Vec<(String, u64, u64)> = report["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["buyerName"].as_str().unwrap().to_owned(),
                row["version"].as_u64().unwrap(),
                row["runs"].as_u64().unwrap(),
            )
        })
        .collect();
    days.sort_unstable();
    assert_eq!(
        days,
        [
            ("Second Shop".to_owned(), 1, 1),
            ("Second Shop".to_owned(), 2, 1),
            ("Test Company".to_owned(), 1, 1),
        ]
    );

    // The seller reads none of the runs themselves, and has no session for a
    // buyer's threads.
    assert_eq!(exported_runs_now(&server, &seller).await, 0);
    let thread = server.get("/v1/threads/b", &seller).await;
    assert_eq!(thread.status(), 401);
}

/// A visitor of the widget of `publishable_key` rates the latest answer of
/// its buyer (who holds `buyer_key`): `up` or `down`.
async fn rate(server: &TestServer, publishable_key: &str, buyer_key: &str, rating: &str) {
    let text = server
        .get("/v1/usage/export?format=cloudevents", buyer_key)
        .await
        .text()
        .await
        .unwrap();
    let run_id = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .rfind(|event| event["type"] == "dev.sitekit.run.completed")
        .map(|event| event["data"]["runId"].as_str().unwrap().to_owned())
        .expect("a run to rate");
    let client = server.sdk(publishable_key);
    let usage = sitekit_sdk::UsageReporter::new(&client);
    usage
        .track(
            sitekit_sdk::wire::usage_types::FEEDBACK,
            Some(json!({ "runId": run_id, "rating": rating })),
        )
        .unwrap();
    let sent = usage.close().await.unwrap();
    assert_eq!(sent.accepted, 1, "{sent:?}");
}

/// How many run records `key`'s export holds now.
async fn exported_runs_now(server: &TestServer, key: &str) -> usize {
    let text = server
        .get("/v1/usage/export?format=cloudevents", key)
        .await
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| line.contains("dev.sitekit.run.completed"))
        .count()
}
