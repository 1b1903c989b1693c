//! The browser assets built by `cargo xtask build` (loader, widget JS and Wasm,
//! the dashboard's pages, script and stylesheet), loaded once into memory with
//! their precompressed variants, from `dist/` or from the binary itself.

use std::collections::HashMap;
use std::path::Path;

use axum::body::Bytes;
use base64::Engine;
use sha2::{Digest, Sha256, Sha384};

pub use sitekit_manifest::Manifest;

use crate::codec::hex;

/// One servable file: the identity bytes and whatever compressed siblings exist.
#[derive(Debug, Clone)]
pub struct Asset {
    pub content_type: &'static str,
    pub etag: String,
    pub identity: Bytes,
    pub brotli: Option<Bytes>,
    pub gzip: Option<Bytes>,
}

#[derive(Debug, Clone)]
pub struct AssetStore {
    pub manifest: Manifest,
    files: HashMap<String, Asset>,
}

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("no browser assets: {0} (run `cargo xtask build` to make them)")]
    Missing(String),
    #[error("dist/manifest.json is not valid: {0}")]
    Manifest(serde_json::Error),
    #[error(
        "dist/manifest.json's loaderIntegrity does not match {0}; rebuild with `cargo xtask build`"
    )]
    Integrity(String),
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_assets.rs"));
}

impl AssetStore {
    /// Reads the manifest and every file it names from a `dist/` directory.
    pub fn from_dir(dir: &Path) -> Result<Self, AssetError> {
        Self::load(|name| std::fs::read(dir.join(name)).ok()).map_err(|e| match e {
            AssetError::Missing(what) => {
                AssetError::Missing(format!("{what} in {}", dir.display()))
            }
            other => other,
        })
    }

    /// The assets baked in with the `embed-assets` feature, if any.
    pub fn embedded() -> Option<Result<Self, AssetError>> {
        if embedded::FILES.is_empty() {
            return None;
        }
        Some(Self::load(|name| {
            embedded::FILES
                .iter()
                .find(|(file, _)| *file == name)
                .map(|(_, bytes)| bytes.to_vec())
        }))
    }

    fn load(read: impl Fn(&str) -> Option<Vec<u8>>) -> Result<Self, AssetError> {
        let manifest =
            read("manifest.json").ok_or_else(|| AssetError::Missing("manifest.json".into()))?;
        let manifest: Manifest = serde_json::from_slice(&manifest).map_err(AssetError::Manifest)?;
        let mut files = HashMap::new();
        for name in [
            &manifest.loader,
            &manifest.pinned_loader,
            &manifest.widget_js,
            &manifest.widget_wasm,
            &manifest.widget_extras,
            &manifest.dashboard,
            &manifest.dashboard_preview,
            &manifest.dashboard_js,
            &manifest.dashboard_css,
        ]
        .into_iter()
        .filter(|name| !name.is_empty())
        {
            let identity = read(name).ok_or_else(|| AssetError::Missing(name.clone()))?;
            let asset = Asset {
                content_type: content_type(name),
                // Weak: the same tag covers the identity, gzip and brotli bodies.
                etag: format!("W/\"{}\"", &hex(&Sha256::digest(&identity))[..32]),
                identity: Bytes::from(identity),
                brotli: read(&format!("{name}.br")).map(Bytes::from),
                gzip: read(&format!("{name}.gz")).map(Bytes::from),
            };
            files.insert(name.clone(), asset);
        }
        // A pinned snippet with a stale integrity is a chat that silently never
        // loads on the customer's site; refuse to start instead.
        let pinned = &files[&manifest.pinned_loader].identity;
        if subresource_integrity(pinned) != manifest.loader_integrity {
            return Err(AssetError::Integrity(manifest.pinned_loader.clone()));
        }
        Ok(AssetStore { manifest, files })
    }

    /// The assets `sitekit serve` uses: those in `dir` if given, else those baked
    /// into the binary, else `./dist`. The admin commands read the same ones, so a
    /// snippet's integrity always matches what the server serves.
    pub fn locate(dir: Option<&Path>) -> Result<Self, AssetError> {
        match (dir, Self::embedded()) {
            (Some(dir), _) => Self::from_dir(dir),
            (None, Some(embedded)) => embedded,
            (None, None) => Self::from_dir("dist".as_ref()),
        }
    }

    /// The hashed files a pinned snippet loads (its loader, the widget's JS,
    /// Wasm and extras) by name: what earlier releases are kept of
    /// (`kept_releases.rs`).
    pub fn release_files(&self) -> Vec<(&str, &Asset)> {
        [
            &self.manifest.pinned_loader,
            &self.manifest.widget_js,
            &self.manifest.widget_wasm,
            &self.manifest.widget_extras,
        ]
        .into_iter()
        .filter_map(|name| Some((name.as_str(), self.files.get(name)?)))
        .collect()
    }

    pub fn loader(&self) -> &Asset {
        &self.files[&self.manifest.loader]
    }

    /// The dashboard's page (`GET /dashboard`).
    pub fn dashboard(&self) -> &Asset {
        &self.files[&self.manifest.dashboard]
    }

    /// The page the dashboard's widget preview runs in (`GET /dashboard/preview`).
    pub fn dashboard_preview(&self) -> &Asset {
        &self.files[&self.manifest.dashboard_preview]
    }

    /// A hashed asset by file name; only names in the manifest exist, so no path
    /// from a request ever reaches the file system. The files served at fixed URLs
    /// are not among them: their names change nothing when their content does.
    pub fn hashed(&self, name: &str) -> Option<&Asset> {
        let fixed = [
            &self.manifest.loader,
            &self.manifest.dashboard,
            &self.manifest.dashboard_preview,
        ];
        if fixed.iter().any(|fixed| *fixed == name) {
            return None;
        }
        self.files.get(name)
    }
}

/// `sha384-<base64>`, as browsers check the `integrity` attribute.
pub fn subresource_integrity(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// The MIME type a file is served with, by its extension.
pub(crate) fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}
