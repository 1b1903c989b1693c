//! Messages per widget and UTC day, counted in the database so every node of a
//! deployment draws on the same daily budget, and on the same monthly one (a
//! marketplace purchase's: the sum of the month's days). (Usage reports read the roll-ups
//! of the run records instead: `usage_daily`.)

use crate::db::writer::ExpectedWrite;
use crate::db::{DAY_SECS, Db, now_unix};
use crate::usage::month::UtcMonth;

/// What counting a message against a widget's budget found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetOutcome {
    Counted,
    /// Today's budget is used up; it renews in this many seconds (next UTC midnight).
    Exhausted {
        renews_in_secs: u64,
    },
}

/// The budgets a message counts against; 0 means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageBudgets {
    /// Messages a UTC day, the widget owner's.
    pub daily: i64,
    /// Messages a UTC calendar month, the marketplace purchase's.
    pub monthly: i64,
}

/// Adds a message to today's row of a widget while both budgets allow it.
/// The first message of the day inserts the row, later ones add to it; the
/// row's lock orders concurrent messages on any node, so neither count ever
/// passes its budget. The month's earlier days do not change while it runs,
/// so their sum plus today's row is the month's exact count.
const COUNT_WITHIN_BOTH: &str = "INSERT INTO widget_daily_messages (widget_id, day, messages) \
     SELECT $1, $2, 1 WHERE $4 <= 0 OR (SELECT COALESCE(SUM(earlier.messages), 0) \
     FROM widget_daily_messages earlier WHERE earlier.widget_id = $1 AND earlier.day >= $5 \
     AND earlier.day < $2) < $4 \
     ON CONFLICT (widget_id, day) DO UPDATE SET messages = widget_daily_messages.messages + 1 \
     WHERE ($3 <= 0 OR widget_daily_messages.messages < $3) AND ($4 <= 0 OR \
     widget_daily_messages.messages + (SELECT COALESCE(SUM(earlier.messages), 0) \
     FROM widget_daily_messages earlier WHERE earlier.widget_id = $1 AND earlier.day >= $5 \
     AND earlier.day < $2) < $4)";

/// The same for a widget without a monthly budget, the common case: one row,
/// no sum.
const COUNT_WITHIN_DAILY: &str = "INSERT INTO widget_daily_messages (widget_id, day, messages) \
     VALUES ($1, $2, 1) ON CONFLICT (widget_id, day) DO UPDATE \
     SET messages = widget_daily_messages.messages + 1 \
     WHERE $3 <= 0 OR widget_daily_messages.messages < $3";

impl Db {
    /// Holds back the writes off the visitors' path (the run ledger) until
    /// the result is dropped: a chat takes it as it starts, so that its
    /// message count does not wait behind them.
    pub(crate) fn expect_message_count(&self) -> ExpectedWrite {
        self.writer.expect()
    }

    /// Counts one message against today's and this month's budgets, unless
    /// one is used up; a refused message is not counted.
    pub async fn count_message(
        &self,
        widget_id: &str,
        budgets: MessageBudgets,
    ) -> Result<BudgetOutcome, sqlx::Error> {
        self.count_message_at(widget_id, budgets, now_unix()).await
    }

    /// [`Db::count_message`] at `now` (Unix seconds): the tests count on
    /// other days of a month.
    pub async fn count_message_at(
        &self,
        widget_id: &str,
        budgets: MessageBudgets,
        now: i64,
    ) -> Result<BudgetOutcome, sqlx::Error> {
        let day = now.div_euclid(DAY_SECS);
        let month = UtcMonth::of_day(day);
        let mut writer = self.writer.connection().await?;
        let statement = if budgets.monthly > 0 {
            COUNT_WITHIN_BOTH
        } else {
            COUNT_WITHIN_DAILY
        };
        let mut query = sqlx::query(statement)
            .bind(widget_id)
            .bind(day)
            .bind(budgets.daily);
        if budgets.monthly > 0 {
            query = query.bind(budgets.monthly).bind(month.first_day());
        }
        let counted = query.execute(&mut *writer).await?.rows_affected();
        drop(writer);
        if counted == 1 {
            return Ok(BudgetOutcome::Counted);
        }
        // Refused: the day's budget renews at midnight, the month's on the
        // 1st; when both are used up, the later.
        let renews_at_day = if budgets.monthly > 0
            && self.messages_this_month(widget_id, month).await? >= budgets.monthly
        {
            month.next_first_day()
        } else {
            day + 1
        };
        Ok(BudgetOutcome::Exhausted {
            renews_in_secs: (renews_at_day * DAY_SECS - now) as u64,
        })
    }

    /// Messages counted against a widget's budgets this month.
    async fn messages_this_month(
        &self,
        widget_id: &str,
        month: UtcMonth,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            // PostgreSQL sums BIGINTs as NUMERIC.
            "SELECT CAST(COALESCE(SUM(messages), 0) AS BIGINT) FROM widget_daily_messages \
             WHERE widget_id = $1 AND day >= $2 AND day < $3",
        )
        .bind(widget_id)
        .bind(month.first_day())
        .bind(month.next_first_day())
        .fetch_one(&self.pool)
        .await
    }
}
