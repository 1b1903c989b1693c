//! The chat relay's cost: the time to the first text of an answer through
//! `POST /v1/chat` next to asking the same runtime directly, the same through
//! a widget on a subscription (whose version each run resolves) next to one on
//! an agent of the buyer's own, and the embed server's memory with 1,000 chat
//! streams open at once.
//!
//! The runtime is a stand-in inside xtask (`stand_in.rs`) that answers
//! Langflow's `POST /api/v2/workflows` with an AG-UI stream at once, so what is
//! measured is the relay, not an agent's thinking time.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::bench::{Section, budget_status};
use crate::cpu::rss_kb;
use crate::langflow::Langflow;
use crate::processes::Services;
use crate::sitekit_cli::SitekitCli;
use crate::stand_in::{
    Hold, ORIGIN, StandIn, chat_request, first_text, open_streams, runtime_request, widget_on,
};
use crate::{build, embed_server, master_key, ports, stats, step};

const WARMUP_RUNS: usize = 50;
const MEASURED_RUNS: usize = 500;
const OPEN_STREAMS: usize = 1_000;
/// The design's budgets.
const ADDED_P50_BUDGET: Duration = Duration::from_millis(1);
const ADDED_P99_BUDGET: Duration = Duration::from_millis(2);
/// What resolving a subscription's version may add to a chat's time to first
/// text: nothing measurable, taken as under a tenth of a millisecond at p50.
const RESOLVING_P50_BUDGET: Duration = Duration::from_micros(100);
/// Versions the bench's published agent has, so resolving has several to pick from.
const PUBLISHED_VERSIONS: usize = 3;
const RSS_GROWTH_BUDGET_MB: f64 = 50.0;
/// Every request comes from 127.0.0.1 and one visitor: the default limits would
/// answer most with 429.
const UNLIMITED: &str = "4000000000";

