//! `cargo xtask build`: the widget (Rust → Wasm → wasm-bindgen → wasm-opt, glue JS
//! minified), the loader with the hashed widget names filled in, the dashboard
//! (`dashboard.rs`), `dist/`, the npm package (`npm_package.rs`), and the release
//! `sitekit` binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::dist::{self, Asset, Manifest};
use crate::{cmd, dashboard, npm_package, say, setup, step};

/// Where the loader source names the widget files it loads, and their
/// integrity; replaced at build time.
const JS_PLACEHOLDER: &str = "__SITEKIT_WIDGET_JS__";
const WASM_PLACEHOLDER: &str = "__SITEKIT_WIDGET_WASM__";
const JS_INTEGRITY_PLACEHOLDER: &str = "__SITEKIT_WIDGET_JS_INTEGRITY__";
const WASM_INTEGRITY_PLACEHOLDER: &str = "__SITEKIT_WIDGET_WASM_INTEGRITY__";

/// The widget and loader into `dist/`, the npm package, then the server.
pub fn all(root: &Path, embed: bool) -> Result<()> {
    widget(root)?;
    npm_package::build(root)?;
    server(root, embed)
}

/// The widget and loader into `dist/`, then the server: the release build, as
/// [`all`] makes it, or (`debug`) the debug one, quicker to build and slower
/// to run. Returns the server's binary. No npm package: `cargo xtask cluster`,
/// the caller, serves no page that uses it.
pub fn widget_and_server(root: &Path, debug: bool) -> Result<PathBuf> {
    widget(root)?;
    if !debug {
        server(root, false)?;
        return Ok(sitekit_bin(root));
    }
    step("building embed server (debug)");
    cmd::run(cmd::cargo().args(["build", "-p", "sitekit-embed-server"]))?;
    let bin = target_dir(root).join("debug/sitekit");
    if !bin.exists() {
        bail!("the build produced no {}", bin.display());
    }
    Ok(bin)
}

/// `target/` (or `$CARGO_TARGET_DIR`).
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// The release server binary that `build` produces.
pub fn sitekit_bin(root: &Path) -> PathBuf {
    target_dir(root).join("release/sitekit")
}

fn widget(root: &Path) -> Result<Manifest> {
    let target = target_dir(root);
    let work = target.join("widget-bindgen");
    let bin = root.join("node_modules/.bin");
    // Read first: a missing loader should fail before minutes of compiling.
    let loader_source = loader_source(root)?;
    fs::create_dir_all(&target)?;

    // First: the widget carries the extras' name and integrity.
    step("building widget extras (www/widget-extras.js → one classic script, esbuild --minify)");
    let widget_extras = widget_extras(root, &bin, &target)?;
    let extras_integrity = dist::sha256_integrity(&widget_extras.bytes);

    step(format!(
        "building widget (wasm32, wasm-release, {}, std rebuilt for size)",
        setup::WIDGET_TOOLCHAIN
    ));
    // A target directory of its own: std and every dependency are compiled by
    // another toolchain with other flags than the stable builds in `target/`.
    let widget_target = target.join("widget-wasm");
    cmd::run(
        Command::new("rustup")
            .args(["run", setup::WIDGET_TOOLCHAIN, "cargo", "build"])
            .args(["-p", "sitekit-widget", "--target", "wasm32-unknown-unknown"])
            .args(["--profile", "wasm-release", "--target-dir"])
            .arg(&widget_target)
            .args([
                "-Zbuild-std=std,panic_abort",
                "-Zbuild-std-features=optimize_for_size",
            ])
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env("SITEKIT_EXTRAS_JS", &widget_extras.name)
            .env("SITEKIT_EXTRAS_INTEGRITY", &extras_integrity)
            // A panic stops the Wasm without a message, location or `Debug`
            // output: nothing a visitor could read, and about 14 KB of brotli.
            .env(
                "RUSTFLAGS",
                "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none",
            ),
    )?;

    step("generating JS bindings (wasm-bindgen --target web)");
    if work.exists() {
        fs::remove_dir_all(&work)?;
    }
    let wasm = widget_target.join("wasm32-unknown-unknown/wasm-release/sitekit_widget.wasm");
    cmd::run(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--out-name", "widget", "--out-dir"])
            .arg(&work)
            .arg(&wasm),
    )?;

    // `--low-memory-unused`: Rust puts the stack first, growing down from 1 MiB,
    // so the lowest kilobyte is never addressed and wasm-opt may fold offsets.
    step(
        "shrinking Wasm (wasm-opt --merge-similar-functions -Oz --converge --low-memory-unused, stripped)",
    );
    let optimized = work.join("widget_bg.opt.wasm");
    cmd::run(
        Command::new(bin.join("wasm-opt"))
            .args([
                "--merge-similar-functions",
                "-Oz",
                "--converge",
                "--low-memory-unused",
            ])
            .args(["--strip-debug", "--strip-producers"])
            .arg(work.join("widget_bg.wasm"))
            .arg("-o")
            .arg(&optimized),
    )?;

    step("minifying widget JS glue (esbuild --minify --format=esm)");
    let minified = work.join("widget.min.js");
    cmd::run(
        Command::new(bin.join("esbuild"))
            .arg(work.join("widget.js"))
            .args(["--minify", "--format=esm", "--log-level=warning"])
            .arg(format!("--outfile={}", minified.display())),
    )?;

    let widget_js = named("widget", "js", fs::read(&minified)?);
    let widget_wasm = named("widget", "wasm", fs::read(&optimized)?);

    step("building loader (www/loader.js → dist/loader.js, esbuild --minify)");
    let loader = loader(&bin, &work, &loader_source, &widget_js, &widget_wasm)?;

    step("building dashboard (www/dashboard → one script with uPlot, one stylesheet, esbuild)");
    let dashboard = dashboard::build(root, &work, &widget_js.name, &widget_wasm.name)?;

    step("writing dist/ (hashed names, .br/.gz siblings, manifest.json)");
    let manifest = dist::publish(
        &root.join("dist"),
        loader,
        widget_js,
        widget_wasm,
        widget_extras,
        dashboard,
    )?;
    for asset in &manifest.assets {
        say(format_args!(
            "    {:<28} {:>8} B   gzip {:>7} B   brotli {:>7} B",
            asset.name, asset.bytes, asset.gzip_bytes, asset.brotli_bytes
        ));
    }
    Ok(manifest)
}

