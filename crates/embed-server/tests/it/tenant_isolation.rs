//! Tenant isolation on every admin route: a key of one tenant can neither read
//! nor change anything of another, and learns no more than "not found".

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestServer, assert_api_error};

/// One tenant's objects, made through the API with its own secret key.
struct Tenant {
    secret: String,
    agent: String,
    widget: String,
    key: String,
}

async fn tenant(server: &TestServer, tenant_id: &str) -> Tenant {
    let (_, secret) = server.key(tenant_id, &["--kind", "secret"]).await;
    let post = async |path: &str, body: Value| -> Value {
        let response = server.admin(Method::POST, path, &secret, Some(body)).await;
        assert_eq!(response.status(), 201, "POST {path}");
        response.json().await.unwrap()
    };
    let agent = post(
        "/v1/agents",
        json!({ "name": "A", "baseUrl": "http://127.0.0.1:9", "flowId": "f", "runtimeKey": "k" }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let widget = post(
        "/v1/widgets",
        json!({ "agentId": agent, "allowedOrigins": ["https://shop.example.com"] }),
    )
    .await["widget"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = post(
        "/v1/keys",
        json!({ "kind": "restricted", "scopes": ["usage:read"] }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Tenant {
        secret,
        agent,
        widget,
        key,
    }
}

#[tokio::test]
async fn no_admin_route_reaches_another_tenants_objects() {
    let server = TestServer::in_process().await;
    let ours = tenant(&server, &server.tenant_id).await;
    let other_tenant_id = {
        let db = server.db().await;
        db.create_tenant("Other Company").await.unwrap().id
    };
    let theirs = tenant(&server, &other_tenant_id).await;

    let (agent, widget, key) = (&ours.agent, &ours.widget, &ours.key);
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/agents/{agent}"), None),
        (
            Method::PATCH,
            format!("/v1/agents/{agent}"),
            Some(json!({ "name": "Taken" })),
        ),
        (Method::DELETE, format!("/v1/agents/{agent}"), None),
        (Method::GET, format!("/v1/widgets/{widget}"), None),
        (
            Method::PATCH,
            format!("/v1/widgets/{widget}"),
            Some(json!({ "enabled": false })),
        ),
        (Method::DELETE, format!("/v1/widgets/{widget}"), None),
        (Method::GET, format!("/v1/widgets/{widget}/snippet"), None),
        (Method::POST, format!("/v1/keys/{key}/revoke"), None),
        (
            Method::POST,
            format!("/v1/keys/{key}/rotate"),
            Some(json!({})),
        ),
        (Method::GET, format!("/v1/usage?widgetId={widget}"), None),
        // Their widget on our agent: the agent is not theirs to use.
        (
            Method::POST,
            "/v1/widgets".into(),
            Some(json!({ "agentId": agent, "allowedOrigins": ["https://x.example"] })),
        ),
    ];
    for (method, path, body) in attempts {
        let response = server
            .admin(method.clone(), &path, &theirs.secret, body)
            .await;
        let message = assert_api_error(response, 404, "not_found").await;
        assert!(
            !message.contains(&server.tenant_id),
            "{method} {path}: {message}"
        );
    }

    // The lists show only their own objects.
    for (path, field, own) in [
        ("/v1/agents", "agents", &theirs.agent),
        ("/v1/widgets", "widgets", &theirs.widget),
        ("/v1/keys", "keys", &theirs.key),
    ] {
        let list: Value = server
            .admin(Method::GET, path, &theirs.secret, None)
            .await
            .json()
            .await
            .unwrap();
        let ids: Vec<&str> = list[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&own.as_str()), "{path}: {ids:?}");
        for ours in [&ours.agent, &ours.widget, &ours.key] {
            assert!(!ids.contains(&ours.as_str()), "{path} shows {ours}");
        }
    }

    // Everything of ours is as it was.
    let get = async |path: String| -> Value {
        let response = server.admin(Method::GET, &path, &ours.secret, None).await;
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    };
    assert_eq!(get(format!("/v1/agents/{agent}")).await["name"], "A");
    assert_eq!(get(format!("/v1/widgets/{widget}")).await["enabled"], true);
    let keys = get("/v1/keys".into()).await;
    let our_key = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|listed| listed["id"] == ours.key.as_str())
        .unwrap();
    assert_eq!(our_key["revoked"], false);
}

#[tokio::test]
async fn admin_bodies_have_a_size_limit() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;
    let huge = json!({ "name": "x".repeat(100 * 1024), "baseUrl": "http://a", "flowId": "f", "runtimeKey": "k" });
    for (method, path) in [
        (Method::POST, "/v1/agents".to_owned()),
        (Method::POST, "/v1/widgets".to_owned()),
        (Method::POST, "/v1/keys".to_owned()),
        (Method::POST, "/v1/keys/key_x/rotate".to_owned()),
        (Method::PATCH, "/v1/widgets/wgt_x".to_owned()),
        (Method::PATCH, "/v1/agents/agt_x".to_owned()),
    ] {
        let response = server
            .admin(method.clone(), &path, &secret, Some(huge.clone()))
            .await;
        assert_api_error(response, 413, "payload_too_large").await;
    }
}
