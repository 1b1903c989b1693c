//! The `sitekit` admin commands on a local database.

use serde_json::{Value, json};

use crate::support::local_cli::{json_of, run};
use crate::support::{TempDir, open_db, sitekit};

#[tokio::test]
async fn creating_tenant_agent_and_widget_prints_a_working_snippet() {
    let dir = TempDir::new();
    let db = format!(
        "sqlite://{}",
        dir.path().join("nested/dir/db.sqlite").display()
    );
    let tenant = json_of(&db, &["tenants", "create", "--name", "Acme", "--json"]).await;
    let tenant_id = tenant["id"].as_str().unwrap();
    let agent = json_of(
        &db,
        &[
            "agents",
            "create",
            "--tenant",
            tenant_id,
            "--name",
            "FAQ",
            "--base-url",
            "http://127.0.0.1:7860",
            "--flow-id",
            "b66a2a00-cd76-5d73-8e44-eeca5df9800c",
            "--runtime-key",
            "k",
            "--json",
        ],
    )
    .await;
    let widget = json_of(
        &db,
        &[
            "widgets",
            "create",
            "--agent",
            agent["id"].as_str().unwrap(),
            "--origin",
            "https://Shop.Example.com/",
            "--public-url",
            "https://embed.example.com",
            "--json",
        ],
    )
    .await;
    let key = widget["publishableKey"].as_str().unwrap();
    assert!(key.starts_with("skt_pub_live_"));
    assert_eq!(
        widget["snippet"],
        format!(
            r#"<script async src="https://embed.example.com/v1/loader.js" data-key="{key}"></script>"#
        )
    );

    let (ok, text, _) = run(
        &db,
        &[
            "widgets",
            "create",
            "--agent",
            agent["id"].as_str().unwrap(),
            "--origin",
            "http://localhost:3000",
            "--test-mode",
        ],
    )
    .await;
    assert!(ok);
    assert!(
        text.contains("skt_pub_test_") && text.contains("<script async src="),
        "{text}"
    );
}

#[tokio::test]
async fn bad_input_is_a_readable_error_and_writes_nothing() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let (ok, _, stderr) = run(
        &db,
        &[
            "agents",
            "create",
            "--tenant",
            "ten_missing",
            "--name",
            "x",
            "--base-url",
            "http://a",
            "--flow-id",
            "f",
            "--runtime-key",
            "k",
        ],
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("no tenant with id ten_missing"), "{stderr}");

    let tenant = json_of(&db, &["tenants", "create", "--name", "Acme", "--json"]).await;
    let (ok, _, stderr) = run(
        &db,
        &[
            "agents",
            "create",
            "--tenant",
            tenant["id"].as_str().unwrap(),
            "--name",
            "x",
            "--base-url",
            "not a url",
            "--flow-id",
            "f",
            "--runtime-key",
            "k",
        ],
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("base URL `not a url`"), "{stderr}");

    let agent = json_of(
        &db,
        &[
            "agents",
            "create",
            "--tenant",
            tenant["id"].as_str().unwrap(),
            "--name",
            "x",
            "--base-url",
            "http://a",
            "--flow-id",
            "f",
            "--runtime-key",
            "k",
            "--json",
        ],
    )
    .await;
    for (flag, value, expected) in [
        ("--origin", "shop.example.com/path", "not an origin"),
        ("--color", "blue", "the colour `blue`"),
        (
            "--avatar-url",
            "http://cdn.example/a.png",
            "https:// address",
        ),
        ("--messages-per-visitor-per-minute", "601", "at most 600"),
    ] {
        let mut args = vec![
            "widgets",
            "create",
            "--agent",
            agent["id"].as_str().unwrap(),
            "--origin",
            "https://ok.example",
        ];
        args.extend([flag, value]);
        let (ok, _, stderr) = run(&db, &args).await;
        assert!(!ok, "{flag} {value} must fail");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[tokio::test]
async fn localhost_on_any_port_is_only_for_test_mode_widgets() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let agent = agent_in_new_tenant(&db).await;
    let agent_id = agent["id"].as_str().unwrap();
    let (ok, _, stderr) = run(
        &db,
        &[
            "widgets",
            "create",
            "--agent",
            agent_id,
            "--origin",
            "http://localhost:*",
        ],
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("--test-mode"), "{stderr}");
    let widget = json_of(
        &db,
        &[
            "widgets",
            "create",
            "--agent",
            agent_id,
            "--origin",
            "http://localhost:*",
            "--origin",
            "https://*.example.com",
            "--test-mode",
            "--json",
        ],
    )
    .await;
    assert!(
        widget["publishableKey"]
            .as_str()
            .unwrap()
            .starts_with("skt_pub_test_")
    );
}

