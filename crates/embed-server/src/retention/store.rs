//! Forgetting what is past its retention: client usage events (with their
//! per-day counts) and the keys' audit trail. Both can be written by anyone
//! with a publishable key or an admin key, so neither may grow forever. The
//! daily roll-ups keep what the events added to them.

use crate::db::DAY_MS;
use crate::db::Db;
use crate::usage::RollupCell;

impl Db {
    /// Forgets client usage events that happened before `before_ms` (Unix
    /// milliseconds), one tenant and one day at a time, so that no single write
    /// holds the database for long (on SQLite every write waits for it).
    /// Returns how many were forgotten.
    pub async fn forget_usage_events_before(&self, before_ms: i64) -> Result<u64, sqlx::Error> {
        let tenants: Vec<String> = sqlx::query_scalar("SELECT id FROM tenants ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut forgotten = 0;
        for tenant in tenants {
            let mut after = i64::MIN;
            // The tenant's oldest event from `after` on, through the
            // (tenant_id, occurred_at) index; then the day it is in.
            while let Some(from) = self.oldest_event(&tenant, after).await? {
                if from >= before_ms {
                    break;
                }
                let until = (RollupCell::day_of(from) + 1)
                    .saturating_mul(DAY_MS)
                    .min(before_ms);
                let mut writer = self.writer.connection().await?;
                forgotten += sqlx::query(
                    "DELETE FROM usage_events WHERE tenant_id = $1 \
                     AND occurred_at >= $2 AND occurred_at < $3",
                )
                .bind(&tenant)
                .bind(from)
                .bind(until)
                .execute(&mut *writer)
                .await?
                .rows_affected();
                after = until;
            }
        }
        let mut writer = self.writer.connection().await?;
        sqlx::query("DELETE FROM usage_event_days WHERE day < $1")
            .bind(RollupCell::day_of(before_ms))
            .execute(&mut *writer)
            .await?;
        Ok(forgotten)
    }

    async fn oldest_event(&self, tenant: &str, after: i64) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT MIN(occurred_at) FROM usage_events WHERE tenant_id = $1 AND occurred_at >= $2",
        )
        .bind(tenant)
        .bind(after)
        .fetch_one(&self.pool)
        .await
    }

    /// Forgets key events (the audit trail) older than `before` (Unix seconds).
    pub async fn forget_key_events_before(&self, before: i64) -> Result<u64, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        Ok(sqlx::query("DELETE FROM key_events WHERE at < $1")
            .bind(before)
            .execute(&mut *writer)
            .await?
            .rows_affected())
    }
}
