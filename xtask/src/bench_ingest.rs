//! Usage-event ingestion with dedupe against the design's budget: the release
//! `sitekit serve` on a fresh database (SQLite; PostgreSQL too when
//! `DATABASE_URL_PG` names a server) takes `POST /v1/usage/events` batches from
//! several keep-alive connections, a tenth of each batch repeating events sent
//! before. Every answer is checked event by event, and the daily roll-ups
//! (`GET /v1/usage`) must count exactly the events the answers called new, so
//! the rate reported is that of events really stored once.

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::bench::{Section, budget_status, grouped};
use crate::cpu::{self, Usage};
use crate::load::Window;
use crate::postgres::{psql, with_database};
use crate::processes::{self, Services};
use crate::sitekit_cli::SitekitCli;
use crate::{build, embed_server, http, load, master_key, ports, stats, step};

/// The budget, accepted (newly stored) events a second: the design's for
/// SQLite, and the same for PostgreSQL (the multi-node work's target).
const BUDGET_EVENTS_PER_SECOND: f64 = 50_000.0;
/// Connections, each one visitor with its own session. SQLite takes one writer
/// at a time, so more would only queue inside the server; 8 keep both
/// databases busy on a small machine.
const CONNECTIONS: usize = 8;
/// The server's maximum (`MAX_BATCH_EVENTS`); about 18 KB of JSON, well under
/// its 64 KB body limit.
const BATCH_EVENTS: usize = 100;
/// Events of each batch (after a connection's first) that repeat one it sent
/// before, as a page does when it resends a batch whose answer it lost.
const REPEATS_PER_BATCH: usize = 10;
const WARMUP: Duration = Duration::from_secs(2);
const DURATION: Duration = Duration::from_secs(10);
/// The per-IP allowance (default 120 a minute) covers this route and sessions;
/// every request comes from 127.0.0.1, so the run lifts it.
const REQUESTS_PER_IP_PER_MINUTE: &str = "1000000000";
const EVENTS_PER_WIDGET_PER_DAY: &str = "4000000000";
const ORIGIN: &str = "https://shop.example.com";
/// A wait longer than this for one answer means the server is stuck, not slow.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The event types sent, in turn by event number: the two the roll-ups count
/// (so `GET /v1/usage` can check them) and a page's own event, which carries data.
const LOADED: &str = "dev.sitekit.widget.loaded";
const OPENED: &str = "dev.sitekit.widget.opened";
const TRACK: &str = "dev.sitekit.track";
const KINDS: [&str; 3] = [LOADED, OPENED, TRACK];

pub fn section(root: &Path) -> Result<Section> {
    let work = build::target_dir(root).join("xtask");
    let database = work.join("bench-ingest.db");
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", database.display());
        if Path::new(&file).exists() {
            std::fs::remove_file(&file).with_context(|| format!("removing {file}"))?;
        }
    }
    let sqlite = measure(
        root,
        "SQLite",
        &format!("sqlite://{}", database.display()),
        &work.join("logs/sitekit-bench-ingest-sqlite.log"),
    )?;
    let postgres = match std::env::var("DATABASE_URL_PG") {
        Ok(admin_url) => {
            let database = PgDatabase::create(&admin_url)?;
            Some(measure(
                root,
                "PostgreSQL",
                &database.url,
                &work.join("logs/sitekit-bench-ingest-postgres.log"),
            )?)
        }
        Err(_) => None,
    };
    Ok(report(&sqlite, postgres.as_ref()))
}

/// What one database's run measured.
struct Run {
    database: &'static str,
    /// Counted (sent inside the measured window) batches and their events.
    batches: u64,
    accepted: u64,
    duplicates: u64,
    /// Batch latencies in ns, sorted.
    latencies_ns: Vec<u64>,
    cpu: Usage,
}

