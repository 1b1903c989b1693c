//! What tests do to a [`TestServer`]: make keys and a second tenant as the
//! operator does, call the admin API and the page routes, and run the admin
//! commands against it remotely.

use reqwest::Method;
use serde_json::{Value, json};
use sitekit_embed_server::keys::ParsedKey;
use sitekit_embed_server::tenants::OrgRoles;
use sitekit_sdk::admin::NewWidgetRequest;

use super::local_cli::json_of;
use super::runtime::{DOWN_RUNTIME, sitekit};
use super::seed::{create_agent, create_widget, widget_request};
use super::{SITE, TempDir, TestServer};

/// What a publishable key's usage is counted under.
#[derive(Debug, Clone)]
pub struct KeyIds {
    pub tenant: String,
    pub agent: String,
    pub widget: String,
    pub key: String,
}

/// What one `sitekit` run printed.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl TestServer {
    /// A key made with `sitekit keys create --tenant <tenant> <extra> --json`:
    /// (id, key).
    pub async fn key(&self, tenant: &str, extra: &[&str]) -> (String, String) {
        let mut args = vec!["keys", "create", "--tenant", tenant];
        args.extend(extra);
        args.push("--json");
        let created = json_of(&self.db_url, &args).await;
        (
            created["id"].as_str().unwrap().to_owned(),
            created["key"].as_str().unwrap().to_owned(),
        )
    }

    /// A secret key of the server's tenant.
    pub async fn secret_key(&self) -> String {
        self.key(&self.tenant_id, &["--kind", "secret"]).await.1
    }

    /// A new organisation that sells agents, and a secret key of its own:
    /// (tenant id, key).
    pub async fn seller(&self, name: &str) -> (String, String) {
        let roles = OrgRoles {
            buyer: false,
            seller: true,
        };
        let seller = self
            .db()
            .await
            .create_organisation(name, roles)
            .await
            .unwrap();
        let (_, secret) = self.key(&seller.id, &["--kind", "secret"]).await;
        (seller.id, secret)
    }

    /// A new organisation that buys agents (as every tenant made before
    /// sellers existed), and a secret key of its own: (tenant id, key).
    pub async fn buyer(&self, name: &str) -> (String, String) {
        let buyer = self.db().await.create_tenant(name).await.unwrap();
        let (_, secret) = self.key(&buyer.id, &["--kind", "secret"]).await;
        (buyer.id, secret)
    }

    /// A second tenant with one widget of its own; returns (tenant id, widget id).
    pub async fn other_tenant(&self) -> (String, String) {
        let db = self.db().await;
        let tenant = db.create_tenant("Other Company").await.unwrap();
        let agent = create_agent(&db, &tenant.id, DOWN_RUNTIME, "f", "k").await;
        let request = NewWidgetRequest {
            title: Some("Their widget".into()),
            ..widget_request(&agent.id, &["https://them.example"])
        };
        let (widget, _) = create_widget(&db, &agent, &request).await;
        (tenant.id, widget.id)
    }

    /// An admin request with `key`, and a JSON body when there is one.
    pub async fn admin(
        &self,
        method: Method,
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

    /// An admin `GET` with `key`.
    pub async fn get(&self, path: &str, key: &str) -> reqwest::Response {
        self.admin(Method::GET, path, key, None).await
    }

    /// An admin `GET` with `key`, which must answer 200 with JSON.
    pub async fn get_json(&self, path: &str, key: &str) -> Value {
        let response = self.get(path, key).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// A secret key and a new agent of the server's tenant, on a runtime that
    /// is down.
    pub async fn secret_and_agent(&self) -> (String, String) {
        let secret = self.secret_key().await;
        let body =
            json!({ "name": "A", "baseUrl": DOWN_RUNTIME, "flowId": "f", "runtimeKey": "k" });
        let agent: Value = self
            .admin(Method::POST, "/v1/agents", &secret, Some(body))
            .await
            .json()
            .await
            .unwrap();
        (secret, agent["id"].as_str().unwrap().to_owned())
    }

    /// A secret key and what `POST /v1/widgets` answered when it made a new
    /// test-mode widget allowed on [`SITE`], on a new agent.
    pub async fn secret_and_widget(&self) -> (String, Value) {
        let (secret, agent) = self.secret_and_agent().await;
        let body = json!({ "agentId": agent, "allowedOrigins": [SITE], "testMode": true });
        let created = self.post_widget(&secret, body).await;
        (secret, created)
    }

    /// `POST /v1/widgets` with `secret`, which must create the widget.
    pub async fn post_widget(&self, secret: &str, body: Value) -> Value {
        let response = self
            .admin(Method::POST, "/v1/widgets", secret, Some(body))
            .await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    /// What a page on [`SITE`] gets from `GET /v1/widgets/<key>/config`.
    pub async fn widget_config(&self, publishable_key: &str) -> reqwest::Response {
        self.client()
            .get(format!("{}/v1/widgets/{publishable_key}/config", self.url))
            .header("origin", SITE)
            .send()
            .await
            .unwrap()
    }

    /// The JSON a page on [`SITE`] gets from `GET /v1/widgets/<key>/config`,
    /// which must answer 200.
    pub async fn page_config(&self, publishable_key: &str) -> Value {
        let response = self.widget_config(publishable_key).await;
        assert_eq!(response.status(), 200, "the widget's config");
        response.json().await.unwrap()
    }

    /// The ids a publishable key's usage is counted under.
    pub async fn key_ids(&self, publishable_key: &str) -> KeyIds {
        let db = self.db().await;
        let key = ParsedKey::parse(publishable_key).unwrap();
        let (widget, record) = db.widget_by_publishable_key(&key).await.unwrap().unwrap();
        KeyIds {
            tenant: widget.tenant_id,
            agent: widget.agent_id,
            widget: widget.id,
            key: record.id,
        }
    }

    /// The id of the widget a publishable key belongs to.
    pub async fn widget_id(&self, publishable_key: &str) -> String {
        self.key_ids(publishable_key).await.widget
    }

    /// A session token (and its visitor id) for a page on [`SITE`].
    pub async fn session(&self, publishable_key: &str) -> (String, String) {
        let session = self.sdk(publishable_key).session().await.unwrap();
        (session.token, session.visitor_id)
    }

    /// `GET /v1/threads/<thread>` with a session's token, which must succeed.
    pub async fn read_thread(&self, token: &str, thread: &str) -> Value {
        let response = self
            .client()
            .get(format!("{}/v1/threads/{thread}", self.url))
            .header("origin", SITE)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Runs `sitekit --server <server> <args>` with `key` in
    /// `SITEKIT_ADMIN_KEY` (as a careful user passes it) and a local database
    /// that must never be created.
    pub async fn remote(&self, key: &str, args: &[&str]) -> Run {
        let untouched = TempDir::new();
        let local = untouched.path().join("never.db");
        let output = sitekit()
            .arg("--database-url")
            .arg(format!("sqlite://{}", local.display()))
            .args(["--server", &self.url])
            .args(args)
            .env("SITEKIT_ADMIN_KEY", key)
            .env("SITEKIT_RUNTIME_KEY", "runtime-secret")
            // Errors must read as one line whatever the caller's environment says.
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .output()
            .await
            .unwrap();
        assert!(
            !local.exists(),
            "sitekit {args:?} opened the local database"
        );
        Run {
            ok: output.status.success(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// A remote `sitekit` run with `--json`, which must succeed.
    pub async fn remote_json(&self, key: &str, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let run = self.remote(key, &args).await;
        assert!(run.ok, "sitekit {args:?} failed: {}", run.stderr);
        serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("not JSON: {}", run.stdout))
    }

    /// A remote `sitekit` run that must fail with one line on stderr
    /// containing `expected`.
    pub async fn remote_error(&self, key: &str, args: &[&str], expected: &str) {
        let run = self.remote(key, args).await;
        assert!(!run.ok, "sitekit {args:?} succeeded: {}", run.stdout);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(run.stderr.contains(expected), "{}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    }
}
