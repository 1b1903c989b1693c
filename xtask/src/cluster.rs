//! `cargo xtask cluster`: multi-node serving on one machine. Three `sitekit
//! serve` nodes (:8801–8803) share one PostgreSQL (a fresh database in
//! `DATABASE_URL_PG`'s server, else a private server), one private Redis for
//! their rate limits and one master key, behind a round-robin proxy (:8797)
//! that sends requests only to nodes whose `/readyz` answers 200. Langflow
//! (:8800) runs the demo's FAQ flow, and the demo site (:8798) shows a widget
//! that talks to the proxy. Runs until Ctrl-C, then stops every child; a node
//! stopped meanwhile (`kill <pid>`) is reported, and the rest carry on.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::postgres::{self, Source};
use crate::processes::{self, Services};
use crate::sitekit_cli::SitekitCli;
use crate::{
    build, cluster_proxy, embed_server, http, langflow, master_key, ports, redis, say, setup,
    static_site, step,
};

const PROXY_PORT: u16 = 8797;
const SITE_PORT: u16 = 8798;
const LANGFLOW_PORT: u16 = 8800;
const NODE_PORTS: [u16; 3] = [8801, 8802, 8803];
const PROXY_URL: &str = "http://127.0.0.1:8797";
const SITE_ADDR: &str = "127.0.0.1:8798";
/// The demo site's origin: the one origin the cluster's widget allows.
const SITE_URL: &str = "http://127.0.0.1:8798";
/// The database the nodes share, made anew on every run.
const DATABASE: &str = "sitekit_cluster";
const FLOW: &str = "sitekit_faq.py";
/// What the nodes' services are called, followed by their number.
const NODE: &str = "node ";
/// Every request reaches the nodes from the proxy on loopback; they take the
/// client's address from its X-Forwarded-For.
const TRUSTED_PROXIES: &str = "127.0.0.1/32";
/// How long a stopping node goes on serving with `/readyz` at 503: the
/// proxy's check every second, missed once at worst, so no new request is
/// sent to a node that has stopped listening.
const DRAIN_SECS: &str = "2";

