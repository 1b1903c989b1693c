//! Reading the daily usage roll-ups: a tenant's report (`GET /v1/usage`,
//! `sitekit usage`, the CSV export) and the operator's usage per agent across
//! every tenant (`sitekit usage by-agent`).

use std::collections::BTreeMap;

use sitekit_sdk::admin::UsageCounts;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{AnyQuery, Db};
use crate::tenants::TenantScope;

/// Which usage to read: days `from..=to` (days since the epoch), of one tenant
/// or (the operator) all, optionally of one agent, widget or key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageFilter {
    pub scope: TenantScope,
    pub agent_id: Option<String>,
    pub widget_id: Option<String>,
    pub key_id: Option<String>,
    pub from_day: i64,
    pub to_day: i64,
}

impl UsageFilter {
    /// The days it selects, as the first and the one past the last.
    fn day_bounds(&self) -> (i64, i64) {
        (self.from_day, self.to_day.saturating_add(1))
    }
}

/// The filter's condition on a table with the roll-ups' id columns and a time
/// column `column`: `$1` and `$2` the tenant scope, `$3`…`$5` the agent, widget
/// and key ids (empty: any), `$6` and `$7` the first value of `column` and the
/// one past the last, bound by [`bind_filter`].
pub(super) fn filter_sql(column: &str) -> String {
    format!(
        "($1 = 1 OR tenant_id = $2) AND ($3 = '' OR agent_id = $3) \
         AND ($4 = '' OR widget_id = $4) AND ($5 = '' OR key_id = $5) \
         AND {column} >= $6 AND {column} < $7"
    )
}

/// Binds [`filter_sql`]'s parameters: the filter's ids and `(from, until)`.
pub(super) fn bind_filter<'q>(
    query: AnyQuery<'q>,
    filter: &'q UsageFilter,
    (from, until): (i64, i64),
) -> AnyQuery<'q> {
    let text = |value: &'q Option<String>| value.as_deref().unwrap_or_default();
    filter
        .scope
        .bind(query)
        .bind(text(&filter.agent_id))
        .bind(text(&filter.widget_id))
        .bind(text(&filter.key_id))
        .bind(from)
        .bind(until)
}

/// One row of the roll-ups: a day of one key of one widget and agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyRow {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub agent_id: String,
    /// The agent's version (1 for an organisation's own agent).
    pub agent_version: u32,
    pub widget_id: String,
    pub key_id: String,
    pub counts: UsageCounts,
}

/// What a kind of object a usage filter names is stored as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageSubject {
    Agent,
    Widget,
    Key,
}

/// One agent's usage, with whose it is, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentUsageRow {
    pub agent_id: String,
    pub agent_name: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub deleted: bool,
    pub counts: UsageCounts,
}

const COUNTER_SUMS: &str = "CAST(SUM(conversations) AS BIGINT) AS conversations, \
     CAST(SUM(runs) AS BIGINT) AS runs, CAST(SUM(messages) AS BIGINT) AS messages, \
     CAST(SUM(input_chars) AS BIGINT) AS input_chars, \
     CAST(SUM(output_chars) AS BIGINT) AS output_chars, \
     CAST(SUM(input_tokens) AS BIGINT) AS input_tokens, \
     CAST(SUM(output_tokens) AS BIGINT) AS output_tokens, \
     CAST(SUM(feedback_up) AS BIGINT) AS feedback_up, \
     CAST(SUM(feedback_down) AS BIGINT) AS feedback_down, \
     CAST(SUM(csat_responses) AS BIGINT) AS csat_responses, \
     CAST(SUM(csat_score_sum) AS BIGINT) AS csat_score_sum, \
     CAST(SUM(loads) AS BIGINT) AS loads, CAST(SUM(opens) AS BIGINT) AS opens";

fn counts_from_row(row: &AnyRow) -> Result<UsageCounts, sqlx::Error> {
    Ok(UsageCounts {
        conversations: row.try_get("conversations")?,
        runs: row.try_get("runs")?,
        messages: row.try_get("messages")?,
        input_chars: row.try_get("input_chars")?,
        output_chars: row.try_get("output_chars")?,
        input_tokens: row.try_get("input_tokens")?,
        output_tokens: row.try_get("output_tokens")?,
        errors: BTreeMap::new(),
        feedback_up: row.try_get("feedback_up")?,
        feedback_down: row.try_get("feedback_down")?,
        csat_responses: row.try_get("csat_responses")?,
        csat_score_sum: row.try_get("csat_score_sum")?,
        loads: row.try_get("loads")?,
        opens: row.try_get("opens")?,
    })
}

