//! The site owner's dashboard (`www/dashboard/`): esbuild bundles its script
//! (uPlot included) and its stylesheet into one file each, named by their
//! content, and fills those names and the widget's into the dashboard's page and
//! its preview frame's page.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd;
use crate::dist::{self, Asset, DashboardAssets};

/// Where the pages name the files the build makes; replaced with hashed names.
const JS_PLACEHOLDER: &str = "__DASHBOARD_JS__";
const CSS_PLACEHOLDER: &str = "__DASHBOARD_CSS__";
/// The dashboard fetches the widget's Wasm for the preview, which imports its JS.
const WIDGET_WASM_PLACEHOLDER: &str = "__SITEKIT_WIDGET_WASM__";
const WIDGET_JS_PLACEHOLDER: &str = "__SITEKIT_WIDGET_JS__";

/// Builds the dashboard in `work/dashboard`; `widget_js` and `widget_wasm` are
/// the widget's hashed file names.
pub fn build(
    root: &Path,
    work: &Path,
    widget_js: &str,
    widget_wasm: &str,
) -> Result<DashboardAssets> {
    let source = root.join("www/dashboard");
    let out = work.join("dashboard");
    // The script imports the stylesheets, so esbuild writes `dashboard.css` beside it.
    cmd::run(
        Command::new(root.join("node_modules/.bin/esbuild"))
            .arg(source.join("src/main.js"))
            .args(["--bundle", "--minify", "--format=esm", "--target=es2022"])
            .args(["--entry-names=dashboard", "--log-level=warning"])
            .arg(format!("--outdir={}", out.display())),
    )?;
    let js = hashed("js", &out)?;
    let css = hashed("css", &out)?;
    let fill = |file: &str, name: &str, placeholders: &[(&str, &str)]| -> Result<Asset> {
        let path = source.join(file);
        let mut page = fs::read_to_string(&path)
            .with_context(|| format!("reading the dashboard page {}", path.display()))?;
        for (placeholder, value) in placeholders {
            if !page.contains(placeholder) {
                bail!("www/dashboard/{file} lacks the placeholder {placeholder}");
            }
            page = page.replace(placeholder, value);
        }
        Ok(Asset {
            name: name.into(),
            bytes: page.into_bytes(),
        })
    };
    let page = fill(
        "index.html",
        "dashboard.html",
        &[
            (JS_PLACEHOLDER, &js.name),
            (CSS_PLACEHOLDER, &css.name),
            (WIDGET_WASM_PLACEHOLDER, widget_wasm),
        ],
    )?;
    let preview = fill(
        "preview.html",
        "dashboard-preview.html",
        &[
            (JS_PLACEHOLDER, &js.name),
            (CSS_PLACEHOLDER, &css.name),
            (WIDGET_JS_PLACEHOLDER, widget_js),
        ],
    )?;
    Ok(DashboardAssets {
        page,
        preview,
        js,
        css,
    })
}

/// `out/dashboard.<ext>` under its content-hashed name.
fn hashed(ext: &str, out: &Path) -> Result<Asset> {
    let path = out.join(format!("dashboard.{ext}"));
    let bytes = fs::read(&path).with_context(|| format!("esbuild wrote no {}", path.display()))?;
    Ok(Asset {
        name: dist::hashed_name("dashboard", ext, &bytes),
        bytes,
    })
}
