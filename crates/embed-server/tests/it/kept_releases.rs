//! Pinned snippets survive upgrades: every server keeps its release's pinned
//! loader and widget files in the database, so a server restarted on a new
//! build, and every other node on the same database, still serves an earlier
//! release's files byte for byte, with the headers the running build's get.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use base64::Engine;
use reqwest::header::HeaderMap;
use sha2::{Digest, Sha256, Sha384};
use tokio::process::Child;

use crate::support::{SITE, TempDir, TestDatabase, assert_api_error, listening_url, sitekit};

/// A stand-in build in `dist/` form: every file with its real `.br` and `.gz`,
/// content-hashed names, and a loader that carries the widget files' integrity
/// as the real one does.
struct Release {
    dist: PathBuf,
    pinned_loader: String,
    widget_js: String,
    widget_wasm: String,
    loader_integrity: String,
}

impl Release {
    /// A release whose files say `tag`, with `wasm` as the widget's Wasm.
    fn write(dir: &Path, tag: &str, wasm: &[u8]) -> Release {
        let dist = dir.join(tag);
        std::fs::create_dir_all(&dist).unwrap();
        let js = format!("export default function(){{}} // release {tag}");
        let loader = format!(
            "console.log('release {tag}', '{}', '{}')",
            sha256_integrity(js.as_bytes()),
            sha256_integrity(wasm)
        );
        let release = Release {
            pinned_loader: hashed_name("loader", "js", loader.as_bytes()),
            widget_js: hashed_name("widget", "js", js.as_bytes()),
            widget_wasm: hashed_name("widget", "wasm", wasm),
            loader_integrity: sri(loader.as_bytes()),
            dist,
        };
        let files: [(&str, &[u8]); 8] = [
            ("loader.js", loader.as_bytes()),
            (&release.pinned_loader, loader.as_bytes()),
            (&release.widget_js, js.as_bytes()),
            (&release.widget_wasm, wasm),
            ("dashboard.html", b"<!doctype html><title>Dashboard</title>"),
            (
                "dashboard-preview.html",
                b"<!doctype html><title>Preview</title>",
            ),
            ("dashboard-0123456789abcdef.js", b"export {}"),
            ("dashboard-0123456789abcdef.css", b"body{margin:0}"),
        ];
        for (name, bytes) in files {
            let path = release.dist.join(name);
            std::fs::write(&path, bytes).unwrap();
            std::fs::write(format!("{}.br", path.display()), brotli(bytes)).unwrap();
            std::fs::write(format!("{}.gz", path.display()), gzip(bytes)).unwrap();
        }
        let manifest = serde_json::json!({
            "loader": "loader.js",
            "widgetJs": release.widget_js,
            "widgetWasm": release.widget_wasm,
            "pinnedLoader": release.pinned_loader,
            "loaderIntegrity": release.loader_integrity,
            "dashboard": "dashboard.html",
            "dashboardPreview": "dashboard-preview.html",
            "dashboardJs": "dashboard-0123456789abcdef.js",
            "dashboardCss": "dashboard-0123456789abcdef.css",
        });
        std::fs::write(release.dist.join("manifest.json"), manifest.to_string()).unwrap();
        release
    }

    /// The files a pinned snippet of this release loads.
    fn pinned_files(&self) -> [&str; 3] {
        [&self.pinned_loader, &self.widget_js, &self.widget_wasm]
    }

    /// `name`'s bytes as this release's `dist/` has them for `encoding`.
    fn file(&self, name: &str, encoding: Option<&str>) -> Vec<u8> {
        let suffix = match encoding {
            None => "",
            Some("br") => ".br",
            Some("gzip") => ".gz",
            Some(other) => panic!("no {other} files"),
        };
        std::fs::read(self.dist.join(format!("{name}{suffix}"))).unwrap()
    }
}

/// `sitekit serve` on `db_url` with `release`'s assets; stops when dropped.
struct Node {
    url: String,
    _child: Child,
}

impl Node {
    async fn start(db_url: &str, release: &Release, serve_args: &[&str]) -> Node {
        let mut child = sitekit()
            .args(["serve", "--bind", "127.0.0.1:0", "--database-url", db_url])
            .arg("--assets-dir")
            .arg(&release.dist)
            .args(serve_args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("sitekit starts");
        let url = listening_url(&mut child).await;
        Node { url, _child: child }
    }

    async fn get(&self, name: &str, accept: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .get(format!("{}/v1/assets/{name}", self.url))
            .header("origin", SITE);
        if let Some(accept) = accept {
            request = request.header("accept-encoding", accept);
        }
        request.send().await.unwrap()
    }

    /// The headers of `name` in each encoding, after checking that every one
    /// is `release`'s file byte for byte and decodes to what its integrity names.
    async fn assert_serves(&self, release: &Release, name: &str) -> Vec<HeaderMap> {
        let integrity = if name == release.pinned_loader {
            release.loader_integrity.clone()
        } else {
            // What the release's loader carries for this widget file.
            let loader = String::from_utf8(release.file(&release.pinned_loader, None)).unwrap();
            let integrity = sha256_integrity(&release.file(name, None));
            assert!(loader.contains(&integrity), "{loader} lacks {integrity}");
            integrity
        };
        let mut all = Vec::new();
        for (accept, encoding) in [
            (None, None),
            (Some("gzip, deflate, br"), Some("br")),
            (Some("gzip"), Some("gzip")),
        ] {
            let response = self.get(name, accept).await;
            assert_eq!(response.status(), 200, "{name} from {}", self.url);
            let headers = response.headers().clone();
            assert_eq!(
                headers.get("content-encoding").map(|v| v.to_str().unwrap()),
                encoding,
                "{name}"
            );
            let body = response.bytes().await.unwrap();
            assert_eq!(
                body.as_ref(),
                release.file(name, encoding),
                "{name} {encoding:?}"
            );
            let decoded = decode(encoding, &body);
            let check = if name == release.pinned_loader {
                sri(&decoded)
            } else {
                sha256_integrity(&decoded)
            };
            assert_eq!(check, integrity, "{name} {encoding:?}");
            all.push(headers);
        }
        let etag = all[0]["etag"].clone();
        let revalidated = reqwest::Client::new()
            .get(format!("{}/v1/assets/{name}", self.url))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), 304, "{name}");
        all
    }
}

