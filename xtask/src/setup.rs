//! Installs what the build and the runtime need, each only when it is missing or
//! at the wrong version: the wasm32 target, the wasm-bindgen CLI, wasm-pack, npm
//! packages, a Python venv with `lfx`, `cloudevents` and `schemathesis`, and one
//! with waldur-site-agent and the marketplace plugin. Prerequisites we
//! cannot install (rustup, Node, npm, Python) are checked with a one-line error
//! naming them.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Result, anyhow, bail};

use crate::{cmd, step};

/// The Langflow executor the demo and the tests run (PyPI `lfx`).
pub const LFX_VERSION: &str = "1.13.0";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Everything `cargo xtask build` needs.
pub fn for_build(root: &Path) -> Result<()> {
    require_rustup()?;
    require_node()?;
    wasm_target()?;
    widget_toolchain()?;
    wasm_bindgen_cli(root)?;
    wasm_pack()?;
    npm_packages(root)
}

/// The wasm-pack that builds the npm package; it finds the pinned wasm-bindgen
/// on PATH and never downloads one (`--mode no-install`).
const WASM_PACK_VERSION: &str = "0.15.1";

fn wasm_pack() -> Result<()> {
    let installed = cmd::probe("wasm-pack", &["--version"]);
    if installed.as_deref() == Some(&format!("wasm-pack {WASM_PACK_VERSION}")) {
        step(format!("wasm-pack {WASM_PACK_VERSION}: present"));
        return Ok(());
    }
    let had = installed.unwrap_or_else(|| "not installed".into());
    step(format!(
        "installing wasm-pack {WASM_PACK_VERSION} ({had}; cargo install, about 2 minutes)"
    ));
    cargo_install("wasm-pack", WASM_PACK_VERSION)
}

/// cargo-fuzz, which builds the fuzz targets (`cargo xtask fuzz`) with
/// libFuzzer's coverage instrumentation.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

pub fn cargo_fuzz() -> Result<()> {
    let installed = cmd::probe("cargo-fuzz", &["--version"]);
    if installed.as_deref() == Some(&format!("cargo-fuzz {CARGO_FUZZ_VERSION}")) {
        step(format!("cargo-fuzz {CARGO_FUZZ_VERSION}: present"));
        return Ok(());
    }
    let had = installed.unwrap_or_else(|| "not installed".into());
    step(format!(
        "installing cargo-fuzz {CARGO_FUZZ_VERSION} ({had}; cargo install, about 2 minutes)"
    ));
    cargo_install("cargo-fuzz", CARGO_FUZZ_VERSION)
}

/// `cargo install` of a pinned tool, `--locked` first: with the dependency
/// versions the tool's release was tested with, not whatever a registry serves
/// today. A registry may no longer have one of those versions (yanked, or a
/// mirror without it), which fails before anything builds; then once more
/// without `--locked`, saying so.
pub fn cargo_install(name: &str, version: &str) -> Result<()> {
    if cmd::status(&mut cargo_install_command(name, version, true))?.success() {
        return Ok(());
    }
    step(format!(
        "`cargo install {name} --version {version} --locked` failed; once more without \
         --locked, with the newest dependency versions its manifest allows"
    ));
    cmd::run(&mut cargo_install_command(name, version, false))
}

fn cargo_install_command(name: &str, version: &str, locked: bool) -> Command {
    let mut install = cmd::cargo();
    install.args(["install", name, "--version", version]);
    if locked {
        install.arg("--locked");
    }
    install
}

/// The CloudEvents SDK (PyPI `cloudevents`): the integration tests read the
/// server's usage export with it, as a buyer's pipeline would.
pub const CLOUDEVENTS_VERSION: &str = "2.2.0";

/// Schemathesis (PyPI `schemathesis`): `cargo xtask test` fuzzes the API with it
/// against the server's own OpenAPI spec. It only adds packages to the venv,
/// none of `lfx`'s at another version (`pip check` agrees), so the venv is shared.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// The Python venv (`.venv` at the repo root) with the pinned `lfx`,
/// `cloudevents` and `schemathesis`.
pub fn langflow(root: &Path) -> Result<()> {
    let venv = root.join(".venv");
    let packages = [
        ("lfx", LFX_VERSION),
        ("cloudevents", CLOUDEVENTS_VERSION),
        ("schemathesis", SCHEMATHESIS_VERSION),
    ];
    let missing: Vec<String> = packages
        .iter()
        .filter(|(name, version)| installed_version(&venv, name).as_deref() != Some(*version))
        .map(|(name, version)| format!("{name}=={version}"))
        .collect();
    if missing.is_empty() {
        step(format!(
            "lfx {LFX_VERSION}, cloudevents {CLOUDEVENTS_VERSION} and schemathesis \
             {SCHEMATHESIS_VERSION} in .venv: present"
        ));
        return Ok(());
    }
    make_venv(root, ".venv")?;
    step(format!(
        "installing {} into .venv (about a minute)",
        missing.join(" ")
    ));
    cmd::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--disable-pip-version-check", "--quiet"])
            .args(&missing),
    )
}