pub fn run(root: &Path, debug: bool) -> Result<()> {
    processes::install_interrupt_handler()?;
    // Checked first, so that a running cluster or a missing PostgreSQL or
    // Redis fails at once, not after the build.
    ports::ensure_free(PROXY_PORT, "the cluster's proxy")?;
    ports::ensure_free(SITE_PORT, "the cluster's demo site")?;
    ports::ensure_free(LANGFLOW_PORT, "the cluster's Langflow")?;
    for (index, port) in NODE_PORTS.iter().enumerate() {
        ports::ensure_free(*port, &format!("the cluster's node {}", index + 1))?;
    }
    let database = Source::choose()?;
    redis::ensure_installed()?;
    setup::for_build(root)?;
    setup::langflow(root)?;
    let sitekit = build::widget_and_server(root, debug)?;

    let work = build::target_dir(root).join("cluster");
    let logs = work.join("logs");
    fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let mut services = Services::default();
    let database_url = postgres::fresh_database(
        &database,
        &mut services,
        &postgres::Private {
            dir: &work.join("postgres"),
            port: ports::free()?,
            log: &logs.join("postgres.log"),
        },
        DATABASE,
    )?;
    let database_url_file = work.join("database.url");
    postgres::write_private(&database_url_file, &database_url)?;
    let redis_url = redis::start(&mut services, ports::free()?, &logs.join("redis.log"))?;
    let langflow = langflow::start(
        &mut services,
        root,
        &[&format!("flows/{FLOW}")],
        LANGFLOW_PORT,
        &langflow::random_key()?,
        &logs.join("langflow.log"),
    )?;
    let flow_id = langflow.flow_id(FLOW)?;

    let shared = Shared {
        sitekit: &sitekit,
        database_url: &database_url,
        redis_url: Some(&redis_url),
        master_key: &master_key::for_cluster(root)?,
        public_url: PROXY_URL,
        flags: &[],
    };
    // One after another: the first node makes the schema and the shared
    // secrets, which the others then find.
    let nodes = NODE_PORTS
        .iter()
        .enumerate()
        .map(|(index, port)| start_node(&mut services, root, &shared, index + 1, *port, &logs))
        .collect::<Result<Vec<_>>>()?;
    let node_urls: Vec<String> = nodes.iter().map(|node| node.url.clone()).collect();
    let proxy_log = logs.join("proxy.log");
    cluster_proxy::start(&mut services, root, PROXY_PORT, &node_urls, &proxy_log)?;
    let mut proxy_lines = Follow::new(proxy_log.clone());
    show_proxy_lines(&mut proxy_lines);

    let cli = SitekitCli {
        bin: &sitekit,
        database_url: &database_url,
        master_key: shared.master_key,
        // Snippets name the proxy: pages reach the cluster through it.
        public_url: PROXY_URL,
    };
    step("seeding a tenant, agent and widget for the demo site, once for every node (sitekit CLI)");
    let tenant = cli.create_tenant("Demo Company")?;
    let agent = cli.create_langflow_agent(&tenant, "Site Kit FAQ", &langflow, &flow_id)?;
    let widget = cli.create_widget(&agent, SITE_URL, "Site Kit help")?;
    step("creating a secret key for the admin API and the dashboard (sitekit CLI)");
    let api_key = cli.create_secret_key(&tenant)?;
    step("checking a visitor's session through the proxy (POST /v1/sessions)");
    embed_server::session_token(PROXY_URL, SITE_URL, &widget.publishable_key)?;

    step(format!(
        "starting demo site: www/demo on {SITE_URL}, its widget served through the proxy"
    ));
    static_site::spawn(&root.join("www/demo"), SITE_ADDR, &widget.snippet, &[])?;
    let banner = Banner {
        nodes: &nodes,
        services: &services,
        database: &database,
        database_url: &database_url,
        database_url_file: &database_url_file,
        redis_url: &redis_url,
        proxy_log: &proxy_log,
        api_key: &api_key,
        snippet: &widget.snippet,
    };
    banner.print();

    while !processes::interrupted() {
        for (name, status) in services.take_exited(|name| name.starts_with(NODE)) {
            step(format!(
                "{name} stopped ({status}); the proxy sends its requests to the other nodes"
            ));
        }
        services.check_running()?;
        show_proxy_lines(&mut proxy_lines);
        thread::sleep(Duration::from_millis(300));
    }
    say("");
    services.stop_all();
    Ok(())
}

/// What every node has in common.
pub struct Shared<'a> {
    pub sitekit: &'a Path,
    pub database_url: &'a str,
    /// The install's Redis; `None` for a node that limits on its own.
    pub redis_url: Option<&'a str>,
    pub master_key: &'a Path,
    /// What snippets name: the proxy.
    pub public_url: &'a str,
    /// More `sitekit serve` flags (the benches' raised limits).
    pub flags: &'a [&'a str],
}

/// A running node.
pub struct Node {
    pub name: String,
    pub url: String,
    pub log: PathBuf,
}

/// Starts node `number` on 127.0.0.1:`port` and waits until its `/healthz`
/// answers.
pub fn start_node(
    services: &mut Services,
    root: &Path,
    shared: &Shared,
    number: usize,
    port: u16,
    logs: &Path,
) -> Result<Node> {
    let name = format!("{NODE}{number}");
    let bind = format!("127.0.0.1:{port}");
    let url = format!("http://{bind}");
    let log = logs.join(format!("node-{number}.log"));
    step(format!(
        "starting {name}: sitekit serve on {url}, public URL {}, shared database{} and master \
         key (log: {})",
        shared.public_url,
        if shared.redis_url.is_some() {
            ", Redis"
        } else {
            ", no Redis,"
        },
        log.display()
    ));
    let mut serve = Command::new(shared.sitekit);
    serve
        .current_dir(root)
        .args(serve_arguments(&bind, shared, &root.join("dist")))
        // In the environment, not the arguments: the URL may hold a password,
        // and anyone on the machine can list arguments.
        .env("SITEKIT_DATABASE_URL", shared.database_url);
    master_key::apply(&mut serve, shared.master_key);
    services.start(&name, serve, &log)?;
    services.wait_until(&name, Duration::from_secs(60), || {
        http::get(&format!("{url}/healthz"), &[]).is_ok_and(|response| response.status == 200)
    })?;
    Ok(Node { name, url, log })
}

