//! The loader and the hashed widget assets: MIME types, caching, compression.

use crate::support::{TestServer, assert_api_error};

#[tokio::test]
async fn the_loader_has_a_short_cache_an_etag_and_revalidates() {
    let server = TestServer::in_process().await;
    let url = format!("{}/v1/loader.js", server.url);
    let response = server.client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=300, must-revalidate"
    );
    let etag = response.headers()["etag"].clone();
    assert_eq!(
        response.text().await.unwrap(),
        "console.log('loader identity')"
    );

    let revalidated = server
        .client()
        .get(&url)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
}

#[tokio::test]
async fn hashed_assets_are_immutable_typed_and_precompressed() {
    let server = TestServer::in_process().await;
    let wasm = format!("{}/v1/assets/widget-fedcba9876543210.wasm", server.url);

    let brotli = server
        .client()
        .get(&wasm)
        .header("accept-encoding", "gzip, br")
        .header("origin", "https://any-site.example")
        .send()
        .await
        .unwrap();
    assert_eq!(brotli.headers()["content-type"], "application/wasm");
    assert_eq!(
        brotli.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(brotli.headers()["content-encoding"], "br");
    // Pages import the widget cross-origin, which needs CORS.
    assert_eq!(
        brotli.headers()["access-control-allow-origin"],
        "https://any-site.example"
    );
    assert_eq!(
        brotli.bytes().await.unwrap().as_ref(),
        b"widget-wasm-brotli"
    );

    let gzip = server
        .client()
        .get(&wasm)
        .header("accept-encoding", "gzip, br;q=0")
        .send()
        .await
        .unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert_eq!(gzip.bytes().await.unwrap().as_ref(), b"widget-wasm-gzip");

    let plain = server.client().get(&wasm).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");

    let js = server
        .client()
        .get(format!(
            "{}/v1/assets/widget-0123456789abcdef.js",
            server.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
}

#[tokio::test]
async fn only_built_assets_are_served() {
    let server = TestServer::in_process().await;
    for name in [
        "manifest.json",
        "loader.js",
        "..%2F..%2Fetc%2Fpasswd",
        "widget-0123456789abcdef.js.br",
    ] {
        let response = server
            .client()
            .get(format!("{}/v1/assets/{name}", server.url))
            .send()
            .await
            .unwrap();
        assert_api_error(response, 404, "not_found").await;
    }
}
