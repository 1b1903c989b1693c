//! Test harness: a temporary directory, the server as a child process, the seeded
//! tenant/agents/widgets, and the Langflow runtime the test run provides.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;
use sitekit_embed_server::agents::Agent;
use sitekit_embed_server::agents::settings::AgentSettings;
use sitekit_embed_server::db::Db;
use sitekit_embed_server::egress::EgressPolicy;
use sitekit_embed_server::keys::{KeyMode, ParsedKey};
use sitekit_embed_server::master_key::MasterKey;
use sitekit_embed_server::widgets::Widget;
use sitekit_embed_server::widgets::settings::WidgetSettings;
use sitekit_sdk::admin::{NewAgentRequest, NewWidgetRequest};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

pub const SITE: &str = "http://127.0.0.1:8788";
pub const FOREIGN_SITE: &str = "http://evil.example";

/// A directory removed when the test ends.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "sitekit-it-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where a test server keeps its data: a SQLite file in its directory or, when
/// the run asks for PostgreSQL (`SITEKIT_TEST_DATABASE=postgres`, with
/// `DATABASE_URL_PG` naming a server and a role that may create databases), a
/// fresh database of its own there, dropped afterwards.
pub struct TestDatabase {
    pub url: String,
    /// (URL of the database to run `DROP DATABASE` from, name to drop)
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(dir: &TempDir) -> TestDatabase {
        if std::env::var("SITEKIT_TEST_DATABASE").as_deref() != Ok("postgres") {
            let url = format!("sqlite://{}", dir.path().join("sitekit.db").display());
            return TestDatabase {
                url,
                postgres: None,
            };
        }
        let admin_url = std::env::var("DATABASE_URL_PG")
            .expect("SITEKIT_TEST_DATABASE=postgres needs DATABASE_URL_PG");
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "sitekit_it_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let mut url = reqwest::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        TestDatabase {
            url: url.to_string(),
            postgres: Some((admin_url, name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop cannot await; a thread with its own runtime can, even inside a test's.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let pool = sqlx::AnyPool::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&pool)
                .await
                .map(drop)
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop a test database: {error}");
        }
    }
}

/// The Langflow runtime `cargo xtask test` starts (`lfx serve` with the flows in
/// `flows/`), announced through the environment.
#[derive(Debug, Clone)]
pub struct Langflow {
    pub url: String,
    pub key: String,
    pub faq_flow: String,
    pub failing_flow: String,
}

impl Langflow {
    pub async fn from_env() -> Langflow {
        let (Ok(url), Ok(key)) = (
            std::env::var("SITEKIT_TEST_LANGFLOW_URL"),
            std::env::var("SITEKIT_TEST_LANGFLOW_KEY"),
        ) else {
            panic!(
                "these tests need a Langflow runtime: run them with `cargo xtask test`, or start \
                 `lfx serve flows/sitekit_faq.py flows/failing.py` and set SITEKIT_TEST_LANGFLOW_URL \
                 and SITEKIT_TEST_LANGFLOW_KEY"
            )
        };
        let flows: Vec<Value> = reqwest::Client::new()
            .get(format!("{url}/flows"))
            .header("x-api-key", &key)
            .send()
            .await
            .expect("Langflow answers GET /flows")
            .json()
            .await
            .unwrap();
        let flow_id = |file: &str| {
            flows
                .iter()
                .find(|flow| {
                    flow["relative_path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with(file))
                })
                .and_then(|flow| flow["id"].as_str())
                .unwrap_or_else(|| panic!("Langflow serves no flow {file}: {flows:?}"))
                .to_owned()
        };
        Langflow {
            faq_flow: flow_id("sitekit_faq.py"),
            failing_flow: flow_id("failing.py"),
            url,
            key,
        }
    }
}

/// An agent stored the way the CLI and the admin API store one.
pub async fn create_agent(
    db: &Db,
    tenant_id: &str,
    base_url: &str,
    flow_id: &str,
    runtime_key: &str,
) -> Agent {
    let request = NewAgentRequest {
        name: "Agent".into(),
        runtime: None,
        base_url: base_url.into(),
        flow_id: flow_id.into(),
        model: None,
        system_prompt: None,
        timeouts: None,
        runtime_key: runtime_key.into(),
    };
    let settings =
        AgentSettings::from_request(&request, &local_runtimes()).unwrap_or_else(|e| panic!("{e}"));
    db.create_agent(tenant_id, settings).await.unwrap()
}

/// A widget request with the defaults for everything but agent and origins.
pub fn widget_request(agent_id: &str, origins: &[&str]) -> NewWidgetRequest {
    NewWidgetRequest {
        agent_id: agent_id.into(),
        allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
        title: None,
        greeting: None,
        locale: None,
        primary_color: None,
        primary_text_color: None,
        position: None,
        daily_message_budget: None,
        starter_prompts: Vec::new(),
        avatar_url: None,
        messages_per_visitor_per_minute: 0,
        show_tool_events: false,
        launcher_icon: None,
        conversation_days: None,
        test_mode: false,
    }
}

/// A widget stored the way the CLI and the admin API store one.
pub async fn create_widget(
    db: &Db,
    agent: &Agent,
    request: &NewWidgetRequest,
) -> (Widget, ParsedKey) {
    let mode = if request.test_mode {
        KeyMode::Test
    } else {
        KeyMode::Live
    };
    create_widget_with_mode(db, agent, request, mode).await
}

/// A widget whose key mode may differ from what its settings were checked for.
async fn create_widget_with_mode(
    db: &Db,
    agent: &Agent,
    request: &NewWidgetRequest,
    mode: KeyMode,
) -> (Widget, ParsedKey) {
    let settings = WidgetSettings::from_request(request).unwrap_or_else(|e| panic!("{e}"));
    db.create_widget(agent, settings, mode, "test")
        .await
        .unwrap()
}

/// Where the tests' runtimes listen (Langflow and the stand-ins): loopback,
/// which the egress policy refuses unless the operator allows it, as every
/// server and CLI command the tests start does.
pub const LOCAL_RUNTIMES: &str = "127.0.0.1";

/// The egress policy of the servers the tests start.
pub fn local_runtimes() -> EgressPolicy {
    EgressPolicy::parse(LOCAL_RUNTIMES).unwrap()
}

/// The master key every `sitekit` a test starts is given, and [`open_db`]
/// opens the database's secrets with. One fixed key: the storage tests share
/// the PostgreSQL database `DATABASE_URL_PG` names from run to run.
pub const MASTER_KEY: &str = "5e7a1c0d9b3f4a6e8c2d1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c";

pub fn master_key() -> MasterKey {
    MasterKey::parse(MASTER_KEY, "the tests' master key").unwrap()
}

/// The database at `url` with its secrets opened by [`MASTER_KEY`], as a
/// `sitekit` a test starts opens it.
pub async fn open_db(url: &str) -> Db {
    Db::open(url)
        .await
        .unwrap()
        .with_master_key(master_key())
        .await
        .unwrap()
}

/// The `sitekit` binary under test, allowing the tests' local runtimes and
/// given [`MASTER_KEY`] (and no key file the environment may name).
pub fn sitekit() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitekit"));
    command
        .env("SITEKIT_LOG", "warn")
        .env("SITEKIT_RUNTIME_ALLOW", LOCAL_RUNTIMES)
        .env("SITEKIT_MASTER_KEY", MASTER_KEY)
        .env_remove("SITEKIT_MASTER_KEY_FILE")
        .kill_on_drop(true);
    command
}

/// A running `sitekit serve` with its own database and widgets:
/// `faq` (the FAQ flow), `failing` (a flow that raises), `down` (a runtime that
/// is not running) and `disabled`, all allowed on [`SITE`], and two widgets
/// allowed by patterns.
pub struct TestServer {
    pub url: String,
    pub faq_key: String,
    pub failing_key: String,
    pub down_key: String,
    pub disabled_key: String,
    /// Allowed on `http://localhost:*` and `https://*.example.com`, test and live mode.
    pub patterns_test_key: String,
    pub patterns_live_key: String,
    /// A daily budget of 2 messages (on the runtime that is down, which answers fast).
    pub budget_key: String,
    /// The tenant all of the above belong to.
    pub tenant_id: String,
    pub db_url: String,
    // Fields drop in order: the server stops before its database goes.
    child: Child,
    _database: TestDatabase,
    dir: TempDir,
}

impl TestServer {
    pub async fn spawn() -> TestServer {
        Self::spawn_with(&[]).await
    }

