//! Keys that make keys: a caller grants only scopes it holds, and only a secret
//! key creates, rotates or revokes a secret key — for every kind of caller and
//! every kind of key it acts on.

use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::db::now_unix;
use sitekit_embed_server::tenants::TenantScope;

use crate::support::{TestServer, assert_api_error, create_agent, create_widget, widget_request};

const ALL_ADMIN: &str = "usage:write,usage:read,widgets:read,widgets:write,keys:write,agents:write,catalog:write,seller:read";

/// The callers: (name, key).
async fn callers(server: &TestServer) -> Vec<(&'static str, String)> {
    let tenant = &server.tenant_id;
    let secret = server.key(tenant, &["--kind", "secret"]).await.1;
    let keys_only = server
        .key(tenant, &["--kind", "restricted", "--scopes", "keys:write"])
        .await
        .1;
    let all_admin = server
        .key(tenant, &["--kind", "restricted", "--scopes", ALL_ADMIN])
        .await
        .1;
    vec![
        ("secret", secret),
        ("restricted keys:write", keys_only),
        ("restricted with every admin scope", all_admin),
    ]
}

/// The keys acted on, by what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Secret,
    /// `keys:write` only: what every caller here holds.
    RestrictedSubset,
    /// `keys:write agents:write`: more than the `keys:write` caller holds.
    RestrictedSuperset,
    Publishable,
}

const TARGETS: [Target; 4] = [
    Target::Secret,
    Target::RestrictedSubset,
    Target::RestrictedSuperset,
    Target::Publishable,
];

/// A fresh key of `target`'s kind in the server's tenant; returns its id.
async fn fresh(server: &TestServer, target: Target) -> String {
    let tenant = &server.tenant_id;
    let args: &[&str] = match target {
        Target::Secret => &["--kind", "secret"],
        Target::RestrictedSubset => &["--kind", "restricted", "--scopes", "keys:write"],
        Target::RestrictedSuperset => &[
            "--kind",
            "restricted",
            "--scopes",
            "keys:write,agents:write",
        ],
        Target::Publishable => {
            let db = server.db().await;
            let agent = create_agent(&db, tenant, "http://127.0.0.1:9", "f", "k").await;
            let request = widget_request(&agent.id, &["https://shop.example"]);
            let (widget, _) = create_widget(&db, &agent, &request).await;
            let keys = db
                .list_keys(&TenantScope::Operator, Some(&widget.id))
                .await
                .unwrap();
            return keys[0].id.clone();
        }
    };
    server.key(tenant, args).await.0
}

/// What a caller may do to a target, or the words its refusal must contain.
fn expected(caller: &str, target: Target, revoking: bool) -> Result<(), &'static str> {
    let secret_caller = caller == "secret";
    match target {
        Target::Secret if !secret_caller => Err("only a secret key"),
        _ if revoking => Ok(()),
        Target::RestrictedSuperset if caller == "restricted keys:write" => Err("agents:write"),
        Target::Publishable if caller == "restricted keys:write" => Err("widgets:write"),
        _ => Ok(()),
    }
}

async fn check(response: reqwest::Response, expected: Result<(), &str>, status: u16, case: &str) {
    match expected {
        Ok(()) => assert_eq!(response.status().as_u16(), status, "{case}"),
        Err(words) => {
            let message = assert_api_error(response, 403, "missing_scope").await;
            assert!(message.contains(words), "{case}: {message}");
        }
    }
}

#[tokio::test]
async fn keys_create_only_keys_whose_scopes_they_hold_and_secret_keys_only_if_secret() {
    let server = TestServer::in_process().await;
    let requests = [
        (Target::Secret, json!({ "kind": "secret" })),
        (
            Target::RestrictedSubset,
            json!({ "kind": "restricted", "scopes": ["keys:write"] }),
        ),
        (
            Target::RestrictedSuperset,
            json!({ "kind": "restricted", "scopes": ["keys:write", "agents:write"] }),
        ),
    ];
    for (caller, caller_key) in callers(&server).await {
        for (target, body) in &requests {
            let response = server
                .admin(Method::POST, "/v1/keys", &caller_key, Some(body.clone()))
                .await;
            let case = format!("{caller} creates {target:?}");
            check(response, expected(caller, *target, false), 201, &case).await;
        }
    }
}

#[tokio::test]
async fn keys_rotate_only_keys_whose_scopes_they_hold_and_secret_keys_only_if_secret() {
    let server = TestServer::in_process().await;
    for (caller, caller_key) in callers(&server).await {
        for target in TARGETS {
            let id = fresh(&server, target).await;
            let path = format!("/v1/keys/{id}/rotate");
            let response = server
                .admin(Method::POST, &path, &caller_key, Some(json!({})))
                .await;
            let case = format!("{caller} rotates {target:?}");
            let refused = expected(caller, target, false).is_err();
            check(response, expected(caller, target, false), 201, &case).await;
            // A refused rotation changed nothing: the key is still active and
            // the only one of its kind the rotation would have made.
            let db = server.db().await;
            let stored = db.key(&TenantScope::Operator, &id).await.unwrap().unwrap();
            assert_eq!(stored.expires_at.is_none(), refused, "{case}");
        }
    }
}

#[tokio::test]
async fn only_a_secret_key_revokes_a_secret_key() {
    let server = TestServer::in_process().await;
    for (caller, caller_key) in callers(&server).await {
        for target in TARGETS {
            let id = fresh(&server, target).await;
            let path = format!("/v1/keys/{id}/revoke");
            let response = server.admin(Method::POST, &path, &caller_key, None).await;
            let case = format!("{caller} revokes {target:?}");
            check(response, expected(caller, target, true), 204, &case).await;
            let db = server.db().await;
            let stored = db.key(&TenantScope::Operator, &id).await.unwrap().unwrap();
            assert_eq!(
                stored.revoked,
                expected(caller, target, true).is_ok(),
                "{case}"
            );
        }
    }
}

#[tokio::test]
async fn a_key_made_by_an_expiring_key_expires_no_later_than_it() {
    let server = TestServer::in_process().await;
    let (_, expiring) = server
        .key(
            &server.tenant_id,
            &[
                "--kind",
                "restricted",
                "--scopes",
                "keys:write",
                "--expires-in-days",
                "1",
            ],
        )
        .await;
    let db = server.db().await;
    let in_a_day = now_unix() + 86_400;
    for body in [
        json!({ "kind": "restricted", "scopes": ["keys:write"] }),
        json!({ "kind": "restricted", "scopes": ["keys:write"], "expiresInDays": 365 }),
    ] {
        let created: Value = server
            .admin(Method::POST, "/v1/keys", &expiring, Some(body.clone()))
            .await
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap();
        let stored = db.key(&TenantScope::Operator, id).await.unwrap().unwrap();
        let expires = stored.expires_at.expect("the new key expires");
        assert!(expires <= in_a_day + 5, "{body}: {expires}");

        // Its rotation by the expiring key expires no later either.
        let rotated: Value = server
            .admin(
                Method::POST,
                &format!("/v1/keys/{id}/rotate"),
                &expiring,
                Some(json!({})),
            )
            .await
            .json()
            .await
            .unwrap();
        let new_id = rotated["id"].as_str().unwrap();
        let stored = db
            .key(&TenantScope::Operator, new_id)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.expires_at.is_some_and(|at| at <= in_a_day + 5));
    }
}
