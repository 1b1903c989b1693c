//! The master key as operators meet it: where `sitekit` finds it (or makes it),
//! what it refuses (a wrong key, no key for a sealed database, a key file others
//! may read), and `sitekit secrets rotate-master-key`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use sitekit_embed_server::codec::hex;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::at_rest::{answer, insert_plain_agent, serve, stored_secrets};
use crate::support::local_cli::run;
use crate::support::{Langflow, TempDir, TestServer, session_is_accepted, sitekit};

const WRONG_KEY: &str = "the master key does not match the one this database was encrypted with";

/// `sitekit` with no master key from the environment, in `dir`: as an operator
/// runs it with nothing configured.
fn sitekit_without_a_key(dir: &Path) -> Command {
    let mut command = sitekit();
    command.env_remove("SITEKIT_MASTER_KEY").current_dir(dir);
    command
}

/// A new random key, as `openssl rand -hex 32` makes one.
fn another_key() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// `command serve` on `db_url`, which must refuse to start: its error output.
async fn refused_start(mut command: Command, db_url: &str) -> String {
    let mut child = command
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", db_url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sitekit starts");
    let stdout = child.stdout.take().unwrap();
    let first_line = BufReader::new(stdout).lines().next_line().await.unwrap();
    assert_eq!(first_line, None, "the server started");
    let output = child.wait_with_output().await.unwrap();
    assert!(!output.status.success());
    String::from_utf8(output.stderr).unwrap()
}

#[tokio::test]
async fn a_wrong_master_key_is_refused_and_changes_nothing() {
    let server = TestServer::spawn().await;
    let langflow = Langflow::from_env().await;
    // A row an earlier release left in plain text: a refused start must not
    // seal it either.
    insert_plain_agent(&server.db_url, &server.tenant_id, &langflow).await;
    let before = stored_secrets(&server.db_url).await;
    let wrong = another_key();

    let mut command = sitekit();
    command.args(["--master-key", &wrong]);
    let error = refused_start(command, &server.db_url).await;
    assert!(error.contains(WRONG_KEY), "{error}");

    let args = [
        "--master-key",
        &wrong,
        "agents",
        "create",
        "--tenant",
        &server.tenant_id,
        "--name",
        "Never stored",
        "--base-url",
        "https://runtime.example.com",
        "--flow-id",
        "flow",
    ];
    let (ok, _, error) = run(&server.db_url, &args).await;
    assert!(!ok && error.contains(WRONG_KEY), "{error}");

    assert_eq!(stored_secrets(&server.db_url).await, before);
}

#[tokio::test]
async fn rotating_the_master_key_keeps_chats_and_sessions_and_retires_the_old_key() {
    let server = TestServer::spawn().await;
    let session = server.sdk(&server.faq_key).session().await.unwrap().token;
    let dir = TempDir::new();
    let new_key_file = dir.path().join("keys/new.key");
    let rotate = [
        "secrets",
        "rotate-master-key",
        "--new-key-file",
        new_key_file.to_str().unwrap(),
    ];

    let (ok, printed, error) = run(&server.db_url, &rotate).await;
    assert!(ok, "{error}");
    assert!(
        printed.contains("created a new master key")
            && printed.contains("next: restart every node"),
        "{printed}"
    );
    let mode = std::fs::metadata(&new_key_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let new_key = std::fs::read_to_string(&new_key_file).unwrap();
    let new_key = new_key.trim();
    let secrets = stored_secrets(&server.db_url).await;
    let new_id = new_key_id(&secrets);

    // Cut short or not, running it again is safe: everything is under the new key.
    let (ok, printed, error) = run(&server.db_url, &rotate).await;
    assert!(ok, "{error}");
    assert!(
        printed.contains(&format!(
            "re-encrypted 0 secrets under key {new_id} ({} already were)",
            secrets.len()
        )),
        "{printed}"
    );

    // A node with the new key chats and verifies sessions from before.
    let node = server.another_node(&["--master-key", new_key]).await;
    assert!(session_is_accepted(&node.url, &session).await);
    assert!(
        answer(&node.url, &server.faq_key)
            .await
            .starts_with("To install")
    );

    // The old key opens nothing any more.
    let error = refused_start(sitekit(), &server.db_url).await;
    assert!(error.contains(WRONG_KEY), "{error}");
}

/// The key id every stored secret names, which must be one and the same.
fn new_key_id(secrets: &[(String, String)]) -> String {
    let ids: std::collections::BTreeSet<&str> = secrets
        .iter()
        .map(|(_, value)| value.split(':').nth(2).unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{secrets:?}");
    ids.into_iter().next().unwrap().to_owned()
}

#[tokio::test]
async fn a_first_start_makes_a_key_file_that_only_its_owner_reads() {
    let dir = TempDir::new();
    let db_url = format!("sqlite://{}", dir.path().join("data/sitekit.db").display());

    // Nothing configured, nothing sealed yet: the key file is made.
    let (server, url) = serve(&db_url, dir.path(), sitekit_without_a_key(dir.path())).await;
    let key_file = dir.path().join("data/master.key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        reqwest::get(format!("{url}/healthz"))
            .await
            .unwrap()
            .status()
            .is_success()
    );
    drop(server);
    let sealed = stored_secrets(&db_url).await;
    assert!(
        !sealed.is_empty()
            && sealed
                .iter()
                .all(|(_, value)| value.starts_with("sealed:v1:")),
        "{sealed:?}"
    );

    // Found again on the next start, from the same place.
    drop(serve(&db_url, dir.path(), sitekit_without_a_key(dir.path())).await);

    // A key file others may read is refused, naming the fix.
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = refused_start(sitekit_without_a_key(dir.path()), &db_url).await;
    assert!(
        error.contains(&format!("chmod 600 {}", "data/master.key")),
        "{error}"
    );

    // Without it, a database that holds sealed secrets is refused, naming the flags.
    std::fs::remove_file(&key_file).unwrap();
    let error = refused_start(sitekit_without_a_key(dir.path()), &db_url).await;
    assert!(
        error.contains("--master-key (SITEKIT_MASTER_KEY)")
            && error.contains("--master-key-file (SITEKIT_MASTER_KEY_FILE"),
        "{error}"
    );
    assert!(!key_file.exists(), "no new key may replace the lost one");
    assert_eq!(stored_secrets(&db_url).await, sealed);
}
