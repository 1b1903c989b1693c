//! API fuzzing for `cargo xtask test`: Schemathesis (pinned in `.venv`, see
//! `setup.rs`) against `GET /openapi.json` of a throwaway `sitekit serve` on a
//! fresh SQLite database, with all its default checks: no 5xx, every answer
//! documented, every body as its schema says, valid requests accepted and
//! invalid ones refused, authentication enforced, what was created usable.
//!
//! It calls every route, destructive ones included, with real ids, so the
//! server is its own. `api-fuzz/schemathesis.toml` hands it what a real caller
//! has (a secret key, an operator key, a session, a publishable key, the page's
//! `Origin`), and
//! `api-fuzz/hooks.py` the rules between fields that JSON Schema cannot state.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, anyhow};

use crate::langflow::Langflow;
use crate::processes::Services;
use crate::sitekit_cli::SitekitCli;
use crate::{build, embed_server, master_key, ports, step};

/// Test cases per operation in each phase: a few minutes on two cores for
/// every route (200 and 300, a few times over, found nothing more; the example
/// database replays what one run found in the next).
const MAX_EXAMPLES: &str = "120";

/// Where the fuzzed widget's pages are, as the browser routes see it.
const ORIGIN: &str = "https://fuzz.example";

/// Limits far above what the fuzzer sends, so its requests reach what lies
/// behind them instead of a 429 (which the integration tests check); sessions
/// that outlast the run.
const SERVE_FLAGS: &[&str] = &[
    "--requests-per-ip-per-minute",
    "1000000",
    "--sessions-per-ip-per-minute",
    "1000000",
    "--sessions-per-key-per-minute",
    "1000000",
    "--messages-per-visitor-per-minute",
    "1000000",
    "--admin-requests-per-ip-per-minute",
    "1000000",
    "--admin-requests-per-key-per-minute",
    "1000000",
    "--usage-events-per-widget-per-day",
    "100000000",
    "--session-ttl-secs",
    "3600",
];

/// Starts the server, seeds it and returns the Schemathesis run to make.
pub fn command(
    root: &Path,
    services: &mut Services,
    langflow: &Langflow,
    logs: &Path,
) -> Result<Command> {
    // Schemathesis keeps its example database here too: a failure found once is
    // tried first on the next run.
    let dir = build::target_dir(root).join("xtask/api-fuzz");
    fs::create_dir_all(&dir)?;
    let database_url = embed_server::fresh_sqlite_database(&dir.join("api-fuzz.db"))?;
    let master_key = master_key::for_tests(root)?;
    let bind = format!("127.0.0.1:{}", ports::free()?);
    let url = embed_server::start_with(
        services,
        root,
        &bind,
        &database_url,
        &master_key,
        &logs.join("sitekit-api-fuzz.log"),
        SERVE_FLAGS,
        &[],
    )?;
    let bin = build::sitekit_bin(root);
    let cli = SitekitCli {
        bin: &bin,
        database_url: &database_url,
        public_url: &url,
        master_key: &master_key,
    };
    let flow_id = langflow.flow_id("echo.py")?;

    step(
        "seeding the API fuzzing server: a tenant for the admin routes, another for the pages, \
         a seller and a buyer for the marketplace's",
    );
    // The fuzzer changes and deletes whatever its key reaches. The widget its
    // sessions come from belongs to another tenant, out of that key's reach.
    // A seller too, so that the catalog's routes answer it as well as refuse it.
    let admin_tenant = cli.create_organisation("API fuzzing: admin", &["buyer", "seller"])?;
    let agent = cli.create_langflow_agent(&admin_tenant, "Echo", langflow, &flow_id)?;
    cli.create_widget(&agent, ORIGIN, "Fuzzed widget")?;
    let (key_id, secret_key) = cli.create_secret_key_with_id(&admin_tenant)?;
    // The operator's API makes organisations and keys at will; the hook keeps
    // it from revoking the admin key above.
    let operator_key = cli.create_operator_key("API fuzzing")?;
    let page_tenant = cli.create_tenant("API fuzzing: pages")?;
    let agent = cli.create_langflow_agent(&page_tenant, "Echo", langflow, &flow_id)?;
    let widget = cli.create_widget(&agent, ORIGIN, "Visited widget")?;
    let session = embed_server::session_token(&url, ORIGIN, &widget.publishable_key)?;
    // What the operator's provisioning routes need to make something: a
    // published agent, and a buyer subscribed to it.
    let seller = cli.create_organisation("API fuzzing: seller", &["seller"])?;
    let published = cli.publish_langflow_agent(&seller, "Echo", langflow, &flow_id, 1)?;
    let buyer = cli.create_organisation("API fuzzing: marketplace buyer", &["buyer"])?;
    let subscription = cli.subscribe(&buyer, &published)?;

    let config = root.join("xtask/api-fuzz");
    let mut fuzz = Command::new(root.join(".venv/bin/schemathesis"));
    fuzz.current_dir(&dir)
        .arg("--config-file")
        .arg(config.join("schemathesis.toml"))
        .args(["run", &format!("{url}/openapi.json")])
        .args(["--max-examples", MAX_EXAMPLES])
        .env("SCHEMATHESIS_HOOKS", config.join("hooks.py"))
        // In the environment, not the arguments, which every user can read.
        .env("SITEKIT_FUZZ_ADMIN_KEY", secret_key)
        .env("SITEKIT_FUZZ_ADMIN_KEY_ID", key_id)
        .env("SITEKIT_FUZZ_OPERATOR_KEY", operator_key)
        .env("SITEKIT_FUZZ_SESSION", session)
        .env("SITEKIT_FUZZ_PUBLISHABLE_KEY", widget.publishable_key)
        .env("SITEKIT_FUZZ_ORIGIN", ORIGIN)
        .env("SITEKIT_FUZZ_BUYER", buyer)
        .env("SITEKIT_FUZZ_PUBLISHED_AGENT", published)
        .env("SITEKIT_FUZZ_SUBSCRIPTION", subscription)
        .env("SITEKIT_FUZZ_ASSET", widget_asset(root)?);
    Ok(fuzz)
}

/// The name of the widget's hashed script in `dist/`, for `GET /v1/assets/{name}`.
fn widget_asset(root: &Path) -> Result<String> {
    let path = root.join("dist/manifest.json");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: serde_json::Value = serde_json::from_str(&text)?;
    manifest["widgetJs"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("{} names no widgetJs", path.display()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::processes::Services;
    use crate::{build, cmd, langflow};

    /// The step alone, as `cargo xtask test` runs it, against the built
    /// `target/debug/sitekit` and `dist/`:
    /// `cargo test -p xtask fuzz_alone -- --ignored --nocapture`.
    #[test]
    #[ignore = "starts Langflow and a server, and fuzzes the API for several minutes"]
    fn fuzz_alone() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let logs = build::target_dir(root).join("xtask/logs");
        let mut services = Services::default();
        let langflow = langflow::start_echo(&mut services, root, "langflow-api-fuzz.log").unwrap();
        let mut fuzz = super::command(root, &mut services, &langflow, &logs).unwrap();
        cmd::run(&mut fuzz).unwrap();
        services.stop_all();
    }
}
