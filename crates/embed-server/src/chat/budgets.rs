//! Messages per widget and UTC day, counted in the database so every node of a
//! deployment draws on the same daily budget. (Usage reports read the roll-ups
//! of the run records instead: `usage_daily`.)

use crate::db::{DAY_SECS, Db, now_unix};

/// What counting a message against a widget's budget found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetOutcome {
    Counted,
    /// Today's budget is used up; it renews in this many seconds (next UTC midnight).
    Exhausted {
        renews_in_secs: u64,
    },
}

impl Db {
    /// Counts one message against today's budget, unless it is used up; a refused
    /// message is not counted. `budget` 0 means unlimited.
    pub async fn count_daily_message(
        &self,
        widget_id: &str,
        budget: i64,
    ) -> Result<BudgetOutcome, sqlx::Error> {
        let now = now_unix();
        let day = now.div_euclid(DAY_SECS);
        // One statement, so concurrent messages on any node never push the count
        // past the budget: the first message of the day inserts the row, later ones
        // add to it only while under the budget.
        let mut writer = self.writer.connection().await?;
        let counted = sqlx::query(
            "INSERT INTO widget_daily_messages (widget_id, day, messages) VALUES ($1, $2, 1) \
             ON CONFLICT (widget_id, day) DO UPDATE SET messages = widget_daily_messages.messages + 1 \
             WHERE $3 <= 0 OR widget_daily_messages.messages < $3",
        )
        .bind(widget_id)
        .bind(day)
        .bind(budget)
        .execute(&mut *writer)
        .await?
        .rows_affected();
        Ok(if counted == 1 {
            BudgetOutcome::Counted
        } else {
            BudgetOutcome::Exhausted {
                renews_in_secs: ((day + 1) * DAY_SECS - now) as u64,
            }
        })
    }
}
