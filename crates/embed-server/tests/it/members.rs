//! An organisation's people: an owner invites by email, the invitee signs
//! in with the link and is a member; roles change and members go, but an
//! organisation keeps an owner; nobody grants more than they hold; another
//! organisation's members and invitations are out of reach.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sign_in::{add_member, dashboard, me, session_of, with_provider};
use crate::support::oidc::{no_redirects, provider_answer_from, session_cookie};
use crate::support::{TestServer, assert_api_error};

async fn invite(
    server: &TestServer,
    (token, csrf): (&str, &str),
    email: &str,
    role: &str,
) -> reqwest::Response {
    dashboard(server, Method::POST, "/v1/invitations", token, Some(csrf))
        .json(&json!({"email": email, "role": role}))
        .send()
        .await
        .unwrap()
}

/// `POST /v1/invitations` with a key.
async fn invite_with_key(
    server: &TestServer,
    key: &str,
    email: &str,
    role: &str,
) -> reqwest::Response {
    server
        .admin(
            Method::POST,
            "/v1/invitations",
            key,
            Some(json!({"email": email, "role": role})),
        )
        .await
}

async fn members_of(server: &TestServer, key: &str) -> Value {
    server.get_json("/v1/members", key).await
}

#[tokio::test]
async fn an_invited_person_signs_in_with_the_link_once_and_becomes_a_member() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let (token, csrf) = session_of(&server, &provider, "alice").await;

    let invited = invite(&server, (&token, &csrf), "victor@buyer.example", "admin").await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let invited: Value = invited.json().await.unwrap();
    assert_eq!(invited["invitedBy"], "person:alice");
    let link = invited["link"].as_str().unwrap();
    let secret = server.secret_key().await;
    let listed = members_of(&server, &secret).await;
    assert_eq!(listed["invitations"][0]["email"], "victor@buyer.example");
    assert!(!listed.to_string().contains(link), "the link is shown once");

    let callback = provider_answer_from(link, &server.url, &provider, "victor").await;
    let joined = no_redirects().get(&callback).send().await.unwrap();
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    let (victor, _) = session_cookie(&joined).expect("a session");
    let victor: Value = me(&server, &victor).await.json().await.unwrap();
    assert_eq!(victor["organisationId"], server.tenant_id.as_str());
    assert_eq!(victor["role"], "admin");

    let listed = members_of(&server, &secret).await;
    let subjects: Vec<&str> = listed["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| member["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["alice", "victor"]);
    assert_eq!(listed["invitations"], json!([]));

    // The link worked once.
    let again = provider_answer_from(link, &server.url, &provider, "victor").await;
    let again = no_redirects().get(&again).send().await.unwrap();
    assert_api_error(again, 401, "sign_in_failed").await;
}

