//! The admin agents routes: create, read, change and delete runtime bindings,
//! scoped to the caller's tenant, never showing the runtime credential.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestServer, assert_api_error};

fn new_agent() -> Value {
    json!({
        "name": "Support bot",
        "baseUrl": "https://runtime.example.com/",
        "flowId": "flow-1",
        "runtimeKey": "runtime-credential-do-not-show",
    })
}

#[tokio::test]
async fn agents_are_created_listed_changed_and_deleted_without_showing_credentials() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;

    let response = server
        .admin(Method::POST, "/v1/agents", &secret, Some(new_agent()))
        .await;
    assert_eq!(response.status(), 201);
    let text = response.text().await.unwrap();
    assert!(!text.contains("runtime-credential"), "{text}");
    let agent: Value = serde_json::from_str(&text).unwrap();
    let id = agent["id"].as_str().unwrap();
    assert_eq!(
        (&agent["runtime"], &agent["baseUrl"]),
        (&json!("langflow"), &json!("https://runtime.example.com"))
    );

    let list = server.admin(Method::GET, "/v1/agents", &secret, None).await;
    let list = list.text().await.unwrap();
    assert!(
        list.contains(id) && !list.contains("runtime-credential"),
        "{list}"
    );

    let changed = server
        .admin(
            Method::PATCH,
            &format!("/v1/agents/{id}"),
            &secret,
            Some(json!({ "name": "Renamed", "runtimeKey": "new-credential" })),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let read = server
        .admin(Method::GET, &format!("/v1/agents/{id}"), &secret, None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(read["name"], "Renamed");
    assert!(read.get("runtimeKey").is_none(), "{read}");

    // In use by a widget: refused until the widget is gone.
    let widget = server
        .admin(
            Method::POST,
            "/v1/widgets",
            &secret,
            Some(json!({ "agentId": id, "allowedOrigins": ["https://shop.example.com"] })),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let path = format!("/v1/agents/{id}");
    let in_use = server.admin(Method::DELETE, &path, &secret, None).await;
    assert_api_error(in_use, 409, "agent_in_use").await;
    let widget_path = format!("/v1/widgets/{}", widget["widget"]["id"].as_str().unwrap());
    let deleted = server
        .admin(Method::DELETE, &widget_path, &secret, None)
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        server
            .admin(Method::DELETE, &path, &secret, None)
            .await
            .status(),
        204
    );
    assert_api_error(
        server.admin(Method::GET, &path, &secret, None).await,
        404,
        "not_found",
    )
    .await;
    assert_api_error(
        server.admin(Method::DELETE, &path, &secret, None).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn agent_routes_need_their_scopes_and_never_reach_another_tenant() {
    let server = TestServer::in_process().await;
    let (their_tenant, _) = server.other_tenant().await;
    let (_, theirs) = server.key(&their_tenant, &["--kind", "secret"]).await;
    let their_agent = server
        .admin(Method::POST, "/v1/agents", &theirs, Some(new_agent()))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let their_path = format!("/v1/agents/{}", their_agent["id"].as_str().unwrap());

    let ours = server.secret_key().await;
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({ "name": "Mine now" }));
        let response = server.admin(method.clone(), &their_path, &ours, body).await;
        assert_api_error(response, 404, "not_found").await;
    }
    let our_list = server
        .admin(Method::GET, "/v1/agents", &ours, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!our_list.contains(their_agent["id"].as_str().unwrap()));
    // Their agent is untouched.
    let still = server
        .admin(Method::GET, &their_path, &theirs, None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(still["name"], "Support bot");

    let (_, reader) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "widgets:read"],
        )
        .await;
    assert_eq!(
        server
            .admin(Method::GET, "/v1/agents", &reader, None)
            .await
            .status(),
        200
    );
    let refused = server
        .admin(Method::POST, "/v1/agents", &reader, Some(new_agent()))
        .await;
    let message = assert_api_error(refused, 403, "missing_scope").await;
    assert!(message.contains("agents:write"), "{message}");
    let (_, writer) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "agents:write"],
        )
        .await;
    let refused = server.admin(Method::GET, "/v1/agents", &writer, None).await;
    let message = assert_api_error(refused, 403, "missing_scope").await;
    assert!(message.contains("widgets:read"), "{message}");
}

#[tokio::test]
async fn bad_agent_input_is_refused_and_changes_nothing() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;
    let post = |body: Value| server.admin(Method::POST, "/v1/agents", &secret, Some(body));
    let mut bad_url = new_agent();
    bad_url["baseUrl"] = json!("ftp://runtime.example.com");
    assert_api_error(post(bad_url).await, 400, "invalid_setting").await;
    let mut unknown_runtime = new_agent();
    unknown_runtime["runtime"] = json!("mystery");
    let message = assert_api_error(post(unknown_runtime).await, 400, "invalid_setting").await;
    assert!(message.contains("langflow"), "{message}");
    let mut extra = new_agent();
    extra["tenantId"] = json!("ten_someone_else");
    assert_api_error(post(extra).await, 400, "invalid_body").await;
    let malformed = server
        .client()
        .post(format!("{}/v1/agents", server.url))
        .bearer_auth(&secret)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_api_error(malformed, 400, "invalid_json").await;
    let list = server
        .admin(Method::GET, "/v1/agents", &secret, None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let before = list["agents"].as_array().unwrap().len();

    let agent_id = list["agents"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/agents/{agent_id}");
    let refused = server
        .admin(
            Method::PATCH,
            &path,
            &secret,
            Some(json!({ "name": "Fine", "baseUrl": "not a url" })),
        )
        .await;
    assert_api_error(refused, 400, "invalid_setting").await;
    let unchanged = server
        .admin(Method::GET, &path, &secret, None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(unchanged["name"], list["agents"][0]["name"]);
    let after = server
        .admin(Method::GET, "/v1/agents", &secret, None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(after["agents"].as_array().unwrap().len(), before);
}
