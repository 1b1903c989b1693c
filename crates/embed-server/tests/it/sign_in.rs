//! People sign in to the dashboard with a real OpenID Connect provider
//! (`oidc-provider`) and work by their role, with the same scopes a key has;
//! what does not prove who signed in is refused: a replayed or forged state,
//! tampered, misaddressed, expired or unsigned ID tokens, a stale nonce, a
//! write without the session's CSRF token or from another site, an ended
//! session.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};
use sitekit_embed_server::state::ServerConfig;

use crate::support::local_cli::json_of;
use crate::support::oidc::{self, Provider, no_redirects, provider_answer, session_cookie};
use crate::support::{TestServer, assert_api_error};

const PEOPLE: &str = r#"{
    "alice": {"email": "alice@buyer.example", "name": "Alice Owner"},
    "victor": {"email": "victor@buyer.example", "name": "Victor Viewer"},
    "nobody": {"email": "nobody@elsewhere.example", "name": "No Member"},
    "una": {"email": "una@buyer.example", "name": "Una Unverified", "claims": {"email_verified": false}}
}"#;

/// A server that signs people in with a provider of its own, and the provider.
pub async fn with_provider(configure: impl FnOnce(&mut ServerConfig)) -> (TestServer, Provider) {
    let people: Value = serde_json::from_str(PEOPLE).unwrap();
    oidc::server_with_provider(people, None, configure).await
}

/// `sitekit members add`, as the operator gives an organisation its people.
pub async fn add_member(server: &TestServer, tenant: &str, subject: &str, role: &str) -> Value {
    json_of(
        &server.db_url,
        &[
            "members",
            "add",
            "--tenant",
            tenant,
            "--subject",
            subject,
            "--role",
            role,
            "--json",
        ],
    )
    .await
}

/// Signs `login` in through the provider's pages: the server's answer to the
/// provider sending the browser back.
pub(crate) async fn sign_in(
    server: &TestServer,
    provider: &Provider,
    login: &str,
) -> reqwest::Response {
    let callback = provider_answer(&server.url, provider, login).await;
    no_redirects().get(callback).send().await.unwrap()
}

/// A signed-in session's token: the cookie's value.
pub(crate) async fn session_token(server: &TestServer, provider: &Provider, login: &str) -> String {
    let answer = sign_in(server, provider, login).await;
    if answer.status() != StatusCode::SEE_OTHER {
        panic!("{login} does not sign in: {}", answer.text().await.unwrap());
    }
    session_cookie(&answer).expect("a session cookie").0
}

/// A signed-in session's token (the cookie's value) and CSRF token.
pub async fn session_of(server: &TestServer, provider: &Provider, login: &str) -> (String, String) {
    let token = session_token(server, provider, login).await;
    let me = me(server, &token).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    (token, me["csrfToken"].as_str().unwrap().to_owned())
}

pub(crate) async fn me(server: &TestServer, token: &str) -> reqwest::Response {
    server
        .client()
        .get(format!("{}/v1/auth/me", server.url))
        .header(COOKIE, format!("__Host-sitekit_session={token}"))
        .send()
        .await
        .unwrap()
}

/// A request of the dashboard's page: the session cookie, the page's own
/// origin, and the CSRF token when one is given.
pub fn dashboard(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
    csrf: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut request = server
        .client()
        .request(method, format!("{}{path}", server.url))
        .header(COOKIE, format!("__Host-sitekit_session={token}"))
        .header("origin", &server.url)
        .header("sec-fetch-site", "same-origin");
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    request
}

/// The session of `token` makes a restricted key, as the dashboard's Keys tab does.
async fn make_key(server: &TestServer, token: &str, csrf: &str) -> reqwest::Response {
    dashboard(server, reqwest::Method::POST, "/v1/keys", token, Some(csrf))
        .json(&new_key())
        .send()
        .await
        .unwrap()
}

fn new_key() -> Value {
    json!({"kind": "restricted", "scopes": ["usage:read"]})
}

