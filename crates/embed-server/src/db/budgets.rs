//! Per-widget daily message budgets, counted in the database so every node of a
//! deployment draws on the same budget.

use super::{Db, now_unix};

const DAY_SECS: i64 = 86_400;

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
    /// message is not counted. `budget` 0 means unlimited and counts nothing.
    pub async fn count_daily_message(
        &self,
        widget_id: &str,
        budget: i64,
    ) -> Result<BudgetOutcome, sqlx::Error> {
        if budget <= 0 {
            return Ok(BudgetOutcome::Counted);
        }
        let now = now_unix();
        let day = now.div_euclid(DAY_SECS);
        sqlx::query(
            "INSERT INTO widget_daily_messages (widget_id, day, messages) VALUES ($1, $2, 0) \
             ON CONFLICT (widget_id, day) DO NOTHING",
        )
        .bind(widget_id)
        .bind(day)
        .execute(&self.pool)
        .await?;
        // One conditional statement, so concurrent messages on any node never push
        // the count past the budget.
        let counted = sqlx::query(
            "UPDATE widget_daily_messages SET messages = messages + 1 \
             WHERE widget_id = $1 AND day = $2 AND messages < $3",
        )
        .bind(widget_id)
        .bind(day)
        .bind(budget)
        .execute(&self.pool)
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
