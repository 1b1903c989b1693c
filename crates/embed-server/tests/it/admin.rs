//! The admin API: secret and restricted keys, scopes, and tenant isolation.

use serde_json::Value;

use crate::cli::event_names;
use crate::support::local_cli::json_of;
use crate::support::{TestServer, assert_api_error};

#[tokio::test]
async fn a_secret_key_sees_its_own_tenants_widgets_and_nothing_of_another() {
    let server = TestServer::in_process().await;
    let (their_tenant, their_widget) = server.other_tenant().await;
    let ours = server.secret_key().await;
    let (_, theirs) = server.key(&their_tenant, &["--kind", "secret"]).await;
    assert!(ours.starts_with("skt_sec_live_"));

    let response = server.get("/v1/widgets", &ours).await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    let widgets = list["widgets"].as_array().unwrap();
    assert_eq!(widgets.len(), 7, "the test server's widgets: {list}");
    assert!(widgets.iter().all(|w| w["id"] != their_widget.as_str()));
    let patterns = widgets
        .iter()
        .find(|w| w["allowedOrigins"].as_array().unwrap().len() == 2)
        .unwrap();
    assert_eq!(
        patterns["allowedOrigins"],
        serde_json::json!(["http://localhost:*", "https://*.example.com"])
    );
    assert!(
        widgets
            .iter()
            .all(|w| w.get("runtimeKey").is_none() && w.get("publishableKey").is_none())
    );

    // Another tenant's widget is indistinguishable from a missing one.
    assert_api_error(
        server
            .get(&format!("/v1/widgets/{their_widget}"), &ours)
            .await,
        404,
        "not_found",
    )
    .await;
    let response = server
        .get(&format!("/v1/widgets/{their_widget}"), &theirs)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["title"],
        "Their widget"
    );
    let their_list: Value = server
        .get("/v1/widgets", &theirs)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(their_list["widgets"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn restricted_keys_get_only_their_scopes_and_bad_keys_are_refused() {
    let server = TestServer::in_process().await;
    let (_, usage_only) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "usage:read"],
        )
        .await;
    let message = assert_api_error(
        server.get("/v1/widgets", &usage_only).await,
        403,
        "missing_scope",
    )
    .await;
    assert!(message.contains("widgets:read"), "{message}");
    let (_, reader) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "widgets:read"],
        )
        .await;
    assert_eq!(server.get("/v1/widgets", &reader).await.status(), 200);

    let missing = server
        .client()
        .get(format!("{}/v1/widgets", server.url))
        .send()
        .await
        .unwrap();
    assert_api_error(missing, 401, "missing_token").await;
    assert_api_error(
        server.get("/v1/widgets", "skt_sec_live_garbage").await,
        401,
        "invalid_key",
    )
    .await;
    let mut typo = reader.clone();
    typo.replace_range(20..21, if &reader[20..21] == "a" { "b" } else { "a" });
    assert_api_error(server.get("/v1/widgets", &typo).await, 401, "invalid_key").await;
    let message = assert_api_error(
        server.get("/v1/widgets", &server.faq_key).await,
        401,
        "invalid_key",
    )
    .await;
    assert!(message.contains("secret"), "{message}");

    let (revoked_id, revoked) = server.key(&server.tenant_id, &["--kind", "secret"]).await;
    json_of(&server.db_url, &["keys", "revoke", &revoked_id, "--json"]).await;
    assert_api_error(
        server.get("/v1/widgets", &revoked).await,
        401,
        "key_revoked",
    )
    .await;

    let (expired_id, expired) = server
        .key(
            &server.tenant_id,
            &["--kind", "secret", "--expires-in-days", "1"],
        )
        .await;
    expire_now(&server.db_url, &expired_id).await;
    assert_api_error(
        server.get("/v1/widgets", &expired).await,
        401,
        "key_expired",
    )
    .await;
}

