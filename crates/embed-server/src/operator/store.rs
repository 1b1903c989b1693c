//! The operator's keys, in a table of their own: they belong to no
//! organisation, and no organisation's query can reach them. Stored as their
//! hash only, like every server-side key.

use sqlx::Row;

use crate::db::{Db, new_id, now_unix};
use crate::keys::scopes::Scopes;
use crate::keys::{KeyKind, KeyMode, ParsedKey};

/// An operator key as the operator's API checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorKeyRecord {
    pub id: String,
    pub scopes: Scopes,
    pub revoked: bool,
    pub expires_at: Option<i64>,
}

/// An operator key as `sitekit operator-keys list` shows it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorKeyListing {
    pub id: String,
    pub note: String,
    /// `skt_op_live_…abcd`
    pub display: String,
    pub scopes: Scopes,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked: bool,
}

impl Db {
    /// A new operator key; the key itself is returned once and stored only as
    /// its hash.
    pub async fn create_operator_key(
        &self,
        note: &str,
        scopes: Scopes,
        expires_at: Option<i64>,
    ) -> Result<(String, ParsedKey), sqlx::Error> {
        let key = ParsedKey::generate(KeyKind::Operator, KeyMode::Live);
        let id = new_id("opk");
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "INSERT INTO operator_keys (id, note, secret_hash, display_prefix, last4, scopes, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(note)
        .bind(key.hash())
        .bind(key.display_prefix())
        .bind(key.last4())
        .bind(scopes.to_string())
        .bind(now_unix())
        .bind(expires_at)
        .execute(&mut *writer)
        .await?;
        Ok((id, key))
    }

    /// An operator key, found by its hash.
    pub async fn operator_key(
        &self,
        key: &ParsedKey,
    ) -> Result<Option<OperatorKeyRecord>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, scopes, revoked_at, expires_at FROM operator_keys WHERE secret_hash = $1",
        )
        .bind(key.hash())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(OperatorKeyRecord {
                id: row.try_get("id")?,
                scopes: Scopes::from_stored(&row.try_get::<String, _>("scopes")?),
                revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Every operator key, oldest first, revoked and expired ones included.
    pub async fn operator_keys(&self) -> Result<Vec<OperatorKeyListing>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, note, display_prefix, last4, scopes, created_at, expires_at, revoked_at \
             FROM operator_keys ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OperatorKeyListing {
                    id: row.try_get("id")?,
                    note: row.try_get("note")?,
                    display: format!(
                        "{}…{}",
                        row.try_get::<String, _>("display_prefix")?,
                        row.try_get::<String, _>("last4")?
                    ),
                    scopes: Scopes::from_stored(&row.try_get::<String, _>("scopes")?),
                    created_at: row.try_get("created_at")?,
                    expires_at: row.try_get("expires_at")?,
                    revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Revokes an operator key. False when there is no such key or it was
    /// revoked already.
    pub async fn revoke_operator_key(&self, id: &str) -> Result<bool, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let done = sqlx::query(
            "UPDATE operator_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now_unix())
        .bind(id)
        .execute(&mut *writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
