//! Storage of the audit trail.

use sqlx::Row;

use crate::db::{Db, new_id};

/// One write, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub tenant_id: String,
    /// `person:<sub>` or `key:<id>`.
    pub actor: String,
    pub method: String,
    /// The request's path, without its query.
    pub path: String,
    /// The HTTP status the server answered.
    pub status: u16,
    /// The client's address, as `client_ip` determined it.
    pub address: String,
    /// Unix milliseconds.
    pub at: i64,
}

impl Db {
    pub async fn record_audit_event(&self, event: &AuditEvent) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "INSERT INTO audit_events (id, tenant_id, actor, method, path, status, address, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id("aud"))
        .bind(&event.tenant_id)
        .bind(&event.actor)
        .bind(&event.method)
        .bind(&event.path)
        .bind(i64::from(event.status))
        .bind(&event.address)
        .bind(event.at)
        .execute(&mut *writer)
        .await?;
        Ok(())
    }

    /// The organisation's events, newest first, up to `limit`, before `before`
    /// (Unix ms) when given.
    pub async fn audit_events(
        &self,
        tenant_id: &str,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditEvent>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT tenant_id, actor, method, path, status, address, at FROM audit_events \
             WHERE tenant_id = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(tenant_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEvent {
                    tenant_id: row.try_get("tenant_id")?,
                    actor: row.try_get("actor")?,
                    method: row.try_get("method")?,
                    path: row.try_get("path")?,
                    status: u16::try_from(row.try_get::<i64, _>("status")?).unwrap_or(0),
                    address: row.try_get("address")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }

    /// Forgets audit events older than `before` (Unix ms).
    pub async fn forget_audit_events_before(&self, before: i64) -> Result<u64, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        Ok(sqlx::query("DELETE FROM audit_events WHERE at < $1")
            .bind(before)
            .execute(&mut *writer)
            .await?
            .rows_affected())
    }
}