#[tokio::test]
async fn keys_are_listed_without_secrets_revoked_once_and_audited() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let agent = agent_in_new_tenant(&db).await;
    let widget = json_of(
        &db,
        &[
            "widgets",
            "create",
            "--agent",
            agent["id"].as_str().unwrap(),
            "--origin",
            "https://shop.example.com",
            "--json",
        ],
    )
    .await;
    let secret = widget["publishableKey"].as_str().unwrap();

    let (ok, listing, _) = run(&db, &["keys", "list"]).await;
    assert!(
        ok && listing.contains("skt_pub_live_…") && listing.contains("active"),
        "{listing}"
    );
    assert!(
        !listing.contains(secret),
        "keys are never shown again: {listing}"
    );
    let keys = json_of(
        &db,
        &[
            "keys",
            "list",
            "--widget",
            widget["widget"]["id"].as_str().unwrap(),
            "--json",
        ],
    )
    .await;
    let key_id = keys["keys"][0]["id"].as_str().unwrap().to_owned();

    json_of(&db, &["keys", "revoke", &key_id, "--json"]).await;
    let (ok, _, stderr) = run(&db, &["keys", "revoke", &key_id]).await;
    assert!(!ok && stderr.contains("no active key"), "{stderr}");
    assert_eq!(event_names(&db, &key_id).await, ["created", "revoked"]);
    let events = json_of(&db, &["keys", "events", &key_id, "--json"]).await;
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "cli")
    );
    assert!(!events.to_string().contains(secret));
}

/// A tenant with one agent (on a runtime that need not exist), via the CLI.
pub async fn agent_in_new_tenant(db: &str) -> Value {
    let tenant = json_of(db, &["tenants", "create", "--name", "Acme", "--json"]).await;
    let tenant_id = tenant["id"].as_str().unwrap();
    let args = [
        "agents",
        "create",
        "--tenant",
        tenant_id,
        "--name",
        "x",
        "--base-url",
        "http://a",
    ];
    let mut args = args.to_vec();
    args.extend(["--flow-id", "f", "--runtime-key", "k", "--json"]);
    json_of(db, &args).await
}

#[tokio::test]
async fn rotating_a_secret_key_prints_the_new_key_once() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let tenant = json_of(&db, &["tenants", "create", "--name", "Acme", "--json"]).await;
    let tenant_id = tenant["id"].as_str().unwrap();
    let create = [
        "keys", "create", "--tenant", tenant_id, "--kind", "secret", "--json",
    ];
    let created = json_of(&db, &create).await;
    let id = created["id"].as_str().unwrap();
    let rotated = json_of(&db, &["keys", "rotate", id, "--grace-secs", "60", "--json"]).await;
    assert_ne!(rotated["id"], id);
    assert_eq!(rotated["scopes"], created["scopes"]);
    assert!(
        rotated["key"]
            .as_str()
            .unwrap()
            .starts_with("skt_sec_live_")
    );
    assert_ne!(rotated["key"], created["key"]);
    let (ok, _, stderr) = run(&db, &["keys", "rotate", "key_missing"]).await;
    assert!(
        !ok && stderr.contains("no active key with id key_missing"),
        "{stderr}"
    );
}

