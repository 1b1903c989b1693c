//! The operator's API: operator keys (`skt_op_…`), made only by the command
//! line on the server's machine, provision organisations and their keys
//! through `/v1/operator/…`, the way a control plane does without a shell. An
//! operator key opens no organisation's routes, and no organisation's key
//! opens the operator's; each key does only what its operator scopes allow.

use reqwest::Method;
use serde_json::{Value, json};

use crate::at_rest::stored_text;
use crate::support::local_cli::{json_of, run};
use crate::support::{TestServer, assert_api_error};

const ORGANISATIONS: &str = "/v1/operator/organisations";

/// `sitekit operator-keys create <extra> --json` on the server's database:
/// (id, key).
async fn operator_key(server: &TestServer, extra: &[&str]) -> (String, String) {
    let mut args = vec!["operator-keys", "create"];
    args.extend(extra);
    args.push("--json");
    let created = json_of(&server.db_url, &args).await;
    (
        created["id"].as_str().unwrap().to_owned(),
        created["key"].as_str().unwrap().to_owned(),
    )
}

async fn create_organisation(server: &TestServer, key: &str, body: Value) -> reqwest::Response {
    server
        .admin(Method::POST, ORGANISATIONS, key, Some(body))
        .await
}

async fn organisation_count(server: &TestServer, key: &str) -> usize {
    server.get_json(ORGANISATIONS, key).await["organisations"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_control_plane_provisions_an_organisation_and_its_keys_with_an_operator_key() {
    let server = TestServer::in_process().await;
    let (operator_id, operator) =
        operator_key(&server, &["--note", "Marketplace control plane"]).await;
    assert!(operator.starts_with("skt_op_live_"), "{operator}");

    let response = create_organisation(
        &server,
        &operator,
        json!({ "name": "  Acme Agents  ", "roles": ["seller", "buyer"] }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let acme: Value = response.json().await.unwrap();
    let acme_id = acme["id"].as_str().unwrap();
    assert!(acme_id.starts_with("ten_"), "{acme}");
    assert_eq!(acme["name"], "Acme Agents");
    assert_eq!(acme["roles"], json!(["buyer", "seller"]));
    // Left without roles, an organisation buys.
    let response = create_organisation(&server, &operator, json!({ "name": "Shop" })).await;
    let shop: Value = response.json().await.unwrap();
    assert_eq!(shop["roles"], json!(["buyer"]));

    let listed = server.get_json(ORGANISATIONS, &operator).await;
    let mut ids: Vec<&str> = listed["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|organisation| organisation["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected = [
        server.tenant_id.as_str(),
        acme_id,
        shop["id"].as_str().unwrap(),
    ];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let one = server
        .get_json(&format!("{ORGANISATIONS}/{acme_id}"), &operator)
        .await;
    assert_eq!(one, acme);

    // The organisation's own keys, made by the operator key, work on the
    // admin API for that organisation.
    let keys = format!("{ORGANISATIONS}/{acme_id}/keys");
    let response = server
        .admin(
            Method::POST,
            &keys,
            &operator,
            Some(json!({ "kind": "secret" })),
        )
        .await;
    assert_eq!(response.status(), 201);
    let secret: Value = response.json().await.unwrap();
    let secret_key = secret["key"].as_str().unwrap();
    assert!(secret_key.starts_with("skt_sec_live_"), "{secret}");
    let response = server
        .admin(
            Method::POST,
            "/v1/catalog/agents",
            secret_key,
            Some(json!({ "name": "Acme FAQ" })),
        )
        .await;
    assert_eq!(response.status(), 201, "a seller's key publishes");
    let restricted_body =
        json!({ "kind": "restricted", "scopes": ["widgets:read"], "testMode": true });
    let restricted: Value = server
        .admin(Method::POST, &keys, &operator, Some(restricted_body))
        .await
        .json()
        .await
        .unwrap();
    let restricted_key = restricted["key"].as_str().unwrap();
    assert!(restricted_key.starts_with("skt_rst_test_"), "{restricted}");
    assert_eq!(restricted["scopes"], json!(["widgets:read"]));
    assert_eq!(
        server.get("/v1/widgets", restricted_key).await.status(),
        200
    );
    let response = server
        .admin(
            Method::POST,
            "/v1/agents",
            restricted_key,
            Some(json!({ "name": "A", "baseUrl": "https://runtime.example.com", "flowId": "f", "runtimeKey": "k" })),
        )
        .await;
    assert_api_error(response, 403, "missing_scope").await;

    // Listed in display form only; the audit trail names the operator key.
    let listed = server.get(&keys, &operator).await.text().await.unwrap();
    assert!(!listed.contains(secret_key) && !listed.contains(restricted_key));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["keys"].as_array().unwrap().len(), 2, "{listed}");
    let events = server
        .get_json(
            &format!("/v1/keys/{}/events", secret["id"].as_str().unwrap()),
            secret_key,
        )
        .await;
    assert_eq!(events["events"][0]["event"], "created");
    assert_eq!(
        events["events"][0]["actor"],
        format!("operator-key:{operator_id}")
    );

    // Rotated by the operator, the old key works for the grace period it
    // gave, and the trail says who did it.
    let secret_path = format!("{keys}/{}", secret["id"].as_str().unwrap());
    let response = server
        .admin(
            Method::POST,
            &format!("{secret_path}/rotate"),
            &operator,
            Some(json!({ "graceSeconds": 3600 })),
        )
        .await;
    assert_eq!(response.status(), 201);
    let rotated: Value = response.json().await.unwrap();
    let rotated_key = rotated["key"].as_str().unwrap();
    for key in [secret_key, rotated_key] {
        assert_eq!(server.get("/v1/widgets", key).await.status(), 200);
    }
    let trail = server
        .get_json(&format!("{secret_path}/events"), &operator)
        .await;
    let events: Vec<(&str, &str)> = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["event"].as_str().unwrap(),
                event["actor"].as_str().unwrap(),
            )
        })
        .collect();
    let actor = format!("operator-key:{operator_id}");
    assert_eq!(
        events,
        [("created", actor.as_str()), ("rotated", actor.as_str())]
    );

    // Revoked by the operator, a key stops working; once is enough.
    let revoke = format!("{keys}/{}/revoke", restricted["id"].as_str().unwrap());
    let response = server.admin(Method::POST, &revoke, &operator, None).await;
    assert_eq!(response.status(), 204);
    let response = server.get("/v1/widgets", restricted_key).await;
    assert_api_error(response, 401, "key_revoked").await;
    let response = server.admin(Method::POST, &revoke, &operator, None).await;
    assert_api_error(response, 409, "key_revoked").await;

    // Neither the operator key nor the keys it made are stored readable.
    let stored = stored_text(&server.db_url).await;
    for key in [&operator, secret_key, restricted_key] {
        assert!(
            !stored.contains(&key[key.len() - 36..]),
            "a key is stored readable"
        );
    }
}

/// A marketplace provisions by its own ids: asking twice, or at once from
/// two workers, makes one organisation; the same id with other roles is
/// refused rather than answered with an organisation that cannot do the job.
#[tokio::test]
async fn an_external_id_makes_one_organisation_however_often_it_is_asked_for() {
    let server = TestServer::in_process().await;
    let (_, operator) = operator_key(&server, &[]).await;
    let before = organisation_count(&server, &operator).await;
    let body = json!({ "name": "Buyer Ltd", "externalId": "waldur:customer:5f1d" });
    let first = create_organisation(&server, &operator, body.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["externalId"], "waldur:customer:5f1d");

    let (again, at_once) = tokio::join!(
        create_organisation(&server, &operator, body.clone()),
        create_organisation(&server, &operator, body.clone()),
    );
    for response in [again, at_once] {
        assert_eq!(response.status(), 200);
        let found: Value = response.json().await.unwrap();
        assert_eq!(found, first);
    }
    let fresh = json!({ "name": "Other Ltd", "externalId": "waldur:customer:77aa" });
    let (one, other) = tokio::join!(
        create_organisation(&server, &operator, fresh.clone()),
        create_organisation(&server, &operator, fresh.clone()),
    );
    let mut statuses = [one.status().as_u16(), other.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201]);
    assert_eq!(organisation_count(&server, &operator).await, before + 2);

    let response = create_organisation(
        &server,
        &operator,
        json!({ "name": "Buyer Ltd", "externalId": "waldur:customer:5f1d", "roles": ["seller"] }),
    )
    .await;
    let message = assert_api_error(response, 409, "external_id_in_use").await;
    assert!(message.contains(first["id"].as_str().unwrap()), "{message}");
    // Without an external id, every call makes one, as before.
    for _ in 0..2 {
        let response =
            create_organisation(&server, &operator, json!({ "name": "Buyer Ltd" })).await;
        assert_eq!(response.status(), 201);
    }
    assert_eq!(organisation_count(&server, &operator).await, before + 4);
}

