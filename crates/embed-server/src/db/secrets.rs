//! Server secrets kept in the database, such as the session signing key and the
//! visitor id key, so every node sharing the database signs and verifies alike.
//! Each is stored sealed under the master key (`at_rest.rs`): read and write
//! them through `server_secret` and `insert_server_secret_if_absent`.

use super::{Db, now_unix};
use crate::codec::random_base62;
use crate::master_key::SecretPlace;

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
        self.insert_server_secret_if_absent(SESSION_SIGNING_KEY, &random_base62(SIGNING_KEY_LEN))
            .await?;
        Ok(SigningKeys {
            current: self
                .server_secret(SESSION_SIGNING_KEY)
                .await?
                .ok_or(sqlx::Error::RowNotFound)?
                .secret,
            previous: self
                .server_secret(PREVIOUS_SESSION_SIGNING_KEY)
                .await?
                .map(|previous| previous.secret),
        })
    }

    /// The key visitor ids are signed with, generated and stored on first use
    /// like the session signing key.
    pub async fn visitor_id_key(&self) -> Result<String, sqlx::Error> {
        self.insert_server_secret_if_absent(VISITOR_ID_KEY, &random_base62(SIGNING_KEY_LEN))
            .await?;
        Ok(self
            .server_secret(VISITOR_ID_KEY)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?
            .secret)
    }

    /// Makes a new current signing key and keeps the old one as the previous;
    /// the one before that stops verifying anything.
    pub async fn rotate_session_signing_key(&self) -> Result<(), sqlx::Error> {
        // Makes the current key if no server has yet, so there is one to keep.
        self.session_signing_keys().await?;
        let current = self
            .server_secret(SESSION_SIGNING_KEY)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let now = now_unix();
        let previous = self.seal(
            &current.secret,
            &SecretPlace::ServerSecret {
                name: PREVIOUS_SESSION_SIGNING_KEY,
            },
        )?;
        let next = self.seal(
            &random_base62(SIGNING_KEY_LEN),
            &SecretPlace::ServerSecret {
                name: SESSION_SIGNING_KEY,
            },
        )?;
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = $2, created_at = $3",
        )
        .bind(PREVIOUS_SESSION_SIGNING_KEY)
        .bind(&previous)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Guarded on the value read, so two rotations racing cannot both win.
        let rotated = sqlx::query(
            "UPDATE server_secrets SET value = $1, created_at = $2 WHERE name = $3 AND value = $4",
        )
        .bind(&next)
        .bind(now)
        .bind(SESSION_SIGNING_KEY)
        .bind(&current.stored)
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

    /// Stores a server secret under `name` unless one is there already. Every
    /// server secret is stored sealed under the master key.
    async fn insert_server_secret_if_absent(
        &self,
        name: &str,
        secret: &str,
    ) -> Result<(), sqlx::Error> {
        let sealed = self.seal(secret, &SecretPlace::ServerSecret { name })?;
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(sealed)
        .bind(now_unix())
        .execute(&mut *writer)
        .await?;
        Ok(())
    }

    /// The server secret stored under `name`, opened.
    async fn server_secret(&self, name: &str) -> Result<Option<ServerSecret>, sqlx::Error> {
        let stored =
            sqlx::query_scalar::<_, String>("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        stored
            .map(|stored| {
                let secret = self.unseal(&stored, &SecretPlace::ServerSecret { name })?;
                Ok(ServerSecret { secret, stored })
            })
            .transpose()
    }
}

/// A server secret, and the form it is stored in (for updates guarded on it).
struct ServerSecret {
    secret: String,
    stored: String,
}
