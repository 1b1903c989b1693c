//! `GET /openapi.json`: the spec lists every route the server serves, each with
//! its answers, error shape and credentials, and nothing it does not serve.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{SITE, TestServer};

async fn spec(server: &TestServer) -> Value {
    let response = server
        .client()
        .get(format!("{}/openapi.json", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

/// (method, path template) of every operation in the spec.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            found.push((method.to_uppercase(), path.clone(), operation.clone()));
        }
    }
    found
}

#[tokio::test]
async fn the_spec_lists_the_whole_api() {
    let server = TestServer::in_process().await;
    let spec = spec(&server).await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(spec["info"]["title"], "Site Kit embed API");
    let listed: Vec<(String, String)> = operations(&spec)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    // The routes of design.md and the admin API, each with its method.
    for (method, path) in [
        ("GET", "/v1/loader.js"),
        ("GET", "/v1/assets/{name}"),
        ("GET", "/v1/widgets/{widget}/config"),
        ("POST", "/v1/sessions"),
        ("POST", "/v1/chat"),
        ("GET", "/v1/threads/{thread}"),
        ("POST", "/v1/usage/events"),
        ("GET", "/v1/agents"),
        ("POST", "/v1/agents"),
        ("GET", "/v1/agents/{agent}"),
        ("PATCH", "/v1/agents/{agent}"),
        ("DELETE", "/v1/agents/{agent}"),
        ("GET", "/v1/catalog/agents"),
        ("POST", "/v1/catalog/agents"),
        ("GET", "/v1/catalog/agents/{publishedAgent}"),
        ("PATCH", "/v1/catalog/agents/{publishedAgent}"),
        ("POST", "/v1/catalog/agents/{publishedAgent}/versions"),
        ("GET", "/v1/subscriptions"),
        ("POST", "/v1/subscriptions"),
        ("GET", "/v1/subscriptions/{subscription}"),
        ("PATCH", "/v1/subscriptions/{subscription}"),
        ("GET", "/v1/widgets"),
        ("POST", "/v1/widgets"),
        ("GET", "/v1/widgets/{widget}"),
        ("PATCH", "/v1/widgets/{widget}"),
        ("DELETE", "/v1/widgets/{widget}"),
        ("GET", "/v1/widgets/{widget}/snippet"),
        ("GET", "/v1/keys"),
        ("POST", "/v1/keys"),
        ("POST", "/v1/keys/{key}/revoke"),
        ("POST", "/v1/keys/{key}/rotate"),
        ("GET", "/v1/keys/{key}/events"),
        ("GET", "/v1/usage"),
        ("GET", "/v1/usage/export"),
        ("GET", "/v1/seller/usage"),
        ("GET", "/v1/operator/organisations"),
        ("POST", "/v1/operator/organisations"),
        ("GET", "/v1/operator/organisations/{organisation}"),
        ("GET", "/v1/operator/organisations/{organisation}/keys"),
        ("POST", "/v1/operator/organisations/{organisation}/keys"),
        (
            "POST",
            "/v1/operator/organisations/{organisation}/keys/{key}/revoke",
        ),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
    ] {
        assert!(
            listed.contains(&(method.to_owned(), path.to_owned())),
            "{method} {path} is missing from the spec"
        );
    }
}