    /// A server started with extra `sitekit serve` arguments, such as limits.
    pub async fn spawn_with(serve_args: &[&str]) -> TestServer {
        Self::start(serve_args, None).await
    }

    /// A server serving the real build output (`$SITEKIT_ASSETS_DIR`, set by
    /// `cargo xtask test`) instead of the stand-in `dist/`.
    pub async fn spawn_with_built_assets() -> TestServer {
        let dist = std::env::var_os("SITEKIT_ASSETS_DIR").expect(
            "this test needs the built assets: set SITEKIT_ASSETS_DIR to a dist/ made by \
             `cargo xtask build` (cargo xtask test does)",
        );
        Self::start(&[], Some(dist.into())).await
    }

    async fn start(serve_args: &[&str], assets: Option<PathBuf>) -> TestServer {
        let langflow = Langflow::from_env().await;
        let dir = TempDir::new();
        let database = TestDatabase::create(&dir).await;
        let db_url = database.url.clone();
        let db = open_db(&db_url).await;
        let tenant = db.create_tenant("Test Company").await.unwrap();
        let widget_on =
            async |base_url: &str, flow_id: &str, origins: &[&str], mode: KeyMode, budget: u32| {
                let agent = create_agent(&db, &tenant.id, base_url, flow_id, &langflow.key).await;
                // Checked as a test-mode widget even when its key is live: the
                // server must refuse `localhost:*` to live keys at request time
                // too, whatever is stored.
                let request = NewWidgetRequest {
                    title: Some("Help".into()),
                    greeting: Some("Hi!".into()),
                    daily_message_budget: Some(budget),
                    test_mode: true,
                    ..widget_request(&agent.id, origins)
                };
                let (_, key) = create_widget_with_mode(&db, &agent, &request, mode).await;
                key.expose().to_owned()
            };
        let widget_for = async |base_url: &str, flow_id: &str| {
            widget_on(base_url, flow_id, &[SITE], KeyMode::Test, 0).await
        };
        let faq_key = widget_for(&langflow.url, &langflow.faq_flow).await;
        let failing_key = widget_for(&langflow.url, &langflow.failing_flow).await;
        // Port 9 (discard) on loopback: nothing listens there, connections are refused.
        let down_key = widget_for("http://127.0.0.1:9", &langflow.faq_flow).await;
        let disabled_key = widget_for(&langflow.url, &langflow.faq_flow).await;
        sqlx_disable_widget(&db_url, &disabled_key).await;
        let patterns = ["http://localhost:*", "https://*.example.com"];
        let patterns_test_key = widget_on(
            &langflow.url,
            &langflow.faq_flow,
            &patterns,
            KeyMode::Test,
            0,
        )
        .await;
        let patterns_live_key = widget_on(
            &langflow.url,
            &langflow.faq_flow,
            &patterns,
            KeyMode::Live,
            0,
        )
        .await;
        let budget_key = widget_on(
            "http://127.0.0.1:9",
            &langflow.faq_flow,
            &[SITE],
            KeyMode::Test,
            2,
        )
        .await;

        let assets = assets.unwrap_or_else(|| write_fake_dist(dir.path()));
        let mut child = sitekit()
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                &db_url,
                "--assets-dir",
            ])
            .arg(&assets)
            .args(serve_args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("sitekit starts");
        let url = listening_url(&mut child).await;
        TestServer {
            url,
            faq_key,
            failing_key,
            down_key,
            disabled_key,
            patterns_test_key,
            patterns_live_key,
            budget_key,
            tenant_id: tenant.id.clone(),
            db_url,
            child,
            _database: database,
            dir,
        }
    }

    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// The server's database, opened as the server opens it.
    pub async fn db(&self) -> Db {
        open_db(&self.db_url).await
    }

