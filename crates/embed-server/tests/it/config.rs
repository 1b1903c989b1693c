//! `GET /v1/widgets/<pub key>/config`, `/healthz` and the JSON fallbacks.

use serde_json::Value;

use crate::support::{FOREIGN_SITE, SITE, TestServer, assert_api_error};

#[tokio::test]
async fn config_is_served_to_an_allowed_origin_only() {
    let server = TestServer::in_process().await;
    let url = format!("{}/v1/widgets/{}/config", server.url, server.faq_key);

    let allowed = server
        .client()
        .get(&url)
        .header("origin", SITE)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(allowed.headers()["access-control-allow-origin"], SITE);
    let vary: Vec<_> = allowed
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        vary.iter()
            .any(|v| v.to_ascii_lowercase().contains("origin")),
        "answers differ by origin: {vary:?}"
    );
    let config: Value = allowed.json().await.unwrap();
    assert_eq!(config["title"], "Help");
    assert_eq!(config["greeting"], "Hi!");
    assert_eq!(config["position"], "right");
    assert!(config.get("flowId").is_none() && config.get("baseUrl").is_none());

    let foreign = server
        .client()
        .get(&url)
        .header("origin", FOREIGN_SITE)
        .send()
        .await
        .unwrap();
    // The page's script must be able to read the refusal to explain it.
    assert_eq!(
        foreign.headers()["access-control-allow-origin"],
        FOREIGN_SITE
    );
    let message = assert_api_error(foreign, 403, "origin_not_allowed").await;
    assert!(
        message.contains(FOREIGN_SITE),
        "the message names the origin: {message}"
    );

    let without_origin = server.client().get(&url).send().await.unwrap();
    assert_api_error(without_origin, 403, "origin_required").await;
}

#[tokio::test]
async fn malformed_unknown_and_disabled_keys_are_refused_with_codes() {
    let server = TestServer::in_process().await;
    let get = |key: String| {
        let request = server
            .client()
            .get(format!("{}/v1/widgets/{key}/config", server.url))
            .header("origin", SITE);
        async move { request.send().await.unwrap() }
    };
    assert_api_error(get("not-a-key".into()).await, 401, "invalid_key").await;

    let mut typo = server.faq_key.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == 'a' { 'b' } else { 'a' });
    let message = assert_api_error(get(typo).await, 401, "invalid_key").await;
    assert!(message.contains("checksum"), "{message}");

    let unknown = sitekit_embed_server::keys::ParsedKey::generate(
        sitekit_embed_server::keys::KeyKind::Publishable,
        sitekit_embed_server::keys::KeyMode::Test,
    );
    assert_api_error(get(unknown.expose().to_owned()).await, 401, "invalid_key").await;

    let secret = sitekit_embed_server::keys::ParsedKey::generate(
        sitekit_embed_server::keys::KeyKind::Secret,
        sitekit_embed_server::keys::KeyMode::Live,
    );
    let message = assert_api_error(get(secret.expose().to_owned()).await, 401, "invalid_key").await;
    assert!(message.contains("publishable"), "{message}");

    assert_api_error(
        get(server.disabled_key.clone()).await,
        403,
        "widget_disabled",
    )
    .await;
}

#[tokio::test]
async fn health_and_unknown_routes_answer_json() {
    let server = TestServer::in_process().await;
    let health = server
        .client()
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");

    let missing = server
        .client()
        .get(format!("{}/v1/nope", server.url))
        .send()
        .await
        .unwrap();
    assert_api_error(missing, 404, "not_found").await;

    let wrong_method = server
        .client()
        .delete(format!("{}/v1/sessions", server.url))
        .send()
        .await
        .unwrap();
    assert_api_error(wrong_method, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn browsers_may_preflight_the_json_routes_from_any_site() {
    let server = TestServer::in_process().await;
    for route in ["/v1/sessions", "/v1/chat"] {
        let response = server
            .client()
            .request(reqwest::Method::OPTIONS, format!("{}{route}", server.url))
            .header("origin", FOREIGN_SITE)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{route}");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            FOREIGN_SITE
        );
        let allowed = response.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap();
        assert!(
            allowed.contains("authorization") && allowed.contains("content-type"),
            "{allowed}"
        );
    }
}

#[tokio::test]
async fn wildcard_subdomains_match_and_localhost_on_any_port_needs_a_test_key() {
    let server = TestServer::in_process().await;
    let status = |key: &str, origin: &str| {
        let request = server
            .client()
            .get(format!("{}/v1/widgets/{key}/config", server.url))
            .header("origin", origin);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let (test_key, live_key) = (&server.patterns_test_key, &server.patterns_live_key);
    assert_eq!(status(test_key, "https://shop.example.com").await, 200);
    assert_eq!(status(live_key, "https://eu.shop.example.com").await, 200);
    assert_eq!(status(live_key, "https://example.com").await, 403);
    assert_eq!(
        status(live_key, "https://shop.example.com.evil.io").await,
        403
    );
    assert_eq!(status(test_key, "http://localhost:5173").await, 200);
    assert_eq!(status(live_key, "http://localhost:5173").await, 403);
}
