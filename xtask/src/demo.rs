//! `cargo xtask demo`: Langflow on :8790, the embed server on :8787, a demo host
//! site on :8788 (a different origin, on purpose) and a local OpenID Connect
//! provider on :8789 that the dashboard signs in with, seeded with a demo
//! tenant, agent and widget and its owner. Runs until Ctrl-C, then stops every
//! child.

use std::fs;
use std::path::Path;
use std::thread;
use std::time::Duration;

use anyhow::Result;

use crate::identity_provider::{self, IdentityProvider};
use crate::processes::{self, Services};
use crate::seed::{self, DemoState};
use crate::sitekit_cli::SitekitCli;
use crate::{
    build, embed_server, langflow, master_key, npm_package, ports, say, setup, static_site, step,
};

const LANGFLOW_PORT: u16 = 8790;
const EMBED_PORT: u16 = 8787;
const SITE_PORT: u16 = 8788;
const IDENTITY_PROVIDER_PORT: u16 = 8789;
/// Who signs in to the demo's dashboard (with any password): its owner.
const DEMO_PERSON: &str = "demo";
const EMBED_ADDR: &str = "127.0.0.1:8787";
const SITE_ADDR: &str = "127.0.0.1:8788";
const EMBED_URL: &str = "http://127.0.0.1:8787";
/// The demo site's origin: the one origin the demo widget allows.
const SITE_URL: &str = "http://127.0.0.1:8788";
/// Where the demo site serves `examples/npm-custom-ui`, and the npm package for it.
const CUSTOM_UI: &str = "/custom-ui/";
const CUSTOM_UI_SDK: &str = "/custom-ui/node_modules/@sitekit/sdk/";
/// Relative to the repo root, which is every child's working directory.
const DATABASE_FILE: &str = "data/sitekit.db";
const DATABASE_URL: &str = "sqlite://data/sitekit.db";
const FLOW: &str = "sitekit_faq.py";

pub fn run(root: &Path) -> Result<()> {
    processes::install_interrupt_handler()?;
    // Checked first so a still-running demo fails fast, not after the build.
    ports::ensure_free(LANGFLOW_PORT, "Langflow")?;
    ports::ensure_free(EMBED_PORT, "the embed server")?;
    ports::ensure_free(SITE_PORT, "the demo site")?;
    ports::ensure_free(IDENTITY_PROVIDER_PORT, "the identity provider")?;
    setup::for_build(root)?;
    setup::langflow(root)?;
    build::all(root, false)?;

    let data = root.join("data");
    let logs = data.join("logs");
    fs::create_dir_all(&logs)?;
    let state_file = data.join("demo.json");
    let previous = seed::previous(&state_file, DATABASE_URL, &root.join(DATABASE_FILE));
    let langflow_key = match &previous {
        Some(state) => state.langflow_key.clone(),
        None => langflow::random_key()?,
    };

    let mut services = Services::default();
    let langflow = langflow::start(
        &mut services,
        root,
        &[&format!("flows/{FLOW}")],
        LANGFLOW_PORT,
        &langflow_key,
        &logs.join("langflow.log"),
    )?;
    let flow_id = langflow.flow_id(FLOW)?;

    let people = serde_json::json!({
        DEMO_PERSON: {"email": "demo@example.test", "name": "Demo Owner"},
    });
    let provider = identity_provider::start(
        &mut services,
        root,
        IDENTITY_PROVIDER_PORT,
        EMBED_URL,
        &people,
        &logs.join("identity-provider.log"),
    )?;

    let sitekit = build::sitekit_bin(root);
    let master_key = master_key::for_demo(root)?;
    embed_server::start_with(
        &mut services,
        root,
        EMBED_ADDR,
        DATABASE_URL,
        &master_key,
        &logs.join("sitekit.log"),
        &[
            "--oidc-issuer",
            &provider.issuer,
            "--oidc-client-id",
            identity_provider::CLIENT_ID,
        ],
        &[("SITEKIT_OIDC_CLIENT_SECRET", &provider.client_secret)],
    )?;

    let cli = SitekitCli {
        bin: &sitekit,
        database_url: DATABASE_URL,
        master_key: &master_key,
        public_url: EMBED_URL,
    };
    let state = match previous {
        Some(state) if state.flow_id == flow_id => {
            step("reusing the demo tenant, agent and widget from data/demo.json");
            state
        }
        _ => seed::create(&cli, &langflow, &flow_id, SITE_URL, &state_file)?,
    };
    step(format!(
        "making `{DEMO_PERSON}` the demo tenant's owner, who signs in to the dashboard (sitekit CLI)"
    ));
    cli.add_member(&state.tenant_id, DEMO_PERSON, "owner")?;
    // Secret keys are shown once and stored only as hashes: each demo makes a
    // fresh one for the admin API, and keeps it nowhere.
    step("creating a secret key for the admin API (sitekit CLI)");
    let api_key = cli.create_secret_key(&state.tenant_id)?;

    step(format!(
        "starting demo site: www/demo on {SITE_URL}, examples/npm-custom-ui at {SITE_URL}{CUSTOM_UI}"
    ));
    let mounts = [
        (CUSTOM_UI, root.join("examples/npm-custom-ui")),
        // What `npm install @sitekit/sdk` would put there: the package just built.
        (CUSTOM_UI_SDK, npm_package::dir(root)),
    ];
    static_site::spawn(&root.join("www/demo"), SITE_ADDR, &state.snippet, &mounts)?;
    print_banner(&state, &provider, &api_key, &logs);

    while !processes::interrupted() {
        services.check_running()?;
        thread::sleep(Duration::from_millis(300));
    }
    say("");
    services.stop_all();
    Ok(())
}

fn print_banner(state: &DemoState, provider: &IdentityProvider, api_key: &str, logs: &Path) {
    let logs = logs.display();
    let widget = &state.widget_id;
    let snippet = &state.snippet;
    let key = &state.publishable_key;
    let issuer = &provider.issuer;
    say(format_args!(
        "
Site Kit demo is running.
  demo site     {SITE_URL}/   (the customer's page, origin :{SITE_PORT})
  custom UI     {SITE_URL}{CUSTOM_UI}?endpoint={EMBED_URL}&key={key}
                (examples/npm-custom-ui: its own chat UI on @sitekit/sdk)
  embed server  {EMBED_URL}/   (serves the chat widget, origin :{EMBED_PORT})
  dashboard     {EMBED_URL}/dashboard   (Sign in with single sign-on, then as
                `{DEMO_PERSON}` with any password on the identity provider's page)
  identity      {issuer}   (a local OpenID Connect provider)
  admin API     {EMBED_URL}/v1/…   (Authorization: Bearer {api_key})
  healthz       {EMBED_URL}/healthz
  Langflow      http://127.0.0.1:{LANGFLOW_PORT}/health
  logs          {logs}/langflow.log, {logs}/sitekit.log, {logs}/identity-provider.log
  demo state    data/demo.json (widget {widget})

Open the demo site as {SITE_URL} (the widget allows exactly that origin, not
http://localhost:{SITE_PORT}). The snippet in the page:

  {snippet}

Press Ctrl-C to stop everything."
    ));
}
