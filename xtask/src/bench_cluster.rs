//! The cost of running several nodes: the release `sitekit serve` nodes of a
//! cluster (`cluster.rs`: one PostgreSQL database, one private Redis, one
//! master key) on this one machine, measured side by side in one run.
//!
//! 1. The config route and the chat relay (time to first text on the
//!    stand-in runtime of `stand_in.rs`) with the load spread over 1, 2 and 3
//!    nodes by the load generator itself, no proxy in between.
//! 2. What Redis adds to a rate-limited request: the config route on a node
//!    with `--redis-url` and on one without, interleaved.
//! 3. Each node's memory with 10,000 chat streams open over the three.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::bench::{Section, budget_status, grouped};
use crate::bench_config::micros;
use crate::cluster::{self, Node, Shared};
use crate::cpu::{self, Usage, rss_kb};
use crate::load::{self, Outcome, Plan};
use crate::postgres::{self, Private, Source};
use crate::processes::{self, Services};
use crate::sitekit_cli::SitekitCli;
use crate::stand_in::{
    Hold, HoldingProcess, ORIGIN, StandIn, chat_request, first_text, open_streams, widget_on,
};
use crate::{build, embed_server, http, master_key, ports, redis, stats, step};

/// The nodes with Redis; a fourth, without it, is the Redis cost's baseline.
const NODES: usize = 3;
const CONNECTIONS: usize = 32;
/// Each configuration is measured in turns, `ROUNDS` times, so that a
/// neighbour's load on the shared machine hits all alike.
const ROUNDS: usize = 3;
const ROUND_WARMUP: Duration = Duration::from_secs(1);
const ROUND: Duration = Duration::from_secs(5);
const WARMUP_RUNS: usize = 50;
const MEASURED_RUNS: usize = 500;
/// The design's load: 10,000 visitors with an answer streaming at once.
const STREAMS: usize = 10_000;
/// Streams of one widget: its default daily message budget (1,000) allows
/// this many chats, and its default stream cap over the install (2,000) as
/// many open at once.
const STREAMS_PER_WIDGET: usize = 1_000;
/// Streams being opened at once.
const OPENERS: usize = 32;
/// The design's budget for a node's memory per open stream (1 KB = 1,000 B).
const STREAM_BUDGET_BYTES: f64 = 25_000.0;
/// Files xtask keeps open besides the streams' client ends: listeners, logs,
/// the requests that read `/metrics`.
const SPARE_FILES: u64 = 64;
/// Every request comes from 127.0.0.1 and few visitors: the default limits
/// would answer most with 429.
const UNLIMITED: &str = "4000000000";
const LIFTED: [&str; 8] = [
    "--requests-per-ip-per-minute",
    UNLIMITED,
    "--sessions-per-ip-per-minute",
    UNLIMITED,
    "--sessions-per-key-per-minute",
    UNLIMITED,
    "--messages-per-visitor-per-minute",
    UNLIMITED,
];
const DATABASE: &str = "sitekit_bench_cluster";
const TITLE: &str = "Cluster bench widget";

