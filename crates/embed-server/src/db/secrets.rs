//! Server secrets kept in the database, such as the session signing key and the
//! visitor id key, so every node sharing the database signs and verifies alike.

use super::{Db, now_unix};
use crate::keys::random_base62;

const SESSION_SIGNING_KEY: &str = "session_signing_key";
/// The key before the last rotation: tokens it signed stay valid until they expire.
const PREVIOUS_SESSION_SIGNING_KEY: &str = "session_signing_key_previous";
const SIGNING_KEY_LEN: usize = 64;
/// Signs the visitor ids the server issues (`visitors.rs`); never rotated, as
/// that would turn every returning visitor into a new one.
const VISITOR_ID_KEY: &str = "visitor_id_key";

/// The session signing keys as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeys {
    pub current: String,
    pub previous: Option<String>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeys(…)")
    }
}

impl Db {
    /// The session signing keys; the current one is generated and stored on
    /// first use.
    pub async fn session_signing_keys(&self) -> Result<SigningKeys, sqlx::Error> {
        Ok(SigningKeys {
            current: self.generated_once(SESSION_SIGNING_KEY).await?,
            previous: self.secret(PREVIOUS_SESSION_SIGNING_KEY).await?,
        })
    }

    /// The key visitor ids are signed with, generated and stored on first use
    /// like the session signing key.
    pub async fn visitor_id_key(&self) -> Result<String, sqlx::Error> {
        self.generated_once(VISITOR_ID_KEY).await
    }

    /// The secret `name`, generated and stored on first use. Concurrent first
    /// starts agree: the insert is a no-op when another node won the race.
    async fn generated_once(&self, name: &str) -> Result<String, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(random_base62(SIGNING_KEY_LEN))
            .bind(now_unix())
            .execute(&mut *writer)
            .await?;
        drop(writer);
        self.secret(name).await?.ok_or(sqlx::Error::RowNotFound)
    }

    async fn secret(&self, name: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar::<_, String>("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
    }

    /// Makes a new current signing key and keeps the old one as the previous;
    /// the one before that stops verifying anything.
    pub async fn rotate_session_signing_key(&self) -> Result<(), sqlx::Error> {
        let current = self.session_signing_keys().await?.current;
        let now = now_unix();
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = $2, created_at = $3",
        )
        .bind(PREVIOUS_SESSION_SIGNING_KEY)
        .bind(&current)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Guarded on the value read, so two rotations racing cannot both win.
        let rotated = sqlx::query(
            "UPDATE server_secrets SET value = $1, created_at = $2 WHERE name = $3 AND value = $4",
        )
        .bind(random_base62(SIGNING_KEY_LEN))
        .bind(now)
        .bind(SESSION_SIGNING_KEY)
        .bind(&current)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if rotated != 1 {
            return Err(sqlx::Error::Protocol(
                "the signing key changed during the rotation; try again".into(),
            ));
        }
        tx.commit().await
    }
}