/// Time travel for one key: its expiry moves to the past.
async fn expire_now(db_url: &str, key_id: &str) {
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    sqlx::query("UPDATE api_keys SET expires_at = 1 WHERE id = $1")
        .bind(key_id)
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn creating_keys_checks_kind_and_scopes() {
    let server = TestServer::in_process().await;
    for (args, expected) in [
        (vec!["--kind", "restricted"], "need a list of scopes"),
        (
            vec!["--kind", "restricted", "--scopes", "widgets:admin"],
            "unknown scope `widgets:admin`",
        ),
        (
            vec!["--kind", "secret", "--scopes", "widgets:read"],
            "every admin scope",
        ),
    ] {
        let mut all = vec![
            "--database-url",
            &server.db_url,
            "keys",
            "create",
            "--tenant",
            &server.tenant_id,
        ];
        all.extend(args);
        let output = crate::support::sitekit().args(&all).output().await.unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(expected), "{stderr}");
    }
}

/// Helpers for JSON admin calls with a key.
async fn config_status(server: &TestServer, publishable_key: &str, origin: &str) -> u16 {
    let url = format!("{}/v1/widgets/{publishable_key}/config", server.url);
    server
        .client()
        .get(url)
        .header("origin", origin)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn agent_of(server: &TestServer) -> String {
    let db = server.db().await;
    let key = sitekit_embed_server::keys::ParsedKey::parse(&server.faq_key).unwrap();
    db.widget_by_publishable_key(&key)
        .await
        .unwrap()
        .unwrap()
        .0
        .agent_id
}

#[tokio::test]
async fn a_widget_created_through_the_api_works_on_its_site_at_once() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;
    let agent_id = agent_of(&server).await;
    let body = serde_json::json!({ "agentId": agent_id, "allowedOrigins": ["https://*.shop.example"], "title": "Ask us" });
    let response = server
        .admin(reqwest::Method::POST, "/v1/widgets", &secret, Some(body))
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let publishable = created["publishableKey"].as_str().unwrap();
    assert!(publishable.starts_with("skt_pub_live_"));
    assert_eq!(
        created["snippet"],
        format!(
            r#"<script async src="{}/v1/loader.js" data-key="{publishable}"></script>"#,
            server.url
        )
    );
    assert_eq!(created["widget"]["title"], "Ask us");
    assert_eq!(
        created["widget"]["greeting"],
        "Hi! How can I help you today?"
    );
    assert_eq!(
        config_status(&server, publishable, "https://eu.shop.example").await,
        200
    );
    assert_eq!(
        config_status(&server, publishable, "https://other.example").await,
        403
    );
}