/// `sitekit serve`'s arguments for the node on `bind`.
fn serve_arguments(bind: &str, shared: &Shared, dist: &Path) -> Vec<OsString> {
    let mut arguments: Vec<OsString> = ["serve", "--bind", bind, "--public-url"]
        .map(OsString::from)
        .into();
    arguments.push(shared.public_url.into());
    if let Some(redis_url) = shared.redis_url {
        arguments.extend(["--redis-url", redis_url].map(OsString::from));
    }
    arguments.extend(shared.flags.iter().map(OsString::from));
    arguments.extend(
        [
            "--trusted-proxies",
            TRUSTED_PROXIES,
            "--drain-secs",
            DRAIN_SECS,
            "--runtime-allow",
            embed_server::LOCAL_RUNTIMES,
            "--assets-dir",
        ]
        .map(OsString::from),
    );
    arguments.push(dist.into());
    arguments
}

/// Prints the proxy's new log lines: nodes leaving and rejoining the rotation.
fn show_proxy_lines(follow: &mut Follow) {
    for line in follow.new_lines() {
        say(format_args!("    proxy: {line}"));
    }
}

/// A log file read as it grows.
struct Follow {
    path: PathBuf,
    read: u64,
}

impl Follow {
    fn new(path: PathBuf) -> Follow {
        Follow { path, read: 0 }
    }

    /// The whole lines written since the last call.
    fn new_lines(&mut self) -> Vec<String> {
        let mut bytes = Vec::new();
        let read = File::open(&self.path).and_then(|mut file| {
            file.seek(SeekFrom::Start(self.read))?;
            file.read_to_end(&mut bytes)
        });
        if read.is_err() {
            return Vec::new();
        }
        let (lines, used) = whole_lines(&bytes);
        self.read += used as u64;
        lines
    }
}

/// The lines of `bytes` up to its last newline, and how many bytes they took;
/// a line still being written waits for the next look.
fn whole_lines(bytes: &[u8]) -> (Vec<String>, usize) {
    let used = bytes
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |at| at + 1);
    let lines = String::from_utf8_lossy(&bytes[..used])
        .lines()
        .map(str::to_owned)
        .collect();
    (lines, used)
}

/// What the banner shows.
struct Banner<'a> {
    nodes: &'a [Node],
    services: &'a Services,
    database: &'a Source,
    database_url: &'a str,
    database_url_file: &'a Path,
    redis_url: &'a str,
    proxy_log: &'a Path,
    api_key: &'a str,
    snippet: &'a str,
}