fn measure(root: &Path, database: &'static str, database_url: &str, log: &Path) -> Result<Run> {
    let bind = format!("127.0.0.1:{}", ports::free()?);
    let mut services = Services::default();
    let url = embed_server::start_with(
        &mut services,
        root,
        &bind,
        database_url,
        &master_key::for_tests(root)?,
        log,
        &[
            "--requests-per-ip-per-minute",
            REQUESTS_PER_IP_PER_MINUTE,
            // One widget takes the whole load: far more than a real one's day.
            "--usage-events-per-widget-per-day",
            EVENTS_PER_WIDGET_PER_DAY,
        ],
        &[],
    )?;
    let seeded = seed(root, database_url, &url)?;
    let tokens = (0..CONNECTIONS)
        .map(|_| embed_server::session_token(&url, ORIGIN, &seeded.publishable_key))
        .collect::<Result<Vec<_>>>()?;
    let address: SocketAddr = bind
        .parse()
        .with_context(|| format!("{bind} is not a socket address"))?;
    let server_pid = services
        .pid("sitekit")
        .ok_or_else(|| anyhow!("the embed server has no process id"))?;

    step(format!(
        "{database}: POST /v1/usage/events, {CONNECTIONS} keep-alive connections, batches of \
         {BATCH_EVENTS} with {REPEATS_PER_BATCH} repeats, {} s warm-up, {} s measured",
        WARMUP.as_secs(),
        DURATION.as_secs()
    ));
    // One timestamp for every event: the server accepts events up to 35 days old,
    // and a fixed one keeps the events' text (and so a repeat) identical.
    let time = OffsetDateTime::now_utc().format(&Rfc3339)?;
    let window = Window::after_warmup(WARMUP, DURATION);
    let before = cpu::snapshot(&[server_pid])?;
    let tallies = thread::scope(|scope| {
        let workers: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(index, token)| {
                let time = &time;
                scope.spawn(move || {
                    let sender = Sender {
                        address,
                        connection: index,
                        token,
                        time,
                    };
                    sender.run(window)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .map_err(|_| anyhow!("an ingestion connection panicked"))?
            })
            .collect::<Result<Vec<_>>>()
    });
    let cpu = cpu::usage(&before, &cpu::snapshot(&[server_pid])?);
    let tallies =
        tallies.with_context(|| format!("{database} run (server log: {})", log.display()))?;
    services.check_running()?;

    let mut run = Run {
        database,
        batches: 0,
        accepted: 0,
        duplicates: 0,
        latencies_ns: Vec::new(),
        cpu,
    };
    let mut accepted_by_kind = [0u64; KINDS.len()];
    for tally in tallies {
        run.batches += tally.batches;
        run.accepted += tally.accepted;
        run.duplicates += tally.duplicates;
        run.latencies_ns.extend(tally.latencies_ns);
        for (sum, count) in accepted_by_kind.iter_mut().zip(tally.accepted_by_kind) {
            *sum += count;
        }
    }
    run.latencies_ns.sort_unstable();
    check_rollups(&url, &seeded.secret_key, accepted_by_kind)
        .with_context(|| format!("{database}: the roll-ups disagree with the answers"))?;
    services.stop_all();
    if run.batches == 0 {
        bail!("{database}: no batch was sent inside the measured window");
    }
    Ok(run)
}

struct Seeded {
    publishable_key: String,
    secret_key: String,
}

/// A widget allowed on [`ORIGIN`] and a secret key to read the usage back.
fn seed(root: &Path, database_url: &str, url: &str) -> Result<Seeded> {
    let bin = build::sitekit_bin(root);
    let master_key = master_key::for_tests(root)?;
    let cli = SitekitCli {
        bin: &bin,
        database_url,
        master_key: &master_key,
        public_url: url,
    };
    let (tenant, widget) = cli.create_widget_without_runtime(ORIGIN, "Bench widget")?;
    Ok(Seeded {
        publishable_key: widget.publishable_key,
        secret_key: cli.create_secret_key(&tenant)?,
    })
}

/// `GET /v1/usage` must count every loaded and opened event the answers called
/// accepted, and nothing more: a duplicate counted, or a lost event, fails here.
fn check_rollups(url: &str, secret_key: &str, accepted_by_kind: [u64; 3]) -> Result<()> {
    let authorization = format!("Bearer {secret_key}");
    let answer = http::get(
        &format!("{url}/v1/usage"),
        &[("Authorization", authorization.as_str())],
    )?;
    if answer.status != 200 {
        bail!("GET /v1/usage answered {}: {}", answer.status, answer.body);
    }
    let report: serde_json::Value = serde_json::from_str(&answer.body)?;
    let total = |field: &str| report["totals"][field].as_u64();
    let [loaded, opened, _] = accepted_by_kind;
    if total("loads") != Some(loaded) || total("opens") != Some(opened) {
        bail!(
            "accepted {loaded} loaded and {opened} opened events, but GET /v1/usage counts \
             loads {:?} and opens {:?}",
            total("loads"),
            total("opens")
        );
    }
    Ok(())
}

/// One connection's counts: the measured window's, and what it had accepted of
/// each of [`KINDS`] over the whole run (warm-up included) for [`check_rollups`].
#[derive(Default)]
struct Tally {
    batches: u64,
    accepted: u64,
    duplicates: u64,
    latencies_ns: Vec<u64>,
    accepted_by_kind: [u64; 3],
}

/// One visitor posting batches over one keep-alive connection, each as soon as
/// the previous answer arrived (closed loop).
struct Sender<'a> {
    address: SocketAddr,
    connection: usize,
    token: &'a str,
    time: &'a str,
}