/// The events of a key's audit trail, oldest first, via `sitekit keys events`.
pub async fn event_names(db: &str, key_id: &str) -> Vec<String> {
    let events = json_of(db, &["keys", "events", key_id, "--json"]).await;
    let events = events["events"].as_array().expect("a JSON array of events");
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn agents_and_widgets_are_listed_shown_updated_and_deleted_by_id() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let agent = agent_in_new_tenant(&db).await;
    let other = agent_in_new_tenant(&db).await;
    let agent_id = agent["id"].as_str().unwrap();
    let created = json_of(
        &db,
        &[
            "widgets",
            "create",
            "--agent",
            agent_id,
            "--origin",
            "https://a.example",
            "--json",
        ],
    )
    .await;
    let widget_id = created["widget"]["id"].as_str().unwrap();

    // The operator sees every tenant's objects, or one tenant's with --tenant.
    let everything = json_of(&db, &["agents", "list", "--json"]).await;
    let everything = everything["agents"].as_array().unwrap();
    assert!(
        everything.len() == 2 && everything.contains(&agent) && everything.contains(&other),
        "{everything:?}"
    );
    let tenant = key_tenant(&db, widget_id).await;
    let theirs = json_of(&db, &["widgets", "list", "--tenant", &tenant, "--json"]).await;
    assert_eq!(theirs, json!({ "widgets": [created["widget"]] }));
    let shown = json_of(&db, &["agents", "show", agent_id, "--json"]).await;
    assert_eq!(shown, agent);

    let (ok, _, stderr) = run(
        &db,
        &[
            "widgets",
            "update",
            widget_id,
            "--origin",
            "http://localhost:*",
        ],
    )
    .await;
    assert!(!ok && stderr.contains("--test-mode"), "{stderr}");
    let (ok, _, stderr) = run(&db, &["widgets", "update", widget_id]).await;
    assert!(!ok && stderr.contains("nothing to change"), "{stderr}");
    let updated = json_of(
        &db,
        &[
            "widgets",
            "update",
            widget_id,
            "--color",
            "#112233",
            "--position",
            "left",
            "--json",
        ],
    )
    .await;
    assert_eq!(updated["primaryColor"], "#112233");
    assert_eq!(updated["position"], "left");
    assert_eq!(
        json_of(&db, &["widgets", "show", widget_id, "--json"]).await,
        updated
    );
    let (ok, text, _) = run(&db, &["widgets", "show", widget_id]).await;
    assert!(
        ok && text.contains("#112233") && text.contains("left"),
        "{text}"
    );

    let (ok, _, stderr) = run(&db, &["agents", "delete", agent_id]).await;
    assert!(
        !ok && stderr.contains("widgets still use agent"),
        "{stderr}"
    );
    json_of(&db, &["widgets", "delete", widget_id, "--json"]).await;
    let (ok, _, stderr) = run(&db, &["widgets", "show", widget_id]).await;
    assert!(!ok && stderr.contains("no widget with id"), "{stderr}");
    let keys = json_of(&db, &["keys", "list", "--widget", widget_id, "--json"]).await;
    assert_eq!(keys["keys"][0]["revoked"], true, "{keys}");
    json_of(&db, &["agents", "delete", agent_id, "--json"]).await;
    let left = json_of(&db, &["agents", "list", "--json"]).await;
    assert_eq!(left, json!({ "agents": [other] }));
}

/// The tenant a widget belongs to, read from the database.
async fn key_tenant(db: &str, widget_id: &str) -> String {
    let db = open_db(db).await;
    let (widget, _) = db.widget_with_agent(widget_id).await.unwrap().unwrap();
    widget.tenant_id
}

#[tokio::test]
async fn help_never_shows_a_secret_from_the_environment() {
    let secrets = [
        (
            "SITEKIT_DATABASE_URL",
            "postgres://sitekit:db-password-1@db/sitekit",
        ),
        (
            "SITEKIT_SESSION_SECRET",
            "session-secret-0123456789abcdef0123",
        ),
        (
            "SITEKIT_ADMIN_KEY",
            "skt_sec_live_admin-key-in-the-environment",
        ),
        ("SITEKIT_RUNTIME_KEY", "runtime-key-in-the-environment"),
    ];
    for help in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["agents", "create", "--help"],
    ] {
        let output = sitekit().args(&help).envs(secrets).output().await.unwrap();
        assert!(output.status.success(), "{help:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(
            text.contains("SITEKIT_"),
            "{help:?} names its variables: {text}"
        );
        for (name, value) in secrets {
            assert!(!text.contains(value), "{help:?} shows {name}: {text}");
        }
    }
}

#[tokio::test]
async fn a_tenant_needs_a_one_line_name() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    for (name, why) in [
        ("  ", "an organisation's name must not be empty"),
        (
            "Acme\nInc",
            "an organisation's name may not contain control characters",
        ),
    ] {
        let (ok, stdout, stderr) = run(&db, &["tenants", "create", "--name", name]).await;
        assert!(!ok && stderr.contains(why), "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
    }
    let tenant = json_of(&db, &["tenants", "create", "--name", "  Acme  ", "--json"]).await;
    assert_eq!(tenant["name"], "Acme");
}