#[tokio::test]
async fn an_owner_signs_in_with_the_provider_and_lands_in_their_organisation() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;

    let answer = sign_in(&server, &provider, "alice").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/dashboard");
    let (token, cookie) = session_cookie(&answer).expect("a session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !answer.headers()["location"]
            .to_str()
            .unwrap()
            .contains(&token)
    );

    let me: Value = me(&server, &token).await.json().await.unwrap();
    assert_eq!(me["subject"], "alice", "the provider's sub, not a username");
    assert_eq!(me["email"], "alice@buyer.example");
    assert_eq!(me["name"], "Alice Owner");
    assert_eq!(me["organisationId"], server.tenant_id.as_str());
    assert_eq!(me["role"], "owner");
    assert!(
        me["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("members:write"))
    );

    // The owner works in the dashboard as a secret key would, and what they
    // make is recorded as their doing.
    let csrf = me["csrfToken"].as_str().unwrap();
    let widgets = dashboard(&server, reqwest::Method::GET, "/v1/widgets", &token, None)
        .send()
        .await
        .unwrap();
    assert_eq!(widgets.status(), StatusCode::OK);
    let created = make_key(&server, &token, csrf).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let events = dashboard(
        &server,
        reqwest::Method::GET,
        &format!("/v1/keys/{}/events", created["id"].as_str().unwrap()),
        &token,
        None,
    )
    .send()
    .await
    .unwrap();
    let events: Value = events.json().await.unwrap();
    assert_eq!(events["events"][0]["actor"], "person:alice", "{events}");
}

#[tokio::test]
async fn a_viewer_reads_widgets_and_usage_but_cannot_make_a_key() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "victor", "viewer").await;
    let (token, csrf) = session_of(&server, &provider, "victor").await;

    for path in ["/v1/widgets", "/v1/usage"] {
        let read = dashboard(&server, reqwest::Method::GET, path, &token, None)
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), StatusCode::OK, "{path}");
    }
    let refused = make_key(&server, &token, &csrf).await;
    let message = assert_api_error(refused, 403, "missing_scope").await;
    assert!(message.contains("viewer"), "{message}");
}

#[tokio::test]
async fn a_member_reaches_their_own_organisation_only() {
    let (server, provider) = with_provider(|_| {}).await;
    let (other, other_widget) = server.other_tenant().await;
    add_member(&server, &other, "alice", "owner").await;
    let (token, _) = session_of(&server, &provider, "alice").await;
    let me: Value = me(&server, &token).await.json().await.unwrap();
    assert_eq!(me["organisationId"], other.as_str());
    // Alice owns the other organisation, not the server's tenant.
    let widgets: Value = dashboard(&server, reqwest::Method::GET, "/v1/widgets", &token, None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seeded = server.widget_id(&server.faq_key).await;
    assert!(widgets.to_string().contains(&other_widget), "{widgets}");
    assert!(
        !widgets.to_string().contains(&seeded),
        "another organisation's widget is listed: {widgets}"
    );
    let foreign = dashboard(
        &server,
        reqwest::Method::GET,
        &format!("/v1/widgets/{seeded}"),
        &token,
        None,
    )
    .send()
    .await
    .unwrap();
    assert_api_error(foreign, 404, "not_found").await;
}

#[tokio::test]
async fn a_write_needs_the_sessions_csrf_token_and_the_servers_own_pages() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let (token, csrf) = session_of(&server, &provider, "alice").await;
    let (_, other_csrf) = session_of(&server, &provider, "alice").await;
    assert_ne!(csrf, other_csrf, "each session has its own token");

    let post = |csrf: Option<&str>| {
        dashboard(&server, reqwest::Method::POST, "/v1/keys", &token, csrf).json(&new_key())
    };
    assert_api_error(post(None).send().await.unwrap(), 403, "csrf_rejected").await;
    assert_api_error(
        post(Some(&other_csrf)).send().await.unwrap(),
        403,
        "csrf_rejected",
    )
    .await;
    // A cross-site form or fetch, even one that somehow had the token.
    let cross_site = server
        .client()
        .post(format!("{}/v1/keys", server.url))
        .header(COOKIE, format!("__Host-sitekit_session={token}"))
        .header("sec-fetch-site", "cross-site")
        .header("x-csrf-token", &csrf)
        .json(&new_key())
        .send()
        .await
        .unwrap();
    assert_api_error(cross_site, 403, "csrf_rejected").await;
    // A second value does not hide the first.
    let doubled = post(Some(&csrf))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_api_error(doubled, 403, "csrf_rejected").await;
    let other_origin = server
        .client()
        .post(format!("{}/v1/keys", server.url))
        .header(COOKIE, format!("__Host-sitekit_session={token}"))
        .header("origin", "https://evil.example")
        .header("x-csrf-token", &csrf)
        .json(&new_key())
        .send()
        .await
        .unwrap();
    assert_api_error(other_origin, 403, "csrf_rejected").await;
    let key_count = async || {
        let keys: Value = dashboard(&server, reqwest::Method::GET, "/v1/keys", &token, None)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        keys["keys"].as_array().unwrap().len()
    };
    let before = key_count().await;
    assert_eq!(
        post(Some(&csrf)).send().await.unwrap().status(),
        StatusCode::CREATED
    );
    assert_eq!(
        key_count().await,
        before + 1,
        "only the write with the token made a key"
    );
}

