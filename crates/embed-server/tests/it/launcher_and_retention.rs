//! A widget's launcher icon (`launcherIcon`) and how long the widget keeps a
//! visitor's conversation (`conversationDays`): set through the admin API and the
//! CLI (local and remote), given to pages in the public config, and a bad value
//! refused without changing anything.

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::agent_in_new_tenant;
use crate::support::local_cli::{json_of, run};
use crate::support::{SITE, TempDir, TestServer, assert_api_error};

/// The two settings as a JSON object shows them.
fn settings(object: &Value) -> (Value, Value) {
    (
        object["launcherIcon"].clone(),
        object["conversationDays"].clone(),
    )
}

fn expected(icon: &str, days: u32) -> (Value, Value) {
    (json!(icon), json!(days))
}

/// What a page on [`SITE`] is told of the widget, as JSON and as the SDK reads it.
async fn page_settings(server: &TestServer, publishable: &str) -> (Value, Value) {
    let page = server.page_config(publishable).await;
    let read = server.sdk(publishable).config().await.unwrap();
    assert_eq!(
        settings(&page),
        expected(&read.launcher_icon, read.conversation_days),
        "the SDK reads what the server sent"
    );
    settings(&page)
}

#[tokio::test]
async fn the_settings_are_stored_shown_and_given_to_pages() {
    let server = TestServer::in_process().await;
    let (secret, agent) = server.secret_and_agent().await;
    let plain = server
        .post_widget(
            &secret,
            json!({ "agentId": agent, "allowedOrigins": [SITE], "testMode": true }),
        )
        .await;
    assert_eq!(settings(&plain["widget"]), expected("chat", 30));
    let publishable = plain["publishableKey"].as_str().unwrap();
    assert_eq!(
        page_settings(&server, publishable).await,
        expected("chat", 30)
    );

    let created = server
        .post_widget(
            &secret,
            json!({ "agentId": agent, "allowedOrigins": [SITE], "testMode": true,
                "launcherIcon": "sparkles", "conversationDays": 7 }),
        )
        .await;
    let path = format!("/v1/widgets/{}", created["widget"]["id"].as_str().unwrap());
    let publishable = created["publishableKey"].as_str().unwrap();
    assert_eq!(settings(&created["widget"]), expected("sparkles", 7));
    assert_eq!(server.get_json(&path, &secret).await, created["widget"]);
    assert_eq!(
        page_settings(&server, publishable).await,
        expected("sparkles", 7)
    );

    for (icon, days) in [("help", 0), ("headset", 365), ("chat", 1)] {
        let body = json!({ "launcherIcon": icon, "conversationDays": days });
        let updated = server
            .admin(Method::PATCH, &path, &secret, Some(body))
            .await;
        assert_eq!(updated.status(), 200);
        let updated: Value = updated.json().await.unwrap();
        assert_eq!(settings(&updated), expected(icon, days));
        assert_eq!(server.get_json(&path, &secret).await, updated);
        assert_eq!(
            page_settings(&server, publishable).await,
            expected(icon, days)
        );
    }
    // One without the other leaves the other as it is.
    let body = json!({ "conversationDays": 90 });
    let updated = server
        .admin(Method::PATCH, &path, &secret, Some(body))
        .await;
    assert_eq!(
        settings(&updated.json().await.unwrap()),
        expected("chat", 90)
    );
}

#[tokio::test]
async fn an_unknown_icon_or_retention_out_of_range_is_refused_and_changes_nothing() {
    let server = TestServer::in_process().await;
    let (secret, agent) = server.secret_and_agent().await;
    let created = server
        .post_widget(
            &secret,
            json!({ "agentId": agent, "allowedOrigins": [SITE], "testMode": true,
                "launcherIcon": "help", "conversationDays": 14 }),
        )
        .await;
    let path = format!("/v1/widgets/{}", created["widget"]["id"].as_str().unwrap());
    let publishable = created["publishableKey"].as_str().unwrap();
    let page_before = server.page_config(publishable).await;
    let widgets_before = server.get_json("/v1/widgets", &secret).await;

    // Each with a valid title beside it: a bad field must stop the good ones too.
    for (bad, code, words) in [
        (
            json!({ "launcherIcon": "rocket" }),
            "invalid_body",
            // The message lists the icons there are.
            "sparkles",
        ),
        (
            json!({ "launcherIcon": "" }),
            "invalid_body",
            "launcherIcon",
        ),
        (
            json!({ "conversationDays": 366 }),
            "invalid_setting",
            "at most 365",
        ),
        (
            json!({ "conversationDays": -1 }),
            "invalid_body",
            "conversationDays",
        ),
        (
            json!({ "conversationDays": "30" }),
            "invalid_body",
            "conversationDays",
        ),
    ] {
        let mut body = bad.clone();
        body["title"] = json!("Changed");
        let response = server
            .admin(Method::PATCH, &path, &secret, Some(body))
            .await;
        let message = assert_api_error(response, 400, code).await;
        assert!(message.contains(words), "{bad}: {message}");

        let mut request = bad.clone();
        request["agentId"] = json!(agent);
        request["allowedOrigins"] = json!([SITE]);
        request["testMode"] = json!(true);
        let response = server
            .admin(Method::POST, "/v1/widgets", &secret, Some(request))
            .await;
        let message = assert_api_error(response, 400, code).await;
        assert!(message.contains(words), "{bad}: {message}");
    }
    let page_after = server.page_config(publishable).await;
    assert_eq!(
        page_after, page_before,
        "a refused change altered the widget"
    );
    assert_eq!(
        server.get_json("/v1/widgets", &secret).await,
        widgets_before,
        "a refused request created or changed a widget"
    );
}

