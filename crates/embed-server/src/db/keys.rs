//! Key records: listing, revoking, the audit trail, and the states the session
//! check keeps in memory.

use sqlx::Row;

use super::{Db, new_id, now_unix};

/// A key as an operator may see it: never the secret, only its display form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListing {
    pub id: String,
    pub tenant_id: String,
    pub widget_id: Option<String>,
    pub kind: String,
    pub mode: String,
    /// `skt_pub_test_…abcd`
    pub display: String,
    pub generation: i64,
    pub revoked: bool,
}

/// What live sessions of a key must agree with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyState {
    pub generation: i64,
    pub revoked: bool,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    pub key_id: String,
    pub event: String,
    pub actor: String,
    pub at: i64,
}

impl Db {
    pub async fn list_keys(&self, widget_id: Option<&str>) -> Result<Vec<KeyListing>, sqlx::Error> {
        const COLUMNS: &str = "SELECT id, tenant_id, widget_id, kind, mode, display_prefix, last4, \
             generation, revoked_at FROM api_keys";
        let rows = match widget_id {
            Some(widget_id) => {
                let sql = format!("{COLUMNS} WHERE widget_id = $1 ORDER BY created_at, id");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(widget_id)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = format!("{COLUMNS} ORDER BY created_at, id");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter()
            .map(|row| {
                Ok(KeyListing {
                    id: row.try_get("id")?,
                    tenant_id: row.try_get("tenant_id")?,
                    widget_id: row.try_get("widget_id")?,
                    kind: row.try_get("kind")?,
                    mode: row.try_get("mode")?,
                    display: format!(
                        "{}…{}",
                        row.try_get::<String, _>("display_prefix")?,
                        row.try_get::<String, _>("last4")?
                    ),
                    generation: row.try_get("generation")?,
                    revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Revokes a key and bumps its generation, which ends its live sessions, and
    /// records who did it. False when there is no such key or it was revoked already.
    pub async fn revoke_key(&self, key_id: &str, actor: &str) -> Result<bool, sqlx::Error> {
        let now = now_unix();
        let mut tx = self.pool.begin().await?;
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1, generation = generation + 1 \
             WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(key_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if revoked {
            sqlx::query(
                "INSERT INTO key_events (id, key_id, tenant_id, seq, event, actor, at) \
                 SELECT $1, id, tenant_id, \
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM key_events WHERE key_id = $4), \
                 'revoked', $2, $3 FROM api_keys WHERE id = $4",
            )
            .bind(new_id("kev"))
            .bind(actor)
            .bind(now)
            .bind(key_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }

    /// The audit trail of one key, oldest first.
    pub async fn key_events(&self, key_id: &str) -> Result<Vec<KeyEvent>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT key_id, event, actor, at FROM key_events WHERE key_id = $1 ORDER BY seq",
        )
        .bind(key_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(KeyEvent {
                    key_id: row.try_get("key_id")?,
                    event: row.try_get("event")?,
                    actor: row.try_get("actor")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }

    /// Every key's generation and revocation, for the in-memory session check.
    pub async fn key_states(&self) -> Result<Vec<(String, KeyState)>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, generation, revoked_at FROM api_keys")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("id")?,
                    KeyState {
                        generation: row.try_get("generation")?,
                        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                    },
                ))
            })
            .collect()
    }
}
