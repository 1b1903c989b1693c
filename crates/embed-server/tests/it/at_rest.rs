//! What a leaked database gives away: no secret or restricted key (only their
//! SHA-256 hashes), no agent's runtime key and no session signing secret (those
//! sealed under the master key, which is not in the database), on SQLite (the
//! file and its WAL, read as bytes) and on PostgreSQL (every row of every table,
//! as text). Also: what an earlier release stored in plain text is sealed on the
//! first start.

use std::path::Path;
use std::process::Stdio;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sitekit_embed_server::chat::session::{SessionClaims, SessionSigner};
use sitekit_embed_server::codec::random_base62;
use sitekit_embed_server::db::{Db, now_unix};
use sitekit_sdk::admin::AgentTimeouts;
use tokio::process::{Child, Command};

use crate::support::{
    Langflow, SITE, TempDir, TestDatabase, TestServer, create_widget, listening_url,
    session_is_accepted, sitekit, widget_request, write_fake_dist,
};

/// A question the FAQ flow answers, and how its answer starts.
const QUESTION: &str = "How do I install the snippet?";
const FAQ_ANSWER: &str = "To install Site Kit embed, copy the snippet";

#[tokio::test]
async fn the_database_holds_hashes_of_keys_never_the_keys() {
    let server = TestServer::in_process().await;
    let from_cli = server.secret_key().await;
    let created = server
        .admin(
            Method::POST,
            "/v1/keys",
            &from_cli,
            Some(json!({ "kind": "restricted", "scopes": ["widgets:read"] })),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let from_api = created["key"].as_str().unwrap().to_owned();
    let rotated = server
        .admin(
            Method::POST,
            &format!("/v1/keys/{}/rotate", created["id"].as_str().unwrap()),
            &from_cli,
            Some(json!({})),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let from_rotation = rotated["key"].as_str().unwrap().to_owned();

    let stored = stored_text(&server.db_url).await;
    for key in [&from_cli, &from_api, &from_rotation] {
        // The random part alone must not be there either (e.g. without its prefix).
        let random_part = &key[key.len() - 36..key.len() - 6];
        assert!(!stored.contains(random_part), "a key is stored readable");
        let hash: String = Sha256::digest(key.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert!(
            stored.contains(&hash),
            "the key's hash is not where this test looks: it reads the wrong data"
        );
    }
}

/// Everything the database holds, as one string.
pub async fn stored_text(db_url: &str) -> String {
    if let Some(path) = db_url.strip_prefix("sqlite://") {
        // Recent writes may still sit in the write-ahead log: read it too.
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
                bytes.extend(more);
            }
        }
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut text = String::new();
    for table in tables {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(t AS TEXT) FROM {table} t"
        )))
        .fetch_all(&pool)
        .await
        .unwrap();
        text.extend(rows);
    }
    text
}

