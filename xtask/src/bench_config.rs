//! Throughput and latency of `GET /v1/widgets/<pub key>/config`, the request every
//! page view with the snippet makes: the release `sitekit serve` on a fresh SQLite
//! database with one seeded widget, driven over loopback by [`crate::load`].

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::bench::{Section, grouped};
use crate::cpu::{self, Usage};
use crate::load::{self, Outcome, Plan};
use crate::processes::Services;
use crate::sitekit_cli::SitekitCli;
use crate::{build, embed_server, http, master_key, ports, stats, step};

const CONNECTIONS: usize = 32;
const WARMUP: Duration = Duration::from_secs(2);
const DURATION: Duration = Duration::from_secs(10);
/// The per-IP allowance for browser requests during the run (default 120 a
/// minute). Every request comes from 127.0.0.1, so with the default the server
/// would answer nearly all of them with 429 and we would measure that instead.
const REQUESTS_PER_IP_PER_MINUTE: &str = "1000000000";
const ORIGIN: &str = "https://shop.example.com";
const TITLE: &str = "Bench widget";

pub fn section(root: &Path) -> Result<Section> {
    let work = build::target_dir(root).join("xtask");
    let database = work.join("bench.db");
    remove_database(&database)?;
    let database_url = format!("sqlite://{}", database.display());
    let bind = format!("127.0.0.1:{}", ports::free()?);

    let mut services = Services::default();
    let url = embed_server::start_with(
        &mut services,
        root,
        &bind,
        &database_url,
        &master_key::for_tests(root)?,
        &work.join("logs/sitekit-bench.log"),
        &["--requests-per-ip-per-minute", REQUESTS_PER_IP_PER_MINUTE],
        &[],
    )?;
    let publishable_key = seed(root, &database_url, &url)?;
    let path = format!("/v1/widgets/{publishable_key}/config");
    let headers = [("Origin", ORIGIN)];

    // One request first, so a wrong key or origin fails here with its reason
    // rather than as thousands of 403s.
    let first = http::get(&format!("{url}{path}"), &headers)?;
    if first.status != 200 || !first.body.contains(TITLE) {
        bail!(
            "GET {path} with Origin {ORIGIN} answered {}: {}",
            first.status,
            first.body
        );
    }

    step(format!(
        "loading GET /v1/widgets/<pub key>/config: {CONNECTIONS} keep-alive connections, \
         {} s warm-up, {} s measured",
        WARMUP.as_secs(),
        DURATION.as_secs()
    ));
    let address: SocketAddr = bind
        .parse()
        .with_context(|| format!("{bind} is not a socket address"))?;
    let server_pid = services
        .pid("sitekit")
        .ok_or_else(|| anyhow!("the embed server has no process id"))?;
    let before = cpu::snapshot(&[server_pid])?;
    let outcome = load::run(&Plan {
        addresses: &[address],
        path: &path,
        headers: &headers,
        connections: CONNECTIONS,
        warmup: WARMUP,
        duration: DURATION,
    })?;
    let cpu = cpu::usage(&before, &cpu::snapshot(&[server_pid])?);
    services.check_running()?;
    services.stop_all();
    if let Some(failed) = outcome.non_ok() {
        bail!(
            "GET {path}: {failed} of {} answers were not 200; a 429 means a rate limit the \
             run does not raise was hit (log: {})",
            outcome.requests(),
            work.join("logs/sitekit-bench.log").display()
        );
    }
    report(&outcome, &cpu)
}

/// A widget allowed on [`ORIGIN`]; returns its publishable key.
fn seed(root: &Path, database_url: &str, url: &str) -> Result<String> {
    let bin = build::sitekit_bin(root);
    let master_key = master_key::for_tests(root)?;
    let cli = SitekitCli {
        bin: &bin,
        database_url,
        master_key: &master_key,
        public_url: url,
    };
    Ok(cli
        .create_widget_without_runtime(ORIGIN, TITLE)?
        .1
        .publishable_key)
}

/// SQLite keeps a database in up to three files.
fn remove_database(database: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", database.display()));
        if file.exists() {
            fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
        }
    }
    Ok(())
}

fn report(outcome: &Outcome, cpu: &Usage) -> Result<Section> {
    let latency = |p| {
        stats::percentile(&outcome.latencies_ns, p)
            .map(micros)
            .ok_or_else(|| anyhow!("the load run counted no requests"))
    };
    let mut table = String::from(
        "| route | connections | measured for | requests (all 200) | requests/s | latency p50 | latency p99 | CPU: server / load generator / others | budget |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    let _ = writeln!(
        table,
        "| `GET /v1/widgets/<pub key>/config`, allowed `Origin` | {CONNECTIONS} | {} s | {} | {} | {} | {} | {:.2} / {:.2} / {:.2} of {} cores | none in the design |",
        DURATION.as_secs(),
        grouped(outcome.requests()),
        grouped(outcome.per_second().round() as u64),
        latency(50.0)?,
        latency(99.0)?,
        cpu.server,
        cpu.load_generator,
        cpu.others,
        cpu.cores,
    );
    Ok(Section {
        title: "Config route throughput",
        how: format!(
            "The release `sitekit serve` (default settings and log level) on a fresh SQLite \
             database with one tenant, agent and widget, seeded with the `sitekit` CLI; the \
             widget allows `{ORIGIN}`. A load generator inside xtask (`xtask/src/load.rs`) \
             opens {CONNECTIONS} keep-alive HTTP/1.1 connections over loopback, one thread \
             each, and on each sends `GET /v1/widgets/<pub key>/config` with `Origin: {ORIGIN}` \
             as soon as the previous answer arrived (closed loop): {} s of warm-up, then {} s \
             counted. Each request checks the key, reads the widget from the database and \
             checks the origin. Latency is from sending a request to reading the whole answer; \
             percentiles are nearest-rank over every counted request. The run raises the \
             per-IP rate limit with `--requests-per-ip-per-minute {REQUESTS_PER_IP_PER_MINUTE}` \
             (default 120), since every request comes from 127.0.0.1; any answer but 200 fails \
             the bench. Server and load generator share the machine's cores (the load generator \
             is part of xtask, an unoptimised dev build), so this is a lower bound of what the \
             server alone could do. The CPU column is the average number of cores each used \
             over the whole run, warm-up included, from `/proc`; \"others\" is everything else \
             on the machine, such as a build running alongside.",
            WARMUP.as_secs(),
            DURATION.as_secs()
        ),
        table,
    })
}

/// `1234567` ns → `"1,235 µs"`; under 10 µs with one decimal.
pub fn micros(nanoseconds: u64) -> String {
    let micros = nanoseconds as f64 / 1000.0;
    if micros < 10.0 {
        format!("{micros:.1} µs")
    } else {
        format!("{} µs", grouped(micros.round() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_in_microseconds() {
        assert_eq!(micros(1_234_567), "1,235 µs");
        assert_eq!(micros(850), "0.8 µs");
        assert_eq!(micros(9_940), "9.9 µs");
    }
}