/// The marketplace plugin's package, and the venv of its own it runs in: its
/// pins (waldur-site-agent's exact httpx, pyyaml, sentry…) differ from `lfx`'s.
const WALDUR_PLUGIN: &str = "integrations/waldur-site-agent";
pub const WALDUR_VENV: &str = ".venv-waldur";
/// Written into the venv after the plugin's install, so that a changed
/// `pyproject.toml` (newer than it) installs again.
const WALDUR_STAMP: &str = "installed-sitekit-plugin";

/// `.venv-waldur`: waldur-site-agent (its pinned version) and the Site Kit
/// plugin, editable, with the test extras (the agent's order-template
/// harness needs jinja2, which it does not declare).
pub fn waldur_agent(root: &Path) -> Result<()> {
    let venv = root.join(WALDUR_VENV);
    let stamp = venv.join(WALDUR_STAMP);
    let project = root.join(WALDUR_PLUGIN).join("pyproject.toml");
    if modified(&stamp).is_some() && modified(&stamp) >= modified(&project) {
        step(format!(
            "waldur-site-agent and the Site Kit plugin in {WALDUR_VENV}: present"
        ));
        return Ok(());
    }
    make_venv(root, WALDUR_VENV)?;
    step(format!(
        "installing waldur-site-agent and the Site Kit plugin into {WALDUR_VENV} (about a minute)"
    ));
    cmd::run(
        Command::new(venv.join("bin/pip"))
            .current_dir(root)
            .args(["install", "--disable-pip-version-check", "--quiet", "-e"])
            .arg(format!("{WALDUR_PLUGIN}[test]")),
    )?;
    fs::write(&stamp, "")?;
    Ok(())
}

/// A Python venv at `root/name`, made if missing.
fn make_venv(root: &Path, name: &str) -> Result<()> {
    if root.join(name).join("bin/python").exists() {
        return Ok(());
    }
    require_python()?;
    step(format!("creating Python venv ({name})"));
    let status = cmd::status(
        Command::new("python3")
            .current_dir(root)
            .args(["-m", "venv", name]),
    )?;
    if !status.success() {
        bail!("`python3 -m venv {name}` failed ({status}); on Debian/Ubuntu install python3-venv");
    }
    Ok(())
}

fn installed_version(venv: &Path, package: &str) -> Option<String> {
    let pip = venv.join("bin/pip");
    let shown = cmd::probe(
        pip.to_str()?,
        &["show", "--disable-pip-version-check", package],
    )?;
    shown
        .lines()
        .find_map(|line| line.strip_prefix("Version:"))
        .map(|version| version.trim().to_owned())
}

fn wasm_target() -> Result<()> {
    let installed = cmd::stdout(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        step(format!("rust target {WASM_TARGET}: present"));
        return Ok(());
    }
    step(format!("installing rust target {WASM_TARGET} (rustup)"));
    cmd::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The toolchain the widget's release Wasm is built with: a pinned nightly, for
/// `-Zbuild-std` with `panic=immediate-abort`, no panic locations, no `Debug`
/// output and std's `optimize_for_size`, which leave out every panic message and
/// the formatting behind them (about 14 KB of brotli on the widget's 100 KB
/// budget). Everything else, the widget's tests included, builds on stable; the
/// fuzz targets (`cargo xtask fuzz`) build on this nightly too, as cargo-fuzz needs.
pub const WIDGET_TOOLCHAIN: &str = "nightly-2026-05-20";

pub fn widget_toolchain() -> Result<()> {
    let has_std_source = cmd::probe(
        "rustup",
        &[
            "component",
            "list",
            "--installed",
            "--toolchain",
            WIDGET_TOOLCHAIN,
        ],
    )
    .is_some_and(|installed| installed.lines().any(|line| line.starts_with("rust-src")));
    if has_std_source {
        step(format!(
            "rust toolchain {WIDGET_TOOLCHAIN} with rust-src: present"
        ));
        return Ok(());
    }
    step(format!(
        "installing rust toolchain {WIDGET_TOOLCHAIN} with rust-src (rustup; for the widget's release Wasm)"
    ));
    cmd::run(Command::new("rustup").args([
        "toolchain",
        "install",
        WIDGET_TOOLCHAIN,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
    ]))
}

/// Installs the wasm-bindgen CLI at exactly the version of the `wasm-bindgen` crate
/// pinned in the root Cargo.toml: the two must match or the bindings break.
fn wasm_bindgen_cli(root: &Path) -> Result<()> {
    let manifest = fs::read_to_string(root.join("Cargo.toml"))?;
    let wanted = pinned_version(&manifest, "wasm-bindgen")?;
    let installed = cmd::probe("wasm-bindgen", &["--version"]);
    if installed.as_deref() == Some(&format!("wasm-bindgen {wanted}")) {
        step(format!("wasm-bindgen CLI {wanted}: present"));
        return Ok(());
    }
    let had = installed.unwrap_or_else(|| "not installed".into());
    step(format!(
        "installing wasm-bindgen-cli {wanted} ({had}; cargo install, about 4 minutes)"
    ));
    cargo_install("wasm-bindgen-cli", &wanted)?;
    match cmd::probe("wasm-bindgen", &["--version"]) {
        Some(now) if now == format!("wasm-bindgen {wanted}") => Ok(()),
        now => bail!(
            "installed wasm-bindgen-cli {wanted}, but `wasm-bindgen --version` says {}: put ~/.cargo/bin first on PATH",
            now.unwrap_or_else(|| "nothing".into())
        ),
    }
}

/// The exact version pinned for `krate` in a Cargo.toml: `krate = "=X"` or
/// `krate = { version = "=X", … }`.
pub fn pinned_version(manifest: &str, krate: &str) -> Result<String> {
    let spec = manifest
        .lines()
        .find_map(|line| {
            let rest = line.trim().strip_prefix(krate)?.trim_start();
            rest.strip_prefix('=').map(str::trim)
        })
        .ok_or_else(|| anyhow!("no `{krate} = …` dependency in the root Cargo.toml"))?;
    let version_part = match spec.strip_prefix('{') {
        Some(table) => {
            let at = table
                .find("version")
                .ok_or_else(|| anyhow!("`{krate}` has no version in the root Cargo.toml"))?;
            &table[at + "version".len()..]
        }
        None => spec,
    };
    let version = version_part
        .split('"')
        .nth(1)
        .ok_or_else(|| anyhow!("cannot read the version of `{krate}` in the root Cargo.toml"))?;
    version
        .strip_prefix('=')
        .map(|exact| exact.trim().to_owned())
        .ok_or_else(|| {
            anyhow!("`{krate}` must be pinned exactly (\"={version}\") in the root Cargo.toml")
        })
}

/// `npm ci` at the root when node_modules is missing or older than the lockfile.
fn npm_packages(root: &Path) -> Result<()> {
    let lock = root.join("package-lock.json");
    let installed_lock = root.join("node_modules/.package-lock.json");
    if !lock.exists() {
        bail!("package-lock.json is missing: run `npm install` at the repo root and commit it");
    }
    let fresh = match (modified(&installed_lock), modified(&lock)) {
        (Some(installed), Some(wanted)) => installed >= wanted,
        _ => false,
    };
    if fresh {
        step("npm packages: present");
        return Ok(());
    }
    step("installing npm packages (npm ci)");
    cmd::run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|meta| meta.modified()).ok()
}

