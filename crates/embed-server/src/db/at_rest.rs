//! Secrets at rest: every agent's `runtime_key`, every `server_secrets`
//! value and every webhook endpoint's signing secret is stored sealed under the master key (`master_key.rs`). Here: sealing
//! and opening them for the queries, checking a key against what is stored (and
//! sealing what an earlier release left in plain text) before a database is used
//! with it, and re-sealing everything under a new key.

use std::sync::Arc;

use sqlx::{AnyConnection, Connection};

use super::Db;
use crate::master_key::{MasterKey, SealError, SecretPlace, Stored};

/// Why a master key cannot be used with this database.
#[derive(Debug, thiserror::Error)]
pub enum AtRestError {
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("a secret changed while it was being sealed; run the command again")]
    Raced,
}

/// What re-sealing under a new key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resealed {
    /// Values now sealed under the new key.
    pub resealed: usize,
    /// Values that already were (an earlier run got that far).
    pub already: usize,
}

/// One stored secret: where it is and its stored form.
struct StoredSecret {
    table: SecretTable,
    /// The agent id or the secret's name.
    row: String,
    stored: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecretTable {
    Agents,
    ServerSecrets,
    WebhookSecrets,
    PreviousWebhookSecrets,
}

impl StoredSecret {
    fn place(&self) -> SecretPlace<'_> {
        match self.table {
            SecretTable::Agents => SecretPlace::RuntimeKey {
                agent_id: &self.row,
            },
            SecretTable::ServerSecrets => SecretPlace::ServerSecret { name: &self.row },
            SecretTable::WebhookSecrets => SecretPlace::WebhookSecret {
                endpoint_id: &self.row,
                previous: false,
            },
            SecretTable::PreviousWebhookSecrets => SecretPlace::WebhookSecret {
                endpoint_id: &self.row,
                previous: true,
            },
        }
    }
}

impl Db {
    /// This database with its secrets opened by `key`, once every sealed value
    /// was checked to open under it (a wrong key changes nothing) and what an
    /// earlier release stored in plain text is sealed, in one transaction.
    pub async fn with_master_key(mut self, key: MasterKey) -> Result<Db, AtRestError> {
        let mut plain = Vec::new();
        for secret in self.stored_secrets().await? {
            match Stored::read(&secret.stored) {
                Stored::Plain(value) => {
                    let sealed = key.seal(value, &secret.place());
                    plain.push((secret, sealed));
                }
                Stored::Sealed { .. } => {
                    key.open(&secret.stored, &secret.place())?;
                }
            }
        }
        if !plain.is_empty() {
            self.replace_stored(&plain).await?;
            tracing::info!(
                sealed = plain.len(),
                "sealed the secrets stored in plain text under the master key"
            );
        }
        self.master_key = Some(Arc::new(key));
        Ok(self)
    }

    /// Re-seals every stored secret under `new`, in one transaction. Values
    /// already under `new` are checked and kept, so a run that was cut short
    /// can run again; `current` is the key the others are sealed under (None
    /// when nothing is sealed yet).
    pub async fn rotate_master_key(
        &self,
        current: Option<&MasterKey>,
        new: &MasterKey,
    ) -> Result<Resealed, AtRestError> {
        let mut report = Resealed::default();
        let mut changes = Vec::new();
        for secret in self.stored_secrets().await? {
            let place = secret.place();
            let value = match Stored::read(&secret.stored) {
                Stored::Sealed { key_id, .. } if key_id == new.id() => {
                    new.open(&secret.stored, &place)?;
                    report.already += 1;
                    continue;
                }
                Stored::Plain(value) => value.to_owned(),
                Stored::Sealed { .. } => match current {
                    Some(current) => current.open(&secret.stored, &place)?,
                    None => return Err(SealError::NoKey(place.to_string()).into()),
                },
            };
            let sealed = new.seal(&value, &place);
            changes.push((secret, sealed));
        }
        self.replace_stored(&changes).await?;
        report.resealed = changes.len();
        Ok(report)
    }

    /// True when any secret is stored sealed, under whichever key.
    pub async fn holds_sealed_secrets(&self) -> Result<bool, sqlx::Error> {
        Ok(self
            .stored_secrets()
            .await?
            .iter()
            .any(|secret| matches!(Stored::read(&secret.stored), Stored::Sealed { .. })))
    }

