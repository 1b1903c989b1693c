//! Memberships from the identity provider's claim (`--oidc-organisations-claim`):
//! a person the real provider's ID token names in an organisation, by the
//! external id the marketplace provisioned it with, lands there with the
//! claim's role and no invitation; the claim decides again at each sign-in;
//! such a membership changes only at the provider; memberships given another
//! way stay as they are; a claim of the wrong shape is refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sign_in::{add_member, dashboard, me, session_of, session_token, sign_in};
use crate::support::local_cli::json_of;
use crate::support::oidc::{self, Provider};
use crate::support::{TestServer, assert_api_error};

const CLAIM: &str = "waldur.organisations";
const BUYER: &str = "waldur:customer:0c1f";
const OTHER: &str = "waldur:customer:9a77";

/// A server that reads organisations from the `waldur.organisations` claim,
/// its provider, and the ids of the organisations the marketplace made as
/// `BUYER` and `OTHER`.
async fn claiming_server() -> (TestServer, Provider, String, String) {
    let people = json!({
        "bob": {"email": "bob@buyer.example", "name": "Bob Buyer"},
        "alice": {"email": "alice@buyer.example", "name": "Alice Owner"},
    });
    let (server, provider) = oidc::server_with_provider(people, Some(CLAIM), |_| {}).await;
    let buyer = provisioned(&server, "Buyer Ltd", BUYER).await;
    let other = provisioned(&server, "Other Ltd", OTHER).await;
    (server, provider, buyer, other)
}

async fn provisioned(server: &TestServer, name: &str, external_id: &str) -> String {
    let made = json_of(
        &server.db_url,
        &[
            "tenants",
            "create",
            "--name",
            name,
            "--external-id",
            external_id,
            "--json",
        ],
    )
    .await;
    made["id"].as_str().unwrap().to_owned()
}

fn organisations(claim: Value) -> Value {
    json!({ "waldur": { "organisations": claim } })
}

async fn members_of(server: &TestServer, tenant: &str) -> Vec<Value> {
    let listed = json_of(
        &server.db_url,
        &["members", "list", "--tenant", tenant, "--json"],
    )
    .await;
    listed["members"].as_array().unwrap().clone()
}

async fn signed_in_as(server: &TestServer, token: &str) -> Value {
    let answer = me(server, token).await;
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.unwrap()
}

#[tokio::test]
async fn a_person_the_claim_names_lands_in_that_organisation_with_its_role() {
    let (server, provider, buyer, _other) = claiming_server().await;
    provider
        .set_claims(
            "bob",
            organisations(json!([
                {"id": BUYER, "role": "admin"},
                {"id": "waldur:customer:not-here", "role": "owner"},
            ])),
        )
        .await;

    let token = session_token(&server, &provider, "bob").await;
    let me = signed_in_as(&server, &token).await;
    assert_eq!(me["organisationId"], buyer.as_str(), "{me}");
    assert_eq!(me["role"], "admin");
    let members = members_of(&server, &buyer).await;
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0]["subject"], "bob");
    assert_eq!(members[0]["email"], "bob@buyer.example");
    assert_eq!(members[0]["fromIdentityProvider"], true);
}