#[derive(Deserialize)]
struct Results {
    results: Vec<EventResult>,
}

#[derive(Deserialize)]
struct EventResult {
    id: String,
    status: String,
}

impl Sender<'_> {
    fn run(&self, window: Window) -> Result<Tally> {
        let mut tally = Tally::default();
        let mut stream = load::connect(self.address, ANSWER_TIMEOUT)?;
        let mut random = Xorshift(0x9e37_79b9_7f4a_7c15 ^ (self.connection as u64 + 1));
        // Events 0..sent are stored; each batch adds new ones after them.
        let mut sent = 0u64;
        let mut answer = Vec::new();
        loop {
            let started = Instant::now();
            if started >= window.until {
                return Ok(tally);
            }
            if processes::interrupted() {
                bail!("interrupted");
            }
            let batch = next_batch(&mut sent, &mut random);
            let request = self.request(&batch);
            stream
                .get_mut()
                .write_all(request.as_bytes())
                .with_context(|| format!("sending a batch to {}", self.address))?;
            let load::Answer { status, closes } = load::read_answer(&mut stream, &mut answer)
                .with_context(|| format!("reading an answer from {}", self.address))?;
            let latency = started.elapsed();
            if status != 200 {
                bail!(
                    "POST /v1/usage/events answered {status}: {}",
                    String::from_utf8_lossy(&answer)
                );
            }
            let results: Results =
                serde_json::from_slice(&answer).context("reading the batch's results")?;
            self.check(&batch, &results, &mut tally.accepted_by_kind)?;
            if started >= window.from {
                let repeats = batch.iter().filter(|(_, new)| !new).count() as u64;
                tally.batches += 1;
                tally.accepted += batch.len() as u64 - repeats;
                tally.duplicates += repeats;
                tally.latencies_ns.push(latency.as_nanos() as u64);
            }
            if closes {
                stream = load::connect(self.address, ANSWER_TIMEOUT)?;
            }
        }
    }

    fn id(&self, event: u64) -> String {
        format!("bench-{}-{event}", self.connection)
    }

    fn request(&self, batch: &[(u64, bool)]) -> String {
        let mut body = String::from("[");
        for (index, (event, _)) in batch.iter().enumerate() {
            if index > 0 {
                body.push(',');
            }
            let kind = KINDS[(*event % 3) as usize];
            let _ = write!(
                body,
                r#"{{"specversion":"1.0","id":"{}","source":"/visitors/bench-{}","type":"{kind}","time":"{}""#,
                self.id(*event),
                self.connection,
                self.time
            );
            if kind == TRACK {
                let _ = write!(
                    body,
                    r#","datacontenttype":"application/json","data":{{"name":"bench_tick","properties":{{"n":{event}}}}}"#
                );
            }
            body.push('}');
        }
        body.push(']');
        format!(
            "POST /v1/usage/events HTTP/1.1\r\nHost: {}\r\nOrigin: {ORIGIN}\r\n\
             Authorization: Bearer {}\r\nContent-Type: application/cloudevents-batch+json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.address,
            self.token,
            body.len()
        )
    }

    /// Every new event must be `accepted` and every repeat `duplicate`, in order.
    fn check(
        &self,
        batch: &[(u64, bool)],
        results: &Results,
        accepted: &mut [u64; 3],
    ) -> Result<()> {
        if results.results.len() != batch.len() {
            bail!(
                "a batch of {} events got {} results",
                batch.len(),
                results.results.len()
            );
        }
        for ((event, new), result) in batch.iter().zip(&results.results) {
            let id = self.id(*event);
            let expected = if *new { "accepted" } else { "duplicate" };
            if result.id != id || result.status != expected {
                bail!(
                    "event {id} should be {expected}, the answer says {} is {}",
                    result.id,
                    result.status
                );
            }
            if *new {
                accepted[(*event % 3) as usize] += 1;
            }
        }
        Ok(())
    }
}