    /// `secret` in the form it is stored in at `place`.
    pub(crate) fn seal(
        &self,
        secret: &str,
        place: &SecretPlace<'_>,
    ) -> Result<String, sqlx::Error> {
        match &self.master_key {
            Some(key) => Ok(key.seal(secret, place)),
            None => Err(sqlx::Error::Encode(Box::new(SealError::NoKey(
                place.to_string(),
            )))),
        }
    }

    /// The secret a stored value at `place` holds. A plain value is one an
    /// earlier release wrote (a node not yet upgraded, sharing the database):
    /// it is used as it is until the next start with a key seals it.
    pub(crate) fn unseal(
        &self,
        stored: &str,
        place: &SecretPlace<'_>,
    ) -> Result<String, sqlx::Error> {
        let opened = match (Stored::read(stored), &self.master_key) {
            (Stored::Plain(value), _) => Ok(value.to_owned()),
            (Stored::Sealed { .. }, Some(key)) => key.open(stored, place),
            (Stored::Sealed { .. }, None) => Err(SealError::NoKey(place.to_string())),
        };
        opened.map_err(|error| sqlx::Error::Decode(Box::new(error)))
    }

    /// Every stored secret, deleted agents' and endpoints' too.
    async fn stored_secrets(&self) -> Result<Vec<StoredSecret>, sqlx::Error> {
        let agents: Vec<(String, String)> = sqlx::query_as("SELECT id, runtime_key FROM agents")
            .fetch_all(&self.pool)
            .await?;
        let server: Vec<(String, String)> =
            sqlx::query_as("SELECT name, value FROM server_secrets")
                .fetch_all(&self.pool)
                .await?;
        let webhooks: Vec<(String, String)> =
            sqlx::query_as("SELECT id, secret FROM webhook_endpoints")
                .fetch_all(&self.pool)
                .await?;
        let previous_webhooks: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, previous_secret FROM webhook_endpoints WHERE previous_secret IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let secret = |table| move |(row, stored)| StoredSecret { table, row, stored };
        Ok(agents
            .into_iter()
            .map(secret(SecretTable::Agents))
            .chain(server.into_iter().map(secret(SecretTable::ServerSecrets)))
            .chain(
                webhooks
                    .into_iter()
                    .map(secret(SecretTable::WebhookSecrets)),
            )
            .chain(
                previous_webhooks
                    .into_iter()
                    .map(secret(SecretTable::PreviousWebhookSecrets)),
            )
            .collect())
    }

    /// Writes each new stored form in place of the old, all or nothing. Each
    /// update is guarded on the value read, so a secret changed meanwhile (by
    /// another node) is never overwritten with a stale one. On SQLite, the old
    /// forms are wiped from the file's free space and the write-ahead log.
    async fn replace_stored(&self, changes: &[(StoredSecret, String)]) -> Result<(), AtRestError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut writer = self.writer.connection().await?;
        if self.is_sqlite {
            // SQLite leaves a replaced value's bytes in the page's free space:
            // zero them, so the plain (or old) form does not linger in the file.
            sqlx::query("PRAGMA secure_delete = ON")
                .execute(&mut *writer)
                .await?;
        }
        let replaced = replace_all(&mut writer, changes).await;
        if self.is_sqlite {
            sqlx::query("PRAGMA secure_delete = OFF")
                .execute(&mut *writer)
                .await?;
            // The write-ahead log keeps the old pages until it is reset.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *writer)
                .await?;
        }
        replaced
    }
}

/// Each change, all or nothing.
async fn replace_all(
    connection: &mut AnyConnection,
    changes: &[(StoredSecret, String)],
) -> Result<(), AtRestError> {
    let mut tx = connection.begin().await?;
    for (secret, sealed) in changes {
        let sql = match secret.table {
            SecretTable::Agents => {
                "UPDATE agents SET runtime_key = $1 WHERE id = $2 AND runtime_key = $3"
            }
            SecretTable::ServerSecrets => {
                "UPDATE server_secrets SET value = $1 WHERE name = $2 AND value = $3"
            }
            SecretTable::WebhookSecrets => {
                "UPDATE webhook_endpoints SET secret = $1 WHERE id = $2 AND secret = $3"
            }
            SecretTable::PreviousWebhookSecrets => {
                "UPDATE webhook_endpoints SET previous_secret = $1 WHERE id = $2 \
                 AND previous_secret = $3"
            }
        };
        let updated = sqlx::query(sql)
            .bind(sealed)
            .bind(&secret.row)
            .bind(&secret.stored)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated != 1 {
            return Err(AtRestError::Raced);
        }
    }
    tx.commit().await?;
    Ok(())
}