#[tokio::test]
async fn every_listed_operation_is_served_and_fully_described() {
    let server = TestServer::in_process().await;
    let spec = spec(&server).await;
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    for (method, path, operation) in operations(&spec) {
        let what = format!("{method} {path}");
        // Served: the router answers, not its fallback for unknown routes.
        let concrete = path
            .replace("{name}", "missing.js")
            .replace("{widget}", "wgt_missing")
            .replace("{agent}", "agt_missing")
            .replace("{publishedAgent}", "pag_missing")
            .replace("{subscription}", "sub_missing")
            .replace("{key}", "key_missing")
            .replace("{organisation}", "ten_missing")
            .replace("{thread}", "thread-missing");
        let response = server
            .client()
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{concrete}", server.url),
            )
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(
            status != 405 && !(status == 404 && body.contains("no such route")),
            "{what} is in the spec but not served: {status} {body}"
        );

        let responses = operation["responses"].as_object().expect(&what);
        assert!(
            // A sign-in's steps succeed by redirecting the browser (303).
            responses
                .keys()
                .any(|status| status.starts_with('2') || status == "303"),
            "{what} documents no success"
        );
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/ErrorBody",
                    "{what} {status} does not document the error body"
                );
            }
        }
        let security = operation["security"].to_string();
        let browser =
            path == "/v1/chat" || path.starts_with("/v1/threads") || path == "/v1/usage/events";
        let admin = path.starts_with("/v1/agents")
            || path.starts_with("/v1/catalog")
            || path.starts_with("/v1/subscriptions")
            || path.starts_with("/v1/seller")
            || path.starts_with("/v1/conversations")
            || path.starts_with("/v1/visitors")
            || path.starts_with("/v1/leads")
            || path.starts_with("/v1/webhooks")
            || path.starts_with("/v1/keys")
            || path.starts_with("/v1/members")
            || path.starts_with("/v1/invitations")
            || path == "/v1/audit"
            || (path.starts_with("/v1/usage") && !browser)
            || (path.starts_with("/v1/widgets") && !path.ends_with("/config"));
        assert_eq!(
            security.contains("admin_key"),
            admin,
            "{what}: security {security}"
        );
        // A signed-in person works where a key does, and only there (and
        // on their own session's routes).
        let own_session =
            ["/v1/auth/me", "/v1/auth/organisation", "/v1/auth/logout"].contains(&path.as_str());
        assert_eq!(
            security.contains("dashboard_session"),
            admin || own_session,
            "{what}: security {security}"
        );
        if browser {
            assert!(security.contains("session"), "{what}: {security}");
        }
        // The operator's routes take operator keys alone, and name the
        // operator scope each needs.
        let operator = path.starts_with("/v1/operator/");
        assert_eq!(
            security.contains("operator_key"),
            operator,
            "{what}: security {security}"
        );
        if operator {
            let scopes = &operation["security"][0]["operator_key"];
            assert_eq!(
                scopes.as_array().map(Vec::len),
                Some(1),
                "{what}: {security}"
            );
            let scope = scopes[0].as_str().unwrap();
            assert!(
                sitekit_sdk::fields::OperatorScope::NAMES.contains(&scope),
                "{what}: {scope}"
            );
        }
    }
    // Every schema a response or request names is defined.
    let text = spec.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            schemas.contains_key(name),
            "{name} is referenced but not defined"
        );
    }
    // Field names as they are on the wire (camelCase, like AG-UI), events included.
    let run_started = schemas["Event"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|variant| variant["properties"]["type"]["enum"][0] == "RUN_STARTED")
        .expect("RUN_STARTED is described");
    assert!(
        run_started["properties"].get("threadId").is_some(),
        "{run_started}"
    );
    assert!(
        schemas["WidgetSummary"]["properties"]
            .get("allowedOrigins")
            .is_some()
    );
    for scheme in ["session", "admin_key", "operator_key"] {
        assert_eq!(
            spec["components"]["securitySchemes"][scheme]["scheme"], "bearer",
            "{scheme}"
        );
    }
}

#[tokio::test]
async fn operations_have_unique_ids_and_links_name_them() {
    let server = TestServer::in_process().await;
    let spec = spec(&server).await;
    let mut ids = HashSet::new();
    for (method, path, operation) in operations(&spec) {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            ids.insert(id.clone()),
            "{method} {path}: operationId `{id}` is taken"
        );
    }
    // What a created agent, widget or key can be used with next.
    let mut linked = Vec::new();
    for (method, path, operation) in operations(&spec) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                let target = link["operationId"].as_str().unwrap_or_default();
                assert!(
                    ids.contains(target),
                    "{method} {path} {status}: link {name} names no operation: {link}"
                );
                linked.push(format!("{method} {path} -> {target}"));
            }
        }
    }
    for expected in [
        "POST /v1/agents -> getAgent",
        "POST /v1/widgets -> deleteWidget",
        "POST /v1/keys -> revokeKey",
        "POST /v1/keys/{key}/rotate -> rotateKey",
    ] {
        assert!(
            linked.iter().any(|link| link == expected),
            "{expected}: {linked:?}"
        );
    }
}

