//! `usage.daily`: once a UTC day has ended (and a quarter of an hour for runs
//! still being recorded), each endpoint that subscribes gets that day's
//! totals from the roll-ups, once: its delivery's dedupe key is the day, and
//! the unique key (endpoint, dedupe key) holds however many nodes try.

use serde_json::json;
use sqlx::Row;

use super::events::{Event, insert_delivery};
use crate::db::{DAY_MS, Db};

/// How long after midnight (UTC) the past day counts as complete.
const GRACE_MS: i64 = 15 * 60 * 1_000;

/// Endpoints served per round, at most; the rest the next round.
const PER_ROUND: i64 = 100;

impl Db {
    /// Enqueues the past day's `usage.daily` for every subscribed endpoint
    /// that was registered before that day ended and has not had it.
    pub async fn enqueue_daily_usage(&self, now_ms: i64) -> Result<u64, sqlx::Error> {
        let day = (now_ms - GRACE_MS).div_euclid(DAY_MS) - 1;
        let dedupe_key = format!("usage.daily:{day}");
        let endpoints = sqlx::query(
            "SELECT e.id, e.tenant_id FROM webhook_endpoints e WHERE e.deleted_at IS NULL \
             AND (' ' || e.events || ' ') LIKE '% usage.daily %' AND e.created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id \
             AND d.dedupe_key = $2) ORDER BY e.id LIMIT $3",
        )
        .bind((day + 1) * DAY_MS)
        .bind(&dedupe_key)
        .bind(PER_ROUND)
        .fetch_all(&self.pool)
        .await?;
        let mut made = 0;
        for endpoint in endpoints {
            let endpoint_id: String = endpoint.try_get("id")?;
            let tenant_id: String = endpoint.try_get("tenant_id")?;
            let event = Event::usage_daily(day, self.day_totals(&tenant_id, day).await?);
            let payload = event.payload(now_ms);
            let mut writer = self.writer.connection().await?;
            made += insert_delivery(
                &mut writer,
                &endpoint_id,
                &tenant_id,
                &event,
                &payload,
                now_ms,
            )
            .await?;
        }
        Ok(made)
    }

    /// An organisation's totals of one day, over all its agents, widgets and keys.
    async fn day_totals(
        &self,
        tenant_id: &str,
        day: i64,
    ) -> Result<serde_json::Value, sqlx::Error> {
        let sum = |column: &str| format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS {column}");
        let columns = [
            "conversations",
            "runs",
            "messages",
            "input_tokens",
            "output_tokens",
            "feedback_up",
            "feedback_down",
            "loads",
            "opens",
        ];
        let sums: Vec<String> = columns.iter().map(|column| sum(column)).collect();
        let sql = format!(
            "SELECT {}, (SELECT CAST(COALESCE(SUM(runs), 0) AS BIGINT) FROM usage_daily_errors \
             WHERE tenant_id = $1 AND day = $2) AS failed_runs \
             FROM usage_daily WHERE tenant_id = $1 AND day = $2",
            sums.join(", ")
        );
        // Only fixed column names are formatted in.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(day)
            .fetch_one(&self.pool)
            .await?;
        let count = |name: &str| row.try_get::<i64, _>(name);
        Ok(json!({
            "conversations": count("conversations")?,
            "runs": count("runs")?,
            "failedRuns": count("failed_runs")?,
            "messages": count("messages")?,
            "inputTokens": count("input_tokens")?,
            "outputTokens": count("output_tokens")?,
            "ratedUp": count("feedback_up")?,
            "ratedDown": count("feedback_down")?,
            "loads": count("loads")?,
            "opens": count("opens")?,
        }))
    }
}
