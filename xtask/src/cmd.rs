//! Running external programs: one place that names a failing command and turns
//! "program not found" into a one-line error that says so.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result, anyhow, bail};

/// The cargo that runs us (`$CARGO`, set by `cargo run`), so nested builds use the
/// same toolchain.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `cmd` with inherited stdio and fails unless it exits successfully.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = status(cmd)?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(cmd));
    }
    Ok(())
}

/// Runs `cmd` with inherited stdio and returns its exit status.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    cmd.status().map_err(|err| spawn_error(cmd, err))
}

/// Runs `cmd` and returns its trimmed stdout; fails unless it exits successfully.
pub fn stdout(cmd: &mut Command) -> Result<String> {
    let output = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| spawn_error(cmd, err))?;
    if !output.status.success() {
        bail!("`{}` failed ({})", display(cmd), output.status);
    }
    String::from_utf8(output.stdout)
        .map(|text| text.trim().to_owned())
        .with_context(|| format!("`{}` printed non-UTF-8 output", display(cmd)))
}

/// `program args…`'s trimmed stdout, or `None` when it is missing or fails. For
/// probing whether a tool is installed.
pub fn probe<S: AsRef<OsStr>>(program: &str, args: &[S]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `cmd` as a user would type it: the program's name (not its full path) and the
/// arguments, without the environment.
pub fn display(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program());
    let mut text = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy()
        .into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

fn spawn_error(cmd: &Command, err: std::io::Error) -> anyhow::Error {
    if err.kind() == std::io::ErrorKind::NotFound {
        anyhow!(
            "`{}` not found on PATH",
            cmd.get_program().to_string_lossy()
        )
    } else {
        anyhow!("could not start `{}`: {err}", display(cmd))
    }
}
