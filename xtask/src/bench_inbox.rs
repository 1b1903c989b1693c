//! The site owner's inbox search, `GET /v1/conversations`, on 100,000
//! conversations in SQLite against the design's budget (p95 ≤ 100 ms). The
//! `sitekit` CLI makes a fresh database with an organisation, three widgets
//! and a secret key; [`seed`] writes the conversations into it; the release
//! `sitekit serve` then indexes their messages as it starts and is asked each
//! kind of query over loopback HTTP. The generator knows which conversations
//! each query matches, so every kind's first answer is checked id by id.

mod seed;

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use self::seed::{
    COMMIT_EVERY, COMMON, DAYS, Data, ERRORED, HAS_COMMON, HAS_MID, HAS_PAIR, HAS_RARE, HEAD, MID,
    PAIR, RARE, RATED_DOWN, Seeded, VOCABULARY, WIDGETS, seed, word,
};
use crate::bench::{Section, budget_status, grouped};
use crate::langflow::Langflow;
use crate::processes::{self, Services};
use crate::sitekit_cli::SitekitCli;
use crate::{build, embed_server, load, master_key, ports, stats, step};

/// The API's default page size.
const PAGE: usize = 50;
const WARMUP_REQUESTS: usize = 20;
const REQUESTS: usize = 200;
const BUDGET: Duration = Duration::from_millis(100);
const ORIGIN: &str = "https://shop.example.com";
/// Threads are kept 30 days by default, and the server forgets older ones as
/// it starts; the admin API allows 600 requests a minute per key and address,
/// and every request comes from one key on 127.0.0.1.
const SERVE_FLAGS: [&str; 6] = [
    "--thread-retention-days",
    "365",
    "--admin-requests-per-key-per-minute",
    "1000000000",
    "--admin-requests-per-ip-per-minute",
    "1000000000",
];

pub fn section(root: &Path) -> Result<Section> {
    let work = build::target_dir(root).join("xtask");
    let database_url = embed_server::fresh_sqlite_database(&work.join("bench-inbox.db"))?;
    let master_key = master_key::for_tests(root)?;

    // The CLI migrates the new database; the server is not running yet, so
    // the seeding is SQLite's one writer.
    let started = Instant::now();
    let mut owner = Owner::create(&SitekitCli {
        bin: &build::sitekit_bin(root),
        database_url: &database_url,
        master_key: &master_key,
        // Only the snippets the CLI prints name it, and they are not used.
        public_url: "http://127.0.0.1",
    })?;
    let data = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(seed(&database_url, &mut owner))?;
    let seeding = started.elapsed();

    // The server makes its full-text index of the stored messages as it
    // starts, as on any database that has none yet.
    let bind = format!("127.0.0.1:{}", ports::free()?);
    let started = Instant::now();
    let mut services = Services::default();
    let url = embed_server::start_with(
        &mut services,
        root,
        &bind,
        &database_url,
        &master_key,
        &work.join("logs/sitekit-bench-inbox.log"),
        &SERVE_FLAGS,
        &[],
    )?;
    let indexing = started.elapsed();
    let address: SocketAddr = bind
        .parse()
        .with_context(|| format!("{bind} is not a socket address"))?;
    let mut client = Client::connect(address, &owner.secret_key)?;
    let measured =
        measure(&mut client, &data, &owner).with_context(|| format!("{url}/v1/conversations"))?;
    services.check_running()?;
    services.stop_all();
    Ok(report(&data, &measured, seeding, indexing))
}

/// The organisation the conversations belong to, as the CLI made it.
struct Owner {
    tenant_id: String,
    agent_id: String,
    /// Each widget's id and the id of its publishable key.
    widgets: Vec<(String, String)>,
    secret_key: String,
}

