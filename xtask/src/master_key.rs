//! The master key file that the servers and CLI runs xtask starts share:
//! `sitekit` encrypts agents' runtime keys and its own secrets with it. The
//! demo keeps `data/master.key` beside its database; tests and benches, whose
//! databases are new on every run, use one under `target/xtask/`, and the
//! cluster's nodes, which must all have the same, one under `target/cluster/`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{build, step};

/// The demo's key file, made if missing.
pub fn for_demo(root: &Path) -> Result<PathBuf> {
    ensure(&root.join("data/master.key"))
}

/// The key file of the servers tests and benches start, made if missing.
pub fn for_tests(root: &Path) -> Result<PathBuf> {
    ensure(&build::target_dir(root).join("xtask/master.key"))
}

/// The key file every node of `cargo xtask cluster` shares, made if missing.
pub fn for_cluster(root: &Path) -> Result<PathBuf> {
    ensure(&build::target_dir(root).join("cluster/master.key"))
}

/// Points `command` (a `sitekit`) at the key file, and at nothing else: a
/// `SITEKIT_MASTER_KEY` in our own environment would conflict with it.
pub fn apply(command: &mut Command, key_file: &Path) {
    command
        .env_remove("SITEKIT_MASTER_KEY")
        .env("SITEKIT_MASTER_KEY_FILE", key_file);
}

/// `path`, with a new random 256-bit key written to it (readable by its owner
/// only) if it does not exist yet.
fn ensure(path: &Path) -> Result<PathBuf> {
    if path.exists() {
        return Ok(path.to_owned());
    }
    step(format!(
        "generating the master key {} (mode 0600): sitekit encrypts runtime keys and its own \
         secrets with it",
        path.display()
    ));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut bytes = [0u8; 32];
    File::open("/dev/urandom")
        .and_then(|mut urandom| urandom.read_exact(&mut bytes))
        .context("reading /dev/urandom")?;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{hex}").with_context(|| format!("writing {}", path.display()))?;
    Ok(path.to_owned())
}