fn require_rustup() -> Result<()> {
    cmd::probe("rustup", &["--version"])
        .map(drop)
        .ok_or_else(|| anyhow!("rustup not found: install it from https://rustup.rs"))
}

fn require_node() -> Result<()> {
    let version = cmd::probe("node", &["--version"])
        .ok_or_else(|| anyhow!("node not found: install Node.js >= 20"))?;
    let major = leading_numbers(version.trim_start_matches('v'))
        .first()
        .copied()
        .unwrap_or(0);
    if major < 20 {
        bail!("node {version} is too old: install Node.js >= 20");
    }
    cmd::probe("npm", &["--version"])
        .map(drop)
        .ok_or_else(|| anyhow!("npm not found: install npm (it ships with Node.js >= 20)"))
}

fn require_python() -> Result<()> {
    let version = cmd::probe("python3", &["--version"])
        .ok_or_else(|| anyhow!("python3 not found: install Python >= 3.10"))?;
    let numbers = leading_numbers(version.trim_start_matches("Python").trim());
    if numbers.len() < 2 || (numbers[0], numbers[1]) < (3, 10) {
        bail!("{version} is too old: install Python >= 3.10");
    }
    Ok(())
}

/// `"20.20.2"` → `[20, 20, 2]`, stopping at the first part that is not a number.
fn leading_numbers(version: &str) -> Vec<u32> {
    version
        .split('.')
        .map_while(|part| part.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_exact_pin_in_either_spelling() {
        let manifest = "wasm-bindgen-futures = \"=0.4.80\"\nwasm-bindgen = \"=0.2.130\"\n";
        assert_eq!(pinned_version(manifest, "wasm-bindgen").unwrap(), "0.2.130");
        let table = "wasm-bindgen = { version = \"=0.2.131\", default-features = false }";
        assert_eq!(pinned_version(table, "wasm-bindgen").unwrap(), "0.2.131");
    }

    #[test]
    fn refuses_a_pin_that_is_not_exact() {
        assert!(pinned_version("wasm-bindgen = \"0.2\"", "wasm-bindgen").is_err());
    }

    #[test]
    fn parses_tool_versions() {
        assert_eq!(leading_numbers("20.20.2"), [20, 20, 2]);
        assert_eq!(leading_numbers("3.11.7rc1"), [3, 11]);
    }

    #[test]
    fn tools_are_installed_with_their_locked_dependencies_first() {
        let args = |locked| {
            let install = cargo_install_command("wasm-pack", "0.15.1", locked);
            let args: Vec<String> = install
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            args
        };
        assert_eq!(
            args(true),
            ["install", "wasm-pack", "--version", "0.15.1", "--locked"]
        );
        assert_eq!(args(false), ["install", "wasm-pack", "--version", "0.15.1"]);
    }
}