pub fn section(root: &Path) -> Result<Section> {
    let quick = StandIn::start(Hold::No)?;
    let holding = StandIn::start(Hold::Yes)?;
    let work = build::target_dir(root).join("xtask");
    let database = work.join("bench-relay.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let database_url = format!("sqlite://{}", database.display());
    let bind = format!("127.0.0.1:{}", ports::free()?);
    let master_key = master_key::for_tests(root)?;
    let mut services = Services::default();
    let limits = [
        "--requests-per-ip-per-minute",
        UNLIMITED,
        "--sessions-per-key-per-minute",
        UNLIMITED,
        "--messages-per-visitor-per-minute",
        UNLIMITED,
    ];
    let url = embed_server::start_with(
        &mut services,
        root,
        &bind,
        &database_url,
        &master_key,
        &work.join("logs/sitekit-bench-relay.log"),
        &limits,
        &[],
    )?;
    let bin = build::sitekit_bin(root);
    let cli = SitekitCli {
        bin: &bin,
        database_url: &database_url,
        master_key: &master_key,
        public_url: &url,
    };
    let quick_key = widget_on(&cli, &quick.url)?;
    let subscribed_key = subscription_widget_on(&cli, &quick.url)?;
    let holding_key = widget_on(&cli, &holding.url)?;
    let server: SocketAddr = bind.parse()?;
    let pid = services
        .pid("sitekit")
        .ok_or_else(|| anyhow!("the embed server has no process id"))?;

    step(format!(
        "time to first text: {MEASURED_RUNS} runs direct, through the relay, and through the \
         relay on a subscription, interleaved"
    ));
    let token = embed_server::session_token(&url, ORIGIN, &quick_key)?;
    let subscribed_token = embed_server::session_token(&url, ORIGIN, &subscribed_key)?;
    let mut direct = Vec::new();
    let mut relayed = Vec::new();
    let mut subscribed = Vec::new();
    for run in 0..WARMUP_RUNS + MEASURED_RUNS {
        let direct_time = first_text(quick.address, &runtime_request(quick.address))?.0;
        let relay_time = first_text(server, &chat_request(server, &token, run))?.0;
        let subscribed_time = first_text(server, &chat_request(server, &subscribed_token, run))?.0;
        if run >= WARMUP_RUNS {
            direct.push(direct_time);
            relayed.push(relay_time);
            subscribed.push(subscribed_time);
        }
    }
    services.check_running()?;

    step(format!(
        "memory: opening {OPEN_STREAMS} chat streams at once"
    ));
    let holding_token = embed_server::session_token(&url, ORIGIN, &holding_key)?;
    let before_kb = rss_kb(pid)?;
    // All at once, each on a thread of its own.
    let streams = open_streams(OPEN_STREAMS, OPEN_STREAMS, |run| {
        (server, chat_request(server, &holding_token, run))
    })?;
    let during_kb = rss_kb(pid)?;
    drop(streams);
    holding.release();
    services.check_running()?;
    services.stop_all();
    quick.release();
    let times = Times {
        direct,
        relayed,
        subscribed,
    };
    report(times, before_kb, during_kb)
}

/// Times to first text, one list per way of asking.
struct Times {
    direct: Vec<Duration>,
    relayed: Vec<Duration>,
    subscribed: Vec<Duration>,
}

/// A seller's agent on the stand-in with [`PUBLISHED_VERSIONS`] versions, a
/// buyer's subscription following the latest, and a widget on it allowed on
/// [`ORIGIN`]; returns the widget's publishable key.
fn subscription_widget_on(cli: &SitekitCli, runtime_url: &str) -> Result<String> {
    let runtime = Langflow {
        url: runtime_url.to_owned(),
        key: "bench".into(),
    };
    let seller = cli.create_organisation("Bench seller", &["seller"])?;
    let agent = cli.publish_langflow_agent(
        &seller,
        "Stand-in",
        &runtime,
        "bench-flow",
        PUBLISHED_VERSIONS,
    )?;
    let buyer = cli.create_tenant("Bench buyer")?;
    let subscription = cli.subscribe(&buyer, &agent)?;
    Ok(cli
        .create_subscription_widget(&subscription, ORIGIN, "Relay bench on a subscription")?
        .publishable_key)
}

fn report(mut times: Times, before_kb: u64, during_kb: u64) -> Result<Section> {
    times.direct.sort();
    times.relayed.sort();
    times.subscribed.sort();
    let at = |samples: &[Duration], p| {
        stats::percentile(samples, p).ok_or_else(|| anyhow!("no samples"))
    };
    let (direct, relayed, subscribed) = (&times.direct, &times.relayed, &times.subscribed);
    let (direct_p50, direct_p99) = (at(direct, 50.0)?, at(direct, 99.0)?);
    let (relay_p50, relay_p99) = (at(relayed, 50.0)?, at(relayed, 99.0)?);
    let (subscribed_p50, subscribed_p99) = (at(subscribed, 50.0)?, at(subscribed, 99.0)?);
    let resolving_p50 = subscribed_p50.saturating_sub(relay_p50);
    let added_p50 = relay_p50.saturating_sub(direct_p50);
    let added_p99 = relay_p99.saturating_sub(direct_p99);
    let growth_mb = during_kb.saturating_sub(before_kb) as f64 / 1024.0;
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let mut table = String::from(
        "| measured | direct to the runtime | through the relay | added | ratio | budget | status |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
    );
    let _ = writeln!(
        table,
        "| time to first text, p50 | {} | {} | {} | {:.2} | ≤ {} added | {} |",
        ms(direct_p50),
        ms(relay_p50),
        ms(added_p50),
        relay_p50.as_secs_f64() / direct_p50.as_secs_f64(),
        ms(ADDED_P50_BUDGET),
        budget_status(added_p50 <= ADDED_P50_BUDGET),
    );
    let _ = writeln!(
        table,
        "| time to first text, p99 | {} | {} | {} | {:.2} | ≤ {} added | {} |",
        ms(direct_p99),
        ms(relay_p99),
        ms(added_p99),
        relay_p99.as_secs_f64() / direct_p99.as_secs_f64(),
        ms(ADDED_P99_BUDGET),
        budget_status(added_p99 <= ADDED_P99_BUDGET),
    );
    let _ = writeln!(
        table,
        "\n| measured | own agent | subscription (version resolved per run) | added | ratio | budget | status |\n\
         |---|---:|---:|---:|---:|---:|---|\n\
         | time to first text through the relay, p50 | {} | {} | {} | {:.2} | ≤ {} added | {} |\n\
         | time to first text through the relay, p99 | {} | {} | {} | {:.2} | — | |",
        ms(relay_p50),
        ms(subscribed_p50),
        ms(resolving_p50),
        subscribed_p50.as_secs_f64() / relay_p50.as_secs_f64(),
        ms(RESOLVING_P50_BUDGET),
        budget_status(resolving_p50 <= RESOLVING_P50_BUDGET),
        ms(relay_p99),
        ms(subscribed_p99),
        ms(subscribed_p99.saturating_sub(relay_p99)),
        subscribed_p99.as_secs_f64() / relay_p99.as_secs_f64(),
    );
    let _ = writeln!(
        table,
        "\n| measured | server RSS before | with {OPEN_STREAMS} streams open | growth | per stream | budget | status |\n\
         |---|---:|---:|---:|---:|---:|---|\n\
         | {OPEN_STREAMS} concurrent open chat streams | {:.1} MB | {:.1} MB | {growth_mb:.1} MB | {:.1} KB | ≤ {RSS_GROWTH_BUDGET_MB:.0} MB | {} |",
        before_kb as f64 / 1024.0,
        during_kb as f64 / 1024.0,
        (during_kb.saturating_sub(before_kb)) as f64 / OPEN_STREAMS as f64,
        budget_status(growth_mb <= RSS_GROWTH_BUDGET_MB),
    );
    Ok(Section {
        title: "Chat relay",
        how: format!(
            "The release `sitekit serve` on a fresh SQLite database, with one widget on a \
             Langflow agent whose runtime is a stand-in inside xtask: it answers \
             `POST /api/v2/workflows` at once with RUN_STARTED, TEXT_MESSAGE_START and one \
             TEXT_MESSAGE_CONTENT (then the end of the run). Time to first text is from \
             opening a new loopback connection to reading the first `TEXT_MESSAGE_CONTENT` \
             bytes: directly from the stand-in with the request the relay sends it, and \
             through `POST /v1/chat` with a session token (the relay checks the token, reads \
             the widget and agent, counts the message, loads the thread's history, connects \
             to the stand-in and forwards its events; the run's record and thread are \
             written after the answer, and wait for a moment when no chat is about to count \
             its message). {WARMUP_RUNS} warm-up runs each, then \
             {MEASURED_RUNS} of each, interleaved; nearest-rank percentiles; the ratio is \
             relay / direct. A third widget, on a buyer's subscription (following the latest) \
             to a seller's published agent with {PUBLISHED_VERSIONS} versions on the same \
             stand-in, is asked in the same loop: its runs resolve the subscription's version \
             in the query that reads the widget, and the second table sets its times beside \
             the own agent's (ratio subscription / own agent). Memory: the server's VmRSS from `/proc` before, and with \
             {OPEN_STREAMS} chat streams open at once, each past its first text, on a stand-in \
             that then keeps them open. The run lifts the per-IP, per-key and per-visitor \
             limits to {UNLIMITED} (every request comes from 127.0.0.1 and one visitor)."
        ),
        table,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The section alone against `target/release/sitekit` (build it first):
    /// `cargo test -p xtask bench_relay -- --ignored --nocapture`.
    #[test]
    #[ignore = "starts the release server and a stand-in runtime for about a minute"]
    fn section_alone() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let section = super::section(root).unwrap();
        println!("{}", section.table);
    }
}