impl Db {
    /// Whether an agent, widget or key with this id exists, deleted ones
    /// included (their usage stays), in `scope`.
    pub async fn usage_subject_exists(
        &self,
        scope: &TenantScope,
        subject: UsageSubject,
        id: &str,
    ) -> Result<bool, sqlx::Error> {
        let sql = match subject {
            UsageSubject::Agent => {
                "SELECT 1 FROM agents WHERE id = $1 AND ($2 = 1 OR tenant_id = $3)"
            }
            UsageSubject::Widget => {
                "SELECT 1 FROM widgets WHERE id = $1 AND ($2 = 1 OR tenant_id = $3)"
            }
            UsageSubject::Key => {
                "SELECT 1 FROM api_keys WHERE id = $1 AND ($2 = 1 OR tenant_id = $3)"
            }
        };
        let query = sqlx::query(sql).bind(id);
        Ok(scope
            .bind(query)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// The roll-up rows the filter selects, oldest first, then by agent, widget
    /// and key, each with its errors by code.
    pub async fn daily_usage(&self, filter: &UsageFilter) -> Result<Vec<DailyRow>, sqlx::Error> {
        let sql = format!(
            "SELECT day, agent_id, widget_id, key_id, conversations, runs, messages, \
             input_chars, output_chars, input_tokens, output_tokens, feedback_up, \
             feedback_down, csat_responses, csat_score_sum, loads, opens, (SELECT COALESCE(agents.version, 1) FROM agents \
             WHERE agents.id = usage_daily.agent_id) AS agent_version FROM usage_daily WHERE {} \
             ORDER BY day, agent_id, widget_id, key_id",
            filter_sql("day")
        );
        let rows = bind_filter(
            sqlx::query(sqlx::AssertSqlSafe(sql)),
            filter,
            filter.day_bounds(),
        )
        .fetch_all(&self.pool)
        .await?;
        let mut days = rows
            .iter()
            .map(|row| {
                Ok(DailyRow {
                    day: row.try_get("day")?,
                    agent_id: row.try_get("agent_id")?,
                    agent_version: u32::try_from(row.try_get::<i64, _>("agent_version")?)
                        .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
                    widget_id: row.try_get("widget_id")?,
                    key_id: row.try_get("key_id")?,
                    counts: counts_from_row(row)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let sql = format!(
            "SELECT day, agent_id, widget_id, key_id, code, runs FROM usage_daily_errors \
             WHERE {} ORDER BY day, agent_id, widget_id, key_id, code",
            filter_sql("day")
        );
        let errors = bind_filter(
            sqlx::query(sqlx::AssertSqlSafe(sql)),
            filter,
            filter.day_bounds(),
        )
        .fetch_all(&self.pool)
        .await?;
        // Sorted here, not only in SQL: PostgreSQL orders text by the database's
        // collation, and reports should list rows alike on either database.
        days.sort_by(|a, b| row_key(a).cmp(&row_key(b)));
        for row in &errors {
            let key = (
                row.try_get::<i64, _>("day")?,
                row.try_get::<String, _>("agent_id")?,
                row.try_get::<String, _>("widget_id")?,
                row.try_get::<String, _>("key_id")?,
            );
            let found = days.binary_search_by(|day| {
                row_key(day).cmp(&(key.0, key.1.as_str(), key.2.as_str(), key.3.as_str()))
            });
            // A run with an error is a run: its cell always has a counter row.
            if let Ok(index) = found {
                days[index]
                    .counts
                    .errors
                    .insert(row.try_get("code")?, row.try_get("runs")?);
            }
        }
        Ok(days)
    }

    /// Every agent's usage over days `from..=to`, across all tenants: the
    /// operator's view. Agents that still exist are listed even without usage;
    /// deleted ones only with some.
    pub async fn usage_by_agent(
        &self,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<AgentUsageRow>, sqlx::Error> {
        let sql = format!(
            "SELECT agents.id AS agent_id, agents.name AS agent_name, tenants.id AS tenant_id, \
             tenants.name AS tenant_name, agents.deleted_at, used.* FROM agents \
             JOIN tenants ON tenants.id = agents.tenant_id \
             LEFT JOIN (SELECT agent_id AS used_agent_id, {COUNTER_SUMS} FROM usage_daily \
             WHERE day >= $1 AND day <= $2 GROUP BY agent_id) used \
             ON used.used_agent_id = agents.id \
             WHERE agents.deleted_at IS NULL OR used.used_agent_id IS NOT NULL \
             ORDER BY tenants.name, tenants.id, agents.name, agents.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from_day)
            .bind(to_day)
            .fetch_all(&self.pool)
            .await?;
        let errors = sqlx::query(
            "SELECT agent_id, code, CAST(SUM(runs) AS BIGINT) AS runs FROM usage_daily_errors \
             WHERE day >= $1 AND day <= $2 GROUP BY agent_id, code",
        )
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?;
        let mut errors_of: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for row in &errors {
            errors_of
                .entry(row.try_get("agent_id")?)
                .or_default()
                .insert(row.try_get("code")?, row.try_get("runs")?);
        }
        rows.iter()
            .map(|row| {
                let agent_id: String = row.try_get("agent_id")?;
                let used = row.try_get::<Option<String>, _>("used_agent_id")?.is_some();
                let mut counts = if used {
                    counts_from_row(row)?
                } else {
                    UsageCounts::default()
                };
                counts.errors = errors_of.remove(&agent_id).unwrap_or_default();
                Ok(AgentUsageRow {
                    agent_name: row.try_get("agent_name")?,
                    tenant_id: row.try_get("tenant_id")?,
                    tenant_name: row.try_get("tenant_name")?,
                    deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
                    counts,
                    agent_id,
                })
            })
            .collect()
    }
}

fn row_key(row: &DailyRow) -> (i64, &str, &str, &str) {
    (row.day, &row.agent_id, &row.widget_id, &row.key_id)
}