#[tokio::test]
async fn the_database_holds_no_runtime_key_and_no_session_signing_secret() {
    let server = TestServer::spawn().await;
    let langflow = Langflow::from_env().await;
    let secret = server.secret_key().await;
    // Each agent starts on a key of its own, then is changed to Langflow's.
    let first_keys = [unique("cli-runtime-key"), unique("api-runtime-key")];

    // Made and changed with the CLI.
    let db_url = &server.db_url;
    let agent = cli_json(
        db_url,
        &[
            "agents",
            "create",
            "--tenant",
            &server.tenant_id,
            "--name",
            "CLI agent",
        ],
        &["--base-url", &langflow.url, "--flow-id", &langflow.faq_flow],
        Some(&first_keys[0]),
    )
    .await;
    let agent_id = agent["id"].as_str().unwrap();
    cli_json(
        db_url,
        &["agents", "update", agent_id],
        &[],
        Some(&langflow.key),
    )
    .await;
    let widget = cli_json(
        db_url,
        &["widgets", "create", "--agent", agent_id, "--origin", SITE],
        &[],
        None,
    )
    .await;
    let cli_widget_key = widget["publishableKey"].as_str().unwrap().to_owned();

    // Made and changed through the admin API.
    let created = admin_json(
        &server,
        Method::POST,
        "/v1/agents",
        &secret,
        json!({ "name": "API agent", "baseUrl": langflow.url, "flowId": langflow.faq_flow,
                "runtimeKey": first_keys[1] }),
    )
    .await;
    let path = format!("/v1/agents/{}", created["id"].as_str().unwrap());
    let body = json!({ "runtimeKey": langflow.key });
    admin_json(&server, Method::PATCH, &path, &secret, body).await;
    let widget = admin_json(
        &server,
        Method::POST,
        "/v1/widgets",
        &secret,
        json!({ "agentId": created["id"], "allowedOrigins": [SITE] }),
    )
    .await;
    let api_widget_key = widget["publishableKey"].as_str().unwrap().to_owned();

    // With the master key the server opens both: their chats reach Langflow
    // with its key.
    for widget_key in [&cli_widget_key, &api_widget_key] {
        assert!(
            answer(&server.url, widget_key)
                .await
                .starts_with(FAQ_ANSWER)
        );
    }

    let signing_key = server
        .db()
        .await
        .session_signing_keys()
        .await
        .unwrap()
        .current;
    let stored = stored_text(&server.db_url).await;
    for (what, secret) in [
        ("Langflow's runtime key", &langflow.key),
        ("a runtime key given with the CLI", &first_keys[0]),
        ("a runtime key given through the API", &first_keys[1]),
        ("the session signing key", &signing_key),
    ] {
        assert!(
            !stored.contains(secret.as_str()),
            "{what} is stored readable"
        );
    }

    // Whoever has only the database cannot mint a session with anything in it.
    let claims = claims_of(&server.sdk(&server.faq_key).session().await.unwrap().token);
    let with_signing_key = SessionSigner::new(signing_key.as_bytes()).sign(&claims);
    assert!(
        session_is_accepted(&server.url, &with_signing_key).await,
        "a token re-signed with the real key must pass, or this test forges nothing"
    );
    let values = stored_secrets(&server.db_url).await;
    assert!(values.len() > 2, "{values:?}");
    for (place, value) in values {
        let forged = SessionSigner::new(value.as_bytes()).sign(&claims);
        assert!(
            !session_is_accepted(&server.url, &forged).await,
            "a token signed with the stored {place} passed"
        );
    }
}

#[tokio::test]
async fn secrets_an_earlier_release_stored_in_plain_text_are_sealed_on_the_first_start() {
    let langflow = Langflow::from_env().await;
    let dir = TempDir::new();
    let database = TestDatabase::create(&dir).await;
    // What the release before sealing wrote: plain values, with no master key.
    let db = Db::open(&database.url).await.unwrap();
    let tenant = db.create_tenant("Before sealing").await.unwrap();
    let agent_id = insert_plain_agent(&database.url, &tenant.id, &langflow).await;
    let agent = db.agent(&agent_id).await.unwrap().unwrap();
    let (_, widget_key) = create_widget(&db, &agent, &widget_request(&agent_id, &[SITE])).await;
    let signing_key = random_base62(64);
    let pool = sqlx::AnyPool::connect(&database.url).await.unwrap();
    sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3)")
        .bind("session_signing_key")
        .bind(&signing_key)
        .bind(now_unix())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    drop(db);

    let (_server, url) = serve(&database.url, dir.path(), sitekit()).await;
    for (place, value) in stored_secrets(&database.url).await {
        assert!(value.starts_with("sealed:v1:"), "{place} is not sealed");
    }
    let stored = stored_text(&database.url).await;
    assert!(
        !stored.contains(&langflow.key),
        "the runtime key is still readable"
    );
    assert!(
        !stored.contains(&signing_key),
        "the signing key is still readable"
    );

    // It works as before: the agent's key still reaches Langflow, and sessions
    // are signed with the same secret (those from before the upgrade still pass).
    assert!(
        answer(&url, widget_key.expose())
            .await
            .starts_with(FAQ_ANSWER)
    );
    let session = sitekit_sdk::Client::new(&url, widget_key.expose())
        .with_origin(SITE)
        .session()
        .await
        .unwrap();
    SessionSigner::new(signing_key.as_bytes())
        .verify(&session.token, now_unix())
        .expect("signed with the secret stored before the upgrade");
}