#[tokio::test]
async fn a_state_is_good_once_and_a_forged_one_never() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let callback = provider_answer(&server.url, &provider, "alice").await;
    let first = no_redirects().get(&callback).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let replayed = no_redirects().get(&callback).send().await.unwrap();
    assert!(session_cookie(&replayed).is_none());
    assert_api_error(replayed, 401, "sign_in_failed").await;

    let forged = no_redirects()
        .get(format!(
            "{}/v1/auth/callback?code=made-up&state=made-up",
            server.url
        ))
        .send()
        .await
        .unwrap();
    assert_api_error(forged, 401, "sign_in_failed").await;
}

/// A browser that fails to sign in lands on the dashboard's sign-in page,
/// which is told only the reason's code; a program is given the JSON error.
#[tokio::test]
async fn a_browser_that_fails_to_sign_in_lands_on_the_sign_in_page_with_the_reason() {
    let (server, provider) = with_provider(|_| {}).await;
    let callback = provider_answer(&server.url, &provider, "nobody").await;
    let navigation = no_redirects()
        .get(&callback)
        .header("sec-fetch-mode", "navigate")
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(navigation.status(), StatusCode::SEE_OTHER);
    assert!(session_cookie(&navigation).is_none());
    assert_eq!(
        navigation.headers()["location"],
        "/dashboard#signInFailed=not_a_member"
    );

    let replayed = no_redirects()
        .get(&callback)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.headers()["location"],
        "/dashboard#signInFailed=sign_in_failed"
    );

    // The provider's own error text is never carried to the page.
    let refused = no_redirects()
        .get(format!(
            "{}/v1/auth/callback?error=access_denied&error_description=%3Cb%3Ecall%20us%3C%2Fb%3E",
            server.url
        ))
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.headers()["location"],
        "/dashboard#signInFailed=sign_in_failed"
    );
}

#[tokio::test]
async fn callback_parameters_longer_than_their_schema_says_are_refused() {
    let (server, _provider) = with_provider(|_| {}).await;
    for (name, max) in [("code", 2048), ("state", 256), ("error_description", 1024)] {
        let answer = no_redirects()
            .get(format!(
                "{}/v1/auth/callback?{name}={}",
                server.url,
                "x".repeat(max + 1)
            ))
            .send()
            .await
            .unwrap();
        let message = assert_api_error(answer, 400, "invalid_query").await;
        assert!(message.contains(name), "{message}");
    }
}

