//! `dist/manifest.json`: the one description of the built browser assets,
//! written by `cargo xtask build` (which also measures them for the
//! benchmarks) and read by the embed server to find, check and name them.

use serde::{Deserialize, Serialize};

/// Where in `dist/` the manifest is.
pub const FILE_NAME: &str = "manifest.json";

/// The built assets' names (content-hashed where a URL must never serve
/// anything else) and what each costs on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub loader: String,
    pub widget_js: String,
    pub widget_wasm: String,
    /// The script that draws a widget's extras (CSAT question, contact form,
    /// "talk to a person"), which the widget loads only when they are on;
    /// empty in manifests that predate it.
    #[serde(default)]
    pub widget_extras: String,
    /// `loader.js`'s bytes again under a content-hashed name: the URL a pinned
    /// snippet names, which never serves anything else.
    pub pinned_loader: String,
    /// `sha384-…` of the pinned loader's bytes, for the `integrity` attribute
    /// of snippets that pin it.
    pub loader_integrity: String,
    /// The dashboard's page and its widget preview's page (served at fixed
    /// URLs), and the script and stylesheet both load (hashed names).
    pub dashboard: String,
    pub dashboard_preview: String,
    pub dashboard_js: String,
    pub dashboard_css: String,
    /// Every served file's sizes; empty in a manifest that lists none.
    #[serde(default)]
    pub assets: Vec<AssetSizes>,
}

/// One served file and what it costs on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetSizes {
    pub name: String,
    pub bytes: u64,
    pub gzip_bytes: u64,
    pub brotli_bytes: u64,
}

impl Manifest {
    /// The sizes of the asset called `name`, if the manifest lists it.
    pub fn asset(&self, name: &str) -> Option<&AssetSizes> {
        self.assets.iter().find(|asset| asset.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_as_written_and_sizes_are_optional() {
        let text = r#"{"loader":"loader.js","widgetJs":"widget-1.js","widgetWasm":"widget-2.wasm",
            "pinnedLoader":"loader-3.js","loaderIntegrity":"sha384-x","dashboard":"dashboard.html",
            "dashboardPreview":"dashboard-preview.html","dashboardJs":"dashboard-4.js",
            "dashboardCss":"dashboard-5.css"}"#;
        let mut manifest: Manifest = serde_json::from_str(text).unwrap();
        assert!(manifest.assets.is_empty());
        assert_eq!(manifest.asset("loader.js"), None);
        manifest.assets.push(AssetSizes {
            name: "loader.js".into(),
            bytes: 3_000,
            gzip_bytes: 1_500,
            brotli_bytes: 1_400,
        });
        let written = serde_json::to_string(&manifest).unwrap();
        assert!(written.contains(r#""brotliBytes":1400"#), "{written}");
        let read: Manifest = serde_json::from_str(&written).unwrap();
        assert_eq!(read, manifest);
        assert_eq!(read.asset("loader.js").map(|a| a.brotli_bytes), Some(1_400));
    }
}
