//! The `sitekit` admin commands against a running server (`--server`, `--key`),
//! through the SDK's admin client: the same operations and the same JSON as on
//! the local database, for the key's tenant only.

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::{get, key, other_tenant};
use crate::cli;
use crate::support::{TempDir, TestServer, sitekit};
use crate::usage::{send_message, wait_for_runs, widget_id};

/// What one `sitekit` run printed.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs `sitekit --server <server> <args>` with `key` in `SITEKIT_ADMIN_KEY` (as
/// a careful user passes it) and a local database that must never be created.
async fn remote(server: &TestServer, key: &str, args: &[&str]) -> Run {
    let untouched = TempDir::new();
    let local = untouched.path().join("never.db");
    let output = sitekit()
        .arg("--database-url")
        .arg(format!("sqlite://{}", local.display()))
        .args(["--server", &server.url])
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

/// `remote(…)` with `--json`, which must succeed.
pub async fn remote_json(server: &TestServer, key: &str, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let run = remote(server, key, &args).await;
    assert!(run.ok, "sitekit {args:?} failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("not JSON: {}", run.stdout))
}

/// `remote(…)` that must fail with one line on stderr containing `expected`.
pub async fn remote_error(server: &TestServer, key: &str, args: &[&str], expected: &str) {
    let run = remote(server, key, args).await;
    assert!(!run.ok, "sitekit {args:?} succeeded: {}", run.stdout);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
}

pub async fn api(server: &TestServer, key: &str, path: &str) -> Value {
    let response = get(server, path, key).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn agents_and_widgets_are_managed_remotely_as_the_api_sees_them() {
    let server = TestServer::spawn().await;
    let (_, secret) = key(&server, &server.tenant_id, &["--kind", "secret"]).await;

    let agent = remote_json(
        &server,
        &secret,
        &[
            "agents",
            "create",
            "--name",
            "Remote FAQ",
            "--base-url",
            "http://127.0.0.1:9",
            "--flow-id",
            "faq",
        ],
    )
    .await;
    let agent_id = agent["id"].as_str().unwrap();
    assert_eq!(
        agent,
        api(&server, &secret, &format!("/v1/agents/{agent_id}")).await
    );
    assert!(!agent.to_string().contains("runtime-secret"));
    let agents = remote_json(&server, &secret, &["agents", "list"]).await;
    assert_eq!(agents, api(&server, &secret, "/v1/agents").await);
    let renamed = remote_json(
        &server,
        &secret,
        &["agents", "update", agent_id, "--name", "Renamed"],
    )
    .await;
    assert_eq!(renamed["name"], "Renamed");
    let shown = remote(&server, &secret, &["agents", "show", agent_id]).await;
    assert!(
        shown.ok && shown.stdout.contains("Renamed"),
        "{}",
        shown.stdout
    );

    let created = remote_json(
        &server,
        &secret,
        &[
            "widgets",
            "create",
            "--agent",
            agent_id,
            "--origin",
            "https://shop.example.com",
            "--title",
            "Remote help",
        ],
    )
    .await;
    let widget_id = created["widget"]["id"].as_str().unwrap();
    let publishable = created["publishableKey"].as_str().unwrap();
    assert!(publishable.starts_with("skt_pub_live_"));
    // The snippet names the server as it serves itself, not a local --public-url.
    assert!(
        created["snippet"]
            .as_str()
            .unwrap()
            .contains(&format!("{}/v1/loader.js", server.url)),
        "{created}"
    );
    let path = format!("/v1/widgets/{widget_id}");
    assert_eq!(created["widget"], api(&server, &secret, &path).await);
    let widgets = remote_json(&server, &secret, &["widgets", "list"]).await;
    assert_eq!(widgets, api(&server, &secret, "/v1/widgets").await);
    assert_eq!(widgets["widgets"].as_array().unwrap().len(), 8);
    // The local database, filtered to the tenant, prints the very same JSON.
    for list in ["agents", "widgets", "keys"] {
        let local = cli::json_of(
            &server.db_url,
            &[list, "list", "--tenant", &server.tenant_id, "--json"],
        )
        .await;
        assert_eq!(local, remote_json(&server, &secret, &[list, "list"]).await);
    }

    let updated = remote_json(
        &server,
        &secret,
        &[
            "widgets",
            "update",
            widget_id,
            "--title",
            "New title",
            "--disable",
            "--starter-prompt",
            "Opening hours?",
        ],
    )
    .await;
    let stored = api(&server, &secret, &path).await;
    assert_eq!(updated, stored);
    assert_eq!(stored["title"], "New title");
    assert_eq!(stored["enabled"], false);
    assert_eq!(stored["starterPrompts"], json!(["Opening hours?"]));
    let shown = remote(&server, &secret, &["widgets", "show", widget_id]).await;
    assert!(
        shown.ok && shown.stdout.contains("New title") && shown.stdout.contains("disabled"),
        "{}",
        shown.stdout
    );

    let snippet = remote_json(&server, &secret, &["widgets", "snippet", widget_id]).await;
    assert_eq!(
        snippet,
        api(&server, &secret, &format!("{path}/snippet")).await
    );
    assert!(snippet["pinned"].as_str().unwrap().contains(publishable));

    remote_error(
        &server,
        &secret,
        &["agents", "delete", agent_id],
        "widgets still use agent",
    )
    .await;
    let deleted = remote_json(&server, &secret, &["widgets", "delete", widget_id]).await;
    assert_eq!(deleted, json!({ "id": widget_id, "deleted": true }));
    assert_eq!(get(&server, &path, &secret).await.status(), 404);
    remote_json(&server, &secret, &["agents", "delete", agent_id]).await;
    let agent_path = format!("/v1/agents/{agent_id}");
    assert_eq!(get(&server, &agent_path, &secret).await.status(), 404);
}

#[tokio::test]
async fn keys_are_created_rotated_revoked_and_audited_remotely() {
    let server = TestServer::spawn().await;
    let (secret_id, secret) = key(&server, &server.tenant_id, &["--kind", "secret"]).await;

    let created = remote_json(
        &server,
        &secret,
        &[
            "keys",
            "create",
            "--kind",
            "restricted",
            "--scopes",
            "widgets:read",
        ],
    )
    .await;
    let reader_id = created["id"].as_str().unwrap();
    let reader = created["key"].as_str().unwrap();
    assert_eq!(created["scopes"], json!(["widgets:read"]));
    assert_eq!(get(&server, "/v1/widgets", reader).await.status(), 200);

    let listed = remote_json(&server, &secret, &["keys", "list"]).await;
    assert_eq!(listed, api(&server, &secret, "/v1/keys").await);
    assert!(!listed.to_string().contains(reader), "keys are shown once");
    let text = remote(&server, &secret, &["keys", "list"]).await;
    assert!(
        text.ok && text.stdout.contains(reader_id),
        "{}",
        text.stdout
    );

    let rotated = remote_json(
        &server,
        &secret,
        &["keys", "rotate", reader_id, "--grace-secs", "0"],
    )
    .await;
    let replacement = rotated["key"].as_str().unwrap();
    assert_ne!(rotated["id"], reader_id);
    assert_eq!(rotated["scopes"], json!(["widgets:read"]));
    assert_eq!(get(&server, "/v1/widgets", reader).await.status(), 401);
    assert_eq!(get(&server, "/v1/widgets", replacement).await.status(), 200);

    let replacement_id = rotated["id"].as_str().unwrap();
    let revoked = remote_json(&server, &secret, &["keys", "revoke", replacement_id]).await;
    assert_eq!(revoked, json!({ "id": replacement_id, "revoked": true }));
    assert_eq!(get(&server, "/v1/widgets", replacement).await.status(), 401);

    // The route and the local command read the same audit trail.
    let events = remote_json(&server, &secret, &["keys", "events", reader_id]).await;
    let local = cli::json_of(&server.db_url, &["keys", "events", reader_id, "--json"]).await;
    assert_eq!(events, local);
    let names: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["created", "rotated"]);
    let actor = format!("key:{secret_id}");
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|event| event["actor"] == actor.as_str()),
        "{events}"
    );
    assert!(!events.to_string().contains(reader));
    let text = remote(&server, &secret, &["keys", "events", reader_id]).await;
    assert!(
        text.ok && text.stdout.contains("rotated  by key:"),
        "{}",
        text.stdout
    );

    remote_error(
        &server,
        &secret,
        &[
            "keys",
            "create",
            "--tenant",
            &server.tenant_id,
            "--kind",
            "secret",
        ],
        "--tenant is for the local database",
    )
    .await;
}