#[tokio::test]
async fn id_tokens_that_do_not_prove_who_signed_in_are_refused() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    add_member(&server, &server.tenant_id, "somebody-else", "owner").await;
    for mode in [
        "signature",
        "audience",
        "issuer",
        "expired",
        "nonce",
        "unsigned",
    ] {
        provider.tamper(mode).await;
        let answer = sign_in(&server, &provider, "alice").await;
        assert!(
            session_cookie(&answer).is_none(),
            "{mode}: a session was opened"
        );
        let message = assert_api_error(answer, 401, "sign_in_failed").await;
        assert!(message.contains("ID token"), "{mode}: {message}");
    }
    provider.tamper("none").await;
    let answer = sign_in(&server, &provider, "alice").await;
    assert_eq!(
        answer.status(),
        StatusCode::SEE_OTHER,
        "an honest token still works"
    );
}

#[tokio::test]
async fn a_person_of_no_organisation_is_told_so_and_gets_no_session() {
    let (server, provider) = with_provider(|_| {}).await;
    let answer = sign_in(&server, &provider, "nobody").await;
    assert!(session_cookie(&answer).is_none());
    let message = assert_api_error(answer, 403, "not_a_member").await;
    assert!(message.contains("nobody@elsewhere.example"), "{message}");
}