    /// Sends SIGTERM, as a process manager stopping the server would.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the server is running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// The server process's resident memory (`VmRSS` in `/proc`), in KiB.
    pub fn rss_kib(&self) -> u64 {
        let pid = self.child.id().expect("the server is running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
    }

    /// Waits for the server process to exit (at most `limit`); true if it did.
    pub async fn exited_within(&mut self, limit: std::time::Duration) -> bool {
        tokio::time::timeout(limit, self.child.wait()).await.is_ok()
    }

    /// Another `sitekit serve` on the same database: a second node.
    pub async fn another_node(&self, serve_args: &[&str]) -> Node {
        self.node(sitekit(), serve_args).await
    }

    /// A second node, started with extra `serve_args`, logging what `filter`
    /// (a `SITEKIT_LOG` value) lets through, and its log, which ends when the
    /// node is dropped (and stops).
    pub async fn another_node_logging(
        &self,
        filter: &str,
        serve_args: &[&str],
    ) -> (Node, ChildStderr) {
        let mut command = sitekit();
        command.env("SITEKIT_LOG", filter).stderr(Stdio::piped());
        let mut node = self.node(command, serve_args).await;
        let log = node.child.stderr.take().expect("stderr is piped");
        (node, log)
    }

    async fn node(&self, mut command: Command, serve_args: &[&str]) -> Node {
        let mut child = command
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                &self.db_url,
            ])
            .arg("--assets-dir")
            .arg(self.dir.path().join("dist"))
            .args(serve_args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("sitekit starts");
        let url = listening_url(&mut child).await;
        Node { url, child }
    }

    /// An admin request with `key`, and a JSON body when there is one.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let request = self
            .client()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(key);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.unwrap()
    }

    /// An SDK client for `key`, presenting itself as a page on [`SITE`].
    pub fn sdk(&self, key: &str) -> sitekit_sdk::Client {
        sitekit_sdk::Client::new(&self.url, key).with_origin(SITE)
    }
}

/// A second server process, stopped when dropped.
pub struct Node {
    pub url: String,
    child: Child,
}

