//! The Langflow runtime (`lfx serve` from `.venv`) for the demo and the tests:
//! start it, wait for `/health`, look up flow ids, and mint API keys.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::processes::Services;
use crate::{http, step};

/// A running `lfx serve`.
pub struct Langflow {
    pub url: String,
    pub key: String,
}

/// Starts `lfx serve <flows…>` on 127.0.0.1:`port` with `key` as its API key and
/// waits until it answers `GET /health`.
pub fn start(
    services: &mut Services,
    root: &Path,
    flows: &[&str],
    port: u16,
    key: &str,
    log: &Path,
) -> Result<Langflow> {
    let url = format!("http://127.0.0.1:{port}");
    step(format!(
        "starting Langflow: lfx serve {} on {url} (log: {})",
        flows.join(" "),
        log.display()
    ));
    let mut lfx = Command::new(root.join(".venv/bin/lfx"));
    lfx.current_dir(root)
        .arg("serve")
        .args(flows)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .env("LANGFLOW_API_KEY", key)
        .env("DO_NOT_TRACK", "true");
    services.start("langflow", lfx, log)?;
    services.wait_until("Langflow", Duration::from_secs(180), || {
        http::get(&format!("{url}/health"), &[]).is_ok_and(|response| response.status == 200)
    })?;
    Ok(Langflow {
        url,
        key: key.to_owned(),
    })
}

/// Starts `lfx serve flows/echo.py` on a free port with a random key, logging
/// to `target/xtask/logs/<log_name>`: the runtime of a step or bench run alone.
pub fn start_echo(services: &mut Services, root: &Path, log_name: &str) -> Result<Langflow> {
    start(
        services,
        root,
        &["flows/echo.py"],
        crate::ports::free()?,
        &random_key()?,
        &crate::build::target_dir(root)
            .join("xtask/logs")
            .join(log_name),
    )
}

impl Langflow {
    /// The id of the flow served from `relative_path` (as `GET /flows` lists it).
    pub fn flow_id(&self, relative_path: &str) -> Result<String> {
        let response = http::get(&format!("{}/flows", self.url), &[("x-api-key", &self.key)])?;
        if response.status != 200 {
            bail!("GET {}/flows answered {}", self.url, response.status);
        }
        let flows: serde_json::Value =
            serde_json::from_str(&response.body).context("parsing GET /flows")?;
        flows
            .as_array()
            .into_iter()
            .flatten()
            .find(|flow| flow["relative_path"] == relative_path)
            .and_then(|flow| flow["id"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("GET /flows does not list {relative_path}"))
    }
}

/// A random API key: 24 bytes from the kernel's CSPRNG, hex-encoded.
pub fn random_key() -> Result<String> {
    let mut bytes = [0u8; 24];
    File::open("/dev/urandom")
        .and_then(|mut urandom| urandom.read_exact(&mut bytes))
        .context("reading /dev/urandom")?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}
