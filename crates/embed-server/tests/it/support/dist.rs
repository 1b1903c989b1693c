//! A stand-in `dist/` for the tests of how the server serves its assets.

use std::path::{Path, PathBuf};

/// The stand-in `dist/`'s pinned loader: `loader.js`'s bytes under a hashed name.
pub const FAKE_PINNED_LOADER: &str = "loader-00112233aabbccdd.js";

/// The stand-in `dist/`'s dashboard page, naming its script and stylesheet as
/// the built page does.
const FAKE_DASHBOARD_PAGE: &str = r#"<!doctype html><title>Site Kit dashboard</title>
<link rel="stylesheet" href="v1/assets/dashboard-0123456789abcdef.css">
<script type="module" src="v1/assets/dashboard-0123456789abcdef.js"></script>"#;

/// A stand-in `dist/`: these tests check how the server serves whatever the build
/// produced; the real build is exercised by the end-to-end tests.
pub fn write_fake_dist(dir: &Path) -> PathBuf {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let loader: &[u8] = b"console.log('loader identity')";
    let files: [(&str, &[u8]); 14] = [
        ("loader.js", loader),
        ("loader.js.br", b"loader-brotli-bytes"),
        ("loader.js.gz", b"loader-gzip-bytes"),
        (FAKE_PINNED_LOADER, loader),
        ("widget-0123456789abcdef.js", b"export default function(){}"),
        ("widget-0123456789abcdef.js.br", b"widget-js-brotli"),
        ("widget-0123456789abcdef.js.gz", b"widget-js-gzip"),
        ("widget-fedcba9876543210.wasm", b"\0asm\x01\0\0\0"),
        ("widget-fedcba9876543210.wasm.br", b"widget-wasm-brotli"),
        ("widget-fedcba9876543210.wasm.gz", b"widget-wasm-gzip"),
        ("dashboard.html", FAKE_DASHBOARD_PAGE.as_bytes()),
        (
            "dashboard-preview.html",
            b"<!doctype html><title>Preview</title>",
        ),
        ("dashboard-0123456789abcdef.js", b"export {}"),
        ("dashboard-0123456789abcdef.css", b"body{margin:0}"),
    ];
    for (name, bytes) in files {
        std::fs::write(dist.join(name), bytes).unwrap();
    }
    let manifest = serde_json::json!({
        "loader": "loader.js",
        "widgetJs": "widget-0123456789abcdef.js",
        "widgetWasm": "widget-fedcba9876543210.wasm",
        "pinnedLoader": FAKE_PINNED_LOADER,
        "loaderIntegrity": sitekit_embed_server::assets::subresource_integrity(loader),
        "dashboard": "dashboard.html",
        "dashboardPreview": "dashboard-preview.html",
        "dashboardJs": "dashboard-0123456789abcdef.js",
        "dashboardCss": "dashboard-0123456789abcdef.css",
    });
    std::fs::write(dist.join("manifest.json"), manifest.to_string()).unwrap();
    dist
}