/// Every stored secret as it is stored, named by where it is: agents' runtime
/// keys and the server's secrets, sorted.
pub async fn stored_secrets(db_url: &str) -> Vec<(String, String)> {
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    let agents: Vec<(String, String)> = sqlx::query_as("SELECT id, runtime_key FROM agents")
        .fetch_all(&pool)
        .await
        .unwrap();
    let server: Vec<(String, String)> = sqlx::query_as("SELECT name, value FROM server_secrets")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    let mut secrets: Vec<(String, String)> = agents
        .into_iter()
        .map(|(id, value)| (format!("runtime key of {id}"), value))
        .chain(server)
        .collect();
    secrets.sort();
    secrets
}

/// An agent on Langflow's FAQ flow stored as the release before sealing stored
/// one: its runtime key in plain text. Returns its id.
pub async fn insert_plain_agent(db_url: &str, tenant_id: &str, langflow: &Langflow) -> String {
    let id = format!("agt_{}", random_base62(20));
    let timeouts = AgentTimeouts::default();
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    sqlx::query(
        "INSERT INTO agents (id, tenant_id, name, runtime, base_url, flow_id, runtime_key, created_at, \
         model, system_prompt, connect_timeout_ms, first_event_timeout_ms, idle_timeout_ms, \
         total_timeout_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(tenant_id)
    .bind("Plain agent")
    .bind("langflow")
    .bind(&langflow.url)
    .bind(&langflow.faq_flow)
    .bind(&langflow.key)
    .bind(now_unix())
    .bind("")
    .bind("")
    .bind(i64::from(timeouts.connect_ms))
    .bind(i64::from(timeouts.first_event_ms))
    .bind(i64::from(timeouts.idle_ms))
    .bind(i64::from(timeouts.total_ms))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    id
}

/// `command serve` on `db_url` with a stand-in `dist/` in `dir`: the running
/// server (stopped when dropped) and its URL.
pub async fn serve(db_url: &str, dir: &Path, mut command: Command) -> (Child, String) {
    let mut child = command
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", db_url])
        .arg("--assets-dir")
        .arg(write_fake_dist(dir))
        .stdout(Stdio::piped())
        .spawn()
        .expect("sitekit starts");
    let url = listening_url(&mut child).await;
    (child, url)
}

/// The FAQ flow's answer to [`QUESTION`] through the server at `url`.
pub async fn answer(url: &str, widget_key: &str) -> String {
    let client = sitekit_sdk::Client::new(url, widget_key).with_origin(SITE);
    let mut answer = client.answer("at-rest", QUESTION).await.unwrap();
    let mut text = String::new();
    while let Some(delta) = answer.next().await {
        text.push_str(&delta.unwrap());
    }
    text
}

/// What a session token vouches for, read from the token.
fn claims_of(token: &str) -> SessionClaims {
    let (body, _) = token.split_once('.').unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap()
}

/// A value found nowhere else, labelled.
fn unique(label: &str) -> String {
    format!("{label}-{}", random_base62(24))
}

/// `sitekit <args> <more> --json`, with a runtime key in the environment.
async fn cli_json(db_url: &str, args: &[&str], more: &[&str], runtime_key: Option<&str>) -> Value {
    let mut command = sitekit();
    if let Some(runtime_key) = runtime_key {
        command.env("SITEKIT_RUNTIME_KEY", runtime_key);
    }
    let output = command
        .args(["--database-url", db_url])
        .args(args)
        .args(more)
        .arg("--json")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "sitekit {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// An admin request that must succeed; its JSON answer.
async fn admin_json(
    server: &TestServer,
    method: Method,
    path: &str,
    key: &str,
    body: Value,
) -> Value {
    let response = server.admin(method, path, key, Some(body)).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}
