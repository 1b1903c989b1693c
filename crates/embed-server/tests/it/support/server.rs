//! The [`TestServer`] fixture: a server on a fresh database with a tenant and
//! its widgets, run as a `sitekit serve` process in front of the Langflow
//! runtime the test run provides, or in the test's own process in front of no
//! runtime at all.

use std::path::PathBuf;
use std::process::Stdio;

use sitekit_embed_server::assets::AssetStore;
use sitekit_embed_server::db::Db;
use sitekit_embed_server::keys::KeyMode;
use sitekit_embed_server::state::ServerConfig;
use sitekit_embed_server::{AppState, kept_releases, serve};
use sitekit_sdk::admin::NewWidgetRequest;
use tokio::net::TcpListener;
use tokio::process::{Child, ChildStderr, Command};
use tokio::sync::oneshot;

use super::database::{TestDatabase, open_db};
use super::dist::write_fake_dist;
use super::runtime::{DOWN_RUNTIME, Langflow, local_runtimes, sitekit};
use super::seed::{create_agent, create_widget_with_mode, sqlx_disable_widget, widget_request};
use super::{SITE, TempDir, listening_url};

/// A server with its own database and widgets: `faq` (the FAQ flow), `failing`
/// (a flow that raises), `down` (a runtime that is not running) and `disabled`,
/// all allowed on [`SITE`], and two widgets allowed by patterns.
///
/// [`TestServer::spawn`] runs `sitekit serve` in front of Langflow, for what
/// needs an agent to answer or the process itself (signals, memory, its log).
/// [`TestServer::in_process`] serves the library's `app` from the test's own
/// process with every agent on a runtime that is down: for what happens before
/// or beside a run (admin API, sessions, origins, limits, assets, the spec).
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
    running: Running,
    _database: TestDatabase,
    dir: TempDir,
}

/// How a test server runs.
enum Running {
    /// `sitekit serve`, killed when dropped.
    Process(Child),
    /// The library's `serve` in this process, stopped when dropped.
    InProcess { _serving: ServeThread },
}

