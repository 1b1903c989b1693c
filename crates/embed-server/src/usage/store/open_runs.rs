//! Runs being answered now, so that a run whose node stops before recording
//! it (killed, out of memory, past its shutdown grace) is still recorded and
//! counted, once: each open run holds the record it gets then (outcome
//! `node_stopped`) under the id its own record has, and any node records it
//! once its `lost_after` has passed. A run that ends normally records itself
//! and forgets its row; if both happen, the record's id makes the second
//! insert count nothing.

use sqlx::AnyConnection;

use super::runs::UsageRun;
use crate::db::Db;

/// The outcome of a run whose node stopped before recording it.
const NODE_STOPPED: &str = "node_stopped";

/// Lost runs recorded in one go; more wait for the next round.
const LOST_RUNS_AT_ONCE: i64 = 100;

impl Db {
    /// Notes `run` (as it starts: nothing measured yet) as open until
    /// `lost_after_ms` (Unix ms).
    pub async fn open_run(&self, run: &UsageRun, lost_after_ms: i64) -> Result<(), sqlx::Error> {
        note_open_run(&mut *self.writer.connection().await?, run, lost_after_ms).await
    }

    /// Forgets the open run `id`: its record is stored.
    pub async fn close_run(&self, id: &str) -> Result<(), sqlx::Error> {
        forget_open_run(&mut *self.writer.connection().await?, id).await
    }

    /// Records the runs still open past their `lost_after` as `node_stopped`
    /// (those whose own record came first count nothing more) and forgets
    /// them: how many were recorded now.
    pub async fn record_lost_runs(&self, now_ms: i64) -> Result<usize, sqlx::Error> {
        // Each as its record: what no node measured is nothing.
        let lost = format!(
            "SELECT id, tenant_id, agent_id, agent_version, widget_id, key_id, visitor_id, \
             thread_id, run_id, input_chars, CAST(0 AS BIGINT) AS output_chars, \
             CAST(NULL AS BIGINT) AS input_tokens, CAST(NULL AS BIGINT) AS output_tokens, \
             CAST(NULL AS BIGINT) AS first_event_ms, CAST(0 AS BIGINT) AS duration_ms, \
             '{NODE_STOPPED}' AS outcome, started_at FROM open_runs \
             WHERE lost_after < $1 ORDER BY lost_after LIMIT $2"
        );
        // Only a constant of this file is formatted in.
        let rows = sqlx::query(sqlx::AssertSqlSafe(lost))
            .bind(now_ms)
            .bind(LOST_RUNS_AT_ONCE)
            .fetch_all(&self.pool)
            .await?;
        let mut recorded = 0;
        for row in rows {
            let run = UsageRun::from_row(&row)?;
            match self.record_run(&run).await {
                Ok(new) => recorded += usize::from(new),
                // Its widget or organisation is gone: nothing to count it against.
                Err(sqlx::Error::Database(error)) if error.is_foreign_key_violation() => {}
                Err(error) => return Err(error),
            }
            self.close_run(&run.id).await?;
        }
        Ok(recorded)
    }
}

/// [`Db::open_run`] on `connection`.
pub(crate) async fn note_open_run(
    connection: &mut AnyConnection,
    run: &UsageRun,
    lost_after_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO open_runs (id, tenant_id, agent_id, agent_version, widget_id, key_id, \
         visitor_id, thread_id, run_id, input_chars, started_at, lost_after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&run.id)
    .bind(&run.tenant_id)
    .bind(&run.agent_id)
    .bind(i64::from(run.agent_version))
    .bind(&run.widget_id)
    .bind(&run.key_id)
    .bind(&run.visitor_id)
    .bind(&run.thread_id)
    .bind(&run.run_id)
    .bind(run.input_chars)
    .bind(run.started_at_ms)
    .bind(lost_after_ms)
    .execute(connection)
    .await?;
    Ok(())
}

/// [`Db::close_run`] on `connection`.
pub(crate) async fn forget_open_run(
    connection: &mut AnyConnection,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM open_runs WHERE id = $1")
        .bind(id)
        .execute(connection)
        .await?;
    Ok(())
}