#[tokio::test]
async fn bad_widget_input_is_refused_whole_and_changes_nothing() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;
    let (_, reader) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "widgets:read"],
        )
        .await;
    let (their_tenant, their_widget) = server.other_tenant().await;
    let agent_id = agent_of(&server).await;
    let count = async || {
        let list: Value = server
            .get("/v1/widgets", &secret)
            .await
            .json()
            .await
            .unwrap();
        list["widgets"].as_array().unwrap().len()
    };
    let before = count().await;
    let post = async |body: Value, key: &str| {
        server
            .admin(reqwest::Method::POST, "/v1/widgets", key, Some(body))
            .await
    };
    let good = serde_json::json!({ "agentId": agent_id, "allowedOrigins": ["https://a.example"] });

    let message = assert_api_error(post(good.clone(), &reader).await, 403, "missing_scope").await;
    assert!(message.contains("widgets:write"));
    for (body, code) in [
        (
            serde_json::json!({ "agentId": agent_id, "allowedOrigins": ["https://a.example"], "primaryColor": "red" }),
            "invalid_setting",
        ),
        (
            serde_json::json!({ "agentId": agent_id, "allowedOrigins": ["http://localhost:*"] }),
            "invalid_setting",
        ),
        (
            serde_json::json!({ "agentId": agent_id, "allowedOrigins": [] }),
            "invalid_setting",
        ),
        // A wildcard under a public suffix would allow strangers' sites.
        (
            serde_json::json!({ "agentId": agent_id, "allowedOrigins": ["https://*.github.io"] }),
            "invalid_setting",
        ),
        (
            serde_json::json!({ "agentId": agent_id, "allowedOrigins": ["https://*.co.uk"] }),
            "invalid_setting",
        ),
        (
            serde_json::json!({ "agentId": agent_id, "allowedOrigins": ["https://a.example"], "flowId": "x" }),
            "invalid_body",
        ),
    ] {
        assert_api_error(post(body, &secret).await, 400, code).await;
    }
    // Another tenant's agent is not there for this key.
    let (_, their_key) = server.key(&their_tenant, &["--kind", "secret"]).await;
    assert_api_error(post(good, &their_key).await, 404, "not_found").await;
    assert_eq!(count().await, before, "no refused request created a widget");

    // One bad field spoils the whole update.
    let patch = async |id: &str, body: Value, key: &str| {
        server
            .admin(
                reqwest::Method::PATCH,
                &format!("/v1/widgets/{id}"),
                key,
                Some(body),
            )
            .await
    };
    let list: Value = server
        .get("/v1/widgets", &secret)
        .await
        .json()
        .await
        .unwrap();
    let ours = list["widgets"][0]["id"].as_str().unwrap().to_owned();
    let mixed = serde_json::json!({ "title": "New title", "locale": "not a locale!" });
    assert_api_error(patch(&ours, mixed, &secret).await, 400, "invalid_setting").await;
    let unchanged: Value = server
        .get(&format!("/v1/widgets/{ours}"), &secret)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["title"], "Help");
    let theirs = serde_json::json!({ "enabled": false });
    assert_api_error(
        patch(&their_widget, theirs, &secret).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn disabling_and_re_enabling_a_widget_and_changing_its_origins_take_effect() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;
    let db = server.db().await;
    let parsed = sitekit_embed_server::keys::ParsedKey::parse(&server.faq_key).unwrap();
    let widget_id = db
        .widget_by_publishable_key(&parsed)
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    let path = format!("/v1/widgets/{widget_id}");
    let site = crate::support::SITE;

    let off = server
        .admin(
            reqwest::Method::PATCH,
            &path,
            &secret,
            Some(serde_json::json!({ "enabled": false })),
        )
        .await;
    assert_eq!(off.json::<Value>().await.unwrap()["enabled"], false);
    assert_eq!(config_status(&server, &server.faq_key, site).await, 403);
    server
        .admin(
            reqwest::Method::PATCH,
            &path,
            &secret,
            Some(serde_json::json!({ "enabled": true })),
        )
        .await;
    assert_eq!(config_status(&server, &server.faq_key, site).await, 200);

    let moved = serde_json::json!({ "allowedOrigins": ["https://new.example"] });
    let response = server
        .admin(reqwest::Method::PATCH, &path, &secret, Some(moved))
        .await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["allowedOrigins"],
        serde_json::json!(["https://new.example"])
    );
    assert_eq!(config_status(&server, &server.faq_key, site).await, 403);
    assert_eq!(
        config_status(&server, &server.faq_key, "https://new.example").await,
        200
    );
    // The test server's keys are test-mode keys, so localhost on any port may be added.
    let local = serde_json::json!({ "allowedOrigins": ["http://localhost:*"] });
    assert_eq!(
        server
            .admin(reqwest::Method::PATCH, &path, &secret, Some(local))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn keys_made_through_the_api_are_shown_once_listed_without_secrets_and_revocable() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;
    let (their_tenant, _) = server.other_tenant().await;
    let (their_key_id, _) = server.key(&their_tenant, &["--kind", "secret"]).await;

    let body = serde_json::json!({ "kind": "restricted", "scopes": ["widgets:read"] });
    let response = server
        .admin(reqwest::Method::POST, "/v1/keys", &secret, Some(body))
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let (id, reader) = (
        created["id"].as_str().unwrap(),
        created["key"].as_str().unwrap(),
    );
    assert!(reader.starts_with("skt_rst_live_"));
    assert_eq!(created["scopes"], serde_json::json!(["widgets:read"]));
    assert_eq!(server.get("/v1/widgets", reader).await.status(), 200);
    let message =
        assert_api_error(server.get("/v1/keys", reader).await, 403, "missing_scope").await;
    assert!(message.contains("keys:write"));

    let listed = server.get("/v1/keys", &secret).await.text().await.unwrap();
    assert!(
        listed.contains(id) && !listed.contains(reader),
        "listed without the secret: {listed}"
    );
    assert!(
        !listed.contains(&their_key_id),
        "another tenant's keys stay hidden"
    );

    for name in ["", "two\nlines", &"n".repeat(101)] {
        let bad = serde_json::json!({ "kind": "secret", "name": name });
        assert_api_error(
            server
                .admin(reqwest::Method::POST, "/v1/keys", &secret, Some(bad))
                .await,
            400,
            "invalid_setting",
        )
        .await;
    }
    let bad = serde_json::json!({ "kind": "restricted", "scopes": ["everything"] });
    assert_api_error(
        server
            .admin(reqwest::Method::POST, "/v1/keys", &secret, Some(bad))
            .await,
        400,
        "invalid_scopes",
    )
    .await;

    let revoke = async |id: &str| {
        server
            .admin(
                reqwest::Method::POST,
                &format!("/v1/keys/{id}/revoke"),
                &secret,
                Some(Value::Null),
            )
            .await
    };
    assert_api_error(revoke(&their_key_id).await, 404, "not_found").await;
    assert_eq!(revoke(id).await.status(), 204);
    assert_api_error(server.get("/v1/widgets", reader).await, 401, "key_revoked").await;
    // The key is still there (its audit trail is), but it cannot change.
    assert_api_error(revoke(id).await, 409, "key_revoked").await;
}

