//! The catalog: a seller publishes an agent and numbered versions that never
//! change; every organisation browses it, and only the seller sees where a
//! version runs. Its credential reaches no one.

use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::tenants::TenantScope;

use crate::support::local_cli::{json_of, run};
use crate::support::{TestServer, assert_api_error};

/// Where the tests' published versions run: a runtime that is down, which
/// the in-process servers allow.
const RUNTIME: &str = "http://127.0.0.1:9";
const SELLER_CREDENTIAL: &str = "seller-runtime-credential";

/// A published agent of the seller holding `secret`, with no version yet.
async fn entry(server: &TestServer, secret: &str, name: &str) -> Value {
    let response = server
        .admin(
            Method::POST,
            "/v1/catalog/agents",
            secret,
            Some(json!({ "name": name, "description": "Answers questions\nabout returns." })),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn publish(server: &TestServer, secret: &str, id: &str, body: Value) -> reqwest::Response {
    let path = format!("/v1/catalog/agents/{id}/versions");
    server.admin(Method::POST, &path, secret, Some(body)).await
}

/// The first version, on the FAQ flow.
fn first_version() -> Value {
    json!({
        "baseUrl": RUNTIME,
        "flowId": "faq-flow",
        "runtimeKey": SELLER_CREDENTIAL,
        "releaseNotes": "First release",
    })
}

async fn catalog_of(server: &TestServer, key: &str) -> Value {
    server.get_json("/v1/catalog/agents", key).await
}

fn ids(list: &Value) -> Vec<&str> {
    list["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|agent| agent["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_seller_publishes_versions_that_buyers_see_without_where_they_run() {
    let server = TestServer::in_process().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let buyer = server.secret_key().await;

    let created = entry(&server, &seller, "Returns helper").await;
    assert_eq!(created["status"], "active");
    assert_eq!(created["sellerName"], "Agent Makers");
    assert_eq!(created["versions"], json!([]));
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/catalog/agents/{id}");
    // Nothing to subscribe to yet: buyers do not see it.
    assert!(ids(&catalog_of(&server, &buyer).await).is_empty());
    assert_api_error(server.get(&path, &buyer).await, 404, "not_found").await;

    let response = publish(&server, &seller, id, first_version()).await;
    assert_eq!(response.status(), 201);
    let v1: Value = response.json().await.unwrap();
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["releaseNotes"], "First release");
    assert_eq!(v1["binding"]["flowId"], "faq-flow");
    assert_eq!(v1["buyerSettings"]["promptAddendum"], false);

    // The second names only what changes: the address and credential stay.
    let response = publish(
        &server,
        &seller,
        id,
        json!({ "flowId": "echo-flow", "releaseNotes": "Echoes",
                "buyerSettings": { "promptAddendum": true } }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let v2: Value = response.json().await.unwrap();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["binding"]["baseUrl"], RUNTIME);
    assert_eq!(v2["binding"]["flowId"], "echo-flow");
    assert_eq!(v2["buyerSettings"]["promptAddendum"], true);
    let stored = server
        .db()
        .await
        .catalog_versions(&TenantScope::Operator, Some(id))
        .await
        .unwrap();
    let credentials: Vec<&str> = stored
        .iter()
        .map(|version| version.binding.runtime_key.as_str())
        .collect();
    assert_eq!(credentials, [SELLER_CREDENTIAL, SELLER_CREDENTIAL]);

    // The buyer sees both versions, their notes and settings, not where they run.
    let seen = server.get(&path, &buyer).await.text().await.unwrap();
    let seen_json: Value = serde_json::from_str(&seen).unwrap();
    assert_eq!(seen_json["versions"][1]["version"], 2);
    assert_eq!(seen_json["versions"][0]["releaseNotes"], "First release");
    for hidden in ["binding", RUNTIME, "faq-flow", SELLER_CREDENTIAL] {
        assert!(!seen.contains(hidden), "{hidden} shown to a buyer: {seen}");
    }
    assert_eq!(ids(&catalog_of(&server, &buyer).await), [id]);
    // The seller sees where its versions run, never the credential.
    let own = server.get(&path, &seller).await.text().await.unwrap();
    assert!(
        own.contains("echo-flow") && !own.contains(SELLER_CREDENTIAL),
        "{own}"
    );

    // A version is no agent of the seller's to change or delete.
    assert_eq!(
        server.get_json("/v1/agents", &seller).await,
        json!({ "agents": [] })
    );
    let binding = v1["binding"]["id"].as_str().unwrap();
    let binding_path = format!("/v1/agents/{binding}");
    let rename = json!({ "name": "Changed" });
    for response in [
        server.get(&binding_path, &seller).await,
        server
            .admin(Method::PATCH, &binding_path, &seller, Some(rename))
            .await,
        server
            .admin(Method::DELETE, &binding_path, &seller, None)
            .await,
    ] {
        assert_api_error(response, 404, "not_found").await;
    }
    assert_eq!(
        server.get_json(&path, &seller).await["versions"][0]["binding"]["name"],
        "Returns helper"
    );
}

#[tokio::test]
async fn only_a_seller_publishes_and_only_to_its_own_entries() {
    let server = TestServer::in_process().await;
    let (seller_id, seller) = server.seller("Agent Makers").await;
    let (_, rival) = server.seller("Rival Agents").await;
    let buyer = server.secret_key().await;
    let body = json!({ "name": "Mine" });

    // A buyer organisation holds the scope but does not sell.
    let response = server
        .admin(
            Method::POST,
            "/v1/catalog/agents",
            &buyer,
            Some(body.clone()),
        )
        .await;
    let message = assert_api_error(response, 403, "not_a_seller").await;
    assert!(message.contains("--role seller"), "{message}");
    // A key of the seller's without the scope.
    let (_, reader) = server
        .key(
            &seller_id,
            &["--kind", "restricted", "--scopes", "widgets:read"],
        )
        .await;
    let response = server
        .admin(Method::POST, "/v1/catalog/agents", &reader, Some(body))
        .await;
    let message = assert_api_error(response, 403, "missing_scope").await;
    assert!(message.contains("catalog:write"), "{message}");

    let id = entry(&server, &seller, "Returns helper").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/catalog/agents/{id}");
    // Another seller can neither publish to it nor change it...
    assert_api_error(
        publish(&server, &rival, &id, first_version()).await,
        404,
        "not_found",
    )
    .await;
    let response = server
        .admin(
            Method::PATCH,
            &path,
            &rival,
            Some(json!({ "status": "withdrawn" })),
        )
        .await;
    assert_api_error(response, 404, "not_found").await;
    // ... nor can the seller's key without the scope.
    assert_api_error(
        publish(&server, &reader, &id, first_version()).await,
        403,
        "missing_scope",
    )
    .await;
    let seen = server.get_json(&path, &seller).await;
    assert_eq!(seen["status"], "active");
    assert_eq!(seen["versions"], json!([]));

    // Once published, the rival reads it as any buyer does.
    assert_eq!(
        publish(&server, &seller, &id, first_version())
            .await
            .status(),
        201
    );
    let seen = server.get_json(&path, &rival).await;
    assert_eq!(seen["versions"][0]["version"], 1);
    assert!(seen["versions"][0].get("binding").is_none(), "{seen}");
    // Reading takes widgets:read.
    let (_, keys_only) = server
        .key(
            &seller_id,
            &["--kind", "restricted", "--scopes", "keys:write"],
        )
        .await;
    assert_api_error(server.get(&path, &keys_only).await, 403, "missing_scope").await;
}

#[tokio::test]
async fn a_hostile_or_mistaken_body_changes_nothing() {
    let server = TestServer::in_process().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let id = entry(&server, &seller, "Returns helper").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/catalog/agents/{id}");

    for (body, code) in [
        (json!({ "name": "" }), "invalid_setting"),
        (json!({ "name": "x", "owner": "me" }), "invalid_body"),
        (
            json!({ "name": "x", "description": "bell\u{7}" }),
            "invalid_setting",
        ),
        (
            json!({ "name": "x", "iconUrl": "javascript:alert(1)" }),
            "invalid_setting",
        ),
        (
            json!({ "name": "x", "description": "d".repeat(1_001) }),
            "invalid_setting",
        ),
    ] {
        let response = server
            .admin(
                Method::POST,
                "/v1/catalog/agents",
                &seller,
                Some(body.clone()),
            )
            .await;
        assert_api_error(response, 400, code).await;
    }
    for (body, code) in [
        (json!({ "status": "gone" }), "invalid_body"),
        (
            json!({ "name": "Renamed", "iconUrl": "http://plain.example/a.png" }),
            "invalid_setting",
        ),
    ] {
        let response = server
            .admin(Method::PATCH, &path, &seller, Some(body))
            .await;
        assert_api_error(response, 400, code).await;
    }

    for (body, code) in [
        // The first version names where it runs.
        (json!({ "flowId": "faq-flow" }), "invalid_setting"),
        (json!({ "baseUrl": RUNTIME }), "invalid_setting"),
        (
            json!({ "baseUrl": "http://169.254.169.254", "flowId": "f" }),
            "runtime_not_allowed",
        ),
        (
            json!({ "baseUrl": "http://user:pw@127.0.0.1:9", "flowId": "f" }),
            "credentials_in_url",
        ),
        (
            json!({ "baseUrl": RUNTIME, "flowId": "f", "releaseNotes": "n".repeat(4_001) }),
            "invalid_setting",
        ),
        (
            json!({ "baseUrl": RUNTIME, "flowId": "f", "buyerSettings": { "all": true } }),
            "invalid_body",
        ),
    ] {
        assert_api_error(publish(&server, &seller, &id, body).await, 400, code).await;
    }
    assert_eq!(
        publish(&server, &seller, &id, first_version())
            .await
            .status(),
        201
    );
    // A later version on another server keeps no credential meant for the old one.
    let moved = json!({ "baseUrl": "http://127.0.0.1:10" });
    assert_api_error(
        publish(&server, &seller, &id, moved).await,
        400,
        "runtime_key_required",
    )
    .await;
    let huge = json!({ "releaseNotes": "n".repeat(300_000) });
    let response = publish(&server, &seller, &id, huge).await;
    assert_eq!(response.status(), 413);

    let seen = server.get_json(&path, &seller).await;
    assert_eq!(seen["name"], "Returns helper");
    assert_eq!(seen["iconUrl"], Value::Null);
    assert_eq!(seen["status"], "active");
    let versions = seen["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{seen}");
    assert_eq!(versions[0]["binding"]["baseUrl"], RUNTIME);
}

#[tokio::test]
async fn a_deprecated_agent_stays_listed_and_a_withdrawn_one_only_for_its_seller() {
    let server = TestServer::in_process().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let buyer = server.secret_key().await;
    let id = entry(&server, &seller, "Returns helper").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        publish(&server, &seller, &id, first_version())
            .await
            .status(),
        201
    );
    let path = format!("/v1/catalog/agents/{id}");
    let set = async |status: &str| {
        let response = server
            .admin(
                Method::PATCH,
                &path,
                &seller,
                Some(json!({ "status": status })),
            )
            .await;
        assert_eq!(response.status(), 200);
        let entry: Value = response.json().await.unwrap();
        assert_eq!(entry["status"], status);
    };

    set("deprecated").await;
    assert_eq!(server.get_json(&path, &buyer).await["status"], "deprecated");
    set("withdrawn").await;
    assert!(ids(&catalog_of(&server, &buyer).await).is_empty());
    assert_api_error(server.get(&path, &buyer).await, 404, "not_found").await;
    assert_eq!(ids(&catalog_of(&server, &seller).await), [id.as_str()]);
    set("active").await;
    assert_eq!(ids(&catalog_of(&server, &buyer).await), [id.as_str()]);
}

#[tokio::test]
async fn the_bounds_the_spec_states_for_the_catalog_are_the_ones_held() {
    let server = TestServer::in_process().await;
    let (_, seller) = server.seller("Agent Makers").await;
    let spec: Value = server
        .client()
        .get(format!("{}/openapi.json", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let max = |schema: &str| {
        spec["components"]["schemas"][schema]["maxLength"]
            .as_u64()
            .unwrap_or_else(|| panic!("{schema} states no maxLength")) as usize
    };
    let description = max("AgentDescription");
    let create = |text: String| {
        server.admin(
            Method::POST,
            "/v1/catalog/agents",
            &seller,
            Some(json!({ "name": "A", "description": text })),
        )
    };
    assert_eq!(create("d".repeat(description)).await.status(), 201);
    assert_eq!(create("d".repeat(description + 1)).await.status(), 400);

    let notes = max("ReleaseNotes");
    let id = entry(&server, &seller, "B").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let version = |text: String| {
        let mut body = first_version();
        body["releaseNotes"] = json!(text);
        body
    };
    let too_long = publish(&server, &seller, &id, version("n".repeat(notes + 1))).await;
    assert_eq!(too_long.status(), 400);
    let longest = publish(&server, &seller, &id, version("n".repeat(notes))).await;
    assert_eq!(longest.status(), 201);
}

#[tokio::test]
async fn the_operator_makes_sellers_and_a_seller_publishes_with_the_cli() {
    let server = TestServer::in_process().await;
    let db = &server.db_url;
    let create = async |name: &str, roles: &[&str]| {
        let mut args = vec!["tenants", "create", "--name", name, "--json"];
        for role in roles {
            args.extend(["--role", role]);
        }
        json_of(db, &args).await
    };
    assert_eq!(create("Plain", &[]).await["roles"], json!(["buyer"]));
    assert_eq!(
        create("Both", &["seller", "buyer"]).await["roles"],
        json!(["buyer", "seller"])
    );
    let seller = create("Agent Makers", &["seller"]).await;
    assert_eq!(seller["roles"], json!(["seller"]));
    let seller_id = seller["id"].as_str().unwrap();
    let (ok, text, _) = run(
        db,
        &["tenants", "create", "--name", "Shop", "--role", "buyer"],
    )
    .await;
    assert!(ok && text.contains("(Shop), buyer"), "{text}");

    // On the operator's machine, for the seller it names.
    let entry = json_of(
        db,
        &[
            "catalog",
            "create",
            "--tenant",
            seller_id,
            "--name",
            "Returns helper",
            "--json",
        ],
    )
    .await;
    let id = entry["id"].as_str().unwrap();
    let v1 = json_of(
        db,
        &[
            "catalog",
            "publish",
            id,
            "--base-url",
            RUNTIME,
            "--flow-id",
            "faq-flow",
            "--runtime-key",
            SELLER_CREDENTIAL,
            "--release-notes",
            "First release",
            "--json",
        ],
    )
    .await;
    assert_eq!(v1["version"], 1);
    let (ok, text, stderr) = run(db, &["catalog", "show", id]).await;
    assert!(ok, "{stderr}");
    assert!(
        text.contains("version 1") && text.contains("langflow flow faq-flow"),
        "{text}"
    );
    assert!(text.contains("| First release"), "{text}");
    assert!(!text.contains(SELLER_CREDENTIAL), "{text}");
    let (ok, _, stderr) = run(db, &["catalog", "create", "--name", "No seller named"]).await;
    assert!(!ok && stderr.contains("--tenant"), "{stderr}");
    let (ok, _, stderr) = run(
        db,
        &[
            "catalog",
            "create",
            "--tenant",
            &server.tenant_id,
            "--name",
            "Not mine to sell",
        ],
    )
    .await;
    assert!(
        !ok && stderr.contains("only an organisation that sells"),
        "{stderr}"
    );

    // With the seller's own key, through the server.
    let (_, key) = server.key(seller_id, &["--kind", "secret"]).await;
    let v2 = server
        .remote_json(&key, &["catalog", "publish", id, "--flow-id", "echo-flow"])
        .await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["binding"]["baseUrl"], RUNTIME);
    let deprecated = server
        .remote_json(&key, &["catalog", "deprecate", id])
        .await;
    assert_eq!(deprecated["status"], "deprecated");

    // A buyer browses it, without where it runs, and cannot sell.
    let buyer = server.secret_key().await;
    let list = server.remote_json(&buyer, &["catalog", "list"]).await;
    assert_eq!(ids(&list), [id]);
    assert!(!list.to_string().contains("binding"), "{list}");
    let text = server.remote(&buyer, &["catalog", "list"]).await;
    assert!(
        text.ok
            && text
                .stdout
                .contains("deprecated  by Agent Makers  latest version 2"),
        "{}",
        text.stdout
    );
    server
        .remote_error(
            &buyer,
            &["catalog", "create", "--name", "Mine"],
            "not_a_seller",
        )
        .await;
}
