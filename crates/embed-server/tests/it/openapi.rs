//! `GET /openapi.json`: the spec lists every route the server serves, each with
//! its answers, error shape and credentials, and nothing it does not serve.

use reqwest::Method;
use serde_json::Value;

use crate::support::TestServer;

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
    let server = TestServer::spawn().await;
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
        ("GET", "/healthz"),
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
    let server = TestServer::spawn().await;
    let spec = spec(&server).await;
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    for (method, path, operation) in operations(&spec) {
        let what = format!("{method} {path}");
        // Served: the router answers, not its fallback for unknown routes.
        let concrete = path
            .replace("{name}", "missing.js")
            .replace("{widget}", "wgt_missing")
            .replace("{agent}", "agt_missing")
            .replace("{key}", "key_missing")
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
            responses.keys().any(|status| status.starts_with('2')),
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
            || path.starts_with("/v1/keys")
            || (path.starts_with("/v1/usage") && !browser)
            || (path.starts_with("/v1/widgets") && !path.ends_with("/config"));
        assert_eq!(
            security.contains("admin_key"),
            admin,
            "{what}: security {security}"
        );
        if browser {
            assert!(security.contains("session"), "{what}: {security}");
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
    for scheme in ["session", "admin_key"] {
        assert_eq!(
            spec["components"]["securitySchemes"][scheme]["scheme"], "bearer",
            "{scheme}"
        );
    }
}
