//! `dist/`: content-hashed asset names, precompressed `.br`/`.gz` siblings and the
//! `manifest.json` the embed server reads to find and describe the assets.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine;
use sha2::{Digest, Sha256, Sha384};

pub use sitekit_manifest::{AssetSizes, Manifest};

/// `dist/manifest.json`, as the last build wrote it.
pub fn read_manifest(dist: &Path) -> Result<Manifest> {
    let path = dist.join(sitekit_manifest::FILE_NAME);
    let text = fs::read_to_string(&path)
        .with_context(|| format!("reading {}: run `cargo xtask build`", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The sizes the manifest lists for `name`.
pub fn asset_sizes<'a>(manifest: &'a Manifest, name: &str) -> Result<&'a AssetSizes> {
    manifest
        .asset(name)
        .with_context(|| format!("{name} is not listed in dist/manifest.json"))
}

/// `sha256-<base64>`: the Subresource Integrity the loader carries for each
/// widget file, which the browser checks before it runs or compiles one.
pub fn sha256_integrity(bytes: &[u8]) -> String {
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
    )
}

/// A file to publish under its final name.
pub struct Asset {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The site owner's dashboard, as `dashboard.rs` builds it.
pub struct DashboardAssets {
    pub page: Asset,
    pub preview: Asset,
    pub js: Asset,
    pub css: Asset,
}

/// `<stem>-<first 16 hex chars of SHA-256>.<ext>`: the name changes exactly when
/// the content does, so browsers and CDNs may cache it forever.
pub fn hashed_name(stem: &str, ext: &str, bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{stem}-{hex}.{ext}")
}

/// Replaces `dist/` with exactly these assets, the loader's pinned copy, their
/// `.br`/`.gz` siblings and the manifest. Starting from an empty directory is what
/// removes stale hashed files.
pub fn publish(
    dist: &Path,
    loader: Asset,
    widget_js: Asset,
    widget_wasm: Asset,
    widget_extras: Asset,
    dashboard: DashboardAssets,
) -> Result<Manifest> {
    if dist.exists() {
        fs::remove_dir_all(dist).with_context(|| format!("removing {}", dist.display()))?;
    }
    fs::create_dir_all(dist)?;
    let loader_integrity = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&loader.bytes))
    );
    let pinned_loader = Asset {
        name: hashed_name("loader", "js", &loader.bytes),
        bytes: loader.bytes.clone(),
    };
    let mut assets = Vec::new();
    for asset in [
        &loader,
        &pinned_loader,
        &widget_js,
        &widget_wasm,
        &widget_extras,
        &dashboard.page,
        &dashboard.preview,
        &dashboard.js,
        &dashboard.css,
    ] {
        let gzipped = gzip(&asset.bytes)?;
        let brotlied = brotli(&asset.bytes)?;
        fs::write(dist.join(&asset.name), &asset.bytes)?;
        fs::write(dist.join(format!("{}.gz", asset.name)), &gzipped)?;
        fs::write(dist.join(format!("{}.br", asset.name)), &brotlied)?;
        assets.push(AssetSizes {
            name: asset.name.clone(),
            bytes: asset.bytes.len() as u64,
            gzip_bytes: gzipped.len() as u64,
            brotli_bytes: brotlied.len() as u64,
        });
    }
    let manifest = Manifest {
        loader: loader.name,
        widget_js: widget_js.name,
        widget_wasm: widget_wasm.name,
        widget_extras: widget_extras.name,
        pinned_loader: pinned_loader.name,
        loader_integrity,
        dashboard: dashboard.page.name,
        dashboard_preview: dashboard.preview.name,
        dashboard_js: dashboard.js.name,
        dashboard_css: dashboard.css.name,
        assets,
    };
    let mut json = serde_json::to_string_pretty(&manifest)?;
    json.push('\n');
    fs::write(dist.join(sitekit_manifest::FILE_NAME), json)?;
    Ok(manifest)
}

/// gzip at level 9 (as `gzip -9`), with a zero timestamp so builds are reproducible.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Brotli at quality 11 with a 4 MiB window (as `brotli -q 11`).
pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_carry_sixteen_hex_chars_of_sha256() {
        // SHA-256("") = e3b0c44298fc1c14…
        assert_eq!(
            hashed_name("widget", "js", b""),
            "widget-e3b0c44298fc1c14.js"
        );
    }

    #[test]
    fn widget_integrity_is_sri_sha256() {
        // SHA-256("") in base64, as `openssl dgst -sha256 -binary | base64` prints it.
        assert_eq!(
            sha256_integrity(b""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn the_pinned_loader_is_the_loader_under_a_hashed_name_with_its_integrity() {
        let dist = std::env::temp_dir().join(format!("sitekit-dist-test-{}", std::process::id()));
        let asset = |name: &str, bytes: &[u8]| Asset {
            name: name.into(),
            bytes: bytes.to_vec(),
        };
        let manifest = publish(
            &dist,
            asset("loader.js", b"(()=>{})();"),
            asset("widget-0.js", b"export{}"),
            asset("widget-0.wasm", b"\0asm"),
            asset("widget-extras-0.js", b"(()=>{})();"),
            DashboardAssets {
                page: asset("dashboard.html", b"<!doctype html>"),
                preview: asset("dashboard-preview.html", b"<!doctype html>"),
                js: asset("dashboard-0.js", b"export{}"),
                css: asset("dashboard-0.css", b"body{}"),
            },
        )
        .unwrap();
        let pinned = fs::read(dist.join(&manifest.pinned_loader)).unwrap();
        let gunzipped = {
            let mut out = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(
                    &fs::read(dist.join(format!("{}.gz", manifest.pinned_loader))).unwrap()[..],
                ),
                &mut out,
            )
            .unwrap();
            out
        };
        let listed = manifest.asset(&manifest.pinned_loader).map(|a| a.bytes);
        fs::remove_dir_all(&dist).unwrap();
        assert_eq!(
            manifest.pinned_loader,
            hashed_name("loader", "js", b"(()=>{})();")
        );
        assert_eq!(pinned, b"(()=>{})();");
        assert_eq!(gunzipped, pinned);
        assert_eq!(listed.unwrap(), pinned.len() as u64);
        let sri = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&pinned));
        assert_eq!(manifest.loader_integrity, format!("sha384-{sri}"));
    }

    #[test]
    fn compressed_siblings_round_trip() {
        let text = "SiteKit('open'); ".repeat(200);
        let mut from_gzip = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&gzip(text.as_bytes()).unwrap()[..]),
            &mut from_gzip,
        )
        .unwrap();
        assert_eq!(from_gzip, text);
        let mut from_brotli = Vec::new();
        brotli::BrotliDecompress(&mut &brotli(text.as_bytes()).unwrap()[..], &mut from_brotli)
            .unwrap();
        assert_eq!(from_brotli, text.as_bytes());
    }
}
