//! `cargo xtask test`: every check, in order, stopping at the first failure: fmt,
//! Biome (format and lint of the JavaScript in `www/` and `tests/`), tsc
//! `--checkJs` on the loader and the dashboard, clippy for both targets, native
//! tests (the embed server's integration tests a second time on PostgreSQL when
//! `DATABASE_URL_PG` is set), Schemathesis against
//! the server's OpenAPI spec (`api_fuzz.rs`), a short run of each fuzz target,
//! the official AG-UI
//! client against the chat endpoint, the npm package from its tarball, the
//! cluster's round-robin proxy (`tests/cluster/`), wasm tests
//! in headless Chromium, and the Playwright end-to-end suite. One real Langflow runtime serves all of them; the
//! wasm tests also get a real embed server with widgets seeded for their page.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::langflow::Langflow;
use crate::processes::{self, Services};
use crate::sitekit_cli::SitekitCli;
use crate::{
    api_fuzz, build, cmd, embed_server, langflow, master_key, npm_package, ports, setup, step,
};

/// Steps the user asked to leave out.
pub struct Skip {
    pub lint: bool,
    pub wasm: bool,
    pub e2e: bool,
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

type Env = Vec<(&'static str, OsString)>;

/// Each fuzz target's run in the test suite: long enough to replay the
/// committed inputs and try a few million more, short enough for every change.
const FUZZ_SECS: &str = "12";

/// The fewest tests each test binary runs at once (see `run`).
const MIN_TEST_THREADS: usize = 4;

pub fn run(root: &Path, skip: Skip) -> Result<()> {
    processes::install_interrupt_handler()?;
    // Browser checks come first: failing after a ten-minute build helps nobody.
    let chromedriver = if skip.wasm {
        None
    } else {
        Some(chromedriver()?)
    };
    if !skip.e2e && !Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)");
    }
    setup::for_build(root)?;
    setup::langflow(root)?;
    setup::waldur_agent(root)?;
    build::all(root, false)?;

    let mut steps = Steps::default();
    if !skip.lint {
        steps.run("fmt", cmd::cargo().args(["fmt", "--all", "--", "--check"]))?;
        steps.run(
            "fmt (fuzz targets, a workspace of their own)",
            cmd::cargo().args(["fmt", "--manifest-path", "fuzz/Cargo.toml", "--", "--check"]),
        )?;
        // Both from the root's node_modules (`npm ci` above), pinned in package.json.
        steps.run(
            "JS format and lint (Biome: www/, tests/)",
            Command::new("npx")
                .args(["--no", "--", "biome", "ci", "--error-on-warnings", "."])
                .current_dir(root),
        )?;
        let plugin = root.join("integrations/waldur-site-agent");
        let ruff = root.join(setup::WALDUR_VENV).join("bin/ruff");
        steps.run(
            "Python format and lint (ruff: the Waldur plugin and its tests)",
            Command::new(&ruff)
                .args(["format", "--check", "."])
                .current_dir(&plugin),
        )?;
        steps.run(
            "Python lint (ruff check)",
            Command::new(&ruff)
                .args(["check", "."])
                .current_dir(&plugin),
        )?;
        steps.run(
            "JS types (tsc --checkJs: loader, dashboard)",
            Command::new("npx")
                .args(["--no", "--", "tsc", "-p", "www/tsconfig.check.json"])
                .current_dir(root),
        )?;
    }

    // Started before clippy: the wasm test crates read their fixture at compile
    // time (`option_env!`), so the wasm clippy sees the same environment as the
    // wasm tests.
    let mut services = Services::default();
    let logs = build::target_dir(root).join("xtask/logs");
    let langflow = langflow::start(
        &mut services,
        root,
        &["flows/sitekit_faq.py", "flows/failing.py", "flows/echo.py"],
        ports::free()?,
        &langflow::random_key()?,
        &logs.join("langflow-test.log"),
    )?;
    let dist = root.join("dist");
    step(format!(
        "test env: SITEKIT_TEST_LANGFLOW_URL={} SITEKIT_TEST_LANGFLOW_KEY=(random) SITEKIT_ASSETS_DIR={}",
        langflow.url,
        dist.display()
    ));
    let mut env: Env = vec![
        ("SITEKIT_TEST_LANGFLOW_URL", langflow.url.clone().into()),
        ("SITEKIT_TEST_LANGFLOW_KEY", langflow.key.clone().into()),
        ("SITEKIT_ASSETS_DIR", dist.into_os_string()),
    ];
    match std::env::var_os("DATABASE_URL_PG") {
        Some(_) => {
            step("PostgreSQL: DATABASE_URL_PG is set; storage and integration tests run on it too")
        }
        None => step("PostgreSQL: DATABASE_URL_PG is not set; database tests use SQLite only"),
    }
    let wasm_env = wasm_fixture(root, &mut services, &langflow, &logs)?;

