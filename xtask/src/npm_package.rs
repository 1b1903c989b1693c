//! The npm package `@sitekit/sdk`: the SDK crate compiled to Wasm by wasm-pack
//! (feature `js`), shrunk with wasm-opt, and `crates/sdk/npm/index.ts` compiled
//! by tsc next to it, into `target/npm/sitekit-sdk/` ready for `npm pack`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use crate::build::target_dir;
use crate::{cmd, say, step};

/// The package's own files, copied as they are (index.ts is compiled in place).
const SOURCES: [&str; 4] = ["package.json", "README.md", "index.ts", "tsconfig.json"];
/// The Wasm file in the package and its JS bindings, whose sizes the bench reports.
pub const WASM: &str = "wasm/sitekit_sdk_bg.wasm";
pub const BINDINGS_JS: &str = "wasm/sitekit_sdk.js";

/// Where the package is staged.
pub fn dir(root: &Path) -> PathBuf {
    target_dir(root).join("npm/sitekit-sdk")
}

pub fn build(root: &Path) -> Result<PathBuf> {
    let out = dir(root);
    let bin = root.join("node_modules/.bin");
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    fs::create_dir_all(&out)?;
    for file in SOURCES {
        fs::copy(root.join("crates/sdk/npm").join(file), out.join(file))?;
    }

    step("building the npm package's Wasm (wasm-pack, sitekit-sdk --features js)");
    cmd::run(
        Command::new("wasm-pack")
            .args(["build", "crates/sdk", "--target", "web", "--no-pack"])
            // Never download a wasm-bindgen: `setup` installed the pinned one.
            .args(["--mode", "no-install", "--profile", "wasm-release"])
            .args(["--out-name", "sitekit_sdk", "--out-dir"])
            .arg(out.join("wasm"))
            .args(["--features", "js"]),
    )?;

    // The bindings' classes are internal (index.ts wraps them), but their
    // `[Symbol.dispose]` members would make every user's `tsc` need the
    // `esnext.disposable` lib; the members stay in the JS.
    let bindings_types = out.join("wasm/sitekit_sdk.d.ts");
    let types = fs::read_to_string(&bindings_types)?;
    let types: Vec<&str> = types
        .lines()
        .filter(|line| !line.trim_start().starts_with("[Symbol.dispose]"))
        .collect();
    fs::write(&bindings_types, types.join("\n") + "\n")?;

    step("shrinking the npm package's Wasm (wasm-opt -Oz)");
    let wasm = out.join(WASM);
    cmd::run(
        Command::new(bin.join("wasm-opt"))
            .args(["-Oz", "--strip-debug", "--strip-producers"])
            .arg(&wasm)
            .arg("-o")
            .arg(&wasm),
    )?;

    step("compiling the npm package's index.ts (tsc: index.js + index.d.ts)");
    cmd::run(
        Command::new(bin.join("tsc"))
            .arg("-p")
            .arg(out.join("tsconfig.json")),
    )?;
    for built in ["index.js", "index.d.ts"] {
        if !out.join(built).exists() {
            bail!("tsc produced no {built} in {}", out.display());
        }
    }
    say(format_args!(
        "    @sitekit/sdk in {} (Wasm {} B)",
        out.display(),
        fs::metadata(&wasm)?.len()
    ));
    Ok(out)
}
