//! What a leaked database gives away: no secret or restricted key (only their
//! SHA-256 hashes), on SQLite (the file and its WAL, read as bytes) and on
//! PostgreSQL (every row of every table, as text).

use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::admin::key;
use crate::support::TestServer;

#[tokio::test]
async fn the_database_holds_hashes_of_keys_never_the_keys() {
    let server = TestServer::spawn().await;
    let (_, from_cli) = key(&server, &server.tenant_id, &["--kind", "secret"]).await;
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
async fn stored_text(db_url: &str) -> String {
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
