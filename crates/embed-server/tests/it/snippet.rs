//! Snippets: `GET /v1/widgets/<id>/snippet` and `sitekit widgets snippet`, and the
//! pinned loader a pinned snippet loads, checked the way a browser checks it.

use std::io::Read;

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha384};

use crate::support::local_cli::{json_of, run};
use crate::support::{
    FAKE_PINNED_LOADER, SITE, TempDir, TestServer, assert_api_error, sitekit, write_fake_dist,
};

async fn get_snippet(server: &TestServer, widget: &str, key: &str) -> reqwest::Response {
    server
        .client()
        .get(format!("{}/v1/widgets/{widget}/snippet", server.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

/// The value of `name="…"` in a `<script>` tag.
fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let start = tag
        .find(&format!(" {name}=\""))
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + name.len()
        + 3;
    let end = start + tag[start..].find('"').unwrap();
    &tag[start..end]
}

/// What a browser compares with the `integrity` attribute: the SHA-384 of the
/// decoded body.
fn sri(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// `body` as sent with `Content-Encoding: encoding` (none, br or gzip), decoded.
pub fn decode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        None => out.extend_from_slice(body),
        Some("br") => brotli::BrotliDecompress(&mut &body[..], &mut out).unwrap(),
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        Some(other) => panic!("unexpected content encoding {other}"),
    }
    out
}

#[tokio::test]
async fn both_snippets_load_the_loader_and_the_pinned_one_matches_its_integrity() {
    let server = TestServer::spawn_with_built_assets().await;
    let widget = server.widget_id(&server.faq_key).await;
    let secret = server.secret_key().await;

    let response = get_snippet(&server, &widget, &secret).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["widgetId"], widget.as_str());
    assert_eq!(
        body["autoUpdating"],
        format!(
            r#"<script async src="{}/v1/loader.js" data-key="{}"></script>"#,
            server.url, server.faq_key
        )
    );
    let pinned = body["pinned"].as_str().unwrap();
    assert!(pinned.starts_with("<script async src=\"") && pinned.ends_with("></script>"));
    let loader_url = attribute(pinned, "src");
    let integrity = attribute(pinned, "integrity");
    assert_eq!(body["loaderUrl"], loader_url);
    assert_eq!(body["integrity"], integrity);
    assert_eq!(attribute(pinned, "crossorigin"), "anonymous");
    assert_eq!(attribute(pinned, "data-key"), server.faq_key);
    let name = loader_url
        .strip_prefix(&format!("{}/v1/assets/loader-", server.url))
        .unwrap_or_else(|| panic!("not a hashed loader URL: {loader_url}"));
    assert!(name.len() == "0123456789abcdef.js".len() && name.ends_with(".js"));

    // The pinned URL serves the current loader's bytes, forever-cacheable,
    // readable cross-origin, and every encoding decodes to what the integrity names.
    let current = reqwest::get(format!("{}/v1/loader.js", server.url))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    for (accept, encoding) in [
        (None, None),
        (Some("gzip, deflate, br"), Some("br")),
        (Some("gzip"), Some("gzip")),
    ] {
        let mut request = server.client().get(loader_url).header("origin", SITE);
        if let Some(accept) = accept {
            request = request.header("accept-encoding", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding
        );
        assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers["access-control-allow-origin"], SITE);
        // A shared cache must not hand one site's CORS answer to another.
        assert!(
            headers
                .get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap().eq_ignore_ascii_case("origin")),
            "{headers:?}"
        );
        let decoded = decode(encoding, &response.bytes().await.unwrap());
        assert_eq!(sri(&decoded), integrity, "{encoding:?}");
        assert_eq!(decoded, current.as_ref());
    }
}

