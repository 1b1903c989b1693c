//! `GET /dashboard` and its preview page: HTML under a strict Content-Security-
//! Policy, never cached, never framed by other sites; their script and stylesheet
//! are hashed assets with their MIME types.

use crate::support::{TestServer, assert_api_error};

/// The `v1/assets/…` URLs a page names, in order.
fn asset_urls(page: &str) -> Vec<String> {
    page.split("\"v1/assets/")
        .skip(1)
        .map(|rest| format!("v1/assets/{}", rest.split('"').next().unwrap()))
        .collect()
}

#[tokio::test]
async fn the_dashboard_is_html_under_a_strict_policy_and_its_assets_are_typed() {
    let server = TestServer::in_process().await;
    let response = server
        .client()
        .get(format!("{}/dashboard", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-frame-options"], "DENY");
    let policy = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");

    let page = response.text().await.unwrap();
    let urls = asset_urls(&page);
    assert_eq!(urls.len(), 2, "{page}");
    for (url, content_type) in urls
        .iter()
        .zip(["text/css; charset=utf-8", "text/javascript; charset=utf-8"])
    {
        // Relative to `/dashboard`, as the browser resolves it.
        let asset = server
            .client()
            .get(format!("{}/{url}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), 200, "{url}");
        assert_eq!(asset.headers()["content-type"], content_type, "{url}");
        assert_eq!(
            asset.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
}

#[tokio::test]
async fn the_preview_page_may_only_be_framed_by_the_dashboard_and_reaches_nothing() {
    let server = TestServer::in_process().await;
    let response = server
        .client()
        .get(format!("{}/dashboard/preview", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-frame-options"], "SAMEORIGIN");
    let policy = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'none'",
        "frame-ancestors 'self'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
}

#[tokio::test]
async fn the_pages_are_not_served_as_hashed_assets() {
    let server = TestServer::in_process().await;
    for name in ["dashboard.html", "dashboard-preview.html"] {
        let response = server
            .client()
            .get(format!("{}/v1/assets/{name}", server.url))
            .send()
            .await
            .unwrap();
        assert_api_error(response, 404, "not_found").await;
    }
}
