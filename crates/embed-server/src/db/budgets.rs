//! Messages per widget and UTC day, counted in the database so every node of a
//! deployment draws on the same daily budget; the counts are also the usage
//! summary of `GET /v1/usage`.

use sqlx::Row;

use super::{Db, now_unix};

pub const DAY_SECS: i64 = 86_400;

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
        let counted = sqlx::query(
            "INSERT INTO widget_daily_messages (widget_id, day, messages) VALUES ($1, $2, 1) \
             ON CONFLICT (widget_id, day) DO UPDATE SET messages = widget_daily_messages.messages + 1 \
             WHERE $3 <= 0 OR widget_daily_messages.messages < $3",
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

/// Messages one widget answered on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyMessages {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub widget_id: String,
    pub messages: i64,
}

impl Db {
    /// Daily message counts for days `from..=to` (days since the epoch), of every
    /// widget or only of one tenant's and/or one widget, oldest first.
    pub async fn daily_messages(
        &self,
        tenant_id: Option<&str>,
        widget_id: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<Vec<DailyMessages>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT counts.day, counts.widget_id, counts.messages FROM widget_daily_messages counts \
             JOIN widgets ON widgets.id = counts.widget_id \
             WHERE ($1 = '' OR widgets.tenant_id = $1) AND ($2 = '' OR counts.widget_id = $2) \
             AND counts.day >= $3 AND counts.day <= $4 ORDER BY counts.day, counts.widget_id",
        )
        .bind(tenant_id.unwrap_or_default())
        .bind(widget_id.unwrap_or_default())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DailyMessages {
                    day: row.try_get("day")?,
                    widget_id: row.try_get("widget_id")?,
                    messages: row.try_get("messages")?,
                })
            })
            .collect()
    }
}