#[tokio::test]
async fn the_snippet_route_checks_the_key_its_scope_and_the_tenant() {
    let server = TestServer::in_process().await;
    let widget = server.widget_id(&server.faq_key).await;
    let (_, their_widget) = server.other_tenant().await;
    let path = format!("{}/v1/widgets/{widget}/snippet", server.url);

    let (_, reader) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "widgets:read"],
        )
        .await;
    let response = get_snippet(&server, &widget, &reader).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["loaderUrl"],
        format!("{}/v1/assets/{FAKE_PINNED_LOADER}", server.url)
    );

    let missing = server.client().get(&path).send().await.unwrap();
    assert_api_error(missing, 401, "missing_token").await;
    assert_api_error(
        get_snippet(&server, &widget, "skt_sec_live_garbage").await,
        401,
        "invalid_key",
    )
    .await;
    let (_, usage_only) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "usage:read"],
        )
        .await;
    let message = assert_api_error(
        get_snippet(&server, &widget, &usage_only).await,
        403,
        "missing_scope",
    )
    .await;
    assert!(message.contains("widgets:read"), "{message}");

    // Another tenant's widget is indistinguishable from one that does not exist.
    let theirs = assert_api_error(
        get_snippet(&server, &their_widget, &reader).await,
        404,
        "not_found",
    )
    .await;
    let unknown = assert_api_error(
        get_snippet(&server, "wid_missing", &reader).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        theirs.replace(&their_widget, "<id>"),
        unknown.replace("wid_missing", "<id>")
    );
}

#[tokio::test]
async fn a_widget_whose_publishable_key_was_revoked_has_no_snippet() {
    let server = TestServer::in_process().await;
    let widget = server.widget_id(&server.faq_key).await;
    let secret = server.secret_key().await;
    let keys = json_of(
        &server.db_url,
        &["keys", "list", "--widget", &widget, "--json"],
    )
    .await;
    let key_id = keys["keys"][0]["id"].as_str().unwrap();
    json_of(&server.db_url, &["keys", "revoke", key_id, "--json"]).await;

    let message = assert_api_error(
        get_snippet(&server, &widget, &secret).await,
        409,
        "publishable_key_revoked",
    )
    .await;
    assert!(
        message.contains("revoked") && message.contains(&widget),
        "{message}"
    );

    let (ok, _, stderr) = run(&server.db_url, &["widgets", "snippet", &widget]).await;
    assert!(
        !ok && stderr.contains("publishable key was revoked"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_snippet_command_prints_what_the_api_answers() {
    let server = TestServer::spawn_with_built_assets().await;
    let assets = std::env::var("SITEKIT_ASSETS_DIR").unwrap();
    let widget = server.widget_id(&server.faq_key).await;
    let secret = server.secret_key().await;
    let api: Value = get_snippet(&server, &widget, &secret)
        .await
        .json()
        .await
        .unwrap();
    let args = [
        "widgets",
        "snippet",
        &widget,
        "--public-url",
        &server.url,
        "--assets-dir",
        &assets,
    ];

    let mut json = args.to_vec();
    json.push("--json");
    assert_eq!(json_of(&server.db_url, &json).await, api);

    let (ok, text, stderr) = run(&server.db_url, &args).await;
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("auto-updating"), "{text}");
    assert_eq!(lines[1], api["autoUpdating"]);
    assert!(lines[2].starts_with("pinned"), "{text}");
    assert_eq!(lines[3], api["pinned"]);
}

#[tokio::test]
async fn the_snippet_command_explains_an_unknown_widget_and_missing_assets() {
    let server = TestServer::in_process().await;
    let (ok, stdout, stderr) = run(&server.db_url, &["widgets", "snippet", "wid_missing"]).await;
    assert!(!ok && stdout.is_empty());
    assert!(stderr.contains("no widget with id wid_missing"), "{stderr}");

    let widget = server.widget_id(&server.faq_key).await;
    let empty = TempDir::new();
    let (ok, _, stderr) = run(
        &server.db_url,
        &["widgets", "snippet", &widget, "--assets-dir"]
            .into_iter()
            .chain([empty.path().to_str().unwrap()])
            .collect::<Vec<_>>(),
    )
    .await;
    assert!(!ok, "no assets, no pinned snippet");
    assert!(
        stderr.contains("built assets") && stderr.contains("cargo xtask build"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_server_whose_pinned_loader_does_not_match_its_integrity_refuses_to_start() {
    let dir = TempDir::new();
    let dist = write_fake_dist(dir.path());
    std::fs::write(dist.join(FAKE_PINNED_LOADER), b"console.log('other bytes')").unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("sitekit.db").display());
    let output = sitekit()
        .args(["--database-url", &db_url, "serve", "--bind"])
        .args(["127.0.0.1:0", "--assets-dir"])
        .arg(&dist)
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("loaderIntegrity does not match") && stderr.contains(FAKE_PINNED_LOADER),
        "{stderr}"
    );
}
