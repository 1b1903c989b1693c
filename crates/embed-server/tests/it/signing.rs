//! The session signing secret: stored and rotated with the CLI, or given in the
//! configuration; after a rotation, sessions signed with the previous secret live
//! out their lives and the one before that stops working.

use std::time::Duration;

use crate::support::{TestServer, session_is_accepted, sitekit};

/// How long a node with `--key-refresh-secs 1` surely needs to reload.
const RELOADED: Duration = Duration::from_secs(3);

#[tokio::test]
async fn a_stored_secret_rotation_keeps_the_previous_sessions_and_ends_older_ones() {
    let server = TestServer::spawn_with(&["--key-refresh-secs", "1"]).await;
    let before = server.sdk(&server.faq_key).session().await.unwrap().token;
    assert!(session_is_accepted(&server.url, &before).await);

    rotate(&server.db_url).await;
    tokio::time::sleep(RELOADED).await;
    assert!(
        session_is_accepted(&server.url, &before).await,
        "a session from before one rotation must live out its life"
    );
    let after = server.sdk(&server.down_key).session().await.unwrap().token;
    assert!(session_is_accepted(&server.url, &after).await);

    rotate(&server.db_url).await;
    let mut ended = false;
    for _ in 0..40 {
        if !session_is_accepted(&server.url, &before).await {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ended, "a session two rotations old still works after 10 s");
    assert!(session_is_accepted(&server.url, &after).await);
}

/// `sitekit secrets rotate-session-key` on the server's database.
pub(crate) async fn rotate(db_url: &str) {
    let output = sitekit()
        .args(["--database-url", db_url, "secrets", "rotate-session-key"])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("rotated the session signing key"),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn configured_secrets_are_shared_by_nodes_and_rotate_through_previous() {
    let old = "old-secret-0123456789-0123456789-0123456789";
    let new = "new-secret-0123456789-0123456789-0123456789";
    let server = TestServer::spawn_with(&["--session-secret", old]).await;
    let old_token = server.sdk(&server.faq_key).session().await.unwrap().token;

    // A node with the same secret accepts it; a node with another does not.
    let same = server.another_node(&["--session-secret", old]).await;
    assert!(session_is_accepted(&same.url, &old_token).await);
    let stranger = server.another_node(&["--session-secret", new]).await;
    assert!(!session_is_accepted(&stranger.url, &old_token).await);

    // Rotated by configuration: the old secret moves to --previous-session-secret.
    let rotated = server
        .another_node(&["--session-secret", new, "--previous-session-secret", old])
        .await;
    assert!(session_is_accepted(&rotated.url, &old_token).await);
    let new_token = reqwest::Client::new()
        .post(format!("{}/v1/sessions", rotated.url))
        .header("origin", crate::support::SITE)
        .json(&serde_json::json!({ "publishableKey": server.faq_key }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(session_is_accepted(&stranger.url, &new_token).await);
    assert!(!session_is_accepted(&server.url, &new_token).await);
}

#[tokio::test]
async fn a_short_configured_secret_is_refused_before_serving() {
    let server = TestServer::in_process().await;
    let output = sitekit()
        .args([
            "--database-url",
            &server.db_url,
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .args(["--session-secret", "too-short"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 32 characters"), "{stderr}");
}