impl Owner {
    /// An organisation with an agent whose runtime is never called, the
    /// widgets of [`WIDGETS`] and a secret key; the keys' ids are read from
    /// the database by [`seed`].
    fn create(cli: &SitekitCli) -> Result<Owner> {
        step("seeding the inbox bench's organisation, agent, widgets and secret key");
        let runtime = Langflow {
            url: "http://127.0.0.1:9".into(),
            key: "never-called".into(),
        };
        let tenant_id = cli.create_tenant("Inbox bench")?;
        let agent_id = cli.create_langflow_agent(&tenant_id, "Bench agent", &runtime, "flow")?;
        let widgets = WIDGETS
            .iter()
            .map(|(title, _)| {
                Ok((
                    cli.create_widget(&agent_id, ORIGIN, title)?.id,
                    String::new(),
                ))
            })
            .collect::<Result<_>>()?;
        let secret_key = cli.create_secret_key(&tenant_id)?;
        Ok(Owner {
            tenant_id,
            agent_id,
            widgets,
            secret_key,
        })
    }
}

/// One kind of query and the conversations it should find.
struct Kind {
    label: &'static str,
    /// The query string as sent, and as the table shows it.
    query: String,
    shown: String,
    /// The conversations it matches: every flag of `flags`, of `widget` if any;
    /// the page starts after `skip` of them.
    flags: u8,
    widget: Option<usize>,
    skip: usize,
}

impl Kind {
    fn search(label: &'static str, query: String, flags: u8) -> Kind {
        Kind {
            label,
            shown: query.clone(),
            query,
            flags,
            widget: None,
            skip: 0,
        }
    }

    fn matches(&self, conversation: &Seeded) -> bool {
        conversation.flags & self.flags == self.flags
            && self
                .widget
                .is_none_or(|widget| conversation.widget == widget)
    }
}

/// A kind's latencies in ns, sorted, and how many conversations it matches.
struct Measured {
    label: &'static str,
    shown: String,
    matching: usize,
    latencies_ns: Vec<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    conversations: Vec<Listed>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Listed {
    id: String,
}

fn measure(client: &mut Client, data: &Data, owner: &Owner) -> Result<Vec<Measured>> {
    let first_page = client.page("/v1/conversations")?;
    let cursor = first_page
        .next_cursor
        .ok_or_else(|| anyhow!("the first page of the inbox has no nextCursor"))?;
    let (small_widget, _) = &owner.widgets[2];
    let kinds = [
        Kind {
            shown: "(none)".into(),
            ..Kind::search("newest first, no filter", String::new(), 0)
        },
        Kind::search("`q`: a rare word", format!("q={}", word(RARE)), HAS_RARE),
        Kind::search(
            "`q`: a mid-frequency word",
            format!("q={}", word(MID)),
            HAS_MID,
        ),
        Kind::search(
            "`q`: a very common word",
            format!("q={}", word(COMMON)),
            HAS_COMMON,
        ),
        Kind::search(
            "`q`: two words (in one message)",
            format!("q={}%20{}", word(PAIR.0), word(PAIR.1)),
            HAS_PAIR,
        ),
        Kind::search("errored", "errored=true".into(), ERRORED),
        Kind::search("rated down", "ratedDown=true".into(), RATED_DOWN),
        Kind {
            label: "`q`: the mid-frequency word, one widget",
            query: format!("q={}&widgetId={small_widget}", word(MID)),
            shown: format!("q={}&widgetId=<the {} widget>", word(MID), WIDGETS[2].0),
            widget: Some(2),
            ..Kind::search("", String::new(), HAS_MID)
        },
        Kind {
            label: "second page, no filter",
            query: format!("cursor={cursor}"),
            shown: "cursor=<the first page's nextCursor>".into(),
            skip: PAGE,
            ..Kind::search("", String::new(), 0)
        },
    ];
    kinds
        .into_iter()
        .map(|kind| measure_kind(client, data, kind))
        .collect()
}

/// Checks the kind's answer against the generator's, then times it.
fn measure_kind(client: &mut Client, data: &Data, kind: Kind) -> Result<Measured> {
    let path = format!("/v1/conversations?{}", kind.query);
    step(format!(
        "{}: {WARMUP_REQUESTS} warm-up, {REQUESTS} measured requests",
        kind.label
    ));
    let matching: Vec<&str> = data
        .conversations
        .iter()
        .filter(|conversation| kind.matches(conversation))
        .map(|conversation| conversation.id.as_str())
        .collect();
    let expected: Vec<&str> = matching
        .iter()
        .skip(kind.skip)
        .take(PAGE)
        .copied()
        .collect();
    let page = client.page(&path)?;
    let answered: Vec<&str> = page.conversations.iter().map(|c| c.id.as_str()).collect();
    if answered != expected {
        bail!(
            "{}: answered {} conversations {:?}, the generator expects {} of {} {:?}",
            kind.shown,
            answered.len(),
            &answered[..answered.len().min(3)],
            expected.len(),
            matching.len(),
            &expected[..expected.len().min(3)]
        );
    }
    if page.next_cursor.is_some() != (matching.len() > kind.skip + PAGE) {
        bail!(
            "{}: nextCursor is {:?} with {} matching conversations",
            kind.shown,
            page.next_cursor,
            matching.len()
        );
    }
    for _ in 0..WARMUP_REQUESTS {
        client.get(&path)?;
    }
    let mut latencies_ns = (0..REQUESTS)
        .map(|_| Ok(client.get(&path)?.as_nanos() as u64))
        .collect::<Result<Vec<_>>>()?;
    latencies_ns.sort_unstable();
    Ok(Measured {
        label: kind.label,
        shown: kind.shown,
        matching: matching.len(),
        latencies_ns,
    })
}

/// The admin API over one keep-alive connection, as a dashboard's browser
/// holds one.
struct Client {
    address: SocketAddr,
    stream: std::io::BufReader<std::net::TcpStream>,
    authorization: String,
    body: Vec<u8>,
}

const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

impl Client {
    fn connect(address: SocketAddr, secret_key: &str) -> Result<Client> {
        Ok(Client {
            address,
            stream: load::connect(address, ANSWER_TIMEOUT)?,
            authorization: format!("Bearer {secret_key}"),
            body: Vec::new(),
        })
    }