/// `serve` on a thread and runtime of its own, as a process runs it: dropping
/// it stops the server and, with its runtime, every task the server started
/// and every connection it holds, before the test's database is dropped.
/// (On the test's own runtime, the server's database connections would stay
/// open while the test's end drops the database, which PostgreSQL waits on.)
struct ServeThread {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServeThread {
    /// Serves on `listener` the database at `db_url`, the assets in `dist`,
    /// set up as `config`, once the server's state is built.
    async fn start(
        listener: std::net::TcpListener,
        db_url: String,
        dist: PathBuf,
        config: ServerConfig,
    ) -> ServeThread {
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready, started) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let db = open_db(&db_url).await;
                let assets = AssetStore::locate(Some(&dist)).unwrap();
                kept_releases::keep_release(&db, &assets, KEPT_RELEASES)
                    .await
                    .unwrap();
                let state = AppState::build(db, assets, config).await.unwrap();
                listener.set_nonblocking(true).unwrap();
                let listener = TcpListener::from_std(listener).unwrap();
                let _ = ready.send(());
                tokio::select! {
                    served = serve(listener, state, std::future::pending()) => served.unwrap(),
                    _ = stopped => {}
                }
            });
        });
        started.await.expect("the in-process server starts");
        ServeThread {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for ServeThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The tenant and widget keys every test server starts with.
struct Seeded {
    tenant_id: String,
    faq_key: String,
    failing_key: String,
    down_key: String,
    disabled_key: String,
    patterns_test_key: String,
    patterns_live_key: String,
    budget_key: String,
}

impl Seeded {
    /// Seeds `db` with agents on `runtime` and their widgets.
    async fn new(db: &Db, db_url: &str, runtime: &Langflow) -> Seeded {
        let tenant = db.create_tenant("Test Company").await.unwrap();
        let widget_on =
            async |base_url: &str, flow_id: &str, origins: &[&str], mode: KeyMode, budget: u32| {
                let agent = create_agent(db, &tenant.id, base_url, flow_id, &runtime.key).await;
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
                let (_, key) = create_widget_with_mode(db, &agent, &request, mode).await;
                key.expose().to_owned()
            };
        let widget_for = async |base_url: &str, flow_id: &str| {
            widget_on(base_url, flow_id, &[SITE], KeyMode::Test, 0).await
        };
        let patterns = ["http://localhost:*", "https://*.example.com"];
        let (url, faq) = (runtime.url.as_str(), runtime.faq_flow.as_str());
        let seeded = Seeded {
            faq_key: widget_for(url, faq).await,
            failing_key: widget_for(url, &runtime.failing_flow).await,
            down_key: widget_for(DOWN_RUNTIME, faq).await,
            disabled_key: widget_for(url, faq).await,
            patterns_test_key: widget_on(url, faq, &patterns, KeyMode::Test, 0).await,
            patterns_live_key: widget_on(url, faq, &patterns, KeyMode::Live, 0).await,
            budget_key: widget_on(DOWN_RUNTIME, faq, &[SITE], KeyMode::Test, 2).await,
            tenant_id: tenant.id.clone(),
        };
        sqlx_disable_widget(db_url, &seeded.disabled_key).await;
        seeded
    }
}

/// Releases whose assets a server keeps, as `sitekit serve` does by default.
const KEPT_RELEASES: u32 = 20;

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
        let seeded = Seeded::new(&open_db(&db_url).await, &db_url, &langflow).await;
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
        Self::new(url, seeded, Running::Process(child), database, dir)
    }

    /// A server in the test's own process, set up as a bare `sitekit serve`.
    pub async fn in_process() -> TestServer {
        Self::in_process_with(|_| {}).await
    }

    /// A server in the test's own process, set up as a bare `sitekit serve`
    /// and then as `configure` says.
    pub async fn in_process_with(configure: impl FnOnce(&mut ServerConfig)) -> TestServer {
        Self::in_process_on(Self::listener(), configure).await
    }

    /// A socket for [`TestServer::in_process_on`]: its address is the server's
    /// before the server starts.
    pub fn listener() -> std::net::TcpListener {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap()
    }

    /// [`TestServer::in_process_with`] on `listener`.
    pub async fn in_process_on(
        listener: std::net::TcpListener,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        let dir = TempDir::new();
        let database = TestDatabase::create(&dir).await;
        let db_url = database.url.clone();
        let seeded = Seeded::new(&open_db(&db_url).await, &db_url, &Langflow::absent()).await;
        let dist = write_fake_dist(dir.path());
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut config = ServerConfig::new(url.clone(), local_runtimes());
        configure(&mut config);
        let serving = ServeThread::start(listener, db_url, dist, config).await;
        Self::new(
            url,
            seeded,
            Running::InProcess { _serving: serving },
            database,
            dir,
        )
    }

    fn new(
        url: String,
        seeded: Seeded,
        running: Running,
        database: TestDatabase,
        dir: TempDir,
    ) -> TestServer {
        TestServer {
            url,
            faq_key: seeded.faq_key,
            failing_key: seeded.failing_key,
            down_key: seeded.down_key,
            disabled_key: seeded.disabled_key,
            patterns_test_key: seeded.patterns_test_key,
            patterns_live_key: seeded.patterns_live_key,
            budget_key: seeded.budget_key,
            tenant_id: seeded.tenant_id,
            db_url: database.url.clone(),
            running,
            _database: database,
            dir,
        }
    }

    /// The server process; only [`TestServer::spawn`] has one.
    fn child(&self) -> &Child {
        match &self.running {
            Running::Process(child) => child,
            Running::InProcess { .. } => panic!("an in-process server has no process of its own"),
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
        let pid = self.child().id().expect("the server is running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// The server process's resident memory (`VmRSS` in `/proc`), in KiB.
    pub fn rss_kib(&self) -> u64 {
        let pid = self.child().id().expect("the server is running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
    }

    /// Waits for the server process to exit (at most `limit`); true if it did.
    pub async fn exited_within(&mut self, limit: std::time::Duration) -> bool {
        let Running::Process(child) = &mut self.running else {
            panic!("an in-process server has no process of its own");
        };
        tokio::time::timeout(limit, child.wait()).await.is_ok()
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

impl Node {
    /// Kills the process outright (SIGKILL), as a machine that dies would:
    /// nothing it holds is finished or recorded.
    pub async fn kill(&mut self) {
        self.child.kill().await.unwrap();
    }
}