/// `www/widget-extras.js` (an ES module, as tsc checks it) as the classic
/// script the widget loads: its exports stay inside one function, which
/// boots it for the `<script>` element that runs it (`crates/widget/src/extras.rs`).
fn widget_extras(root: &Path, bin: &Path, target: &Path) -> Result<Asset> {
    let out = target.join("widget-extras.min.js");
    cmd::run(
        Command::new(bin.join("esbuild"))
            .arg(root.join("www/widget-extras.js"))
            .args([
                "--bundle",
                "--minify",
                "--format=iife",
                "--global-name=extras",
            ])
            .args(["--target=es2020", "--charset=utf8", "--log-level=warning"])
            .arg("--banner:js=(()=>{")
            .arg("--footer:js=extras.boot(document.currentScript)})();")
            .arg(format!("--outfile={}", out.display())),
    )?;
    Ok(named("widget-extras", "js", fs::read(&out)?))
}

fn named(stem: &str, ext: &str, bytes: Vec<u8>) -> Asset {
    Asset {
        name: dist::hashed_name(stem, ext, &bytes),
        bytes,
    }
}

/// `www/loader.js`, checked for the placeholders the build fills in.
fn loader_source(root: &Path) -> Result<String> {
    let path = root.join("www/loader.js");
    let source = fs::read_to_string(&path)
        .with_context(|| format!("reading the loader source {}", path.display()))?;
    for placeholder in [
        JS_PLACEHOLDER,
        WASM_PLACEHOLDER,
        JS_INTEGRITY_PLACEHOLDER,
        WASM_INTEGRITY_PLACEHOLDER,
    ] {
        if !source.contains(placeholder) {
            bail!("www/loader.js lacks the placeholder {placeholder}");
        }
    }
    Ok(source)
}

/// The loader with the widget's hashed names and their integrity filled in,
/// minified as a classic script (no module wrapper: host pages load it with a
/// plain `<script>`).
fn loader(
    bin: &Path,
    work: &Path,
    source: &str,
    widget_js: &Asset,
    widget_wasm: &Asset,
) -> Result<Asset> {
    let filled = fill_loader(source, widget_js, widget_wasm);
    let filled_path = work.join("loader.js");
    let minified_path = work.join("loader.min.js");
    fs::write(&filled_path, filled)?;
    cmd::run(
        Command::new(bin.join("esbuild"))
            .arg(&filled_path)
            .args(["--minify", "--target=es2020", "--log-level=warning"])
            .arg(format!("--outfile={}", minified_path.display())),
    )?;
    Ok(Asset {
        name: "loader.js".into(),
        bytes: fs::read(&minified_path)?,
    })
}

/// `source` naming exactly these widget files: their names and the SHA-256
/// integrity the browser checks them against.
fn fill_loader(source: &str, widget_js: &Asset, widget_wasm: &Asset) -> String {
    // The integrity placeholders first: each begins like a name placeholder.
    source
        .replace(
            JS_INTEGRITY_PLACEHOLDER,
            &dist::sha256_integrity(&widget_js.bytes),
        )
        .replace(
            WASM_INTEGRITY_PLACEHOLDER,
            &dist::sha256_integrity(&widget_wasm.bytes),
        )
        .replace(JS_PLACEHOLDER, &widget_js.name)
        .replace(WASM_PLACEHOLDER, &widget_wasm.name)
}

fn server(root: &Path, embed: bool) -> Result<()> {
    let mut build = cmd::cargo();
    build.args(["build", "--release", "-p", "sitekit-embed-server"]);
    if embed {
        step("building embed server (release, embed-assets: dist/ baked in)");
        build.args(["--features", "embed-assets"]);
    } else {
        step("building embed server (release)");
    }
    cmd::run(&mut build)?;
    let bin = sitekit_bin(root);
    if !bin.exists() {
        bail!("the build produced no {}", bin.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_names_the_widget_files_and_their_integrity() {
        let source =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/loader.js"))
                .unwrap();
        let js = named("widget", "js", b"export default 1".to_vec());
        let wasm = named("widget", "wasm", b"\0asm\x01\0\0\0".to_vec());
        let filled = fill_loader(&source, &js, &wasm);
        assert!(!filled.contains("__SITEKIT_"), "a placeholder is left");
        for needle in [
            js.name.clone(),
            wasm.name.clone(),
            dist::sha256_integrity(&js.bytes),
            dist::sha256_integrity(&wasm.bytes),
        ] {
            assert!(filled.contains(&needle), "{needle} is not in the loader");
        }
    }
}