    /// `GET path`, which must answer 200; the time from sending the request
    /// to reading the whole answer.
    fn get(&mut self, path: &str) -> Result<Duration> {
        if processes::interrupted() {
            bail!("interrupted");
        }
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\n\r\n",
            self.address, self.authorization
        );
        let started = Instant::now();
        self.stream.get_mut().write_all(request.as_bytes())?;
        let answer = load::read_answer(&mut self.stream, &mut self.body)
            .with_context(|| format!("reading the answer to GET {path}"))?;
        let took = started.elapsed();
        if answer.status != 200 {
            bail!(
                "GET {path} answered {}: {}",
                answer.status,
                String::from_utf8_lossy(&self.body)
            );
        }
        if answer.closes {
            self.stream = load::connect(self.address, ANSWER_TIMEOUT)?;
        }
        Ok(took)
    }

    fn page(&mut self, path: &str) -> Result<Page> {
        self.get(path)?;
        serde_json::from_slice(&self.body).with_context(|| format!("reading GET {path}'s page"))
    }
}

fn report(data: &Data, measured: &[Measured], seeding: Duration, indexing: Duration) -> Section {
    let percentile = |sorted: &[u64], p| stats::percentile(sorted, p).map_or("—".into(), millis);
    let mut table = String::from(
        "| query | `GET /v1/conversations?…` | conversations matching | p50 | p95 | budget | status |\n\
         |---|---|---:|---:|---:|---|---|\n",
    );
    let mut all = Vec::new();
    for kind in measured {
        let _ = writeln!(
            table,
            "| {} | `{}` | {} | {} | {} | | |",
            kind.label,
            kind.shown,
            grouped(kind.matching as u64),
            percentile(&kind.latencies_ns, 50.0),
            percentile(&kind.latencies_ns, 95.0),
        );
        all.extend_from_slice(&kind.latencies_ns);
    }
    all.sort_unstable();
    let within = stats::percentile(&all, 95.0).is_some_and(|p95| p95 <= BUDGET.as_nanos() as u64);
    let _ = writeln!(
        table,
        "| **all searches** | every request above ({}) | | {} | {} | p95 ≤ {} ms | {} |",
        grouped(all.len() as u64),
        percentile(&all, 50.0),
        percentile(&all, 95.0),
        BUDGET.as_millis(),
        budget_status(within),
    );
    let shares: Vec<String> = WIDGETS
        .iter()
        .map(|(title, percent)| format!("{title} {percent} %"))
        .collect();
    Section {
        title: "Inbox search",
        how: format!(
            "The site owner's inbox, `GET /v1/conversations` with a secret key, on SQLite. The \
             `sitekit` CLI makes a fresh database (its migrations) with an organisation, an \
             agent, {} widgets and a secret key; xtask then writes {} conversations straight \
             into it, {} to a transaction: {} messages (1 to 4 turns, each a visitor's message \
             of 4–16 words and an answer of 8–30), {} run records ({} errored), {} ratings \
             ({} down), spread over the widgets as {}, their latest messages evenly over the \
             {DAYS} days before the run. The words are drawn from a vocabulary of {} ({} \
             common support-chat words, then made-up product names) with probability \
             1 / rank, by a seeded generator, so every run has the same data; the searched \
             words are ranks {}, {} and {}. This took {:.0} s. The release `sitekit serve` \
             then starts on that database and, as on any database without one, makes its \
             FTS5 index of the messages (and the triggers that keep it) before it listens: \
             {:.1} s to ready. It runs with `--thread-retention-days 365` (it forgets threads \
             older than the default 30 days as it starts) and the admin API's per-key and \
             per-address limits raised, since every request comes from one key on 127.0.0.1. \
             Each kind of query is sent over one keep-alive HTTP/1.1 connection on loopback, \
             one request after the other: first once, its answer checked against the \
             generator's own list of the conversations it matches (the same ids in the same \
             order, and a `nextCursor` exactly when more remain), then {WARMUP_REQUESTS} \
             times unmeasured and {REQUESTS} times measured. Every answer is a page of {PAGE} \
             (the default) with each conversation's message and run counts, outcome and \
             ratings. Times are end to end, from sending the request to reading the whole \
             answer (HTTP, the key check, the queries, JSON); percentiles are nearest-rank. \
             The last row pools every measured request of every kind. Server and client \
             share the machine's cores.",
            WIDGETS.len(),
            grouped(data.conversations.len() as u64),
            grouped(COMMIT_EVERY as u64),
            grouped(data.messages),
            grouped(data.runs),
            grouped(data.errored_runs),
            grouped(data.ratings),
            grouped(data.down_ratings),
            shares.join(", "),
            grouped(VOCABULARY as u64),
            HEAD.len(),
            COMMON + 1,
            grouped(MID as u64 + 1),
            grouped(RARE as u64 + 1),
            seeding.as_secs_f64(),
            indexing.as_secs_f64(),
        ),
        table,
    }
}

/// `1234567` ns → `"1.2 ms"`; from 100 ms on in whole milliseconds.
fn millis(nanoseconds: u64) -> String {
    let millis = nanoseconds as f64 / 1e6;
    if millis < 100.0 {
        format!("{millis:.1} ms")
    } else {
        format!("{} ms", grouped(millis.round() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The section alone against `target/release/sitekit` (build it first):
    /// `cargo test -p xtask bench_inbox -- --ignored --nocapture`.
    #[test]
    #[ignore = "starts the release server and seeds it for about a minute"]
    fn section_alone() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let section = section(root).unwrap();
        println!("{}\n\n{}", section.how, section.table);
    }
}
