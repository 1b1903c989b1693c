//! What a marketplace provisions for a purchase, through the operator's API
//! (`provisioning:write`): the buyer's subscription and widget, found again
//! by the purchase's id however often it is asked for; the pause and monthly
//! budget a visitor meets; the widget's removal; and its month's usage, the
//! same totals the organisation's own usage report counts.

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sitekit_sdk::Error;

use crate::subscriptions::published;
use crate::support::local_cli::json_of;
use crate::support::{DOWN_RUNTIME, Langflow, SITE, TestServer, assert_api_error};

const ORGANISATIONS: &str = "/v1/operator/organisations";

/// An operator key with every operator scope, or `--scopes`.
async fn operator_key(server: &TestServer, extra: &[&str]) -> String {
    let mut args = vec!["operator-keys", "create", "--json"];
    args.extend(extra);
    json_of(&server.db_url, &args).await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A seller's published agent with one version on `binding`; its id.
async fn published_agent(server: &TestServer, name: &str, binding: Value) -> String {
    let (_, seller) = server.seller(&format!("{name} Makers")).await;
    published(server, &seller, &[binding]).await
}

/// A secret key of `organisation`, made on the server's database.
async fn owner_key(server: &TestServer, organisation: &str) -> String {
    let args = [
        "keys",
        "create",
        "--tenant",
        organisation,
        "--kind",
        "secret",
        "--json",
    ];
    json_of(&server.db_url, &args).await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The buyer organisation of a marketplace customer; its id.
async fn customer(server: &TestServer, operator: &str, external_id: &str) -> String {
    let response = server
        .admin(
            Method::POST,
            ORGANISATIONS,
            operator,
            Some(json!({ "name": "Buyer Ltd", "externalId": external_id })),
        )
        .await;
    assert!(response.status().is_success());
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn provision(
    server: &TestServer,
    operator: &str,
    organisation: &str,
    what: &str,
    body: Value,
) -> reqwest::Response {
    server
        .admin(
            Method::POST,
            &format!("{ORGANISATIONS}/{organisation}/{what}"),
            operator,
            Some(body),
        )
        .await
}

/// Status and body of provisioning `what`, which must succeed.
async fn provisioned(
    server: &TestServer,
    operator: &str,
    organisation: &str,
    what: &str,
    body: Value,
) -> (u16, Value) {
    let response = provision(server, operator, organisation, what, body).await;
    let status = response.status().as_u16();
    assert!(
        status == 200 || status == 201,
        "{what}: {status} {}",
        response.text().await.unwrap()
    );
    (status, response.json().await.unwrap())
}

/// A purchase of `agent` for `buyer`, provisioned: (subscription, widget).
async fn purchase(
    server: &TestServer,
    operator: &str,
    buyer: &str,
    agent: &str,
    external_id: &str,
) -> (Value, Value) {
    let body = purchase_subscription(external_id, agent);
    let (_, subscription) = provisioned(server, operator, buyer, "subscriptions", body).await;
    let subscription_id = subscription["id"].as_str().unwrap();
    let body = purchase_widget(external_id, subscription_id, 0);
    let (_, widget) = provisioned(server, operator, buyer, "widgets", body).await;
    (subscription, widget)
}

fn purchase_widget(external_id: &str, subscription: &str, budget: u32) -> Value {
    json!({
        "externalId": external_id,
        "monthlyMessageBudget": budget,
        "widget": {
            "subscriptionId": subscription,
            "allowedOrigins": [SITE],
            "title": "Ask us",
            "locale": "de",
        },
    })
}

fn purchase_subscription(external_id: &str, agent: &str) -> Value {
    json!({ "externalId": external_id, "subscription": { "publishedAgentId": agent } })
}

#[tokio::test]
async fn a_purchase_is_provisioned_once_however_often_it_is_asked_for() {
    let server = TestServer::in_process().await;
    let operator = operator_key(&server, &[]).await;
    let binding = json!({ "baseUrl": DOWN_RUNTIME, "flowId": "faq", "runtimeKey": "k" });
    let agent = published_agent(&server, "Support", binding.clone()).await;
    let other_agent = published_agent(&server, "Sales", binding).await;
    let buyer = customer(&server, &operator, "customer-1").await;

    // Asked twice (an order processed again after a crash): one subscription.
    let (status, subscription) = provisioned(
        &server,
        &operator,
        &buyer,
        "subscriptions",
        purchase_subscription("resource-1", &agent),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(subscription["externalId"], "resource-1");
    assert_eq!(subscription["publishedAgentId"], agent.as_str());
    let (status, again) = provisioned(
        &server,
        &operator,
        &buyer,
        "subscriptions",
        purchase_subscription("resource-1", &agent),
    )
    .await;
    assert_eq!((status, &again), (200, &subscription));
    let subscription_id = subscription["id"].as_str().unwrap();
    // The purchase's id names one subscription: to another agent, a conflict.
    let response = provision(
        &server,
        &operator,
        &buyer,
        "subscriptions",
        purchase_subscription("resource-1", &other_agent),
    )
    .await;
    let message = assert_api_error(response, 409, "external_id_in_use").await;
    assert!(message.contains(subscription_id), "{message}");

    // The widget likewise: the second answer gives the same key and snippet.
    let body = purchase_widget("resource-1", subscription_id, 500);
    let (status, created) = provisioned(&server, &operator, &buyer, "widgets", body.clone()).await;
    assert_eq!(status, 201);
    assert_eq!(created["organisationId"], buyer.as_str());
    let widget = &created["widget"];
    assert_eq!(
        (
            &widget["externalId"],
            &widget["paused"],
            &widget["monthlyMessageBudget"],
            &widget["locale"],
            &widget["subscriptionId"],
        ),
        (
            &json!("resource-1"),
            &json!(false),
            &json!(500),
            &json!("de"),
            &json!(subscription_id),
        )
    );
    let key = created["publishableKey"].as_str().unwrap();
    assert!(key.starts_with("skt_pub_live_"), "{created}");
    assert!(
        created["snippet"].as_str().unwrap().contains(key),
        "{created}"
    );
    let (status, found) = provisioned(&server, &operator, &buyer, "widgets", body).await;
    assert_eq!((status, &found), (200, &created));
    let widget_id = widget["id"].as_str().unwrap();
    let path = format!("/v1/operator/widgets/{widget_id}");
    assert_eq!(server.get_json(&path, &operator).await, created);

    // The buyer sees one of each, made by the operator key.
    let owner = owner_key(&server, &buyer).await;
    let widgets = server.get_json("/v1/widgets", &owner).await;
    assert_eq!(widgets["widgets"], json!([widget]));
    let subscriptions = server.get_json("/v1/subscriptions", &owner).await;
    assert_eq!(subscriptions["subscriptions"], json!([subscription]));

    // The marketplace pauses it and sets its budget; the owner can do neither.
    let response = server
        .admin(
            Method::PATCH,
            &path,
            &operator,
            Some(json!({ "paused": true, "monthlyMessageBudget": 3 })),
        )
        .await;
    assert_eq!(response.status(), 200);
    let controlled: Value = response.json().await.unwrap();
    assert_eq!(
        (
            &controlled["widget"]["paused"],
            &controlled["widget"]["monthlyMessageBudget"],
            &controlled["snippet"],
        ),
        (&json!(true), &json!(3), &created["snippet"])
    );
    let owner_path = format!("/v1/widgets/{widget_id}");
    for body in [
        json!({ "paused": false }),
        json!({ "monthlyMessageBudget": 0 }),
    ] {
        let response = server
            .admin(Method::PATCH, &owner_path, &owner, Some(body))
            .await;
        assert_api_error(response, 400, "invalid_body").await;
    }
    assert_eq!(server.get_json(&path, &operator).await, controlled);

    // Deleted: gone from the buyer's widgets and the operator's reach, never
    // made again for the same purchase, its usage still readable.
    let delete = || server.admin(Method::DELETE, &path, &operator, None);
    assert_eq!(delete().await.status(), 204);
    assert_api_error(delete().await, 404, "not_found").await;
    assert_api_error(server.get(&path, &operator).await, 404, "not_found").await;
    assert_eq!(
        server.get_json("/v1/widgets", &owner).await["widgets"],
        json!([])
    );
    let response = provision(
        &server,
        &operator,
        &buyer,
        "widgets",
        purchase_widget("resource-1", subscription_id, 500),
    )
    .await;
    assert_api_error(response, 409, "external_id_in_use").await;
    let usage = server
        .get_json(&format!("{path}/usage?month=2026-12"), &operator)
        .await;
    assert_eq!(
        usage,
        json!({ "widgetId": widget_id, "month": "2026-12", "messages": 0,
                "inputTokens": 0, "outputTokens": 0 })
    );
    // Another purchase of the same customer gets its own widget.
    let (status, second) = provisioned(
        &server,
        &operator,
        &buyer,
        "widgets",
        purchase_widget("resource-2", subscription_id, 0),
    )
    .await;
    assert_eq!(status, 201);
    assert_ne!(second["widget"]["id"], json!(widget_id));
}

/// The answer a visitor of `key` gets to `text`, or the refusal's status,
/// code and Retry-After.
async fn chat(
    server: &TestServer,
    key: &str,
    text: &str,
) -> Result<String, (u16, String, Option<u64>)> {
    let client = server.sdk(key);
    match client.answer("visitor-thread", text).await {
        Ok(mut answer) => {
            let mut said = String::new();
            while let Some(delta) = answer.next().await {
                said.push_str(&delta.expect("the run ends well"));
            }
            Ok(said)
        }
        Err(Error::Api {
            status,
            code,
            retry_after,
            ..
        }) => Err((status, code, retry_after)),
        Err(other) => panic!("expected an answer or a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_paused_or_spent_purchase_tells_visitors_and_its_usage_is_billed_as_counted() {
    let server = TestServer::spawn().await;
    let langflow = Langflow::from_env().await;
    let operator = operator_key(&server, &[]).await;
    let agent = published_agent(
        &server,
        "Echo",
        json!({ "baseUrl": langflow.url, "flowId": langflow.echo_flow, "runtimeKey": langflow.key }),
    )
    .await;
    let buyer = customer(&server, &operator, "customer-7").await;
    let (_, created) = purchase(&server, &operator, &buyer, &agent, "resource-7").await;
    let key = created["publishableKey"].as_str().unwrap();
    let widget_id = created["widget"]["id"].as_str().unwrap();
    let path = format!("/v1/operator/widgets/{widget_id}");
    let control = async |body: Value| {
        let response = server
            .admin(Method::PATCH, &path, &operator, Some(body))
            .await;
        assert_eq!(response.status(), 200);
    };

    assert_eq!(chat(&server, key, "first").await, Ok("first".into()));
    // Paused: refused with its own code (the widget says so in the visitor's
    // language), and not counted.
    control(json!({ "paused": true })).await;
    let (status, code, _) = chat(&server, key, "while paused").await.unwrap_err();
    assert_eq!((status, code.as_str()), (403, "widget_paused"));
    control(json!({ "paused": false })).await;
    assert_eq!(chat(&server, key, "second").await, Ok("second".into()));

    // A budget of three a month: one more, then refused until the 1st.
    control(json!({ "monthlyMessageBudget": 3 })).await;
    assert_eq!(chat(&server, key, "third").await, Ok("third".into()));
    let (status, code, retry_after) = chat(&server, key, "fourth").await.unwrap_err();
    assert_eq!((status, code.as_str()), (429, "budget_exhausted"));
    let now = time::OffsetDateTime::now_utc();
    let next_month = if now.month() == time::Month::December {
        time::Date::from_calendar_date(now.year() + 1, time::Month::January, 1)
    } else {
        time::Date::from_calendar_date(now.year(), now.month().next(), 1)
    }
    .unwrap()
    .midnight()
    .assume_utc();
    let until_then = (next_month - now).whole_seconds() as u64;
    let wait = retry_after.expect("Retry-After is set");
    assert!(wait.abs_diff(until_then) <= 5, "{wait} vs {until_then}");

    // The month's usage is the organisation's own report of it, exactly.
    let month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    let usage = server
        .get_json(&format!("{path}/usage?month={month}"), &operator)
        .await;
    let owner = owner_key(&server, &buyer).await;
    let report = server.get_json("/v1/usage", &owner).await;
    let totals = &report["totals"];
    assert_eq!(
        usage,
        json!({ "widgetId": widget_id, "month": month, "messages": 3,
                "inputTokens": totals["inputTokens"], "outputTokens": totals["outputTokens"] })
    );
    assert_eq!(totals["messages"], 3);
    // Another month has none of it.
    let usage = server
        .get_json(&format!("{path}/usage?month=2020-01"), &operator)
        .await;
    assert_eq!(usage["messages"], 0);
}

#[tokio::test]
async fn provisioning_refuses_the_wrong_key_the_missing_scope_and_hostile_bodies() {
    let server = TestServer::in_process().await;
    let operator = operator_key(&server, &[]).await;
    let reader = operator_key(
        &server,
        &["--scopes", "organisations:read organisations:write"],
    )
    .await;
    let agent = published_agent(
        &server,
        "Support",
        json!({ "baseUrl": DOWN_RUNTIME, "flowId": "faq", "runtimeKey": "k" }),
    )
    .await;
    let buyer = customer(&server, &operator, "customer-1").await;
    let other = customer(&server, &operator, "customer-2").await;
    let (subscription, created) = purchase(&server, &operator, &buyer, &agent, "resource-1").await;
    let subscription_id = subscription["id"].as_str().unwrap();
    let widget_path = format!(
        "/v1/operator/widgets/{}",
        created["widget"]["id"].as_str().unwrap()
    );
    let usage_path = format!("{widget_path}/usage?month=2026-12");

    // Without provisioning:write, every route is refused and naming it.
    let calls = [
        (
            Method::POST,
            format!("{ORGANISATIONS}/{buyer}/subscriptions"),
            Some(purchase_subscription("r", &agent)),
        ),
        (
            Method::POST,
            format!("{ORGANISATIONS}/{buyer}/widgets"),
            Some(purchase_widget("r", subscription_id, 0)),
        ),
        (Method::GET, widget_path.clone(), None),
        (
            Method::PATCH,
            widget_path.clone(),
            Some(json!({ "paused": true })),
        ),
        (Method::DELETE, widget_path.clone(), None),
        (Method::GET, usage_path.clone(), None),
    ];
    for (method, path, body) in &calls {
        let response = server
            .admin(method.clone(), path, &reader, body.clone())
            .await;
        let message = assert_api_error(response, 403, "missing_scope").await;
        assert!(message.contains("provisioning:write"), "{path}: {message}");
    }
    // An organisation's own secret key does not open the operator's API.
    let (_, secret) = server.buyer("Curious Buyer").await;
    for (method, path, body) in &calls {
        let response = server
            .admin(method.clone(), path, &secret, body.clone())
            .await;
        assert_api_error(response, 401, "invalid_key").await;
    }

    // Another organisation's subscription is not the buyer's to put on a widget.
    let response = provision(
        &server,
        &operator,
        &other,
        "widgets",
        purchase_widget("resource-9", subscription_id, 0),
    )
    .await;
    assert_api_error(response, 404, "not_found").await;
    let response = provision(
        &server,
        &operator,
        "ten_nobody",
        "subscriptions",
        purchase_subscription("r", &agent),
    )
    .await;
    assert_api_error(response, 404, "not_found").await;

    // Hostile bodies change nothing.
    let long = "x".repeat(201);
    for external_id in ["", "  ", "line\nbreak", long.as_str()] {
        for (what, body) in [
            ("subscriptions", purchase_subscription(external_id, &agent)),
            ("widgets", purchase_widget(external_id, subscription_id, 0)),
        ] {
            let response = provision(&server, &operator, &other, what, body).await;
            assert_api_error(response, 400, "invalid_setting").await;
        }
    }
    for body in [
        json!({ "externalId": "r", "subscription": { "publishedAgentId": agent }, "extra": 1 }),
        json!({ "externalId": "r" }),
        json!({ "externalId": "r", "monthlyMessageBudget": -1, "widget": { "subscriptionId": subscription_id, "allowedOrigins": [SITE] } }),
        json!({ "externalId": "r", "widget": { "subscriptionId": subscription_id, "allowedOrigins": ["javascript:alert(1)"] } }),
        json!([1, 2, 3]),
    ] {
        let what = if body.get("widget").is_some() {
            "widgets"
        } else {
            "subscriptions"
        };
        let response = provision(&server, &operator, &buyer, what, body).await;
        assert_eq!(response.status(), 400, "{what}");
    }
    for body in [
        json!({ "enabled": false }),
        json!({ "paused": "yes" }),
        json!({ "monthlyMessageBudget": 1.5 }),
    ] {
        let response = server
            .admin(Method::PATCH, &widget_path, &operator, Some(body))
            .await;
        assert_eq!(response.status(), 400);
    }
    assert_eq!(server.get_json(&widget_path, &operator).await, created);
    for month in ["2026-13", "2026-1", "december", ""] {
        let response = server
            .get(&format!("{widget_path}/usage?month={month}"), &operator)
            .await;
        assert_api_error(response, 400, "invalid_query").await;
    }
    assert_api_error(
        server.get(&format!("{widget_path}/usage"), &operator).await,
        400,
        "invalid_query",
    )
    .await;
    assert_api_error(
        server
            .get(
                "/v1/operator/widgets/wgt_nothing/usage?month=2026-12",
                &operator,
            )
            .await,
        404,
        "not_found",
    )
    .await;
    // Nothing more was made for either customer.
    for (organisation, made) in [(&buyer, 1), (&other, 0)] {
        let owner = owner_key(&server, organisation).await;
        let widgets = server.get_json("/v1/widgets", &owner).await;
        let subscriptions = server.get_json("/v1/subscriptions", &owner).await;
        assert_eq!(
            (
                widgets["widgets"].as_array().unwrap().len(),
                subscriptions["subscriptions"].as_array().unwrap().len()
            ),
            (made, made)
        );
    }
}

#[tokio::test]
async fn the_rust_sdk_provisions_controls_and_bills_a_purchase() {
    use sitekit_sdk::OperatorClient;
    use sitekit_sdk::operator::{MarketplaceControls, ProvisionedSubscription, ProvisionedWidget};

    let server = TestServer::in_process().await;
    let operator = OperatorClient::new(&server.url, operator_key(&server, &[]).await);
    let agent = published_agent(
        &server,
        "Support",
        json!({ "baseUrl": DOWN_RUNTIME, "flowId": "faq", "runtimeKey": "k" }),
    )
    .await;
    let buyer = customer(
        &server,
        operator_key(&server, &[]).await.as_str(),
        "customer-3",
    )
    .await;
    let subscription: ProvisionedSubscription =
        serde_json::from_value(purchase_subscription("resource-3", &agent)).unwrap();
    let made = operator
        .provision_subscription(&buyer, &subscription)
        .await
        .unwrap();
    let found = operator
        .provision_subscription(&buyer, &subscription)
        .await
        .unwrap();
    assert_eq!(made, found);
    let widget: ProvisionedWidget =
        serde_json::from_value(purchase_widget("resource-3", &made.id, 100)).unwrap();
    let created = operator.provision_widget(&buyer, &widget).await.unwrap();
    assert_eq!(
        operator.provision_widget(&buyer, &widget).await.unwrap(),
        created
    );
    assert_eq!(created.organisation_id, buyer);
    let id = &created.widget.id;
    assert_eq!(operator.widget(id).await.unwrap(), created);

    let pause = MarketplaceControls {
        paused: Some(true),
        monthly_message_budget: None,
    };
    let paused = operator.control_widget(id, &pause).await.unwrap();
    assert!(paused.widget.paused);
    assert_eq!(paused.widget.monthly_message_budget, 100);
    let usage = operator.widget_usage(id, "2026-12").await.unwrap();
    assert_eq!((usage.month.as_str(), usage.messages), ("2026-12", 0));
    operator.delete_widget(id).await.unwrap();
    match operator.delete_widget(id).await {
        Err(sitekit_sdk::Error::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (404, "not_found"))
        }
        other => panic!("expected 404, got {other:?}"),
    }
    match operator.widget_usage(id, "2026-13").await {
        Err(sitekit_sdk::Error::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (400, "invalid_query"))
        }
        other => panic!("expected 400, got {other:?}"),
    }
}
