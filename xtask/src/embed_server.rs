//! The embed server (`target/release/sitekit serve`) as a child process, serving
//! `dist/` from one database; ready when `GET /healthz` answers 200.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

use crate::processes::Services;
use crate::{build, http, master_key, step};

/// Where the runtimes the demo, tests and benchmarks start listen: loopback,
/// which the server's egress policy refuses unless allowed (`--runtime-allow`).
pub const LOCAL_RUNTIMES: &str = "127.0.0.1";

/// The URL of a fresh SQLite database at `file`: an earlier run's is removed,
/// its write-ahead log included.
pub fn fresh_sqlite_database(file: &Path) -> Result<String> {
    for suffix in ["", "-wal", "-shm"] {
        let part = PathBuf::from(format!("{}{suffix}", file.display()));
        if part.exists() {
            fs::remove_file(part)?;
        }
    }
    Ok(format!("sqlite://{}", file.display()))
}

/// Starts `sitekit serve` on `bind` (host:port) with the master key in
/// `master_key` and waits for it; returns its URL.
pub fn start(
    services: &mut Services,
    root: &Path,
    bind: &str,
    database_url: &str,
    master_key: &Path,
    log: &Path,
) -> Result<String> {
    start_with(
        services,
        root,
        bind,
        database_url,
        master_key,
        log,
        &[],
        &[],
    )
}

/// [`start`] with more `sitekit serve` flags (e.g. raised rate limits) and
/// environment variables (settings kept off the command line, as secrets are).
#[allow(clippy::too_many_arguments)]
pub fn start_with(
    services: &mut Services,
    root: &Path,
    bind: &str,
    database_url: &str,
    master_key: &Path,
    log: &Path,
    serve_flags: &[&str],
    serve_env: &[(&str, &str)],
) -> Result<String> {
    let url = format!("http://{bind}");
    step(format!(
        "starting embed server: sitekit serve on {url}, agent runtimes allowed on {LOCAL_RUNTIMES} \
         (the local Langflow) besides the public internet (log: {})",
        log.display()
    ));
    let mut serve = Command::new(build::sitekit_bin(root));
    serve
        .current_dir(root)
        .args(["serve", "--bind", bind, "--database-url", database_url])
        .args(["--runtime-allow", LOCAL_RUNTIMES])
        .arg("--assets-dir")
        .arg(root.join("dist"))
        .args(serve_flags)
        .envs(serve_env.iter().copied());
    master_key::apply(&mut serve, master_key);
    services.start("sitekit", serve, log)?;
    services.wait_until("embed server", Duration::from_secs(60), || {
        http::get(&format!("{url}/healthz"), &[]).is_ok_and(|response| response.status == 200)
    })?;
    Ok(url)
}

/// A new visitor's session token, as the widget gets one: `POST /v1/sessions`
/// on the server at `url` from a page on `origin`.
pub fn session_token(url: &str, origin: &str, publishable_key: &str) -> Result<String> {
    let body = serde_json::json!({ "publishableKey": publishable_key });
    let answer = http::post_json(
        &format!("{url}/v1/sessions"),
        &[("Origin", origin)],
        &body.to_string(),
    )?;
    if answer.status != 200 {
        bail!(
            "POST /v1/sessions answered {}: {}",
            answer.status,
            answer.body
        );
    }
    let session: serde_json::Value = serde_json::from_str(&answer.body)?;
    session["token"].as_str().map(str::to_owned).ok_or_else(|| {
        anyhow!(
            "POST /v1/sessions answered without a token: {}",
            answer.body
        )
    })
}