#[tokio::test]
async fn the_cli_sets_shows_and_checks_them_on_the_local_database() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let agent = agent_in_new_tenant(&db).await;
    let create = |extra: &[&'static str]| {
        let mut args = vec![
            "widgets",
            "create",
            "--agent",
            agent["id"].as_str().unwrap(),
            "--origin",
            "https://shop.example.com",
            "--json",
        ];
        args.extend(extra);
        args
    };
    let plain = json_of(&db, &create(&[])).await;
    assert_eq!(settings(&plain["widget"]), expected("chat", 30));
    let created = json_of(
        &db,
        &create(&["--launcher-icon", "headset", "--conversation-days", "0"]),
    )
    .await;
    assert_eq!(settings(&created["widget"]), expected("headset", 0));
    let id = created["widget"]["id"].as_str().unwrap();
    let (ok, text, _) = run(&db, &["widgets", "show", id]).await;
    assert!(
        ok && text.contains("launcher icon:   headset")
            && text.contains("a new one on every page load"),
        "{text}"
    );

    let updated = json_of(
        &db,
        &[
            "widgets",
            "update",
            id,
            "--launcher-icon",
            "help",
            "--conversation-days",
            "365",
            "--json",
        ],
    )
    .await;
    assert_eq!(settings(&updated), expected("help", 365));
    assert_eq!(
        json_of(&db, &["widgets", "show", id, "--json"]).await,
        updated
    );
    let (ok, text, _) = run(&db, &["widgets", "show", id]).await;
    assert!(
        ok && text.contains("kept 365 days without activity"),
        "{text}"
    );

    for (bad, words) in [
        (["--launcher-icon", "rocket"], "sparkles"),
        (["--conversation-days", "366"], "at most 365"),
        (["--conversation-days", "0.5"], "--conversation-days"),
    ] {
        let mut update = vec!["widgets", "update", id, "--title", "Changed"];
        update.extend(bad);
        let (ok, _, stderr) = run(&db, &update).await;
        assert!(!ok && stderr.contains(words), "{bad:?}: {stderr}");
        let (ok, _, stderr) = run(&db, &create(&bad)).await;
        assert!(!ok && stderr.contains(words), "{bad:?}: {stderr}");
    }
    assert_eq!(
        json_of(&db, &["widgets", "show", id, "--json"]).await,
        updated,
        "a refused change altered the widget"
    );
    let listed = json_of(&db, &["widgets", "list", "--json"]).await;
    assert_eq!(listed["widgets"].as_array().unwrap().len(), 2);
    let (ok, help, _) = run(&db, &["widgets", "update", "--help"]).await;
    assert!(
        ok && help.contains("--launcher-icon") && help.contains("--conversation-days"),
        "{help}"
    );
}

#[tokio::test]
async fn the_cli_sets_them_on_a_server_through_the_admin_client() {
    let server = TestServer::in_process().await;
    let (secret, agent) = server.secret_and_agent().await;
    let created = server
        .remote_json(
            &secret,
            &[
                "widgets",
                "create",
                "--agent",
                &agent,
                "--origin",
                "https://shop.example.com",
                "--launcher-icon",
                "sparkles",
                "--conversation-days",
                "14",
            ],
        )
        .await;
    let id = created["widget"]["id"].as_str().unwrap();
    let path = format!("/v1/widgets/{id}");
    assert_eq!(settings(&created["widget"]), expected("sparkles", 14));
    assert_eq!(server.get_json(&path, &secret).await, created["widget"]);

    let updated = server
        .remote_json(
            &secret,
            &["widgets", "update", id, "--conversation-days", "0"],
        )
        .await;
    assert_eq!(settings(&updated), expected("sparkles", 0));
    assert_eq!(server.get_json(&path, &secret).await, updated);
    // The server's own rule, in its own words, as one line.
    server
        .remote_error(
            &secret,
            &["widgets", "update", id, "--conversation-days", "400"],
            "at most 365",
        )
        .await;
    assert_eq!(server.get_json(&path, &secret).await, updated);
}