#[tokio::test]
async fn an_invitation_works_only_for_the_address_it_was_sent_to() {
    let (server, provider) = with_provider(|_| {}).await;
    let secret = server.secret_key().await;
    let invited = invite_with_key(&server, &secret, "victor@buyer.example", "viewer").await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let invited: Value = invited.json().await.unwrap();
    assert_eq!(
        invited["invitedBy"].as_str().unwrap().split(':').next(),
        Some("key")
    );
    let link = invited["link"].as_str().unwrap();

    let callback = provider_answer_from(link, &server.url, &provider, "nobody").await;
    let refused = no_redirects().get(&callback).send().await.unwrap();
    assert!(session_cookie(&refused).is_none());
    let message = assert_api_error(refused, 401, "sign_in_failed").await;
    assert!(message.contains("nobody@elsewhere.example"), "{message}");
    // Still open for Victor.
    let listed = members_of(&server, &secret).await;
    assert_eq!(listed["invitations"].as_array().unwrap().len(), 1);
    let callback = provider_answer_from(link, &server.url, &provider, "victor").await;
    let joined = no_redirects().get(&callback).send().await.unwrap();
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_invitation_needs_an_address_the_provider_vouches_for() {
    let (server, provider) = with_provider(|_| {}).await;
    let secret = server.secret_key().await;
    let invited: Value = invite_with_key(&server, &secret, "una@buyer.example", "viewer")
        .await
        .json()
        .await
        .unwrap();
    let link = invited["link"].as_str().unwrap();
    let callback = provider_answer_from(link, &server.url, &provider, "una").await;
    let refused = no_redirects().get(&callback).send().await.unwrap();
    assert!(session_cookie(&refused).is_none());
    let message = assert_api_error(refused, 401, "sign_in_failed").await;
    assert!(message.contains("not verified"), "{message}");
    assert_eq!(
        members_of(&server, &secret).await["invitations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn only_who_holds_a_roles_scopes_grants_it() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "victor", "viewer").await;
    let (token, csrf) = session_of(&server, &provider, "victor").await;
    let listing = dashboard(&server, Method::GET, "/v1/members", &token, None)
        .send()
        .await
        .unwrap();
    assert_api_error(listing, 403, "missing_scope").await;
    assert_api_error(
        invite(&server, (&token, &csrf), "x@buyer.example", "viewer").await,
        403,
        "missing_scope",
    )
    .await;

    // A restricted key that may manage members, but holds little else.
    let (_, narrow) = server
        .key(
            &server.tenant_id,
            &[
                "--kind",
                "restricted",
                "--scopes",
                "members:write usage:read widgets:read",
            ],
        )
        .await;
    let body = |role: &str| Some(json!({"email": "x@buyer.example", "role": role}));
    let viewer = server
        .admin(Method::POST, "/v1/invitations", &narrow, body("viewer"))
        .await;
    assert_eq!(
        viewer.status(),
        StatusCode::CREATED,
        "it holds a viewer's scopes"
    );
    for role in ["admin", "owner"] {
        let refused = server
            .admin(Method::POST, "/v1/invitations", &narrow, body(role))
            .await;
        assert_api_error(refused, 403, "missing_scope").await;
    }
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let promote = server
        .admin(
            Method::PATCH,
            "/v1/members/victor",
            &narrow,
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_api_error(promote, 403, "missing_scope").await;
    let remove_owner = server
        .admin(Method::DELETE, "/v1/members/alice", &narrow, None)
        .await;
    assert_api_error(remove_owner, 403, "missing_scope").await;
}

#[tokio::test]
async fn an_organisation_keeps_an_owner() {
    let server = TestServer::in_process().await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let secret = server.secret_key().await;
    let demote = async |subject: &str| {
        let path = format!("/v1/members/{subject}");
        server
            .admin(
                Method::PATCH,
                &path,
                &secret,
                Some(json!({"role": "viewer"})),
            )
            .await
    };
    let message = assert_api_error(demote("alice").await, 409, "last_owner").await;
    assert!(message.contains("alice"), "{message}");
    let removal = server
        .admin(Method::DELETE, "/v1/members/alice", &secret, None)
        .await;
    assert_api_error(removal, 409, "last_owner").await;

    add_member(&server, &server.tenant_id, "bob", "owner").await;
    let demoted = demote("alice").await;
    assert_eq!(demoted.status(), StatusCode::OK);
    let demoted: Value = demoted.json().await.unwrap();
    assert_eq!(demoted["role"], "viewer");
    assert_api_error(demote("bob").await, 409, "last_owner").await;
    let roles: Vec<(String, String)> = members_of(&server, &secret).await["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["subject"].as_str().unwrap().into(),
                m["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("alice".into(), "viewer".into()),
            ("bob".into(), "owner".into())
        ]
    );
}

#[tokio::test]
async fn a_removed_member_is_signed_out_at_once() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    add_member(&server, &server.tenant_id, "victor", "admin").await;
    let (victor, _) = session_of(&server, &provider, "victor").await;
    let (alice, csrf) = session_of(&server, &provider, "alice").await;
    let removed = dashboard(
        &server,
        Method::DELETE,
        "/v1/members/victor",
        &alice,
        Some(&csrf),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_api_error(me(&server, &victor).await, 401, "sign_in_required").await;
}

#[tokio::test]
async fn another_organisations_members_and_invitations_are_out_of_reach() {
    let server = TestServer::in_process().await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let secret = server.secret_key().await;
    let invited: Value = invite_with_key(&server, &secret, "a@b.example", "viewer")
        .await
        .json()
        .await
        .unwrap();
    let (other, _) = server.other_tenant().await;
    let (_, theirs) = server.key(&other, &["--kind", "secret"]).await;
    let listed = members_of(&server, &theirs).await;
    assert_eq!(listed, json!({"members": [], "invitations": []}));
    let patch = server
        .admin(
            Method::PATCH,
            "/v1/members/alice",
            &theirs,
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_api_error(patch, 404, "not_found").await;
    let delete = server
        .admin(Method::DELETE, "/v1/members/alice", &theirs, None)
        .await;
    assert_api_error(delete, 404, "not_found").await;
    let withdraw = server
        .admin(
            Method::DELETE,
            &format!("/v1/invitations/{}", invited["id"].as_str().unwrap()),
            &theirs,
            None,
        )
        .await;
    assert_api_error(withdraw, 404, "not_found").await;
    assert_eq!(
        members_of(&server, &secret).await["invitations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn hostile_invitations_and_roles_are_refused_and_change_nothing() {
    let server = TestServer::in_process().await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let secret = server.secret_key().await;
    let long = format!("{}@example.com", "a".repeat(300));
    for body in [
        json!({"email": "not-an-email", "role": "viewer"}),
        json!({"email": long, "role": "viewer"}),
        json!({"email": "a@b.example\r\nBcc: x@evil.example", "role": "viewer"}),
        json!({"email": "a@b.example", "role": "root"}),
        json!({"email": "a@b.example", "role": "viewer", "tenantId": "ten_other"}),
        json!(["a@b.example"]),
    ] {
        let refused = server
            .admin(Method::POST, "/v1/invitations", &secret, Some(body.clone()))
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let refused = server
        .admin(
            Method::PATCH,
            "/v1/members/alice",
            &secret,
            Some(json!({"role": "superuser"})),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let listed = members_of(&server, &secret).await;
    assert_eq!(listed["invitations"], json!([]));
    assert_eq!(listed["members"][0]["role"], "owner");
}