pub fn section(root: &Path) -> Result<Section> {
    let source = Source::choose()?;
    redis::ensure_installed()?;
    let limit = processes::raise_open_files_limit()?;
    let streams = streams_within(limit, processes::open_files()?);
    if streams < NODES {
        bail!("an open-files limit of {limit} leaves no room for chat streams");
    }
    let quick = StandIn::start(Hold::No)?;
    let mut holding = HoldingProcess::start()?;
    let mut services = Services::default();
    let cluster = start(root, &source, &mut services)?;
    let seeded = seed(root, &cluster, &quick, &holding, streams)?;

    let path = format!("/v1/widgets/{}/config", seeded.config_key);
    let headers = [("Origin", ORIGIN)];
    let load = Load {
        path: &path,
        headers: &headers,
        pids: &cluster.pids,
    };
    step(format!(
        "config route over 1, 2 and {NODES} nodes: {CONNECTIONS} keep-alive connections, \
         {ROUNDS} rounds of {} s each",
        ROUND.as_secs()
    ));
    let spreads: Vec<&[SocketAddr]> = (1..=NODES).map(|n| &cluster.with_redis[..n]).collect();
    let by_nodes = load.interleaved(&spreads)?;
    step("config route on one node with Redis and one without, interleaved");
    let redis_cost = load.interleaved(&[&cluster.with_redis[..1], &[cluster.without_redis]])?;
    let relay = relay_times(&cluster, &seeded.relay_tokens)?;
    services.check_running()?;
    let memory = memory(&cluster, &seeded.stream_tokens, streams)?;
    holding.release()?;
    services.check_running()?;
    services.stop_all();
    quick.release();
    if let Source::Given(admin_url) = &source {
        // A private server went with the services; a given one keeps no
        // leftover of ours.
        postgres::psql(
            admin_url,
            &format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"),
        )?;
    }
    Ok(report(&Measured {
        by_nodes,
        redis_cost,
        relay,
        memory,
        limit,
    }))
}

/// How many streams xtask can hold with `limit` open files, `open` of them
/// taken: one each, the client's end (the stand-in's end is in its own process).
fn streams_within(limit: u64, open: u64) -> usize {
    let spare = limit.saturating_sub(open + SPARE_FILES);
    STREAMS.min(usize::try_from(spare).unwrap_or(usize::MAX))
}

/// The running nodes.
struct Cluster {
    nodes: Vec<Node>,
    with_redis: Vec<SocketAddr>,
    without_redis: SocketAddr,
    /// Every node's process, the one without Redis last.
    pids: Vec<u32>,
    database_url: String,
}

/// PostgreSQL, Redis, [`NODES`] nodes with Redis and one without, one after
/// another: the first makes the schema and the shared secrets.
fn start(root: &Path, source: &Source, services: &mut Services) -> Result<Cluster> {
    let work = build::target_dir(root).join("xtask");
    let logs = work.join("logs/bench-cluster");
    let database_url = postgres::fresh_database(
        source,
        services,
        &Private {
            dir: &work.join("bench-cluster-postgres"),
            port: ports::free()?,
            log: &logs.join("postgres.log"),
        },
        DATABASE,
    )?;
    let redis_url = redis::start(services, ports::free()?, &logs.join("redis.log"))?;
    let sitekit = build::sitekit_bin(root);
    let master_key = master_key::for_tests(root)?;
    let ports: Vec<u16> = (0..=NODES).map(|_| ports::free()).collect::<Result<_>>()?;
    let public_url = format!("http://127.0.0.1:{}", ports[0]);
    let shared = Shared {
        sitekit: &sitekit,
        database_url: &database_url,
        redis_url: Some(&redis_url),
        master_key: &master_key,
        public_url: &public_url,
        flags: &LIFTED,
    };
    let alone = Shared {
        redis_url: None,
        ..shared
    };
    let mut nodes = Vec::new();
    for (index, port) in ports.iter().enumerate() {
        let shared = if index < NODES { &shared } else { &alone };
        nodes.push(cluster::start_node(
            services,
            root,
            shared,
            index + 1,
            *port,
            &logs,
        )?);
    }
    for (index, node) in nodes.iter().enumerate() {
        let shared = metric(&node.url, "sitekit_limits_shared")?;
        if shared != u64::from(index < NODES) {
            bail!(
                "{} reports sitekit_limits_shared {shared}: it should count its limits {} \
                 (log: {})",
                node.name,
                if index < NODES { "in Redis" } else { "alone" },
                node.log.display()
            );
        }
    }
    let addresses: Vec<SocketAddr> = nodes
        .iter()
        .map(|node| address(&node.url))
        .collect::<Result<_>>()?;
    let pids = nodes
        .iter()
        .map(|node| {
            services
                .pid(&node.name)
                .ok_or_else(|| anyhow!("{} has no process id", node.name))
        })
        .collect::<Result<_>>()?;
    Ok(Cluster {
        with_redis: addresses[..NODES].to_vec(),
        without_redis: addresses[NODES],
        nodes,
        pids,
        database_url,
    })
}

