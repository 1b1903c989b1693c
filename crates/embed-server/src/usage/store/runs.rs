//! One usage record per run, measured by the server: the browser cannot forge
//! billable numbers. Storing a record adds it to the daily roll-ups in the same
//! transaction, and only when the record is new, so writing it again (a retry
//! after a failure that may have come after the commit) counts nothing twice.

use sqlx::{AnyConnection, Row};

use super::rollups::{RollupCell, RollupDelta};
use crate::db::{Db, now_unix_ms};
use crate::webhooks::events::enqueue_on;
use crate::webhooks::{Event, ThreadIds};

/// Everything measured of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRun {
    /// The record's own id (`run_…`), chosen once when the run starts so every
    /// attempt to store the record names the same row; exports use it as the
    /// event id.
    pub id: String,
    pub tenant_id: String,
    pub agent_id: String,
    /// The version of the agent that ran (1 for an organisation's own agent).
    pub agent_version: u32,
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

impl UsageRun {
    /// Whether the run ended in an error: not answered (`ok`) and not left by
    /// its visitor. Such a run, newly stored, is a `run.failed` webhook event.
    fn is_failure(&self) -> bool {
        !matches!(self.outcome.as_str(), "ok" | "visitor_left")
    }

    fn cell(&self) -> RollupCell {
        RollupCell {
            tenant_id: self.tenant_id.clone(),
            day: RollupCell::day_of(self.started_at_ms),
            agent_id: self.agent_id.clone(),
            widget_id: self.widget_id.clone(),
            key_id: self.key_id.clone(),
        }
    }
}

/// The columns of `usage_runs`, in [`UsageRun::from_row`]'s names.
pub(super) const RUN_COLUMNS: &str = "id, tenant_id, agent_id, agent_version, widget_id, \
     key_id, visitor_id, thread_id, run_id, input_chars, output_chars, input_tokens, \
     output_tokens, first_event_ms, duration_ms, outcome, started_at";

impl UsageRun {
    pub(super) fn from_row(row: &sqlx::any::AnyRow) -> Result<UsageRun, sqlx::Error> {
        Ok(UsageRun {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            agent_id: row.try_get("agent_id")?,
            agent_version: u32::try_from(row.try_get::<i64, _>("agent_version")?)
                .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
            widget_id: row.try_get("widget_id")?,
            key_id: row.try_get("key_id")?,
            visitor_id: row.try_get("visitor_id")?,
            thread_id: row.try_get("thread_id")?,
            run_id: row.try_get("run_id")?,
            input_chars: row.try_get("input_chars")?,
            output_chars: row.try_get("output_chars")?,
            input_tokens: row.try_get("input_tokens")?,
            output_tokens: row.try_get("output_tokens")?,
            first_event_ms: row.try_get("first_event_ms")?,
            duration_ms: row.try_get("duration_ms")?,
            outcome: row.try_get("outcome")?,
            started_at_ms: row.try_get("started_at")?,
        })
    }
}

impl Db {
    /// Stores a run's record and counts it; false (and nothing counted) when a
    /// record with its id is stored already.
    pub async fn record_run(&self, run: &UsageRun) -> Result<bool, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let mut delta = RollupDelta::default();
        let new = store_run(&mut tx, run, &mut delta).await?;
        delta.apply(&mut tx).await?;
        tx.commit().await?;
        Ok(new)
    }
}

