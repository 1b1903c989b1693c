//! Adding to the daily usage roll-ups (`usage_daily`, `usage_daily_errors`)
//! inside the transaction that stores what they count, so a record is counted
//! exactly when it is stored: once.

use std::collections::BTreeMap;

use sitekit_sdk::admin::UsageCounts;
use sqlx::AnyConnection;

use crate::db::DAY_MS;

/// Where a count lands: one UTC day of one key of a tenant's widget and agent.
/// Ordered, so every transaction touches roll-up rows in the same order (two
/// that took them in opposite orders could deadlock on PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RollupCell {
    pub tenant_id: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub agent_id: String,
    pub widget_id: String,
    pub key_id: String,
}

impl RollupCell {
    /// The day of a Unix-milliseconds time.
    pub fn day_of(ms: i64) -> i64 {
        ms.div_euclid(DAY_MS)
    }
}

/// What one transaction adds to the roll-ups: counters per cell, errors by code
/// within them (`UsageCounts::errors`). Counters may be negative: a
/// conversation moves to a thread's earlier run when that run is recorded later.
#[derive(Debug, Default)]
pub struct RollupDelta {
    cells: BTreeMap<RollupCell, UsageCounts>,
}

impl RollupDelta {
    /// The counters of `cell`, to add to.
    pub fn cell(&mut self, cell: RollupCell) -> &mut UsageCounts {
        self.cells.entry(cell).or_default()
    }

    /// Adds everything to the roll-ups, on the transaction's connection.
    pub async fn apply(self, connection: &mut AnyConnection) -> Result<(), sqlx::Error> {
        for (cell, counts) in &self.cells {
            if has_counters(counts) {
                add_counters(connection, cell, counts).await?;
            }
        }
        // Errors after every counter, in (cell, code) order: the same order in
        // every transaction.
        for (cell, counts) in &self.cells {
            for (code, runs) in &counts.errors {
                if *runs != 0 {
                    add_errors(connection, cell, code, *runs).await?;
                }
            }
        }
        Ok(())
    }
}

fn has_counters(counts: &UsageCounts) -> bool {
    let UsageCounts {
        conversations,
        runs,
        messages,
        input_chars,
        output_chars,
        input_tokens,
        output_tokens,
        errors: _,
        feedback_up,
        feedback_down,
        csat_responses,
        csat_score_sum,
        loads,
        opens,
    } = counts;
    [
        conversations,
        runs,
        messages,
        input_chars,
        output_chars,
        input_tokens,
        output_tokens,
        feedback_up,
        feedback_down,
        csat_responses,
        csat_score_sum,
        loads,
        opens,
    ]
    .iter()
    .any(|count| **count != 0)
}

/// One upsert that adds: the first count of a cell inserts its row, later ones
/// add to it, atomically on either database whichever node counts.
async fn add_counters(
    connection: &mut AnyConnection,
    cell: &RollupCell,
    counts: &UsageCounts,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO usage_daily (tenant_id, day, agent_id, widget_id, key_id, conversations, \
         runs, messages, input_chars, output_chars, input_tokens, output_tokens, feedback_up, \
         feedback_down, loads, opens, csat_responses, csat_score_sum) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18) \
         ON CONFLICT (tenant_id, day, agent_id, widget_id, key_id) DO UPDATE SET \
         conversations = usage_daily.conversations + excluded.conversations, \
         runs = usage_daily.runs + excluded.runs, \
         messages = usage_daily.messages + excluded.messages, \
         input_chars = usage_daily.input_chars + excluded.input_chars, \
         output_chars = usage_daily.output_chars + excluded.output_chars, \
         input_tokens = usage_daily.input_tokens + excluded.input_tokens, \
         output_tokens = usage_daily.output_tokens + excluded.output_tokens, \
         feedback_up = usage_daily.feedback_up + excluded.feedback_up, \
         feedback_down = usage_daily.feedback_down + excluded.feedback_down, \
         loads = usage_daily.loads + excluded.loads, \
         opens = usage_daily.opens + excluded.opens, \
         csat_responses = usage_daily.csat_responses + excluded.csat_responses, \
         csat_score_sum = usage_daily.csat_score_sum + excluded.csat_score_sum",
    )
    .bind(&cell.tenant_id)
    .bind(cell.day)
    .bind(&cell.agent_id)
    .bind(&cell.widget_id)
    .bind(&cell.key_id)
    .bind(counts.conversations)
    .bind(counts.runs)
    .bind(counts.messages)
    .bind(counts.input_chars)
    .bind(counts.output_chars)
    .bind(counts.input_tokens)
    .bind(counts.output_tokens)
    .bind(counts.feedback_up)
    .bind(counts.feedback_down)
    .bind(counts.loads)
    .bind(counts.opens)
    .bind(counts.csat_responses)
    .bind(counts.csat_score_sum)
    .execute(connection)
    .await?;
    Ok(())
}

async fn add_errors(
    connection: &mut AnyConnection,
    cell: &RollupCell,
    code: &str,
    runs: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO usage_daily_errors (tenant_id, day, agent_id, widget_id, key_id, code, runs) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant_id, day, agent_id, widget_id, key_id, code) DO UPDATE SET \
         runs = usage_daily_errors.runs + excluded.runs",
    )
    .bind(&cell.tenant_id)
    .bind(cell.day)
    .bind(&cell.agent_id)
    .bind(&cell.widget_id)
    .bind(&cell.key_id)
    .bind(code)
    .bind(runs)
    .execute(connection)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_days_since_the_epoch() {
        assert_eq!(RollupCell::day_of(0), 0);
        assert_eq!(RollupCell::day_of(DAY_MS - 1), 0);
        assert_eq!(RollupCell::day_of(DAY_MS), 1);
        assert_eq!(RollupCell::day_of(-1), -1);
    }

    #[test]
    fn cells_are_taken_in_one_order_whatever_order_they_were_added_in() {
        let cell = |day: i64, key: &str| RollupCell {
            tenant_id: "ten".into(),
            day,
            agent_id: "agt".into(),
            widget_id: "wgt".into(),
            key_id: key.into(),
        };
        let mut delta = RollupDelta::default();
        delta.cell(cell(2, "a")).runs += 1;
        delta.cell(cell(1, "b")).runs += 1;
        delta.cell(cell(1, "a")).loads += 1;
        delta.cell(cell(2, "a")).runs += 1;
        let order: Vec<(i64, &str)> = delta
            .cells
            .keys()
            .map(|cell| (cell.day, cell.key_id.as_str()))
            .collect();
        assert_eq!(order, [(1, "a"), (1, "b"), (2, "a")]);
        assert_eq!(delta.cells[&cell(2, "a")].runs, 2);
    }

    #[test]
    fn errors_alone_need_no_counter_row() {
        let mut counts = UsageCounts::default();
        assert!(!has_counters(&counts));
        counts.errors.insert("runtime_error".into(), 1);
        assert!(!has_counters(&counts));
        counts.conversations = -1;
        assert!(has_counters(&counts));
    }
}