fn address(url: &str) -> Result<SocketAddr> {
    let authority = url.trim_start_matches("http://");
    authority
        .parse()
        .with_context(|| format!("{authority} is not a socket address"))
}

/// One gauge or counter of a node's `GET /metrics`.
fn metric(url: &str, name: &str) -> Result<u64> {
    let answer = http::get(&format!("{url}/metrics"), &[])?;
    if answer.status != 200 {
        bail!("{url}/metrics answered {}", answer.status);
    }
    answer
        .body
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .ok_or_else(|| anyhow!("{url}/metrics has no {name}"))
}

/// What the widgets give the load: the config route's key and session tokens.
struct Seeded {
    config_key: String,
    /// One widget for each number of nodes, on the quick stand-in.
    relay_tokens: Vec<String>,
    /// One widget for each [`STREAMS_PER_WIDGET`] streams, on the holding one.
    stream_tokens: Vec<String>,
}

/// The widgets, made with the `sitekit` CLI; each answers on every node.
fn seed(
    root: &Path,
    cluster: &Cluster,
    quick: &StandIn,
    holding: &HoldingProcess,
    streams: usize,
) -> Result<Seeded> {
    let bin = build::sitekit_bin(root);
    let master_key = master_key::for_tests(root)?;
    let url = &cluster.nodes[0].url;
    let cli = SitekitCli {
        bin: &bin,
        database_url: &cluster.database_url,
        master_key: &master_key,
        public_url: url,
    };
    let config_key = cli
        .create_widget_without_runtime(ORIGIN, TITLE)?
        .1
        .publishable_key;
    // One request to each node first, so a wrong key or origin fails here
    // with its reason rather than as thousands of 403s.
    for node in &cluster.nodes {
        let first = http::get(
            &format!("{}/v1/widgets/{config_key}/config", node.url),
            &[("Origin", ORIGIN)],
        )?;
        if first.status != 200 || !first.body.contains(TITLE) {
            bail!(
                "{}: GET /v1/widgets/<pub key>/config answered {}: {}",
                node.name,
                first.status,
                first.body
            );
        }
    }
    step("seeding the relay's and the streams' widgets on the stand-in runtimes");
    let token_on = |runtime_url: &str| {
        let key = widget_on(&cli, runtime_url)?;
        embed_server::session_token(url, ORIGIN, &key)
    };
    let relay_tokens = (0..NODES)
        .map(|_| token_on(&quick.url))
        .collect::<Result<_>>()?;
    let stream_tokens = (0..streams.div_ceil(STREAMS_PER_WIDGET))
        .map(|_| token_on(&holding.url))
        .collect::<Result<_>>()?;
    Ok(Seeded {
        config_key,
        relay_tokens,
        stream_tokens,
    })
}

/// The config route's load, the same in every configuration.
struct Load<'a> {
    path: &'a str,
    headers: &'a [(&'a str, &'a str)],
    /// Every node's process, for the CPU column.
    pids: &'a [u32],
}

/// What one configuration's rounds measured together.
struct Rounds {
    outcome: Outcome,
    cpu: Usage,
}