/// A bounded value of the spec: where its bound is and which side of it is
/// refused.
struct Bound {
    schema: &'static str,
    keyword: &'static str,
    property: &'static str,
    value: fn(usize) -> Value,
}

#[tokio::test]
async fn the_bounds_the_spec_states_are_the_ones_the_server_holds() {
    let server = TestServer::in_process().await;
    let spec = spec(&server).await;
    let schemas = &spec["components"]["schemas"];
    let (secret, agent) = server.secret_and_agent().await;
    let created = server
        .post_widget(
            &secret,
            json!({ "agentId": agent, "allowedOrigins": [SITE] }),
        )
        .await;
    let widget = created["widget"]["id"].as_str().unwrap().to_owned();
    let text = |n: usize| json!("x".repeat(n));
    let widget_bounds = [
        Bound {
            schema: "WidgetTitle",
            keyword: "maxLength",
            property: "title",
            value: text,
        },
        Bound {
            schema: "Greeting",
            keyword: "maxLength",
            property: "greeting",
            value: text,
        },
        Bound {
            schema: "StarterPrompt",
            keyword: "maxLength",
            property: "starterPrompts",
            value: |n| json!(["p".repeat(n)]),
        },
        Bound {
            schema: "StarterPrompts",
            keyword: "maxItems",
            property: "starterPrompts",
            value: |n| json!(vec!["p"; n]),
        },
        Bound {
            schema: "AvatarUrl",
            keyword: "maxLength",
            property: "avatarUrl",
            value: |n| json!(format!("https://a.example/{}", "x".repeat(n - 18))),
        },
        Bound {
            schema: "VisitorRate",
            keyword: "maximum",
            property: "messagesPerVisitorPerMinute",
            value: |n| json!(n),
        },
        Bound {
            schema: "ConversationDays",
            keyword: "maximum",
            property: "conversationDays",
            value: |n| json!(n),
        },
    ];
    let agent_bounds = [
        Bound {
            schema: "AgentName",
            keyword: "maxLength",
            property: "name",
            value: text,
        },
        Bound {
            schema: "FlowId",
            keyword: "maxLength",
            property: "flowId",
            value: text,
        },
        Bound {
            schema: "SystemPrompt",
            keyword: "maxLength",
            property: "systemPrompt",
            value: text,
        },
        Bound {
            schema: "TotalTimeout",
            keyword: "maximum",
            property: "timeouts",
            value: |n| json!({ "totalMs": n }),
        },
        Bound {
            schema: "ConnectTimeout",
            keyword: "minimum",
            property: "timeouts",
            value: |n| json!({ "connectMs": n }),
        },
    ];
    for (update, path, bounds) in [
        (
            "WidgetUpdate",
            format!("/v1/widgets/{widget}"),
            &widget_bounds[..],
        ),
        (
            "AgentUpdate",
            format!("/v1/agents/{agent}"),
            &agent_bounds[..],
        ),
    ] {
        for bound in bounds {
            let what = format!(
                "{}.{} ({update}.{})",
                bound.schema, bound.keyword, bound.property
            );
            let reference = format!("\"#/components/schemas/{}\"", bound.schema);
            assert!(spec.to_string().contains(&reference), "{what} is not used");
            let at = schemas[bound.schema][bound.keyword].as_u64().expect(&what) as usize;
            let past = if bound.keyword == "minimum" {
                at - 1
            } else {
                at + 1
            };
            for (n, status) in [(at, 200), (past, 400)] {
                let body = json!({ bound.property: (bound.value)(n) });
                let response = server
                    .admin(Method::PATCH, &path, &secret, Some(body))
                    .await;
                assert_eq!(response.status(), status, "{what} = {n}");
            }
        }
    }
}