/// The headers two servers must agree on for one file (not `date`).
fn served_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    [
        "content-type",
        "content-encoding",
        "content-length",
        "cache-control",
        "etag",
        "vary",
        "x-content-type-options",
        "access-control-allow-origin",
    ]
    .into_iter()
    .map(|name| {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        (name.to_owned(), values.join(", "))
    })
    .collect()
}

#[tokio::test]
async fn a_restart_on_a_new_build_and_every_other_node_serve_the_earlier_release() {
    let dir = TempDir::new();
    let database = TestDatabase::create(&dir).await;
    let first = Release::write(dir.path(), "first", b"\0asm\x01\0\0\0first");
    let second = Release::write(dir.path(), "second", b"\0asm\x01\0\0\0second");
    for (a, b) in first.pinned_files().iter().zip(second.pinned_files()) {
        assert_ne!(*a, b, "the builds differ in every file");
    }

    let on_first = Node::start(&database.url, &first, &[]).await;
    let mut from_build = Vec::new();
    for name in first.pinned_files() {
        from_build.push(on_first.assert_serves(&first, name).await);
    }

    // A node of the next release joins while the first still runs (a rolling
    // upgrade): each serves the other's files from the database.
    let on_second = Node::start(&database.url, &second, &[]).await;
    for (name, built) in first.pinned_files().into_iter().zip(&from_build) {
        let kept = on_second.assert_serves(&first, name).await;
        for (kept, built) in kept.iter().zip(built) {
            assert_eq!(served_headers(kept), served_headers(built), "{name}");
        }
    }
    for name in second.pinned_files() {
        on_first.assert_serves(&second, name).await;
        on_second.assert_serves(&second, name).await;
    }

    // Every node stops; the second release starts again alone.
    drop(on_first);
    drop(on_second);
    let restarted = Node::start(&database.url, &second, &[]).await;
    for name in first.pinned_files() {
        restarted.assert_serves(&first, name).await;
    }
    for name in second.pinned_files() {
        restarted.assert_serves(&second, name).await;
    }

    // Nothing else became servable: unknown names are the same 404 as before.
    for name in ["widget-0000000000000000.wasm", "loader.js", "manifest.json"] {
        let message = assert_api_error(restarted.get(name, None).await, 404, "not_found").await;
        assert_eq!(message, format!("no asset named {name}"));
    }
}

#[tokio::test]
async fn only_the_last_kept_releases_stay_servable() {
    let dir = TempDir::new();
    let database = TestDatabase::create(&dir).await;
    // The second release changes only the loader and the JS: it shares the Wasm.
    let shared_wasm = b"\0asm\x01\0\0\0shared";
    let first = Release::write(dir.path(), "first", shared_wasm);
    let second = Release::write(dir.path(), "second", shared_wasm);
    let third = Release::write(dir.path(), "third", b"\0asm\x01\0\0\0third");
    assert_eq!(first.widget_wasm, second.widget_wasm);

    for release in [&first, &second, &third] {
        drop(Node::start(&database.url, release, &["--kept-releases", "2"]).await);
    }
    let node = Node::start(&database.url, &third, &["--kept-releases", "2"]).await;

    for name in [&first.pinned_loader, &first.widget_js] {
        assert_api_error(node.get(name, None).await, 404, "not_found").await;
    }
    // The Wasm the first release had is the second's too, which is kept.
    for name in second.pinned_files() {
        node.assert_serves(&second, name).await;
    }
    for name in third.pinned_files() {
        node.assert_serves(&third, name).await;
    }
}

/// `<stem>-<first 16 hex digits of SHA-256>.<ext>`, as the build names files.
fn hashed_name(stem: &str, ext: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{stem}-{hex}.{ext}")
}

/// The integrity the loader carries for a widget file.
fn sha256_integrity(bytes: &[u8]) -> String {
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
    )
}

/// The integrity a pinned snippet names for its loader.
fn sri(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &Default::default()).unwrap();
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn decode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
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