#[tokio::test]
async fn operator_keys_and_organisation_keys_open_only_their_own_routes() {
    let server = TestServer::in_process().await;
    let (_, operator) = operator_key(&server, &[]).await;
    let secret = server.secret_key().await;
    let every_scope = server
        .key(
            &server.tenant_id,
            &[
                "--kind",
                "restricted",
                "--scopes",
                "usage:write,usage:read,widgets:read,widgets:write,keys:write,agents:write,catalog:write,seller:read",
            ],
        )
        .await
        .1;
    let widget = server.secret_and_widget().await.1;
    let publishable = widget["publishableKey"].as_str().unwrap();

    // An operator key reaches no organisation's rows, not even to read.
    for (method, path) in [
        (Method::GET, "/v1/widgets"),
        (Method::GET, "/v1/keys"),
        (Method::POST, "/v1/keys"),
        (Method::GET, "/v1/usage"),
        (Method::GET, "/v1/catalog/agents"),
    ] {
        let response = server
            .admin(method, path, &operator, Some(json!({ "kind": "secret" })))
            .await;
        let message = assert_api_error(response, 401, "invalid_key").await;
        assert!(message.contains("/v1/operator/"), "{message}");
    }
    let response = server
        .client()
        .post(format!("{}/v1/sessions", server.url))
        .header("origin", "https://shop.example")
        .json(&json!({ "publishableKey": operator }))
        .send()
        .await
        .unwrap();
    assert_api_error(response, 401, "invalid_key").await;

    // No organisation's key opens the operator's API, whatever its scopes.
    for key in [secret.as_str(), every_scope.as_str(), publishable] {
        for path in [
            ORGANISATIONS.to_owned(),
            format!("{ORGANISATIONS}/{}", server.tenant_id),
            format!("{ORGANISATIONS}/{}/keys", server.tenant_id),
        ] {
            let response = server.get(&path, key).await;
            let message = assert_api_error(response, 401, "invalid_key").await;
            assert!(message.contains("operator keys"), "{message}");
        }
        let response = create_organisation(&server, key, json!({ "name": "Mine" })).await;
        assert_api_error(response, 401, "invalid_key").await;
    }
    for key in ["", "skt_op_live_123", "Basic abc"] {
        let response = server.get(ORGANISATIONS, key).await;
        assert_eq!(response.status(), 401, "{key:?}");
    }
    assert_eq!(organisation_count(&server, &operator).await, 1);

    // A revoked or expired operator key stops working at once.
    let (revoked_id, revoked) = operator_key(&server, &[]).await;
    json_of(
        &server.db_url,
        &["operator-keys", "revoke", &revoked_id, "--json"],
    )
    .await;
    let response = server.get(ORGANISATIONS, &revoked).await;
    assert_api_error(response, 401, "key_revoked").await;
    let (_, expired) = operator_key(&server, &["--expires-in-days", "0"]).await;
    let response = server.get(ORGANISATIONS, &expired).await;
    assert_api_error(response, 401, "key_expired").await;
    // Organisations' keys cannot be given operator scopes.
    let response = server
        .admin(
            Method::POST,
            "/v1/keys",
            &secret,
            Some(json!({ "kind": "restricted", "scopes": ["organisations:write"] })),
        )
        .await;
    assert_api_error(response, 400, "invalid_scopes").await;
}