#[tokio::test]
async fn the_claim_decides_again_at_each_sign_in() {
    let (server, provider, buyer, other) = claiming_server().await;
    provider
        .set_claims(
            "bob",
            organisations(Value::Object(
                [(BUYER.into(), json!("owner"))].into_iter().collect(),
            )),
        )
        .await;
    let first = session_token(&server, &provider, "bob").await;
    assert_eq!(signed_in_as(&server, &first).await["role"], "owner");

    // The provider makes Bob a viewer: the next sign-in is one.
    provider
        .set_claims("bob", organisations(json!([BUYER])))
        .await;
    let second = session_token(&server, &provider, "bob").await;
    assert_eq!(signed_in_as(&server, &second).await["role"], "viewer");

    // The provider moves Bob to the other organisation: he leaves the first,
    // and his sessions there end at once.
    provider
        .set_claims(
            "bob",
            organisations(json!([{"id": OTHER, "role": "viewer"}])),
        )
        .await;
    let third = session_token(&server, &provider, "bob").await;
    assert_eq!(
        signed_in_as(&server, &third).await["organisationId"],
        other.as_str()
    );
    assert!(members_of(&server, &buyer).await.is_empty());
    let ended = assert_api_error(me(&server, &second).await, 401, "sign_in_required").await;
    assert!(ended.contains("membership ended"), "{ended}");

    // Named nowhere, Bob is a member of nothing here.
    provider.set_claims("bob", organisations(json!([]))).await;
    let refused = sign_in(&server, &provider, "bob").await;
    assert_api_error(refused, 403, "not_a_member").await;
    assert!(members_of(&server, &other).await.is_empty());
}

#[tokio::test]
async fn a_claimed_membership_changes_only_at_the_provider_and_others_stay() {
    let (server, provider, buyer, _other) = claiming_server().await;
    add_member(&server, &buyer, "alice", "owner").await;
    provider
        .set_claims(
            "bob",
            organisations(json!([{"id": BUYER, "role": "viewer"}])),
        )
        .await;
    session_token(&server, &provider, "bob").await;

    // The owner sees where each membership comes from, and cannot change or
    // remove one the provider gives: it would be back at the next sign-in.
    let (owner, csrf) = session_of(&server, &provider, "alice").await;
    let listed: Value = dashboard(&server, Method::GET, "/v1/members", &owner, None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let source = |subject: &str| {
        listed["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|member| member["subject"] == subject)
            .map(|member| member["fromIdentityProvider"].clone())
    };
    assert_eq!(source("alice"), Some(json!(false)), "{listed}");
    assert_eq!(source("bob"), Some(json!(true)), "{listed}");
    let promote = dashboard(
        &server,
        Method::PATCH,
        "/v1/members/bob",
        &owner,
        Some(&csrf),
    )
    .json(&json!({"role": "admin"}))
    .send()
    .await
    .unwrap();
    let message = assert_api_error(promote, 409, "managed_by_identity_provider").await;
    assert!(message.contains("identity provider"), "{message}");
    let remove = dashboard(
        &server,
        Method::DELETE,
        "/v1/members/bob",
        &owner,
        Some(&csrf),
    )
    .send()
    .await
    .unwrap();
    assert_api_error(remove, 409, "managed_by_identity_provider").await;

    // Alice's membership came from the operator: a claim naming her
    // organisation with a lesser role, or not at all, leaves it as it is.
    for claim in [json!([{"id": BUYER, "role": "viewer"}]), json!([])] {
        provider.set_claims("alice", organisations(claim)).await;
        let token = session_token(&server, &provider, "alice").await;
        assert_eq!(signed_in_as(&server, &token).await["role"], "owner");
    }
}

#[tokio::test]
async fn a_claim_of_the_wrong_shape_is_refused_and_changes_nothing() {
    let (server, provider, buyer, _other) = claiming_server().await;
    provider
        .set_claims(
            "bob",
            organisations(json!([{"id": BUYER, "role": "admin"}])),
        )
        .await;
    session_token(&server, &provider, "bob").await;

    let too_many: Vec<String> = (0..=100).map(|n| format!("waldur:customer:{n}")).collect();
    for hostile in [
        json!(BUYER),
        json!([{"id": 42, "role": "owner"}]),
        json!([{"id": BUYER, "role": {"name": "owner"}}]),
        json!([{"id": "x".repeat(201), "role": "owner"}]),
        json!(too_many),
    ] {
        provider
            .set_claims("bob", organisations(hostile.clone()))
            .await;
        let refused = sign_in(&server, &provider, "bob").await;
        let message = assert_api_error(refused, 401, "sign_in_failed").await;
        assert!(message.contains(CLAIM), "{hostile}: {message}");
    }
    let members = members_of(&server, &buyer).await;
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0]["role"], "admin");
}