#[tokio::test]
async fn usage_remotely_is_the_tenants_usage_as_locally() {
    let server = TestServer::spawn().await;
    let (_, secret) = key(&server, &server.tenant_id, &["--kind", "secret"]).await;
    let down = widget_id(&server, &server.down_key).await;
    send_message(&server).await;
    wait_for_runs(&server.db_url, 1).await;

    let report = remote_json(&server, &secret, &["usage"]).await;
    assert_eq!(report, api(&server, &secret, "/v1/usage").await);
    assert_eq!(report["totalMessages"], 1, "{report}");
    assert_eq!(report["days"][0]["widgetId"], down.as_str());
    let local = cli::json_of(
        &server.db_url,
        &["usage", "--tenant", &server.tenant_id, "--json"],
    )
    .await;
    assert_eq!(report, local);

    let faq = widget_id(&server, &server.faq_key).await;
    let (from, to) = (
        report["from"].as_str().unwrap(),
        report["to"].as_str().unwrap(),
    );
    let filtered = remote_json(
        &server,
        &secret,
        &["usage", "--widget", &faq, "--from", from, "--to", to],
    )
    .await;
    assert_eq!(filtered["from"], from);
    assert_eq!(filtered["totalMessages"], 0, "{filtered}");
    let text = remote(&server, &secret, &["usage"]).await;
    assert!(
        text.ok && text.stdout.starts_with("1 messages from "),
        "{}",
        text.stdout
    );
    // A header and one row with the new columns.
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", text.stdout);
    assert!(
        lines[1].starts_with("date") && lines[1].contains("conversations"),
        "{}",
        text.stdout
    );
    assert!(
        lines[2].contains(&down) && lines[2].contains("runtime_unavailable:1"),
        "{}",
        text.stdout
    );
    let down_ids = crate::usage::ids_of(&server, &server.down_key).await;
    for args in [
        ["usage", "--agent", down_ids.agent.as_str()],
        ["usage", "--key-id", down_ids.key.as_str()],
    ] {
        let filtered = remote_json(&server, &secret, &args).await;
        assert_eq!(filtered["totals"]["runs"], 1, "{args:?}: {filtered}");
    }
    remote_error(
        &server,
        &secret,
        &["usage", "--from", "yesterday"],
        "YYYY-MM-DD",
    )
    .await;
    remote_error(
        &server,
        &secret,
        &["usage", "by-agent"],
        "works only on the local database",
    )
    .await;
}