impl Load<'_> {
    /// Runs each configuration (the nodes its connections go to, in turn)
    /// for [`ROUND`] after [`ROUND_WARMUP`], [`ROUNDS`] times, starting each
    /// round with the next one; fails on any answer but 200.
    fn interleaved(&self, configurations: &[&[SocketAddr]]) -> Result<Vec<Rounds>> {
        let mut measured: Vec<Option<Rounds>> = configurations.iter().map(|_| None).collect();
        for round in 0..ROUNDS {
            for turn in 0..configurations.len() {
                let index = (round + turn) % configurations.len();
                let one = self.once(configurations[index])?;
                measured[index] = Some(match measured[index].take() {
                    None => one,
                    Some(sum) => add(sum, one),
                });
            }
        }
        measured
            .into_iter()
            .zip(configurations)
            .map(|(measured, nodes)| {
                let measured = measured.ok_or_else(|| anyhow!("no round was run"))?;
                if let Some(failed) = measured.outcome.non_ok() {
                    bail!(
                        "GET {} over {nodes:?}: {failed} of {} answers were not 200; a 429 \
                         means a rate limit the run does not raise was hit",
                        self.path,
                        measured.outcome.requests()
                    );
                }
                Ok(Rounds {
                    cpu: mean(&measured.cpu, ROUNDS),
                    ..measured
                })
            })
            .collect()
    }

    fn once(&self, addresses: &[SocketAddr]) -> Result<Rounds> {
        let before = cpu::snapshot(self.pids)?;
        let outcome = load::run(&Plan {
            addresses,
            path: self.path,
            headers: self.headers,
            connections: CONNECTIONS,
            warmup: ROUND_WARMUP,
            duration: ROUND,
        })
        .with_context(|| format!("loading GET {} over {addresses:?}", self.path))?;
        let cpu = cpu::usage(&before, &cpu::snapshot(self.pids)?);
        Ok(Rounds { outcome, cpu })
    }
}

/// Two rounds' answers together, their CPU use summed (see [`mean`]).
fn add(mut sum: Rounds, one: Rounds) -> Rounds {
    sum.outcome.absorb(one.outcome);
    sum.cpu = Usage {
        cores: one.cpu.cores,
        server: sum.cpu.server + one.cpu.server,
        load_generator: sum.cpu.load_generator + one.cpu.load_generator,
        others: sum.cpu.others + one.cpu.others,
    };
    sum
}

/// The mean of `rounds` equally long rounds' CPU use, summed.
fn mean(sum: &Usage, rounds: usize) -> Usage {
    let rounds = rounds as f64;
    Usage {
        cores: sum.cores,
        server: sum.server / rounds,
        load_generator: sum.load_generator / rounds,
        others: sum.others / rounds,
    }
}

/// Times to first text through `POST /v1/chat`, one list per number of
/// nodes: in each run the chat of the 1-node widget goes to node 1, that of
/// the 2-node one to node 1 or 2 in turn, and so on, all interleaved.
fn relay_times(cluster: &Cluster, tokens: &[String]) -> Result<Vec<Vec<Duration>>> {
    step(format!(
        "time to first text over 1, 2 and {NODES} nodes: {MEASURED_RUNS} runs each, interleaved"
    ));
    let mut times = vec![Vec::new(); tokens.len()];
    for run in 0..WARMUP_RUNS + MEASURED_RUNS {
        for (spread, token) in tokens.iter().enumerate() {
            let to = cluster.with_redis[run % (spread + 1)];
            let (time, _) = first_text(to, &chat_request(to, token, run))?;
            if run >= WARMUP_RUNS {
                times[spread].push(time);
            }
        }
    }
    for list in &mut times {
        list.sort();
    }
    Ok(times)
}

/// One node's memory with its share of the streams open.
struct NodeMemory {
    streams: usize,
    before_kb: u64,
    during_kb: u64,
}

/// Opens `streams` chat streams over the nodes with Redis in turn (each
/// widget's [`STREAMS_PER_WIDGET`] spread over all), each past its first
/// text, and reads every node's VmRSS before and with them open; each node's
/// `/metrics` must count its share open.
fn memory(cluster: &Cluster, tokens: &[String], streams: usize) -> Result<Vec<NodeMemory>> {
    step(format!(
        "memory: opening {streams} chat streams over {NODES} nodes, {OPENERS} at a time"
    ));
    let before: Vec<u64> = cluster.pids[..NODES]
        .iter()
        .map(|pid| rss_kb(*pid))
        .collect::<Result<_>>()?;
    let started = Instant::now();
    let open = open_streams(streams, OPENERS, |index| {
        let to = cluster.with_redis[index % NODES];
        let token = &tokens[index / STREAMS_PER_WIDGET];
        (to, chat_request(to, token, index))
    })?;
    let opening = started.elapsed();
    let mut memory = Vec::new();
    for (index, node) in cluster.nodes[..NODES].iter().enumerate() {
        let share = (index..streams).step_by(NODES).count();
        let counted = metric(&node.url, "sitekit_chat_streams_open")?;
        if counted != share as u64 {
            bail!(
                "{} counts {counted} chat streams open, not the {share} opened there; opening \
                 them all took {:.0} s, and the relay ends a stream idle for 60 s (log: {})",
                node.name,
                opening.as_secs_f64(),
                node.log.display()
            );
        }
        memory.push(NodeMemory {
            streams: share,
            before_kb: before[index],
            during_kb: rss_kb(cluster.pids[index])?,
        });
    }
    step(format!(
        "{streams} streams open after {:.1} s",
        opening.as_secs_f64()
    ));
    drop(open);
    Ok(memory)
}