/// The next batch as (event number, new?): a connection's first batch is all
/// new; later ones put a repeat of an earlier event at every tenth place, each
/// drawn from its own tenth of the events sent so far, so they are distinct and
/// reach back over the whole history rather than only the last batch.
fn next_batch(sent: &mut u64, random: &mut Xorshift) -> Vec<(u64, bool)> {
    let history = *sent;
    let repeats = if history == 0 { 0 } else { REPEATS_PER_BATCH };
    let stride = history / REPEATS_PER_BATCH as u64;
    let spacing = BATCH_EVENTS / REPEATS_PER_BATCH;
    let mut repeat = 0;
    (0..BATCH_EVENTS)
        .map(|place| {
            if repeat < repeats && place % spacing == spacing - 1 {
                let event = repeat as u64 * stride + random.next() % stride;
                repeat += 1;
                (event, false)
            } else {
                *sent += 1;
                (*sent - 1, true)
            }
        })
        .collect()
}

/// A tiny deterministic generator: the repeats need spread, not quality.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A fresh PostgreSQL database for one run, created and dropped with `psql`
/// through the server `DATABASE_URL_PG` names (its role may create databases,
/// as the integration tests need too).
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(admin_url: &str) -> Result<PgDatabase> {
        let name = format!("sitekit_bench_ingest_{}", std::process::id());
        let database = PgDatabase {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name)?,
            name,
        };
        // A database left by an interrupted run of the same process id.
        database.drop_database()?;
        psql(admin_url, &format!("CREATE DATABASE {}", database.name))?;
        Ok(database)
    }

    fn drop_database(&self) -> Result<()> {
        psql(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Err(error) = self.drop_database() {
            eprintln!("could not drop the bench database {}: {error:#}", self.name);
        }
    }
}