/// Stores a run's record on `connection` (in a transaction) and adds what it
/// counts to `delta`; false (and nothing added) when a record with its id is
/// stored already.
pub(crate) async fn store_run(
    connection: &mut AnyConnection,
    run: &UsageRun,
    delta: &mut RollupDelta,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO usage_runs (id, tenant_id, agent_id, widget_id, key_id, visitor_id, \
         thread_id, run_id, input_chars, output_chars, input_tokens, output_tokens, \
         first_event_ms, duration_ms, outcome, started_at, agent_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (id) DO NOTHING RETURNING id",
    )
    .bind(&run.id)
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
    .bind(i64::from(run.agent_version))
    .fetch_optional(&mut *connection)
    .await?
    .is_some();
    if !inserted {
        // Stored before: by an earlier attempt whose answer was lost.
        return Ok(false);
    }
    count_conversation(connection, run, delta).await?;
    let counts = delta.cell(run.cell());
    counts.runs += 1;
    counts.messages += 1;
    counts.input_chars += run.input_chars;
    counts.output_chars += run.output_chars;
    counts.input_tokens += run.input_tokens.unwrap_or(0);
    counts.output_tokens += run.output_tokens.unwrap_or(0);
    if run.outcome != "ok" {
        *counts.errors.entry(run.outcome.clone()).or_default() += 1;
    }
    if run.is_failure() {
        let thread = ThreadIds {
            widget_id: &run.widget_id,
            visitor_id: &run.visitor_id,
            thread_id: &run.thread_id,
        };
        let event = Event::run_failed(thread, &run.run_id, &run.outcome);
        enqueue_on(connection, &run.tenant_id, &event, now_unix_ms()).await?;
    }
    Ok(true)
}

/// Counts the thread's conversation on its earliest run: this one if it is the
/// thread's first, or earlier than the run that holds the count so far (runs
/// are recorded as they end, not as they start), in which case the count moves.
async fn count_conversation(
    connection: &mut AnyConnection,
    run: &UsageRun,
    delta: &mut RollupDelta,
) -> Result<(), sqlx::Error> {
    // The no-op update locks the thread's row until the transaction ends, so
    // two runs of one thread recorded at once on different nodes decide in turn;
    // RETURNING gives the row as it stands (this run's, when it inserted it).
    let row = sqlx::query(
        "INSERT INTO usage_conversations (widget_id, visitor_id, thread_id, first_run_id, \
         first_started_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (widget_id, visitor_id, thread_id) DO UPDATE SET \
         first_run_id = usage_conversations.first_run_id \
         RETURNING first_run_id, first_started_at",
    )
    .bind(&run.widget_id)
    .bind(&run.visitor_id)
    .bind(&run.thread_id)
    .bind(&run.id)
    .bind(run.started_at_ms)
    .fetch_one(&mut *connection)
    .await?;
    let first_run_id: String = row.try_get("first_run_id")?;
    let first_started_at: i64 = row.try_get("first_started_at")?;
    if first_run_id == run.id {
        delta.cell(run.cell()).conversations += 1;
        return Ok(());
    }
    if (run.started_at_ms, run.id.as_str()) >= (first_started_at, first_run_id.as_str()) {
        return Ok(());
    }
    sqlx::query(
        "UPDATE usage_conversations SET first_run_id = $1, first_started_at = $2 \
         WHERE widget_id = $3 AND visitor_id = $4 AND thread_id = $5",
    )
    .bind(&run.id)
    .bind(run.started_at_ms)
    .bind(&run.widget_id)
    .bind(&run.visitor_id)
    .bind(&run.thread_id)
    .execute(&mut *connection)
    .await?;
    let sql = format!("SELECT {RUN_COLUMNS} FROM usage_runs WHERE id = $1");
    let previous = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&first_run_id)
        .fetch_one(&mut *connection)
        .await?;
    delta
        .cell(UsageRun::from_row(&previous)?.cell())
        .conversations -= 1;
    delta.cell(run.cell()).conversations += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_counts_on_the_utc_day_it_started() {
        let run = UsageRun {
            id: "run_1".into(),
            tenant_id: "ten".into(),
            agent_id: "agt".into(),
            agent_version: 1,
            widget_id: "wgt".into(),
            key_id: "key".into(),
            visitor_id: "vis".into(),
            thread_id: "t".into(),
            run_id: "r".into(),
            input_chars: 1,
            output_chars: 2,
            input_tokens: None,
            output_tokens: None,
            first_event_ms: None,
            duration_ms: 5_000,
            outcome: "ok".into(),
            // 1970-01-02 23:59:59.999, ending the next day.
            started_at_ms: 2 * 86_400_000 - 1,
        };
        assert_eq!(run.cell().day, 1);
    }
}