#[tokio::test]
async fn another_tenants_objects_are_not_found_remotely() {
    let server = TestServer::spawn().await;
    let (their_tenant, their_widget) = other_tenant(&server).await;
    let (their_key_id, _) = key(&server, &their_tenant, &["--kind", "secret"]).await;
    let (_, secret) = key(&server, &server.tenant_id, &["--kind", "secret"]).await;

    for args in [
        vec!["widgets", "show", their_widget.as_str()],
        vec![
            "widgets",
            "update",
            their_widget.as_str(),
            "--title",
            "Mine",
        ],
        vec!["widgets", "delete", their_widget.as_str()],
        vec!["widgets", "snippet", their_widget.as_str()],
        vec!["usage", "--widget", their_widget.as_str()],
    ] {
        remote_error(&server, &secret, &args, "(not_found, HTTP 404)").await;
    }
    for args in [
        vec!["keys", "events", their_key_id.as_str()],
        vec!["keys", "rotate", their_key_id.as_str()],
        vec!["keys", "revoke", their_key_id.as_str()],
    ] {
        remote_error(&server, &secret, &args, "(not_found, HTTP 404)").await;
    }
    let theirs = api(&server, &secret, "/v1/keys").await;
    assert!(!theirs.to_string().contains(&their_key_id));
    let local = cli::json_of(&server.db_url, &["keys", "events", &their_key_id, "--json"]).await;
    assert_eq!(
        local["events"].as_array().unwrap().len(),
        1,
        "their key is untouched: {local}"
    );
}

#[tokio::test]
async fn remote_failures_are_one_readable_line() {
    let server = TestServer::spawn().await;
    let (_, reader) = key(
        &server,
        &server.tenant_id,
        &["--kind", "restricted", "--scopes", "widgets:read"],
    )
    .await;
    let agents = api(&server, &reader, "/v1/agents").await;
    let agent_id = agents["agents"][0]["id"].as_str().unwrap();
    remote_error(
        &server,
        &reader,
        &[
            "widgets",
            "create",
            "--agent",
            agent_id,
            "--origin",
            "https://a.example",
        ],
        "this key lacks the `widgets:write` scope (missing_scope, HTTP 403)",
    )
    .await;
    remote_error(&server, &reader, &["keys", "list"], "`keys:write`").await;
    let (reader_id, _) = key(&server, &server.tenant_id, &["--kind", "secret"]).await;
    remote_error(
        &server,
        &reader,
        &["keys", "events", &reader_id],
        "`keys:write`",
    )
    .await;
    remote_error(
        &server,
        "nonsense",
        &["widgets", "list"],
        "the key is not valid",
    )
    .await;
    remote_error(
        &server,
        &server.faq_key,
        &["widgets", "list"],
        "secret (skt_sec_…) or restricted (skt_rst_…) keys",
    )
    .await;
    remote_error(
        &server,
        &reader,
        &["tenants", "create", "--name", "Nope"],
        "works only on the local database",
    )
    .await;

    // Nothing listens on the discard port.
    let output = sitekit()
        .args(["--server", "http://127.0.0.1:9", "--key", &reader])
        .args(["agents", "list"])
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!output.status.success());
    assert!(
        stderr.contains("cannot reach http://127.0.0.1:9") && stderr.contains("onnection refused"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        !stderr.contains(&reader),
        "the key is never printed: {stderr}"
    );

    let output = sitekit()
        .args(["--server", &server.url, "agents", "list"])
        .env_remove("SITEKIT_ADMIN_KEY")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--server needs --key"), "{stderr}");

    let agent_count = agents["agents"].as_array().unwrap().len();
    let unchanged = api(&server, &reader, "/v1/agents").await;
    assert_eq!(unchanged["agents"].as_array().unwrap().len(), agent_count);
    let widgets = server
        .admin(Method::GET, "/v1/widgets", &reader, None)
        .await;
    assert_eq!(widgets.status(), 200);
    let widgets: Value = widgets.json().await.unwrap();
    assert!(
        widgets["widgets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|widget| widget["allowedOrigins"] != json!(["https://a.example"])),
        "a refused create writes nothing"
    );
}