/// Everything the section reports.
struct Measured {
    /// The config route over 1, 2, … nodes.
    by_nodes: Vec<Rounds>,
    /// The config route on a node with Redis, then on one without.
    redis_cost: Vec<Rounds>,
    /// Times to first text over 1, 2, … nodes, sorted.
    relay: Vec<Vec<Duration>>,
    memory: Vec<NodeMemory>,
    /// The open-files limit the streams had to fit in.
    limit: u64,
}

fn report(measured: &Measured) -> Section {
    let mut table = nodes_table(&measured.by_nodes);
    table.push('\n');
    table += &relay_table(&measured.relay);
    table.push('\n');
    table += &redis_table(&measured.redis_cost);
    table.push('\n');
    table += &memory_table(&measured.memory, measured.limit);
    Section {
        title: "Cluster",
        how: how(),
        table,
    }
}

fn latency(outcome: &Outcome, p: f64) -> u64 {
    stats::percentile(&outcome.latencies_ns, p).unwrap_or(0)
}

fn nodes_table(by_nodes: &[Rounds]) -> String {
    let mut table = String::from(
        "| config route over | requests (all 200) | requests/s | ratio to 1 node | latency p50 | latency p99 | p50 ratio to 1 node | CPU: nodes / load generator / others |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let one = &by_nodes[0].outcome;
    for (index, measured) in by_nodes.iter().enumerate() {
        let outcome = &measured.outcome;
        let cpu = &measured.cpu;
        let _ = writeln!(
            table,
            "| {} | {} | {} | {:.2} | {} | {} | {:.2} | {:.2} / {:.2} / {:.2} of {} cores |",
            nodes(index + 1),
            grouped(outcome.requests()),
            grouped(outcome.per_second().round() as u64),
            outcome.per_second() / one.per_second(),
            micros(latency(outcome, 50.0)),
            micros(latency(outcome, 99.0)),
            latency(outcome, 50.0) as f64 / latency(one, 50.0) as f64,
            cpu.server,
            cpu.load_generator,
            cpu.others,
            cpu.cores,
        );
    }
    table
}

fn relay_table(relay: &[Vec<Duration>]) -> String {
    let mut table = String::from(
        "| chat relay over | runs | time to first text p50 | p99 | p50 ratio to 1 node | p99 ratio to 1 node |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    let at = |times: &[Duration], p| stats::percentile(times, p).unwrap_or_default();
    let ms = |time: Duration| format!("{:.2} ms", time.as_secs_f64() * 1000.0);
    let one = &relay[0];
    for (index, times) in relay.iter().enumerate() {
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {:.2} | {:.2} |",
            nodes(index + 1),
            times.len(),
            ms(at(times, 50.0)),
            ms(at(times, 99.0)),
            at(times, 50.0).as_secs_f64() / at(one, 50.0).as_secs_f64(),
            at(times, 99.0).as_secs_f64() / at(one, 99.0).as_secs_f64(),
        );
    }
    table
}

/// `with - without`, signed: under a neighbour's load a tail may come out
/// faster with Redis than without, and saying "0" would hide that.
fn added(without: u64, with: u64) -> String {
    if with >= without {
        micros(with - without)
    } else {
        format!("−{}", micros(without - with))
    }
}

fn redis_table(redis_cost: &[Rounds]) -> String {
    let (with, without) = (&redis_cost[0].outcome, &redis_cost[1].outcome);
    let mut table = String::from(
        "| config route on one node (every request rate-limited per IP) | without Redis | with `--redis-url` | added | ratio | budget |\n\
         |---|---:|---:|---:|---:|---|\n",
    );
    for p in [50.0, 99.0] {
        let (alone, shared) = (latency(without, p), latency(with, p));
        let _ = writeln!(
            table,
            "| latency p{p} | {} | {} | {} | {:.2} | none in the design |",
            micros(alone),
            micros(shared),
            added(alone, shared),
            shared as f64 / alone as f64,
        );
    }
    let _ = writeln!(
        table,
        "| requests/s ({CONNECTIONS} connections, all 200) | {} | {} | | {:.2} | none in the design |",
        grouped(without.per_second().round() as u64),
        grouped(with.per_second().round() as u64),
        with.per_second() / without.per_second(),
    );
    table
}

fn memory_table(memory: &[NodeMemory], limit: u64) -> String {
    let mut table = String::from(
        "| node | streams open | RSS before | with the streams open | growth | per stream |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    let mb = |kb: u64| format!("{:.1} MB", kb as f64 * 1024.0 / 1e6);
    let per_stream = |growth_kb: u64, streams: usize| growth_kb as f64 * 1024.0 / streams as f64;
    for (index, node) in memory.iter().enumerate() {
        let growth = node.during_kb.saturating_sub(node.before_kb);
        let _ = writeln!(
            table,
            "| node {} | {} | {} | {} | {} | {:.1} KB |",
            index + 1,
            grouped(node.streams as u64),
            mb(node.before_kb),
            mb(node.during_kb),
            mb(growth),
            per_stream(growth, node.streams) / 1000.0,
        );
    }
    let streams: usize = memory.iter().map(|node| node.streams).sum();
    let growth: u64 = memory
        .iter()
        .map(|node| node.during_kb.saturating_sub(node.before_kb))
        .sum();
    let bytes = per_stream(growth, streams);
    let _ = writeln!(
        table,
        "| all {NODES} | {} | {} | {} | {} | {:.1} KB |",
        grouped(streams as u64),
        mb(memory.iter().map(|node| node.before_kb).sum()),
        mb(memory.iter().map(|node| node.during_kb).sum()),
        mb(growth),
        bytes / 1000.0,
    );
    let measured = if streams < STREAMS {
        format!(
            "{} streams: xtask holds the client's end of each and may open {} files (its \
             hard RLIMIT_NOFILE); raise it for {}",
            grouped(streams as u64),
            grouped(limit),
            grouped(STREAMS as u64)
        )
    } else {
        format!("{} streams", grouped(streams as u64))
    };
    let _ = writeln!(
        table,
        "\n| budget | measured | memory per stream | ratio to budget | status |\n\
         |---|---|---:|---:|---|\n\
         | ≤ {:.0} KB a stream, {} concurrent open chat streams over the nodes | {measured} | {:.1} KB | {:.0} % | {} |",
        STREAM_BUDGET_BYTES / 1000.0,
        grouped(STREAMS as u64),
        bytes / 1000.0,
        bytes / STREAM_BUDGET_BYTES * 100.0,
        budget_status(bytes <= STREAM_BUDGET_BYTES),
    );
    table
}

/// `"1 node"`, `"2 nodes"`.
fn nodes(count: usize) -> String {
    if count == 1 {
        "1 node".into()
    } else {
        format!("{count} nodes")
    }
}

fn how() -> String {
    format!(
        "{NODES} release `sitekit serve` nodes, started as `cargo xtask cluster` starts them \
         (`xtask/src/cluster.rs`): on one fresh PostgreSQL database (in `DATABASE_URL_PG`'s \
         server if set, else a private server from the system's binaries), each with \
         `--redis-url` to one private `redis-server` that keeps nothing, and one master key; \
         a fourth node, the same but without `--redis-url`, runs beside them. Every node lifts \
         the per-IP, per-IP session, per-key session and per-visitor limits to {UNLIMITED} \
         (every request comes from 127.0.0.1 and few visitors); the stream caps are the \
         defaults (10,000 a node, 2,000 a widget over the install). No proxy is in the \
         measured path: the load generator inside xtask spreads the load over the nodes \
         itself. **All nodes share this machine's cores** (and those of PostgreSQL, Redis and \
         the load generator), so more nodes cannot be faster here: the figures are the \
         overhead of more nodes, not a speed-up, which needs more machines. **Config route**: \
         as in \"Config route throughput\" (`xtask/src/load.rs`), {CONNECTIONS} keep-alive \
         connections, closed loop, each sending `GET /v1/widgets/<pub key>/config` with \
         `Origin: {ORIGIN}` (each reads the widget from PostgreSQL); with N nodes, connection i goes to node i mod N (round-robin by \
         connection, as a layer-4 balancer spreads them). The 1-, 2- and 3-node \
         configurations take turns: {ROUNDS} rounds, each running every configuration for \
         {} s of warm-up and {} s counted, a round starting with the next configuration; the \
         nodes not in a configuration stay idle. Every request is rate-limited per IP, in \
         Redis. Latency is from sending a request to reading the whole answer; nearest-rank \
         percentiles over every counted request; ratios are to 1 node. The CPU column is the \
         average number of cores all four nodes together, the load generator and everything \
         else (PostgreSQL and Redis included) used over the rounds, from `/proc`. **Chat \
         relay**: time to first text through `POST /v1/chat`, as in \"Chat relay\": from \
         opening a new loopback connection to reading the first `TEXT_MESSAGE_CONTENT`, on a \
         stand-in Langflow inside xtask that answers at once; one widget for each number of \
         nodes, its chats going to the nodes in turn; {WARMUP_RUNS} warm-up runs, then \
         {MEASURED_RUNS} of each, one at a time, interleaved. **Redis's cost**: the config \
         route on node 1 (with Redis) and on the fourth node (without; it counts the limit in \
         its own memory), in turns as above, {ROUNDS} rounds; the added time is with minus \
         without. **Memory**: {} chat streams (fewer if the open-files limit does not \
         allow them, as the table says) opened over the {NODES} nodes with Redis in turn, \
         {OPENERS} at a time, each past its first text on a stand-in (in a process of its own, \
         `cargo xtask stand-in`) that then keeps it open, \
         {} on each widget (a widget's default daily budget); each node's \
         `/metrics` must count its share open (`sitekit_chat_streams_open`). VmRSS of each \
         node from `/proc` before (after the runs above) and with the streams open; per \
         stream is the growth over the streams, 1 KB = 1,000 bytes. xtask raises its soft \
         open-files limit to the hard one (with `prlimit`) for itself and the nodes.",
        ROUND_WARMUP.as_secs(),
        ROUND.as_secs(),
        grouped(STREAMS as u64),
        grouped(STREAMS_PER_WIDGET as u64),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_fit_in_the_open_files_limit() {
        assert_eq!(streams_within(1_048_576, 20), STREAMS);
        assert_eq!(streams_within(20_000, 16), STREAMS);
        assert_eq!(streams_within(10_000, 16), 10_000 - 16 - 64);
        assert_eq!(streams_within(10, 16), 0);
    }

    #[test]
    fn node_counts_read_as_words() {
        assert_eq!(nodes(1), "1 node");
        assert_eq!(nodes(3), "3 nodes");
    }

    /// The section alone against `target/release/sitekit` (build it first):
    /// `cargo test -p xtask bench_cluster -- --ignored --nocapture`.
    #[test]
    #[ignore = "starts PostgreSQL, Redis, four release servers and stand-ins for minutes"]
    fn section_alone() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let section = section(root).unwrap();
        println!("{}\n\n{}", section.how, section.table);
    }
}