#[tokio::test]
async fn sign_out_ends_the_session_here_and_names_the_providers_sign_out_page() {
    let (server, provider) = with_provider(|_| {}).await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let (token, csrf) = session_of(&server, &provider, "alice").await;

    let without_token = dashboard(
        &server,
        reqwest::Method::POST,
        "/v1/auth/logout",
        &token,
        None,
    )
    .send()
    .await
    .unwrap();
    assert_api_error(without_token, 403, "csrf_rejected").await;
    let out = dashboard(
        &server,
        reqwest::Method::POST,
        "/v1/auth/logout",
        &token,
        Some(&csrf),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    let (cleared, _) = session_cookie(&out).expect("the cookie is cleared");
    assert!(cleared.is_empty());
    let out: Value = out.json().await.unwrap();
    let end = out["endSessionUrl"].as_str().unwrap();
    assert!(
        end.starts_with(&format!("{}/session/end", provider.issuer)),
        "{end}"
    );
    assert!(end.contains(oidc::CLIENT_ID), "{end}");

    let message = assert_api_error(me(&server, &token).await, 401, "sign_in_required").await;
    assert!(message.contains("signed out"), "{message}");
    let widgets = dashboard(&server, reqwest::Method::GET, "/v1/widgets", &token, None)
        .send()
        .await
        .unwrap();
    assert_api_error(widgets, 401, "sign_in_required").await;
}

#[tokio::test]
async fn a_person_of_two_organisations_works_in_either_and_no_other() {
    let (server, provider) = with_provider(|_| {}).await;
    let second = json_of(
        &server.db_url,
        &["tenants", "create", "--name", "Second Shop", "--json"],
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = json_of(
        &server.db_url,
        &["tenants", "create", "--name", "Not Hers", "--json"],
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    add_member(&server, &second, "alice", "viewer").await;
    let (token, csrf) = session_of(&server, &provider, "alice").await;
    let listed: Value = me(&server, &token).await.json().await.unwrap();
    let mut organisations: Vec<(&str, &str)> = listed["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|org| {
            (
                org["organisationId"].as_str().unwrap(),
                org["role"].as_str().unwrap(),
            )
        })
        .collect();
    // Both memberships began in the same second: either may be listed first.
    organisations.sort_by_key(|(id, _)| *id != server.tenant_id);
    assert_eq!(
        organisations,
        [
            (server.tenant_id.as_str(), "owner"),
            (second.as_str(), "viewer")
        ]
    );
    let switch = |organisation: &str, csrf: Option<&str>| {
        dashboard(
            &server,
            reqwest::Method::POST,
            "/v1/auth/organisation",
            &token,
            csrf,
        )
        .json(&json!({ "organisationId": organisation }))
    };

    let switched = switch(&second, Some(&csrf)).send().await.unwrap();
    assert_eq!(switched.status(), StatusCode::OK);
    let switched: Value = switched.json().await.unwrap();
    assert_eq!(switched["organisationId"], second.as_str());
    assert_eq!(switched["role"], "viewer");
    // The session works in the second organisation now, as a viewer there.
    let refused = make_key(&server, &token, &csrf).await;
    assert_api_error(refused, 403, "missing_scope").await;

    // Not into an organisation she is no member of, nor without the CSRF token.
    let message = assert_api_error(
        switch(&stranger, Some(&csrf)).send().await.unwrap(),
        403,
        "not_a_member",
    )
    .await;
    assert!(message.contains(&stranger), "{message}");
    let no_token = switch(&server.tenant_id, None).send().await.unwrap();
    assert_api_error(no_token, 403, "csrf_rejected").await;
    let current: Value = me(&server, &token).await.json().await.unwrap();
    assert_eq!(current["organisationId"], second.as_str());

    for hostile in [
        json!({ "organisationId": "x".repeat(65) }),
        json!({ "organisationId": "" }),
        json!({ "organisationId": server.tenant_id, "role": "owner" }),
        json!({ "organisation": server.tenant_id }),
    ] {
        let answer = dashboard(
            &server,
            reqwest::Method::POST,
            "/v1/auth/organisation",
            &token,
            Some(&csrf),
        )
        .json(&hostile)
        .send()
        .await
        .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{hostile}");
    }
    // A key is no person: it has nothing to switch.
    let secret = server.secret_key().await;
    let with_key = server
        .client()
        .post(format!("{}/v1/auth/organisation", server.url))
        .bearer_auth(secret)
        .json(&json!({ "organisationId": second }))
        .send()
        .await
        .unwrap();
    assert_api_error(with_key, 401, "sign_in_required").await;
}

// The two timeout tests only wait at least so long, never at most: a
// loaded machine makes answers late, not early.

#[tokio::test]
async fn a_session_unused_past_its_idle_timeout_ends() {
    let (server, provider) = with_provider(|config| {
        config.dashboard_sessions.idle = Duration::from_secs(1);
    })
    .await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let token = session_token(&server, &provider, "alice").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let message = assert_api_error(me(&server, &token).await, 401, "sign_in_required").await;
    assert!(message.contains("unused"), "{message}");
}

#[tokio::test]
async fn a_session_ends_at_its_lifetime_however_much_it_is_used() {
    const LIFETIME: Duration = Duration::from_secs(5);
    let (server, provider) = with_provider(|config| {
        config.dashboard_sessions.lifetime = LIFETIME;
    })
    .await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    let before_sign_in = tokio::time::Instant::now();
    let token = session_token(&server, &provider, "alice").await;
    // Used all along: an answer that arrived within the lifetime, counted
    // from before the session began, was given to a session younger than it.
    let mut uses = 0;
    loop {
        let answer = me(&server, &token).await;
        if before_sign_in.elapsed() < LIFETIME {
            assert_eq!(
                answer.status(),
                StatusCode::OK,
                "use {uses} within the lifetime"
            );
            uses += 1;
        }
        if before_sign_in.elapsed() >= LIFETIME / 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(uses > 0, "the session was used before its lifetime ran out");
    tokio::time::sleep_until(before_sign_in + LIFETIME + Duration::from_millis(100)).await;
    let message = assert_api_error(me(&server, &token).await, 401, "sign_in_required").await;
    assert!(message.contains("lifetime"), "{message}");
}

#[tokio::test]
async fn a_made_up_session_cookie_is_refused_and_a_key_beside_it_decides() {
    let (server, _provider) = with_provider(|_| {}).await;
    let made_up = "a".repeat(43);
    let refused = server
        .client()
        .get(format!("{}/v1/widgets", server.url))
        .header(COOKIE, format!("__Host-sitekit_session={made_up}"))
        .send()
        .await
        .unwrap();
    assert_api_error(refused, 401, "sign_in_required").await;
    let secret = server.secret_key().await;
    let with_key = server
        .client()
        .get(format!("{}/v1/widgets", server.url))
        .header(COOKIE, format!("__Host-sitekit_session={made_up}"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_an_identity_provider_sign_in_says_so() {
    let server = TestServer::in_process().await;
    let answer = no_redirects()
        .get(format!("{}/v1/auth/login", server.url))
        .send()
        .await
        .unwrap();
    let message = assert_api_error(answer, 404, "not_found").await;
    assert!(message.contains("--oidc-issuer"), "{message}");
}

#[tokio::test]
async fn a_sign_in_link_returns_only_to_a_page_of_this_server() {
    let (server, _provider) = with_provider(|_| {}).await;
    for elsewhere in ["https://evil.example/", "//evil.example/x"] {
        let mut link = reqwest::Url::parse(&format!("{}/v1/auth/login", server.url)).unwrap();
        link.query_pairs_mut().append_pair("returnTo", elsewhere);
        let answer = no_redirects().get(link).send().await.unwrap();
        assert_api_error(answer, 400, "invalid_query").await;
    }
}

#[tokio::test]
async fn an_invitation_token_is_up_to_64_characters_whatever_their_bytes() {
    let (server, _provider) = with_provider(|_| {}).await;
    let login = |invitation: String| {
        let mut link = reqwest::Url::parse(&format!("{}/v1/auth/login", server.url)).unwrap();
        link.query_pairs_mut()
            .append_pair("invitation", &invitation);
        no_redirects().get(link).send()
    };
    // 64 characters, 128 bytes: as the published schema allows, on to the provider.
    let answer = login("é".repeat(64)).await.unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let answer = login("é".repeat(65)).await.unwrap();
    assert_api_error(answer, 400, "invalid_query").await;
}

#[tokio::test]
async fn members_add_names_a_role_the_server_knows() {
    let server = TestServer::in_process().await;
    let (ok, _, stderr) = crate::support::local_cli::run(
        &server.db_url,
        &[
            "members",
            "add",
            "--tenant",
            &server.tenant_id,
            "--subject",
            "x",
            "--role",
            "root",
        ],
    )
    .await;
    assert!(!ok);
    assert!(
        stderr.contains("owner, admin, viewer, publisher"),
        "{stderr}"
    );
    let (ok, _, stderr) = crate::support::local_cli::run(
        &server.db_url,
        &[
            "members",
            "add",
            "--tenant",
            "ten_missing",
            "--subject",
            "x",
            "--role",
            "owner",
        ],
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("no tenant ten_missing"), "{stderr}");
    let listed = json_of(
        &server.db_url,
        &["members", "list", "--tenant", &server.tenant_id, "--json"],
    )
    .await;
    assert_eq!(listed["members"], json!([]));
}

#[tokio::test]
async fn the_sign_in_page_learns_which_ways_in_the_server_offers() {
    let methods = async |server: &TestServer| -> Value {
        let url = format!("{}/v1/auth/methods", server.url);
        server
            .client()
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let (with_sso, _provider) = with_provider(|_| {}).await;
    assert_eq!(
        methods(&with_sso).await,
        json!({"singleSignOn": true, "secretKey": false})
    );
    let (both, _provider) = with_provider(|config| config.dashboard_key_sign_in = true).await;
    assert_eq!(
        methods(&both).await,
        json!({"singleSignOn": true, "secretKey": true})
    );
    let keys_only = TestServer::in_process().await;
    assert_eq!(
        methods(&keys_only).await,
        json!({"singleSignOn": false, "secretKey": true})
    );
}

#[tokio::test]
async fn a_signed_in_request_counts_once_against_the_address_limit() {
    let (server, provider) = with_provider(|config| {
        config.limits.admin_requests_per_ip_per_minute = crate::support::per_minute(6);
    })
    .await;
    add_member(&server, &server.tenant_id, "alice", "owner").await;
    // Signing in takes three: the sign-in link, the callback, `GET /v1/auth/me`.
    let (token, _) = session_of(&server, &provider, "alice").await;
    for _ in 0..3 {
        let widgets = dashboard(&server, reqwest::Method::GET, "/v1/widgets", &token, None)
            .send()
            .await
            .unwrap();
        assert_eq!(widgets.status(), StatusCode::OK);
    }
    let over = dashboard(&server, reqwest::Method::GET, "/v1/widgets", &token, None)
        .send()
        .await
        .unwrap();
    assert_api_error(over, 429, "rate_limited").await;
}
