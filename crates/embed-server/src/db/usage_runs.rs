//! One usage record per run, measured by the server: the browser cannot forge
//! billable numbers.

use super::{Db, new_id};

/// Everything measured of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRun {
    pub tenant_id: String,
    pub agent_id: String,
    pub widget_id: String,
    pub key_id: String,
    pub visitor_id: String,
    pub thread_id: String,
    pub run_id: String,
    pub input_chars: i64,
    pub output_chars: i64,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// None when no event arrived.
    pub first_event_ms: Option<i64>,
    pub duration_ms: i64,
    /// `ok`, a RUN_ERROR code, or `visitor_left`.
    pub outcome: String,
    /// Unix milliseconds.
    pub started_at_ms: i64,
}

impl Db {
    pub async fn record_run(&self, run: &UsageRun) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO usage_runs (id, tenant_id, agent_id, widget_id, key_id, visitor_id, \
             thread_id, run_id, input_chars, output_chars, input_tokens, output_tokens, \
             first_event_ms, duration_ms, outcome, started_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(new_id("run"))
        .bind(&run.tenant_id)
        .bind(&run.agent_id)
        .bind(&run.widget_id)
        .bind(&run.key_id)
        .bind(&run.visitor_id)
        .bind(&run.thread_id)
        .bind(&run.run_id)
        .bind(run.input_chars)
        .bind(run.output_chars)
        .bind(run.input_tokens)
        .bind(run.output_tokens)
        .bind(run.first_event_ms)
        .bind(run.duration_ms)
        .bind(&run.outcome)
        .bind(run.started_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
