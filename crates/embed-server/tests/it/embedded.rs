//! A binary built with `embed-assets` serves the real `dist/` baked into it, with
//! no `dist/` directory anywhere near it. `cargo xtask test` runs this with
//! `--features embed-assets` after building `dist/`.

use std::process::Stdio;

use crate::support::{TempDir, listening_url, sitekit};

#[tokio::test]
async fn the_self_contained_binary_serves_its_baked_in_assets() {
    let dist = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    let dist = std::env::var_os("SITEKIT_DIST_DIR").map_or(dist, Into::into);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join("manifest.json")).unwrap()).unwrap();

    let dir = TempDir::new();
    let mut child = sitekit()
        .current_dir(dir.path())
        .env_remove("SITEKIT_ASSETS_DIR")
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            "sqlite://embedded.db",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let url = listening_url(&mut child).await;

    let loader = reqwest::get(format!("{url}/v1/loader.js")).await.unwrap();
    assert_eq!(loader.status(), 200);
    let served = loader.bytes().await.unwrap();
    assert_eq!(
        served.as_ref(),
        std::fs::read(dist.join("loader.js")).unwrap()
    );

    let wasm_name = manifest["widgetWasm"].as_str().unwrap();
    let wasm = reqwest::get(format!("{url}/v1/assets/{wasm_name}"))
        .await
        .unwrap();
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(
        wasm.bytes().await.unwrap().as_ref(),
        std::fs::read(dist.join(wasm_name)).unwrap()
    );

    let dashboard = reqwest::get(format!("{url}/dashboard")).await.unwrap();
    assert_eq!(dashboard.status(), 200);
    assert_eq!(
        dashboard.text().await.unwrap().as_bytes(),
        std::fs::read(dist.join(manifest["dashboard"].as_str().unwrap())).unwrap()
    );
    let script_name = manifest["dashboardJs"].as_str().unwrap();
    let script = reqwest::get(format!("{url}/v1/assets/{script_name}"))
        .await
        .unwrap();
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
}