impl Banner<'_> {
    fn print(&self) {
        let mut nodes = String::new();
        for node in self.nodes {
            let pid = self
                .services
                .pid(&node.name)
                .map_or_else(|| "?".to_owned(), |pid| pid.to_string());
            nodes.push_str(&format!(
                "  {:<10}  {}   pid {pid:<8} log: {}\n",
                node.name,
                node.url,
                node.log.display()
            ));
        }
        let database = postgres::without_password(self.database_url);
        let database_where = match self.database {
            Source::Given(_) => "a fresh database in DATABASE_URL_PG's server".to_owned(),
            Source::Private(bin) => format!("a private server from {}", bin.display()),
        };
        let url_file = self.database_url_file.display();
        let redis = self.redis_url;
        let proxy_log = self.proxy_log.display();
        let api_key = self.api_key;
        let snippet = self.snippet;
        let (first, second) = (&self.nodes[0], &self.nodes[1]);
        let second_pid = self
            .services
            .pid(&second.name)
            .map_or_else(|| "<pid>".to_owned(), |pid| pid.to_string());
        say(format_args!(
            "
Site Kit cluster is running: {count} nodes behind one proxy, on one PostgreSQL and one Redis.
  demo site   {SITE_URL}/   (the customer's page; its widget talks to the proxy)
  proxy       {PROXY_URL}/   (round-robin over the ready nodes; log: {proxy_log})
{nodes}  PostgreSQL  {database}   ({database_where}; full URL in {url_file})
  Redis       {redis}   (every node's rate limits)
  Langflow    http://127.0.0.1:{LANGFLOW_PORT}/health
  dashboard   {PROXY_URL}/dashboard   (sign in with the secret key below)
  admin API   {PROXY_URL}/v1/…   (Authorization: Bearer {api_key})

Try it:
  - Open {SITE_URL}/ (exactly that origin: the widget allows no other), click
    the chat bubble and ask, say, \"How do I install the snippet?\". Each request
    goes to the next ready node; all of them read the same database.
  - Stop a node, e.g. {second_name}: kill {second_pid}
    It drains: its /readyz answers 503, the proxy takes it out of the rotation
    within a second (the proxy's line shows below) and the chat carries on
    through the others.
  - Ask one node directly: curl {first_url}/healthz

The snippet in the page:

  {snippet}

Press Ctrl-C to stop everything.",
            count = self.nodes.len(),
            second_name = second.name,
            first_url = first.url,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_names_the_proxy_redis_and_the_proxy_as_trusted() {
        let shared = Shared {
            sitekit: Path::new("sitekit"),
            database_url: "postgres://db/x",
            redis_url: Some("redis://127.0.0.1:6400"),
            master_key: Path::new("master.key"),
            public_url: PROXY_URL,
            flags: &["--max-streams", "20000"],
        };
        let arguments = serve_arguments("127.0.0.1:8801", &shared, Path::new("/repo/dist"));
        let arguments: Vec<&str> = arguments
            .iter()
            .map(|argument| argument.to_str().unwrap())
            .collect();
        let value = |flag: &str| {
            let at = arguments.iter().position(|argument| *argument == flag);
            at.map(|at| arguments[at + 1])
        };
        assert_eq!(arguments[0], "serve");
        assert_eq!(value("--bind"), Some("127.0.0.1:8801"));
        assert_eq!(value("--public-url"), Some(PROXY_URL));
        assert_eq!(value("--redis-url"), Some("redis://127.0.0.1:6400"));
        assert_eq!(value("--trusted-proxies"), Some("127.0.0.1/32"));
        assert_eq!(value("--drain-secs"), Some("2"));
        assert_eq!(value("--assets-dir"), Some("/repo/dist"));
        assert_eq!(value("--max-streams"), Some("20000"));
        assert_eq!(
            value("--database-url"),
            None,
            "the database URL goes in the environment"
        );
        let alone = Shared {
            redis_url: None,
            ..shared
        };
        let arguments = serve_arguments("127.0.0.1:8801", &alone, Path::new("/repo/dist"));
        assert!(!arguments.iter().any(|argument| argument == "--redis-url"));
    }

    #[test]
    fn the_proxy_url_is_its_port() {
        assert_eq!(PROXY_URL, format!("http://127.0.0.1:{PROXY_PORT}"));
        assert_eq!(SITE_URL, format!("http://{SITE_ADDR}"));
        assert_eq!(SITE_ADDR, format!("127.0.0.1:{SITE_PORT}"));
    }

    #[test]
    fn a_line_still_being_written_waits() {
        let (lines, used) = whole_lines(b"one\ntwo\nthr");
        assert_eq!(lines, ["one", "two"]);
        assert_eq!(used, 8);
        assert_eq!(whole_lines(b"partial"), (Vec::new(), 0));
    }
}