fn report(sqlite: &Run, postgres: Option<&Run>) -> Section {
    let per_second = |run: &Run| run.accepted as f64 / DURATION.as_secs_f64();
    let mut table = String::from(
        "| database | connections | measured for | batches (all 200, checked) | events accepted | duplicates answered | accepted events/s | requests/s | batch latency p50 | batch latency p99 | CPU: server / load generator / others |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for run in std::iter::once(sqlite).chain(postgres) {
        let latency = |p| {
            stats::percentile(&run.latencies_ns, p)
                .map(millis)
                .unwrap_or_else(|| "—".into())
        };
        let _ = writeln!(
            table,
            "| {} | {CONNECTIONS} | {} s | {} | {} | {} | {} | {} | {} | {} | {:.2} / {:.2} / {:.2} of {} cores |",
            run.database,
            DURATION.as_secs(),
            grouped(run.batches),
            grouped(run.accepted),
            grouped(run.duplicates),
            grouped(per_second(run).round() as u64),
            grouped((run.batches as f64 / DURATION.as_secs_f64()).round() as u64),
            latency(50.0),
            latency(99.0),
            run.cpu.server,
            run.cpu.load_generator,
            run.cpu.others,
            run.cpu.cores,
        );
    }
    if postgres.is_none() {
        table
            .push_str("| PostgreSQL | not measured: DATABASE_URL_PG not set | | | | | | | | | |\n");
    }
    table.push_str(
        "\n| budget | database | accepted events/s | ratio to budget | status |\n\
         |---|---|---:|---:|---|\n",
    );
    const POSTGRES_ROW: &str = "usage ingestion, PostgreSQL, with dedupe ≥ 50,000 events/s";
    let mut budget_row = |budget: &str, run: &Run, status: &str| {
        let rate = per_second(run);
        let _ = writeln!(
            table,
            "| {budget} | {} | {} | {:.0} % | {status} |",
            run.database,
            grouped(rate.round() as u64),
            rate / BUDGET_EVENTS_PER_SECOND * 100.0,
        );
    };
    budget_row(
        "usage ingestion, SQLite, with dedupe ≥ 50,000 events/s",
        sqlite,
        budget_status(per_second(sqlite) >= BUDGET_EVENTS_PER_SECOND),
    );
    match postgres {
        Some(run) => budget_row(
            POSTGRES_ROW,
            run,
            budget_status(per_second(run) >= BUDGET_EVENTS_PER_SECOND),
        ),
        None => {
            let _ = writeln!(
                table,
                "| {POSTGRES_ROW} | PostgreSQL | not measured: DATABASE_URL_PG not set | | |"
            );
        }
    }
    Section {
        title: "Usage ingestion with dedupe",
        how: format!(
            "The release `sitekit serve` (default settings and log level) on a fresh SQLite \
             database, and on a fresh PostgreSQL database created with `psql` when \
             `DATABASE_URL_PG` is set (dropped afterwards), each seeded with one tenant, agent \
             and widget and a secret key by the `sitekit` CLI. {CONNECTIONS} keep-alive HTTP/1.1 \
             connections over loopback, one thread and one visitor session (`POST /v1/sessions`) \
             each, send `POST /v1/usage/events` with `Origin: {ORIGIN}` as soon as the previous \
             answer arrived (closed loop): {} s of warm-up, then {} s counted. Each batch is a \
             JSON array of {BATCH_EVENTS} CloudEvents (`dev.sitekit.widget.loaded`, \
             `dev.sitekit.widget.opened` and `dev.sitekit.track` with a small `data` in turn, \
             about 18 KB); after a connection's first batch, {REPEATS_PER_BATCH} of its events \
             ({} %) repeat events the connection sent before, drawn over its whole history, \
             and the rest have new ids. Every answer must be 200 with one result per event, \
             `accepted` for each new one and `duplicate` for each repeat, or the bench fails; \
             afterwards `GET /v1/usage` must count exactly the loaded and opened events the \
             answers accepted. The server stores a batch before it answers, with the daily \
             roll-up upserts, all or nothing. On SQLite, in one transaction: one `SELECT` finds \
             the events stored before and one multi-row `INSERT` stores the others. On \
             PostgreSQL, in one statement (its own transaction) that reads the events as one \
             array parameter a column (`unnest`), inserts them with `ON CONFLICT DO NOTHING` \
             and adds those it stored to the roll-ups. The batches that arrive while others are \
             written wait and are then written together (group commit), in one line on SQLite \
             and two on PostgreSQL (an idle one first, each keeping its pooled connection while \
             batches keep coming). On SQLite, \
             a task of the server copies the WAL back into the database file every second \
             (a commit never does). Accepted events/s counts only new events of batches sent in the \
             counted window; requests/s is batches a second. Latency is from sending a batch to \
             reading its whole answer; percentiles are nearest-rank. The run raises the per-IP \
             rate limit with `--requests-per-ip-per-minute {REQUESTS_PER_IP_PER_MINUTE}` \
             (default 120), since every request comes from 127.0.0.1. Server, database and load \
             generator (part of xtask, an unoptimised dev build that also builds and checks \
             every JSON batch) share the machine's cores, so this is a lower bound of what the \
             server alone could do. The CPU column is the average number of cores each used \
             over the whole run, warm-up included, from `/proc`; \"others\" is everything else \
             on the machine, a PostgreSQL server or a build running alongside included.",
            WARMUP.as_secs(),
            DURATION.as_secs(),
            REPEATS_PER_BATCH * 100 / BATCH_EVENTS,
        ),
        table,
    }
}

/// `1234567` ns → `"1.23 ms"`.
fn millis(nanoseconds: u64) -> String {
    format!("{:.2} ms", nanoseconds as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_repeat_a_tenth_of_earlier_events() {
        let mut sent = 0;
        let mut random = Xorshift(7);
        let first = next_batch(&mut sent, &mut random);
        assert!(first.iter().all(|(_, new)| *new));
        assert_eq!(sent, BATCH_EVENTS as u64);
        for _ in 0..50 {
            let before = sent;
            let batch = next_batch(&mut sent, &mut random);
            assert_eq!(batch.len(), BATCH_EVENTS);
            let repeats: Vec<u64> = batch.iter().filter(|(_, new)| !new).map(|e| e.0).collect();
            assert_eq!(repeats.len(), REPEATS_PER_BATCH);
            assert!(repeats.iter().all(|event| *event < before));
            assert!(
                repeats.windows(2).all(|pair| pair[0] < pair[1]),
                "{repeats:?}"
            );
            let new: Vec<u64> = batch.iter().filter(|(_, new)| *new).map(|e| e.0).collect();
            assert_eq!(new, (before..sent).collect::<Vec<_>>());
        }
    }

    /// The section alone against `target/release/sitekit` (build it first):
    /// `cargo test -p xtask bench_ingest -- --ignored --nocapture`.
    #[test]
    #[ignore = "starts the release server for about half a minute"]
    fn section_alone() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let section = section(root).unwrap();
        println!("{}\n\n{}", section.how, section.table);
    }
}