#[tokio::test]
async fn a_rotated_key_keeps_working_for_its_grace_period_only() {
    let server = TestServer::in_process().await;
    let (old_id, old) = server
        .key(
            &server.tenant_id,
            &[
                "--kind",
                "restricted",
                "--scopes",
                "widgets:read keys:write",
            ],
        )
        .await;
    let (their_tenant, _) = server.other_tenant().await;
    let (their_id, _) = server.key(&their_tenant, &["--kind", "secret"]).await;
    let rotate = async |id: &str, body: Value| {
        server
            .admin(
                reqwest::Method::POST,
                &format!("/v1/keys/{id}/rotate"),
                &old,
                Some(body),
            )
            .await
    };

    // With the default grace period both keys work, and the new one has the same scopes.
    let response = rotate(&old_id, serde_json::json!({})).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let new = created["key"].as_str().unwrap().to_owned();
    assert_eq!(
        created["scopes"],
        serde_json::json!(["widgets:read", "keys:write"])
    );
    assert_eq!(server.get("/v1/widgets", &new).await.status(), 200);
    assert_eq!(server.get("/v1/widgets", &old).await.status(), 200);

    // Rotating again with no grace ends the previous key at once.
    let new_id = created["id"].as_str().unwrap().to_owned();
    let response = server
        .admin(
            reqwest::Method::POST,
            &format!("/v1/keys/{new_id}/rotate"),
            &new,
            Some(serde_json::json!({ "graceSeconds": 0 })),
        )
        .await;
    let newest: Value = response.json().await.unwrap();
    assert_api_error(server.get("/v1/widgets", &new).await, 401, "key_expired").await;
    assert_eq!(
        server
            .get("/v1/widgets", newest["key"].as_str().unwrap())
            .await
            .status(),
        200
    );

    assert_api_error(
        rotate(&their_id, serde_json::json!({})).await,
        404,
        "not_found",
    )
    .await;
    let too_long = serde_json::json!({ "graceSeconds": 40 * 86_400 });
    assert_api_error(rotate(&old_id, too_long).await, 400, "invalid_grace").await;
    let events = event_names(&server.db_url, &new_id).await;
    assert_eq!(events, ["created", "rotated"]);
}
