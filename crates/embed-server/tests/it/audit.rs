//! The organisation's audit trail: every write through the admin API, by a
//! signed-in person or a key, refused ones too, with what, when and from
//! where; read by owners only, and never another organisation's.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sign_in::{add_member, dashboard, session_of, with_provider};
use crate::support::{TestServer, assert_api_error};

async fn trail(server: &TestServer, key: &str, query: &str) -> Value {
    let trail = server.get(&format!("/v1/audit{query}"), key).await;
    assert_eq!(trail.status(), StatusCode::OK);
    trail.json().await.unwrap()
}

fn entries(trail: &Value) -> Vec<(String, String, String, u64)> {
    trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["actor"].as_str().unwrap().to_owned(),
                event["method"].as_str().unwrap().to_owned(),
                event["path"].as_str().unwrap().to_owned(),
                event["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_write_is_in_the_owners_trail_with_who_what_and_where() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    add_member(&server, &server.tenant_id, "victor", "viewer").await;
    let (alice, alice_csrf) = session_of(&server, &provider, "alice").await;
    let (victor, victor_csrf) = session_of(&server, &provider, "victor").await;
    let key = json!({"kind": "restricted", "scopes": ["usage:read"]});

    let made = dashboard(&server, Method::POST, "/v1/keys", &alice, Some(&alice_csrf))
        .json(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let refused = dashboard(
        &server,
        Method::POST,
        "/v1/keys",
        &victor,
        Some(&victor_csrf),
    )
    .json(&key)
    .send()
    .await
    .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let (secret_id, secret) = server.key(&server.tenant_id, &["--kind", "secret"]).await;
    let revoked = server
        .admin(
            Method::POST,
            &format!("/v1/keys/{secret_id}/revoke"),
            &secret,
            None,
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    // Reads are not writes.
    server.get("/v1/widgets", &alice).await;

    let owner = server.key(&server.tenant_id, &["--kind", "secret"]).await.1;
    let all = trail(&server, &owner, "").await;
    assert_eq!(
        entries(&all),
        [
            (
                format!("key:{secret_id}"),
                "POST".into(),
                format!("/v1/keys/{secret_id}/revoke"),
                204
            ),
            (
                "person:victor".into(),
                "POST".into(),
                "/v1/keys".into(),
                403
            ),
            ("person:alice".into(), "POST".into(), "/v1/keys".into(), 201),
        ]
    );
    for event in all["events"].as_array().unwrap() {
        assert_eq!(event["address"], "127.0.0.1");
        assert!(event["at"].as_i64().unwrap() > 1_700_000_000_000);
    }
    // Alice reads it in the dashboard too.
    let hers = dashboard(&server, Method::GET, "/v1/audit?limit=1", &alice, None)
        .send()
        .await
        .unwrap();
    let hers: Value = hers.json().await.unwrap();
    assert_eq!(entries(&hers).len(), 1);
    // The page after the newest holds the two writes before it.
    let older = format!("?before={}", all["events"][0]["at"]);
    let older = entries(&trail(&server, &owner, &older).await);
    assert_eq!(
        older
            .iter()
            .map(|(actor, ..)| actor.as_str())
            .collect::<Vec<_>>(),
        ["person:victor", "person:alice"]
    );
}

#[tokio::test]
async fn only_owners_read_the_trail_and_only_their_own() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;
    let made = server
        .admin(
            Method::POST,
            "/v1/keys",
            &secret,
            Some(json!({"kind": "restricted", "scopes": ["usage:read"]})),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let (_, reader) = server
        .key(
            &server.tenant_id,
            &[
                "--kind",
                "restricted",
                "--scopes",
                "usage:read widgets:read",
            ],
        )
        .await;
    assert_api_error(server.get("/v1/audit", &reader).await, 403, "missing_scope").await;

    let (other, _) = server.other_tenant().await;
    let (_, theirs) = server.key(&other, &["--kind", "secret"]).await;
    assert_eq!(trail(&server, &theirs, "").await, json!({"events": []}));
    assert_eq!(entries(&trail(&server, &secret, "").await).len(), 1);
}

#[tokio::test]
async fn a_malformed_trail_query_is_refused() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;
    for query in [
        "?limit=abc",
        "?limit=-1",
        "?before=soon",
        "?tenant=ten_other",
    ] {
        let refused = server.get(&format!("/v1/audit{query}"), &secret).await;
        assert_api_error(refused, 400, "invalid_query").await;
    }
    let most = trail(&server, &secret, "?limit=500").await;
    assert!(most["events"].is_array());
}
