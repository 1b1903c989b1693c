//! Child processes that die with us. Each service runs in its own process group
//! with its output in a log file; dropping [`Services`] (normal exit, error, panic)
//! or Ctrl-C / SIGTERM / SIGHUP stops every group, grandchildren included. And
//! how many files we, and so the children we start, may have open.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{say, step};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Turns Ctrl-C (and SIGTERM/SIGHUP) into a flag that waiting loops check, so we
/// get to stop our children instead of dying first.
pub fn install_interrupt_handler() -> Result<()> {
    ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

struct Service {
    name: String,
    child: Child,
    log: PathBuf,
}

/// The services we started, stopped in reverse order when dropped.
#[derive(Default)]
pub struct Services(Vec<Service>);

impl Services {
    /// Starts `cmd` in a new process group with stdout and stderr going to `log`.
    pub fn start(&mut self, name: &str, mut cmd: Command, log: &Path) -> Result<()> {
        if let Some(dir) = log.parent() {
            fs::create_dir_all(dir)?;
        }
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        // Our own process group: a group can be signalled as a whole (the service
        // may fork workers), and the terminal's Ctrl-C reaches only us, so the
        // shutdown order is ours.
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {name} (`{}`)", crate::cmd::display(&cmd)))?;
        self.0.push(Service {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        });
        Ok(())
    }

    /// The process id of the service started as `name`, if it was.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.0
            .iter()
            .find(|service| service.name == name)
            .map(|service| service.child.id())
    }

    /// Fails, showing the end of its log, if any service has exited.
    pub fn check_running(&mut self) -> Result<()> {
        for service in &mut self.0 {
            if let Some(status) = service.child.try_wait()? {
                print_log_tail(&service.log);
                bail!(
                    "{} exited unexpectedly ({status}); log: {}",
                    service.name,
                    service.log.display()
                );
            }
        }
        Ok(())
    }

    /// Takes out, and returns with how they ended, the services that have
    /// exited and that `may_stop` accepts by name: a cluster's nodes, which
    /// someone may stop to watch the others carry on, where
    /// [`Services::check_running`] would fail.
    pub fn take_exited(&mut self, may_stop: impl Fn(&str) -> bool) -> Vec<(String, ExitStatus)> {
        let mut exited = Vec::new();
        self.0.retain_mut(|service| {
            if !may_stop(&service.name) {
                return true;
            }
            match service.child.try_wait() {
                Ok(Some(status)) => {
                    exited.push((service.name.clone(), status));
                    false
                }
                _ => true,
            }
        });
        exited
    }

    /// Polls `ready` until it is true; fails on timeout, on Ctrl-C or when a
    /// service dies meanwhile. Prints a line every few seconds while waiting.
    pub fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut ready: impl FnMut() -> bool,
    ) -> Result<()> {
        let start = Instant::now();
        let mut next_report = Duration::from_secs(5);
        loop {
            if ready() {
                step(format!(
                    "{what}: ready after {:.1} s",
                    start.elapsed().as_secs_f64()
                ));
                return Ok(());
            }
            if interrupted() {
                bail!("interrupted while waiting for {what}");
            }
            self.check_running()?;
            let waited = start.elapsed();
            if waited > timeout {
                bail!("{what} was not ready after {} s", timeout.as_secs());
            }
            if waited >= next_report {
                say(format_args!(
                    "    still waiting for {what} ({} s)",
                    waited.as_secs()
                ));
                next_report += Duration::from_secs(5);
            }
            thread::sleep(Duration::from_millis(250));
        }
    }

    /// Stops every service, newest first: SIGTERM to its group, SIGKILL after 5 s.
    pub fn stop_all(&mut self) {
        let names: Vec<&str> = self.0.iter().map(|service| service.name.as_str()).collect();
        if names.is_empty() {
            return;
        }
        step(format!("stopping {}", names.join(", ")));
        while let Some(mut service) = self.0.pop() {
            stop(&mut service.child);
        }
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop_all();
    }
}

fn stop(child: &mut Child) {
    let group = format!("-{}", child.id());
    if matches!(child.try_wait(), Ok(None)) {
        signal_group("-TERM", &group);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(child.try_wait(), Ok(None)) {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
    // Also reaps grandchildren that outlived the leader.
    signal_group("-KILL", &group);
    let _ = child.kill();
    let _ = child.wait();
}

/// `kill -SIG -- -<pgid>`: std has no way to signal a process group without
/// `unsafe`, which this workspace forbids.
fn signal_group(signal: &str, group: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", group])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Raises our soft limit on open files (RLIMIT_NOFILE) to the hard one, for
/// us and the children we start afterwards (they inherit it): benches that
/// hold thousands of connections need more than the usual 1,024. With
/// util-linux's `prlimit`, as std cannot and the workspace forbids `unsafe`.
/// Returns the limit now in force.
pub fn raise_open_files_limit() -> Result<u64> {
    let (soft, hard) = open_files_limits()?;
    if soft >= hard {
        return Ok(soft);
    }
    crate::cmd::stdout(
        Command::new("prlimit")
            .arg(format!("--pid={}", std::process::id()))
            .arg(format!("--nofile={hard}:")),
    )
    .context("raising the open-files limit with prlimit (util-linux)")?;
    let (raised, _) = open_files_limits()?;
    step(format!("open-files limit raised from {soft} to {raised}"));
    Ok(raised)
}

/// How many files we have open now.
pub fn open_files() -> Result<u64> {
    Ok(fs::read_dir("/proc/self/fd")
        .context("reading /proc/self/fd")?
        .count() as u64)
}

/// Our (soft, hard) limits on open files, from `/proc/self/limits`.
fn open_files_limits() -> Result<(u64, u64)> {
    let limits = fs::read_to_string("/proc/self/limits").context("reading /proc/self/limits")?;
    parse_open_files_limits(&limits)
        .ok_or_else(|| anyhow::anyhow!("no `Max open files` line in /proc/self/limits"))
}

fn parse_open_files_limits(limits: &str) -> Option<(u64, u64)> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let mut values = line["Max open files".len()..]
        .split_whitespace()
        .map(|value| {
            if value == "unlimited" {
                Some(u64::MAX)
            } else {
                value.parse().ok()
            }
        });
    Some((values.next()??, values.next()??))
}

fn print_log_tail(log: &Path) {
    let Ok(text) = fs::read_to_string(log) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines[lines.len().saturating_sub(20)..] {
        say(format_args!("    | {line}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_open_files_limits() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             95000                95000                processes \n\
                      Max open files            1024                 20000                files     \n";
        assert_eq!(parse_open_files_limits(limits), Some((1024, 20000)));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(
            parse_open_files_limits(unlimited),
            Some((u64::MAX, u64::MAX))
        );
        assert_eq!(
            parse_open_files_limits("Max processes 1 1 processes\n"),
            None
        );
    }
}
