//! The demo's tenant, agent and widget: created once with the `sitekit` CLI and
//! remembered in `data/demo.json`, so later demos against the same database reuse
//! them (and the Langflow key the agent was created with) instead of piling up.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::langflow::Langflow;
use crate::sitekit_cli::SitekitCli;
use crate::step;

/// `data/demo.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoState {
    pub database_url: String,
    /// The Langflow API key the agent was created with; later demos start Langflow
    /// with the same key so the stored runtime credential stays valid.
    pub langflow_key: String,
    pub flow_id: String,
    pub tenant_id: String,
    pub agent_id: String,
    pub widget_id: String,
    pub publishable_key: String,
    pub snippet: String,
}

/// The state from an earlier demo, if it was seeded into this very database and
/// that database still exists.
pub fn previous(state_file: &Path, database_url: &str, database_file: &Path) -> Option<DemoState> {
    if !database_file.exists() {
        return None;
    }
    let state: DemoState = serde_json::from_str(&fs::read_to_string(state_file).ok()?).ok()?;
    (state.database_url == database_url).then_some(state)
}

/// Creates the demo tenant, agent and a widget allowed on `origin`, and saves them
/// to `state_file`.
pub fn create(
    cli: &SitekitCli,
    langflow: &Langflow,
    flow_id: &str,
    origin: &str,
    state_file: &Path,
) -> Result<DemoState> {
    step("seeding demo tenant, agent and widget (sitekit CLI)");
    let tenant_id = cli.create_tenant("Demo Company")?;
    let agent_id = cli.create_langflow_agent(&tenant_id, "Site Kit FAQ", langflow, flow_id)?;
    let widget = cli.create_widget(&agent_id, origin, "Site Kit help")?;
    let state = DemoState {
        database_url: cli.database_url.to_owned(),
        langflow_key: langflow.key.clone(),
        flow_id: flow_id.to_owned(),
        tenant_id,
        agent_id,
        widget_id: widget.id,
        publishable_key: widget.publishable_key,
        snippet: widget.snippet,
    };
    fs::write(state_file, serde_json::to_string_pretty(&state)? + "\n")
        .with_context(|| format!("writing {}", state_file.display()))?;
    Ok(state)
}
