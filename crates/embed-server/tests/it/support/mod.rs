//! Test harness: the [`TestServer`] fixture (a `sitekit serve` process, or the
//! library's `serve` in the test's own process), the database and runtime it
//! runs on, and the assertions the tests share.

mod calls;
mod database;
mod dist;
pub mod local_cli;
pub mod oidc;
pub mod redis;
pub mod relay;
mod runtime;
mod seed;
mod server;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

pub use calls::KeyIds;
pub use database::{TestDatabase, open_db};
pub use dist::{FAKE_PINNED_LOADER, write_fake_dist};
pub use runtime::{DOWN_RUNTIME, Langflow, sitekit};
pub use seed::{create_agent, create_widget, widget_request};
pub use server::{Node, TestServer};

/// The page every seeded widget allows.
pub const SITE: &str = "http://127.0.0.1:8788";
/// A page no seeded widget allows.
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

/// A per-minute limit, for [`TestServer::in_process_with`].
pub fn per_minute(count: u32) -> NonZeroU32 {
    NonZeroU32::new(count).expect("a limit above zero")
}