    if !skip.lint {
        steps.run(
            "clippy (native)",
            cmd::cargo()
                .args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    // embed-assets too: `dist/` exists by now for it to bake in.
                    "--all-features",
                    "--",
                    "-D",
                    "warnings",
                ])
                .envs(env.iter().cloned()),
        )?;
        steps.run(
            "clippy (wasm32)",
            cmd::cargo()
                .args(["clippy", "-p", "sitekit-sdk", "-p", "sitekit-widget"])
                .args(["--target", "wasm32-unknown-unknown", "--all-targets"])
                // The npm package's bindings too.
                .args(["--features", "sitekit-sdk/js"])
                .args(["--", "-D", "warnings"])
                .envs(env.iter().chain(&wasm_env).cloned()),
        )?;
        steps.run(
            "clippy (fuzz targets)",
            // On stable: the targets' code is plain Rust; only building them
            // with libFuzzer's instrumentation needs the nightly.
            cmd::cargo()
                .args([
                    "clippy",
                    "--manifest-path",
                    "fuzz/Cargo.toml",
                    "--all-targets",
                ])
                .args(["--", "-D", "warnings"]),
        )?;
    }
    // Most integration tests wait on a server process, a runtime or a timer,
    // not on a core: cargo's default of one test per core left a 2-core
    // machine idle for half the run.
    let test_threads = std::thread::available_parallelism()
        .map_or(MIN_TEST_THREADS, |cores| cores.get())
        .max(MIN_TEST_THREADS)
        .to_string();
    steps.run(
        "native tests",
        cmd::cargo()
            .args(["test", "--workspace", "--", "--test-threads", &test_threads])
            // The fixture too: examples/rust-cli's test chats through it.
            .envs(env.iter().chain(&wasm_env).cloned()),
    )?;
    if std::env::var_os("DATABASE_URL_PG").is_some() {
        steps.run(
            "embed server integration tests on PostgreSQL",
            // The same tests again, each server on a fresh PostgreSQL database.
            // `--workspace`, as above, so that its dependencies are built with
            // the same features and none is built again (the widget's `it`
            // is for wasm32 only and holds no test here).
            cmd::cargo()
                .args(["test", "--workspace", "--test", "it"])
                .args(["--", "--test-threads", &test_threads])
                .env("SITEKIT_TEST_DATABASE", "postgres")
                .envs(env.iter().cloned()),
        )?;
    }
    steps.run(
        "API fuzzing (Schemathesis against /openapi.json of a throwaway server)",
        &mut api_fuzz::command(root, &mut services, &langflow, &logs)?,
    )?;
    steps.run(
        "self-contained binary (embed-assets)",
        cmd::cargo()
            .args([
                "test",
                "-p",
                "sitekit-embed-server",
                "--features",
                "embed-assets",
            ])
            .args(["--test", "it", "embedded"])
            .env("SITEKIT_DIST_DIR", root.join("dist")),
    )?;
    steps.run(
        "fuzz targets, briefly (cargo xtask fuzz for the long runs)",
        Command::new(std::env::current_exe()?).args(["fuzz", "--secs", FUZZ_SECS]),
    )?;
    env.push(("SITEKIT_BIN", build::sitekit_bin(root).into_os_string()));
    env.push((
        "SITEKIT_NPM_PACKAGE_DIR",
        npm_package::dir(root).into_os_string(),
    ));
    let waldur_python = root.join(setup::WALDUR_VENV).join("bin/python");
    env.push((
        "SITEKIT_WALDUR_PYTHON",
        waldur_python.clone().into_os_string(),
    ));
    steps.run(
        "Waldur marketplace: the real waldur-site-agent runs the plugin against a Waldur \
         stand-in and the server",
        Command::new(waldur_python)
            .args(["-m", "unittest", "discover", "-s", "tests", "-v"])
            .current_dir(root.join("integrations/waldur-site-agent"))
            .envs(env.iter().cloned()),
    )?;
    steps.run(
        "AG-UI client (@ag-ui/client's HttpAgent against /v1/chat)",
        Command::new("node")
            .args(["--test", "agui/"])
            .current_dir(root.join("tests"))
            .envs(env.iter().cloned()),
    )?;
    steps.run(
        "npm package (@sitekit/sdk from its tarball: tsc, chat in Node)",
        Command::new("node")
            .args(["--test", "npm/"])
            .current_dir(root.join("tests"))
            .envs(env.iter().cloned()),
    )?;
    steps.run(
        "cluster proxy (tests/cluster/proxy.js: turns, streaming, readiness, 502)",
        Command::new("node")
            .args(["--test", "cluster/"])
            .current_dir(root.join("tests")),
    )?;
    if let Some(chromedriver) = chromedriver {
        steps.run(
            "wasm tests (headless Chromium)",
            // `--lib --tests`: no doc-tests here. They are examples for native Rust
            // users, already run by the native step; wasm-bindgen-test cannot run them.
            cmd::cargo()
                .args(["test", "-p", "sitekit-sdk", "-p", "sitekit-widget"])
                .args(["--target", "wasm32-unknown-unknown", "--lib", "--tests"])
                .env("CHROMEDRIVER", chromedriver)
                .env("WASM_BINDGEN_TEST_TIMEOUT", "60")
                .envs(env.iter().chain(&wasm_env).cloned()),
        )?;
    }
    if !skip.e2e {
        steps.run(
            "end-to-end tests (Playwright)",
            Command::new("npx")
                .args(["--no", "playwright", "test"])
                .current_dir(root.join("tests"))
                .envs(env),
        )?;
    }
    services.stop_all();
    steps.print_times();
    step(format!("all {} test steps passed", steps.done));
    Ok(())
}

