//! Server secrets kept in the database, such as the session signing key, so every
//! node sharing the database signs and verifies alike.

use super::{Db, now_unix};
use crate::keys::random_base62;

const SESSION_SIGNING_KEY: &str = "session_signing_key";

impl Db {
    /// The session signing key, generated and stored on first use. Concurrent first
    /// starts agree: the insert is a no-op when another node won the race.
    pub async fn session_signing_key(&self) -> Result<String, sqlx::Error> {
        sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(SESSION_SIGNING_KEY)
            .bind(random_base62(64))
            .bind(now_unix())
            .execute(&self.pool)
            .await?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(SESSION_SIGNING_KEY)
            .fetch_one(&self.pool)
            .await
    }
}
