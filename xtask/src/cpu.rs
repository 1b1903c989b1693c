//! Who used the machine's cores while a benchmark ran, from `/proc`: the server
//! under test (one process or several), this process (the load generator) and
//! everything else. On a machine shared with other builds, "everything else"
//! says how far to trust a throughput number. And how much memory a server
//! holds.

use std::fs;

use anyhow::{Context, Result, anyhow};

/// Cumulative CPU time, in the kernel's clock ticks, at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    /// Every core's time, busy or idle, summed.
    machine_total: u64,
    machine_busy: u64,
    cores: usize,
    server: u64,
    own: u64,
}

/// Average cores used between two snapshots.
#[derive(Debug, PartialEq)]
pub struct Usage {
    pub cores: usize,
    pub server: f64,
    pub load_generator: f64,
    pub others: f64,
}

/// The machine's ticks now, and those of the server's processes (summed) and ours.
pub fn snapshot(server_pids: &[u32]) -> Result<Snapshot> {
    let read = |path: &str| fs::read_to_string(path).with_context(|| format!("reading {path}"));
    let (machine_total, machine_busy, cores) = machine_ticks(&read("/proc/stat")?)?;
    let mut server = 0;
    for pid in server_pids {
        server += process_ticks(&read(&format!("/proc/{pid}/stat"))?)?;
    }
    Ok(Snapshot {
        machine_total,
        machine_busy,
        cores,
        server,
        own: process_ticks(&read("/proc/self/stat")?)?,
    })
}

pub fn usage(before: &Snapshot, after: &Snapshot) -> Usage {
    let total = after
        .machine_total
        .saturating_sub(before.machine_total)
        .max(1) as f64;
    // Ticks → cores: the whole machine's ticks over the interval are `cores` cores.
    let cores = |ticks: u64| ticks as f64 / total * after.cores as f64;
    let server = after.server.saturating_sub(before.server);
    let own = after.own.saturating_sub(before.own);
    let busy = after.machine_busy.saturating_sub(before.machine_busy);
    Usage {
        cores: after.cores,
        server: cores(server),
        load_generator: cores(own),
        others: cores(busy.saturating_sub(server + own)),
    }
}

/// The resident memory of a process in kB (KiB), from `/proc`.
pub fn rss_kb(pid: u32) -> Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow!("no VmRSS in /proc/{pid}/status"))
}

/// `/proc/stat` → (all ticks, busy ticks, number of cores). Idle is `idle` plus
/// `iowait`; guest time is already inside `user` and `nice`, so it is left out.
fn machine_ticks(stat: &str) -> Result<(u64, u64, usize)> {
    let all_cores = stat
        .lines()
        .find(|line| line.starts_with("cpu "))
        .ok_or_else(|| anyhow!("/proc/stat has no `cpu` line"))?;
    let ticks: Vec<u64> = all_cores
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("reading the `cpu` line of /proc/stat")?;
    let [user, nice, system, idle, iowait, irq, softirq, steal] = ticks[..] else {
        return Err(anyhow!("/proc/stat's `cpu` line is too short"));
    };
    let total = user + nice + system + idle + iowait + irq + softirq + steal;
    let cores = stat
        .lines()
        .filter(|line| line.starts_with("cpu") && !line.starts_with("cpu "))
        .count();
    Ok((total, total - idle - iowait, cores.max(1)))
}

/// `/proc/<pid>/stat` → user + system ticks of all its threads, living or ended.
fn process_ticks(stat: &str) -> Result<u64> {
    // The command name (field 2) may hold spaces and parentheses; fields after the
    // last `)` start with field 3, so utime and stime (14, 15) are at 11 and 12.
    let (_, fields) = stat
        .rsplit_once(')')
        .ok_or_else(|| anyhow!("malformed /proc/<pid>/stat"))?;
    let fields: Vec<&str> = fields.split_whitespace().collect();
    let tick = |index: usize| -> Result<u64> {
        fields
            .get(index)
            .and_then(|field| field.parse().ok())
            .ok_or_else(|| anyhow!("malformed /proc/<pid>/stat"))
    };
    Ok(tick(11)? + tick(12)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_machine_ticks_and_cores() {
        let stat = "cpu  100 10 50 800 20 5 5 10 7 0\ncpu0 50 5 25 400 10 3 2 5 0 0\n\
                    cpu1 50 5 25 400 10 2 3 5 0 0\nintr 12345\n";
        assert_eq!(machine_ticks(stat).unwrap(), (1000, 180, 2));
        assert!(machine_ticks("intr 1\n").is_err());
    }

    #[test]
    fn reads_process_ticks_past_an_awkward_name() {
        let stat = "42 (a) b (c)) S 1 42 42 0 -1 4194304 101 0 0 0 30 12 0 0 20 0 9 0";
        assert_eq!(process_ticks(stat).unwrap(), 42);
        assert!(process_ticks("42 (short) S 1").is_err());
    }

    #[test]
    fn splits_the_machine_between_server_load_generator_and_others() {
        let before = Snapshot {
            machine_total: 1000,
            machine_busy: 100,
            cores: 2,
            server: 50,
            own: 20,
        };
        // 2 cores for 1 s at 100 ticks/s: 200 ticks, 180 busy.
        let after = Snapshot {
            machine_total: 1200,
            machine_busy: 280,
            server: 170,
            own: 70,
            ..before
        };
        assert_eq!(
            usage(&before, &after),
            Usage {
                cores: 2,
                server: 1.2,
                load_generator: 0.5,
                others: 0.1
            }
        );
    }
}
