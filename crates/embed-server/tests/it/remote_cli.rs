//! The `sitekit` admin commands against a running server (`--server`, `--key`),
//! through the SDK's admin client: the same operations and the same JSON as on
//! the local database, for the key's tenant only.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::local_cli;
use crate::support::{TestServer, sitekit};
use crate::usage::{send_message, wait_for_runs};

#[tokio::test]
async fn agents_and_widgets_are_managed_remotely_as_the_api_sees_them() {
    let server = TestServer::in_process().await;
    let secret = server.secret_key().await;

    let agent = server
        .remote_json(
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
        server
            .get_json(&format!("/v1/agents/{agent_id}"), &secret)
            .await
    );
    assert!(!agent.to_string().contains("runtime-secret"));
    let agents = server.remote_json(&secret, &["agents", "list"]).await;
    assert_eq!(agents, server.get_json("/v1/agents", &secret).await);
    let renamed = server
        .remote_json(
            &secret,
            &["agents", "update", agent_id, "--name", "Renamed"],
        )
        .await;
    assert_eq!(renamed["name"], "Renamed");
    let shown = server.remote(&secret, &["agents", "show", agent_id]).await;
    assert!(
        shown.ok && shown.stdout.contains("Renamed"),
        "{}",
        shown.stdout
    );

    let created = server
        .remote_json(
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
    assert_eq!(created["widget"], server.get_json(&path, &secret).await);
    let widgets = server.remote_json(&secret, &["widgets", "list"]).await;
    assert_eq!(widgets, server.get_json("/v1/widgets", &secret).await);
    assert_eq!(widgets["widgets"].as_array().unwrap().len(), 8);
    // The local database, filtered to the tenant, prints the very same JSON.
    for list in ["agents", "widgets", "keys"] {
        let local = local_cli::json_of(
            &server.db_url,
            &[list, "list", "--tenant", &server.tenant_id, "--json"],
        )
        .await;
        assert_eq!(local, server.remote_json(&secret, &[list, "list"]).await);
    }

    let updated = server
        .remote_json(
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
    let stored = server.get_json(&path, &secret).await;
    assert_eq!(updated, stored);
    assert_eq!(stored["title"], "New title");
    assert_eq!(stored["enabled"], false);
    assert_eq!(stored["starterPrompts"], json!(["Opening hours?"]));
    let shown = server
        .remote(&secret, &["widgets", "show", widget_id])
        .await;
    assert!(
        shown.ok && shown.stdout.contains("New title") && shown.stdout.contains("disabled"),
        "{}",
        shown.stdout
    );

    let snippet = server
        .remote_json(&secret, &["widgets", "snippet", widget_id])
        .await;
    assert_eq!(
        snippet,
        server.get_json(&format!("{path}/snippet"), &secret).await
    );
    assert!(snippet["pinned"].as_str().unwrap().contains(publishable));

    server
        .remote_error(
            &secret,
            &["agents", "delete", agent_id],
            "widgets still use agent",
        )
        .await;
    let deleted = server
        .remote_json(&secret, &["widgets", "delete", widget_id])
        .await;
    assert_eq!(deleted, json!({ "id": widget_id, "deleted": true }));
    assert_eq!(server.get(&path, &secret).await.status(), 404);
    server
        .remote_json(&secret, &["agents", "delete", agent_id])
        .await;
    let agent_path = format!("/v1/agents/{agent_id}");
    assert_eq!(server.get(&agent_path, &secret).await.status(), 404);
}

#[tokio::test]
async fn keys_are_created_rotated_revoked_and_audited_remotely() {
    let server = TestServer::in_process().await;
    let (secret_id, secret) = server.key(&server.tenant_id, &["--kind", "secret"]).await;

    let created = server
        .remote_json(
            &secret,
            &[
                "keys",
                "create",
                "--kind",
                "restricted",
                "--scopes",
                "widgets:read",
                "--name",
                "Storefront reader",
            ],
        )
        .await;
    let reader_id = created["id"].as_str().unwrap();
    let reader = created["key"].as_str().unwrap();
    assert_eq!(created["scopes"], json!(["widgets:read"]));
    assert_eq!(server.get("/v1/widgets", reader).await.status(), 200);

    let listed = server.remote_json(&secret, &["keys", "list"]).await;
    assert_eq!(listed, server.get_json("/v1/keys", &secret).await);
    assert!(!listed.to_string().contains(reader), "keys are shown once");
    let text = server.remote(&secret, &["keys", "list"]).await;
    let line = text
        .stdout
        .lines()
        .find(|line| line.starts_with(reader_id))
        .unwrap_or_default();
    assert!(
        text.ok && line.ends_with("active  Storefront reader"),
        "{}",
        text.stdout
    );

    let rotated = server
        .remote_json(&secret, &["keys", "rotate", reader_id, "--grace-secs", "0"])
        .await;
    let replacement = rotated["key"].as_str().unwrap();
    assert_ne!(rotated["id"], reader_id);
    assert_eq!(rotated["scopes"], json!(["widgets:read"]));
    // The replacement does the same job, under the same name.
    let listed = server.remote_json(&secret, &["keys", "list"]).await;
    let named: Vec<&Value> = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|key| key["name"] == "Storefront reader")
        .collect();
    assert_eq!(named.len(), 2, "{listed}");
    assert_eq!(server.get("/v1/widgets", reader).await.status(), 401);
    assert_eq!(server.get("/v1/widgets", replacement).await.status(), 200);

    let replacement_id = rotated["id"].as_str().unwrap();
    let revoked = server
        .remote_json(&secret, &["keys", "revoke", replacement_id])
        .await;
    assert_eq!(revoked, json!({ "id": replacement_id, "revoked": true }));
    assert_eq!(server.get("/v1/widgets", replacement).await.status(), 401);

    // The route and the local command read the same audit trail.
    let events = server
        .remote_json(&secret, &["keys", "events", reader_id])
        .await;
    let local = local_cli::json_of(&server.db_url, &["keys", "events", reader_id, "--json"]).await;
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
    let text = server.remote(&secret, &["keys", "events", reader_id]).await;
    assert!(
        text.ok && text.stdout.contains("rotated  by key:"),
        "{}",
        text.stdout
    );

    server
        .remote_error(
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
    let secret = server.secret_key().await;
    let down = server.widget_id(&server.down_key).await;
    send_message(&server).await;
    wait_for_runs(&server.db_url, 1).await;

    let report = server.remote_json(&secret, &["usage"]).await;
    assert_eq!(report, server.get_json("/v1/usage", &secret).await);
    assert_eq!(report["totalMessages"], 1, "{report}");
    assert_eq!(report["days"][0]["widgetId"], down.as_str());
    let local = local_cli::json_of(
        &server.db_url,
        &["usage", "--tenant", &server.tenant_id, "--json"],
    )
    .await;
    assert_eq!(report, local);

    let faq = server.widget_id(&server.faq_key).await;
    let (from, to) = (
        report["from"].as_str().unwrap(),
        report["to"].as_str().unwrap(),
    );
    let filtered = server
        .remote_json(
            &secret,
            &["usage", "--widget", &faq, "--from", from, "--to", to],
        )
        .await;
    assert_eq!(filtered["from"], from);
    assert_eq!(filtered["totalMessages"], 0, "{filtered}");
    let text = server.remote(&secret, &["usage"]).await;
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
    let down_ids = server.key_ids(&server.down_key).await;
    for args in [
        ["usage", "--agent", down_ids.agent.as_str()],
        ["usage", "--key-id", down_ids.key.as_str()],
    ] {
        let filtered = server.remote_json(&secret, &args).await;
        assert_eq!(filtered["totals"]["runs"], 1, "{args:?}: {filtered}");
    }
    server
        .remote_error(&secret, &["usage", "--from", "yesterday"], "YYYY-MM-DD")
        .await;
}

#[tokio::test]
async fn another_tenants_objects_are_not_found_remotely() {
    let server = TestServer::in_process().await;
    let (their_tenant, their_widget) = server.other_tenant().await;
    let (their_key_id, _) = server.key(&their_tenant, &["--kind", "secret"]).await;
    let secret = server.secret_key().await;

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
        server
            .remote_error(&secret, &args, "(not_found, HTTP 404)")
            .await;
    }
    for args in [
        vec!["keys", "events", their_key_id.as_str()],
        vec!["keys", "rotate", their_key_id.as_str()],
        vec!["keys", "revoke", their_key_id.as_str()],
    ] {
        server
            .remote_error(&secret, &args, "(not_found, HTTP 404)")
            .await;
    }
    let theirs = server.get_json("/v1/keys", &secret).await;
    assert!(!theirs.to_string().contains(&their_key_id));
    let local =
        local_cli::json_of(&server.db_url, &["keys", "events", &their_key_id, "--json"]).await;
    assert_eq!(
        local["events"].as_array().unwrap().len(),
        1,
        "their key is untouched: {local}"
    );
}

#[tokio::test]
async fn remote_failures_are_one_readable_line() {
    let server = TestServer::in_process().await;
    let (_, reader) = server
        .key(
            &server.tenant_id,
            &["--kind", "restricted", "--scopes", "widgets:read"],
        )
        .await;
    let agents = server.get_json("/v1/agents", &reader).await;
    let agent_id = agents["agents"][0]["id"].as_str().unwrap();
    server
        .remote_error(
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
    server
        .remote_error(&reader, &["keys", "list"], "`keys:write`")
        .await;
    let (reader_id, _) = server.key(&server.tenant_id, &["--kind", "secret"]).await;
    server
        .remote_error(&reader, &["keys", "events", &reader_id], "`keys:write`")
        .await;
    server
        .remote_error("nonsense", &["widgets", "list"], "the key is not valid")
        .await;
    server
        .remote_error(
            &server.faq_key,
            &["widgets", "list"],
            "secret (skt_sec_…) or restricted (skt_rst_…) keys",
        )
        .await;
    server
        .remote_error(
            &reader,
            &["tenants", "create", "--name", "Nope"],
            "the operator's API takes operator keys",
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
    let unchanged = server.get_json("/v1/agents", &reader).await;
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