/// An embed server on a fresh SQLite database with two widgets (the FAQ flow and
/// the always-failing flow) allowed on the origin the wasm test runner will serve
/// its page from; returns the environment the wasm tests (and the native example
/// program's test) read.
fn wasm_fixture(
    root: &Path,
    services: &mut Services,
    langflow: &Langflow,
    logs: &Path,
) -> Result<Env> {
    let database_url =
        embed_server::fresh_sqlite_database(&build::target_dir(root).join("xtask/wasm-tests.db"))?;
    let bind = format!("127.0.0.1:{}", ports::free()?);
    let master_key = master_key::for_tests(root)?;
    let url = embed_server::start(
        services,
        root,
        &bind,
        &database_url,
        &master_key,
        &logs.join("sitekit-wasm-tests.log"),
    )?;
    let runner_address = format!("127.0.0.1:{}", ports::free()?);
    let origin = format!("http://{runner_address}");
    step(format!(
        "seeding wasm test widgets (FAQ and failing flows) allowed on {origin}"
    ));
    let bin = build::sitekit_bin(root);
    let cli = SitekitCli {
        bin: &bin,
        database_url: &database_url,
        master_key: &master_key,
        public_url: &url,
    };
    let tenant = cli.create_tenant("Wasm tests")?;
    // The SDK's wasm tests check the FAQ widget's title.
    let key_for = |flow: &str, agent: &str, title: &str| -> Result<String> {
        let flow_id = langflow.flow_id(flow)?;
        let agent = cli.create_langflow_agent(&tenant, agent, langflow, &flow_id)?;
        Ok(cli.create_widget(&agent, &origin, title)?.publishable_key)
    };
    let faq_key = key_for("sitekit_faq.py", "FAQ", "Wasm test widget")?;
    let failing_key = key_for("failing.py", "Always fails", "Wasm test widget (failing)")?;
    step(format!(
        "wasm test env: SITEKIT_WASM_TEST_ENDPOINT={url} SITEKIT_WASM_TEST_KEY SITEKIT_WASM_TEST_FAILING_KEY \
         WASM_BINDGEN_TEST_ADDRESS={runner_address}"
    ));
    Ok(vec![
        // The same server for the native example program (examples/rust-cli).
        ("SITEKIT_FIXTURE_ENDPOINT", url.clone().into()),
        ("SITEKIT_FIXTURE_KEY", faq_key.clone().into()),
        ("SITEKIT_FIXTURE_ORIGIN", origin.clone().into()),
        ("SITEKIT_WASM_TEST_ENDPOINT", url.into()),
        ("SITEKIT_WASM_TEST_KEY", faq_key.into()),
        ("SITEKIT_WASM_TEST_FAILING_KEY", failing_key.into()),
        ("WASM_BINDGEN_TEST_ADDRESS", runner_address.into()),
    ])
}

/// `$CHROMEDRIVER` when it names a file, else Debian's.
fn chromedriver() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMEDRIVER").map(PathBuf::from)
        && path.is_file()
    {
        return Ok(path);
    }
    if Path::new(CHROMEDRIVER).is_file() {
        return Ok(CHROMEDRIVER.into());
    }
    bail!(
        "{CHROMEDRIVER} not found: install Debian's chromium-driver (apt-get install chromium-driver)"
    )
}

/// Numbers the steps, names the one that fails and times each, so a change
/// that slows the suite shows where.
#[derive(Default)]
struct Steps {
    done: usize,
    times: Vec<(String, Duration)>,
}

impl Steps {
    fn run(&mut self, name: &str, command: &mut Command) -> Result<()> {
        step(format!(
            "[test {}] {name}: {}",
            self.done + 1,
            cmd::display(command)
        ));
        let started = Instant::now();
        let status = cmd::status(command)?;
        self.times.push((name.to_owned(), started.elapsed()));
        if processes::interrupted() {
            bail!("interrupted during step `{name}`");
        }
        if !status.success() {
            bail!("step `{name}` failed ({status})");
        }
        self.done += 1;
        Ok(())
    }

    fn print_times(&self) {
        let total: Duration = self.times.iter().map(|(_, took)| *took).sum();
        for (number, (name, took)) in self.times.iter().enumerate() {
            step(format!(
                "[test {}] {:>6.1} s  {name}",
                number + 1,
                took.as_secs_f64()
            ));
        }
        step(format!("{:>6.1} s in the steps above", total.as_secs_f64()));
    }
}