#[tokio::test]
async fn an_operator_key_does_only_what_its_scopes_allow() {
    let server = TestServer::in_process().await;
    let (_, full) = operator_key(&server, &[]).await;
    let (_, reader) = operator_key(&server, &["--scopes", "organisations:read"]).await;
    let (_, key_maker) = operator_key(&server, &["--scopes", "organisation-keys:write"]).await;
    let tenant = &server.tenant_id;
    let keys = format!("{ORGANISATIONS}/{tenant}/keys");

    assert_eq!(organisation_count(&server, &reader).await, 1);
    let response = create_organisation(&server, &reader, json!({ "name": "Nope" })).await;
    let message = assert_api_error(response, 403, "missing_scope").await;
    assert!(message.contains("organisations:write"), "{message}");
    for (method, path, body) in [
        (Method::GET, keys.clone(), None),
        (
            Method::POST,
            keys.clone(),
            Some(json!({ "kind": "secret" })),
        ),
        (Method::POST, format!("{keys}/key_any/revoke"), None),
        (
            Method::POST,
            format!("{keys}/key_any/rotate"),
            Some(json!({})),
        ),
        (Method::GET, format!("{keys}/key_any/events"), None),
    ] {
        let response = server.admin(method, &path, &reader, body).await;
        let message = assert_api_error(response, 403, "missing_scope").await;
        assert!(message.contains("organisation-keys:write"), "{message}");
    }
    for path in [
        ORGANISATIONS.to_owned(),
        format!("{ORGANISATIONS}/{tenant}"),
    ] {
        let response = server.get(&path, &key_maker).await;
        let message = assert_api_error(response, 403, "missing_scope").await;
        assert!(message.contains("organisations:read"), "{message}");
    }
    let response = server
        .admin(
            Method::POST,
            &keys,
            &key_maker,
            Some(json!({ "kind": "secret" })),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(organisation_count(&server, &full).await, 1);

    // Only operator scopes, named right, go on an operator key.
    for (scopes, why) in [
        ("keys:write", "unknown scope `keys:write`"),
        ("organisations:admin", "unknown scope"),
        (" , ", "at least one scope"),
    ] {
        let (ok, stdout, stderr) = run(
            &server.db_url,
            &["operator-keys", "create", "--scopes", scopes],
        )
        .await;
        assert!(!ok && stderr.contains(why), "{scopes}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
    }
}

#[tokio::test]
async fn hostile_operator_requests_change_nothing() {
    let server = TestServer::in_process().await;
    let (_, operator) = operator_key(&server, &[]).await;
    let long_name = "x".repeat(201);
    for (body, status, code) in [
        (json!({}), 400, "invalid_body"),
        (json!({ "name": 5 }), 400, "invalid_body"),
        (json!({ "name": "" }), 400, "invalid_setting"),
        (json!({ "name": " \u{3000} " }), 400, "invalid_setting"),
        (json!({ "name": "Acme\u{0}Inc" }), 400, "invalid_setting"),
        (json!({ "name": "Acme\u{1b}[31m" }), 400, "invalid_setting"),
        (json!({ "name": long_name }), 400, "invalid_setting"),
        (json!({ "name": "A", "roles": [] }), 400, "invalid_setting"),
        (
            json!({ "name": "A", "roles": ["admin"] }),
            400,
            "invalid_body",
        ),
        (
            json!({ "name": "A", "roles": "buyer" }),
            400,
            "invalid_body",
        ),
        (
            json!({ "name": "A", "roles": ["buyer", "seller", "buyer"] }),
            400,
            "invalid_body",
        ),
        (
            json!({ "name": "A", "id": "ten_mine" }),
            400,
            "invalid_body",
        ),
        (json!([{ "name": "A" }]), 400, "invalid_body"),
        (
            json!({ "name": "A", "externalId": "" }),
            400,
            "invalid_setting",
        ),
        (
            json!({ "name": "A", "externalId": "a\nb" }),
            400,
            "invalid_setting",
        ),
        (
            json!({ "name": "A", "externalId": "x".repeat(201) }),
            400,
            "invalid_setting",
        ),
        (json!({ "name": "A", "externalId": 7 }), 400, "invalid_body"),
    ] {
        let response = create_organisation(&server, &operator, body.clone()).await;
        let message = assert_api_error(response, status, code).await;
        assert!(!message.is_empty(), "{body}");
    }
    let response = server
        .client()
        .post(format!("{}{ORGANISATIONS}", server.url))
        .bearer_auth(&operator)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_api_error(response, 400, "invalid_json").await;
    let response = server
        .client()
        .post(format!("{}{ORGANISATIONS}", server.url))
        .bearer_auth(&operator)
        .header("content-type", "text/plain")
        .body("name=Acme")
        .send()
        .await
        .unwrap();
    assert_api_error(response, 415, "unsupported_media_type").await;
    let huge = json!({ "name": "A".repeat(100_000) });
    let response = create_organisation(&server, &operator, huge).await;
    assert_api_error(response, 413, "payload_too_large").await;
    assert_eq!(organisation_count(&server, &operator).await, 1);

    // Keys: of no organisation, of a kind the API does not make, or of
    // another organisation than the path names.
    let tenant = &server.tenant_id;
    let keys = format!("{ORGANISATIONS}/{tenant}/keys");
    for (path, body, status, code) in [
        (
            format!("{ORGANISATIONS}/ten_missing/keys"),
            json!({ "kind": "secret" }),
            404,
            "not_found",
        ),
        (
            format!("{ORGANISATIONS}/{}/keys", "x".repeat(5_000)),
            json!({ "kind": "secret" }),
            404,
            "not_found",
        ),
        (
            keys.clone(),
            json!({ "kind": "operator" }),
            400,
            "invalid_body",
        ),
        (
            keys.clone(),
            json!({ "kind": "publishable" }),
            400,
            "invalid_body",
        ),
        (
            keys.clone(),
            json!({ "kind": "restricted" }),
            400,
            "invalid_scopes",
        ),
        (
            keys.clone(),
            json!({ "kind": "secret", "scopes": ["chat"] }),
            400,
            "invalid_scopes",
        ),
        (
            keys.clone(),
            json!({ "kind": "restricted", "scopes": ["organisation-keys:write"] }),
            400,
            "invalid_scopes",
        ),
        (
            keys.clone(),
            json!({ "kind": "secret", "tenantId": "ten_other" }),
            400,
            "invalid_body",
        ),
    ] {
        let response = server
            .admin(Method::POST, &path, &operator, Some(body))
            .await;
        assert_api_error(response, status, code).await;
    }
    let before = server.get_json(&keys, &operator).await;
    let other = create_organisation(&server, &operator, json!({ "name": "Other" }))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let other_keys = format!("{ORGANISATIONS}/{}/keys", other["id"].as_str().unwrap());
    let other_key: Value = server
        .admin(
            Method::POST,
            &other_keys,
            &operator,
            Some(json!({ "kind": "secret" })),
        )
        .await
        .json()
        .await
        .unwrap();
    // Revoking the other organisation's key through this one's path finds nothing.
    let wrong_path = format!("{keys}/{}/revoke", other_key["id"].as_str().unwrap());
    let response = server
        .admin(Method::POST, &wrong_path, &operator, None)
        .await;
    assert_api_error(response, 404, "not_found").await;
    // Nor does rotating it or reading its trail that way.
    let wrong_key = format!("{keys}/{}", other_key["id"].as_str().unwrap());
    let response = server
        .admin(
            Method::POST,
            &format!("{wrong_key}/rotate"),
            &operator,
            Some(json!({})),
        )
        .await;
    assert_api_error(response, 404, "not_found").await;
    let response = server.get(&format!("{wrong_key}/events"), &operator).await;
    assert_api_error(response, 404, "not_found").await;
    // A rotation of its own key that asks too much, or the wrong thing, does nothing.
    let other_rotate = format!("{other_keys}/{}/rotate", other_key["id"].as_str().unwrap());
    for (body, code) in [
        (json!({ "graceSeconds": 40 * 86_400 }), "invalid_grace"),
        (json!({ "graceSeconds": -1 }), "invalid_body"),
        (json!({ "kind": "operator" }), "invalid_body"),
    ] {
        let response = server
            .admin(Method::POST, &other_rotate, &operator, Some(body))
            .await;
        assert_api_error(response, 400, code).await;
    }
    let other_secret = other_key["key"].as_str().unwrap();
    assert_eq!(server.get("/v1/widgets", other_secret).await.status(), 200);
    for id in ["../../keys", "key_'; DROP TABLE api_keys; --"] {
        let path = format!("{keys}/{}/revoke", urlencoding(id));
        let response = server.admin(Method::POST, &path, &operator, None).await;
        assert_api_error(response, 404, "not_found").await;
    }
    assert_eq!(server.get_json(&keys, &operator).await, before);
    let listed = server.get_json(&other_keys, &operator).await;
    assert_eq!(listed["keys"].as_array().unwrap().len(), 1, "{listed}");
}

/// A path segment with everything but letters, digits and `_` escaped.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || byte == b'_' {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_command_line_runs_the_operator_commands_locally_and_through_the_operator_api() {
    let server = TestServer::in_process().await;
    let db = &server.db_url;

    // On the server's machine.
    let seller = json_of(
        db,
        &[
            "tenants",
            "create",
            "--name",
            "Agent Makers",
            "--role",
            "seller",
            "--json",
        ],
    )
    .await;
    let seller_id = seller["id"].as_str().unwrap();
    assert_eq!(seller["roles"], json!(["seller"]));
    let shown = json_of(db, &["tenants", "show", seller_id, "--json"]).await;
    assert_eq!(shown, seller);
    let listed = json_of(db, &["tenants", "list", "--json"]).await;
    assert_eq!(listed["organisations"].as_array().unwrap().len(), 2);
    let (ok, text, _) = run(db, &["tenants", "list"]).await;
    assert!(
        ok && text.contains(seller_id) && text.contains("seller  Agent Makers"),
        "{text}"
    );
    let created = json_of(
        db,
        &[
            "tenants",
            "create-key",
            seller_id,
            "--kind",
            "restricted",
            "--scopes",
            "catalog:write",
            "--json",
        ],
    )
    .await;
    let key_id = created["id"].as_str().unwrap();
    let keys = json_of(db, &["tenants", "keys", seller_id, "--json"]).await;
    assert_eq!(keys["keys"][0]["id"], key_id);
    let rotated = json_of(
        db,
        &[
            "tenants",
            "rotate-key",
            seller_id,
            key_id,
            "--grace-secs",
            "0",
            "--json",
        ],
    )
    .await;
    let trail = json_of(db, &["tenants", "key-events", seller_id, key_id, "--json"]).await;
    assert_eq!(trail["events"][1]["event"], "rotated");
    assert_eq!(trail["events"][1]["actor"], "cli");
    let key_id = rotated["id"].as_str().unwrap();
    json_of(db, &["tenants", "revoke-key", seller_id, key_id, "--json"]).await;
    let keys = json_of(db, &["tenants", "keys", seller_id, "--json"]).await;
    let revoked = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["id"] == key_id)
        .expect("the revoked key is listed");
    assert_eq!(revoked["revoked"], true);

    let (_, operator) = operator_key(&server, &["--note", "Control plane"]).await;
    let listed = json_of(db, &["operator-keys", "list", "--json"]).await;
    assert_eq!(listed["keys"][0]["note"], "Control plane");
    let display = listed["keys"][0]["display"].as_str().unwrap();
    assert!(
        display.starts_with("skt_op_live_") && display.ends_with(&operator[operator.len() - 4..])
    );
    assert!(!listed.to_string().contains(&operator));
    let (ok, text, _) = run(db, &["operator-keys", "list"]).await;
    assert!(
        ok && text.contains("Control plane") && !text.contains(&operator),
        "{text}"
    );

    // From anywhere, with the operator key.
    let remote = server
        .remote_json(&operator, &["tenants", "create", "--name", "Remote Shop"])
        .await;
    let remote_id = remote["id"].as_str().unwrap();
    assert_eq!(remote["roles"], json!(["buyer"]));
    let listed = server.remote_json(&operator, &["tenants", "list"]).await;
    assert_eq!(listed["organisations"].as_array().unwrap().len(), 3);
    // An external id finds what it made, locally and remotely alike.
    let by_id = [
        "tenants",
        "create",
        "--name",
        "Buyer Ltd",
        "--external-id",
        "crm:42",
    ];
    let local = json_of(db, &[&by_id[..], &["--json"]].concat()).await;
    assert_eq!(local["externalId"], "crm:42");
    let again = server.remote_json(&operator, &by_id).await;
    assert_eq!(again, local);
    let (ok, text, _) = run(db, &by_id).await;
    assert!(
        ok && text.contains(local["id"].as_str().unwrap()) && text.contains("external id crm:42"),
        "{text}"
    );
    let listed = server.remote_json(&operator, &["tenants", "list"]).await;
    assert_eq!(listed["organisations"].as_array().unwrap().len(), 4);
    let created = server
        .remote_json(
            &operator,
            &["tenants", "create-key", remote_id, "--kind", "secret"],
        )
        .await;
    let secret = created["key"].as_str().unwrap();
    assert_eq!(server.get("/v1/widgets", secret).await.status(), 200);
    let keys = server
        .remote_json(&operator, &["tenants", "keys", remote_id])
        .await;
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    let key_id = created["id"].as_str().unwrap();
    let trail = server
        .remote_json(&operator, &["tenants", "key-events", remote_id, key_id])
        .await;
    assert_eq!(trail["events"][0]["event"], "created");
    server
        .remote_json(&operator, &["tenants", "revoke-key", remote_id, key_id])
        .await;
    let response = server.get("/v1/widgets", secret).await;
    assert_api_error(response, 401, "key_revoked").await;

    // What does not work says so in one line.
    server
        .remote_error(
            &operator,
            &["tenants", "show", "ten_missing"],
            "no organisation with id ten_missing",
        )
        .await;
    server
        .remote_error(secret, &["tenants", "list"], "operator keys")
        .await;
    server
        .remote_error(
            &operator,
            &["operator-keys", "list"],
            "works only on the local database",
        )
        .await;
    server
        .remote_error(&operator, &["widgets", "list"], "/v1/operator/")
        .await;
}