/// The visitor's messages on `thread` once at least `count` are kept: the server
/// writes a run's exchange just after its stream ends. Fails after 10 s.
pub async fn kept_messages(
    visitor: &sitekit_sdk::Client,
    thread: &str,
    count: usize,
) -> Vec<sitekit_sdk::agui::Message> {
    for _ in 0..100 {
        let messages = visitor.thread(thread).await.unwrap().messages;
        if messages.len() >= count {
            return messages;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the thread {thread} did not reach {count} messages in 10 s");
}

/// Whether `server_url` accepts a session token, without running the agent: a
/// chat with no messages is refused as a bad body (400) only after the token
/// passed; a token that does not pass gets 401.
pub async fn session_is_accepted(server_url: &str, token: &str) -> bool {
    let response = reqwest::Client::new()
        .post(format!("{server_url}/v1/chat"))
        .header("origin", SITE)
        .bearer_auth(token)
        .json(&serde_json::json!({ "threadId": "t", "runId": "r", "messages": [] }))
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        400 => true,
        401 => false,
        other => panic!(
            "unexpected status {other}: {}",
            response.text().await.unwrap()
        ),
    }
}

/// The base URL a `sitekit serve` started with piped stdout announces.
pub async fn listening_url(child: &mut Child) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .next_line()
        .await
        .unwrap()
        .expect("sitekit prints its address");
    line.strip_prefix("sitekit listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned()
}

/// Flips the stored flag directly: the server must refuse a disabled widget
/// however it came to be disabled.
async fn sqlx_disable_widget(db_url: &str, key: &str) {
    let key = ParsedKey::parse(key).unwrap();
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    sqlx::query("UPDATE widgets SET enabled = 0 WHERE id = (SELECT widget_id FROM api_keys WHERE secret_hash = $1)")
        .bind(key.hash())
        .execute(&pool)
        .await
        .unwrap();
}

/// The stand-in `dist/`'s pinned loader: `loader.js`'s bytes under a hashed name.
pub const FAKE_PINNED_LOADER: &str = "loader-00112233aabbccdd.js";

/// The stand-in `dist/`'s dashboard page, naming its script and stylesheet as
/// the built page does.
pub const FAKE_DASHBOARD_PAGE: &str = r#"<!doctype html><title>Site Kit dashboard</title>
<link rel="stylesheet" href="v1/assets/dashboard-0123456789abcdef.css">
<script type="module" src="v1/assets/dashboard-0123456789abcdef.js"></script>"#;

/// A stand-in `dist/`: these tests check how the server serves whatever the build
/// produced; the real build is exercised by the end-to-end tests.
pub fn write_fake_dist(dir: &Path) -> PathBuf {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let loader: &[u8] = b"console.log('loader identity')";
    let files: [(&str, &[u8]); 14] = [
        ("loader.js", loader),
        ("loader.js.br", b"loader-brotli-bytes"),
        ("loader.js.gz", b"loader-gzip-bytes"),
        (FAKE_PINNED_LOADER, loader),
        ("widget-0123456789abcdef.js", b"export default function(){}"),
        ("widget-0123456789abcdef.js.br", b"widget-js-brotli"),
        ("widget-0123456789abcdef.js.gz", b"widget-js-gzip"),
        ("widget-fedcba9876543210.wasm", b"\0asm\x01\0\0\0"),
        ("widget-fedcba9876543210.wasm.br", b"widget-wasm-brotli"),
        ("widget-fedcba9876543210.wasm.gz", b"widget-wasm-gzip"),
        ("dashboard.html", FAKE_DASHBOARD_PAGE.as_bytes()),
        (
            "dashboard-preview.html",
            b"<!doctype html><title>Preview</title>",
        ),
        ("dashboard-0123456789abcdef.js", b"export {}"),
        ("dashboard-0123456789abcdef.css", b"body{margin:0}"),
    ];
    for (name, bytes) in files {
        std::fs::write(dist.join(name), bytes).unwrap();
    }
    let manifest = serde_json::json!({
        "loader": "loader.js",
        "widgetJs": "widget-0123456789abcdef.js",
        "widgetWasm": "widget-fedcba9876543210.wasm",
        "pinnedLoader": FAKE_PINNED_LOADER,
        "loaderIntegrity": sitekit_embed_server::assets::subresource_integrity(loader),
        "dashboard": "dashboard.html",
        "dashboardPreview": "dashboard-preview.html",
        "dashboardJs": "dashboard-0123456789abcdef.js",
        "dashboardCss": "dashboard-0123456789abcdef.css",
    });
    std::fs::write(dist.join("manifest.json"), manifest.to_string()).unwrap();
    dist
}

/// Asserts an API error response: status and the stable code of the JSON body.
pub async fn assert_api_error(response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "body {body}");
    let message = body["error"]["message"].as_str().unwrap().to_owned();
    assert!(!message.is_empty());
    message
}
