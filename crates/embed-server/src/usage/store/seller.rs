//! Reading how buyers use a seller's published agents: the daily roll-ups and
//! run times of the runs its versions ran, by version and buying
//! organisation. Never a visitor, a thread or a text: only counts and times.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{AnyQuery, DAY_MS, Db};
use crate::usage::RollupCell;

/// Which of a seller's usage to read: days `from..=to` (days since the
/// epoch), optionally of one published agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerFilter {
    pub seller_id: String,
    pub published_agent_id: Option<String>,
    pub from_day: i64,
    pub to_day: i64,
}

/// A day of one version at one buyer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SellerCell {
    pub day: i64,
    pub published_agent_id: String,
    pub version: u32,
    pub buyer_id: String,
}

/// A cell's counters from the roll-ups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerDayRow {
    pub cell: SellerCell,
    pub buyer_name: String,
    pub conversations: i64,
    pub runs: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub feedback_up: i64,
    pub feedback_down: i64,
}

/// A cell's runs that ended with one error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerErrorRow {
    pub cell: SellerCell,
    pub code: String,
    pub runs: i64,
}

/// How fast one run answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTimes {
    pub cell: SellerCell,
    pub first_event_ms: Option<i64>,
    pub duration_ms: i64,
}

/// The seller's versions among the roll-ups' agents, and the range: `$1` the
/// seller, `$2` a published agent or `''`, `$3`, `$4` the first and last day.
const SELLERS_VERSIONS: &str = "JOIN agents versions ON versions.id = cells.agent_id \
     JOIN published_agents ON published_agents.id = versions.published_agent_id \
     WHERE published_agents.seller_id = $1 AND ($2 = '' OR published_agents.id = $2)";

const CELL_COLUMNS: &str = "versions.published_agent_id, versions.version, \
     cells.tenant_id AS buyer_id";

fn cell(row: &AnyRow, day: i64) -> Result<SellerCell, sqlx::Error> {
    Ok(SellerCell {
        day,
        published_agent_id: row.try_get("published_agent_id")?,
        version: u32::try_from(row.try_get::<i64, _>("version")?)
            .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
        buyer_id: row.try_get("buyer_id")?,
    })
}

impl Db {
    /// The roll-up counters of the seller's versions, per cell.
    pub async fn seller_days(
        &self,
        filter: &SellerFilter,
    ) -> Result<Vec<SellerDayRow>, sqlx::Error> {
        let sql = format!(
            "SELECT cells.day, {CELL_COLUMNS}, buyers.name AS buyer_name, \
             CAST(SUM(cells.conversations) AS BIGINT) AS conversations, \
             CAST(SUM(cells.runs) AS BIGINT) AS runs, \
             CAST(SUM(cells.input_tokens) AS BIGINT) AS input_tokens, \
             CAST(SUM(cells.output_tokens) AS BIGINT) AS output_tokens, \
             CAST(SUM(cells.feedback_up) AS BIGINT) AS feedback_up, \
             CAST(SUM(cells.feedback_down) AS BIGINT) AS feedback_down \
             FROM usage_daily cells JOIN tenants buyers ON buyers.id = cells.tenant_id \
             {SELLERS_VERSIONS} AND cells.day >= $3 AND cells.day <= $4 \
             GROUP BY cells.day, versions.published_agent_id, versions.version, \
             cells.tenant_id, buyers.name"
        );
        let rows = bind(
            sqlx::query(sqlx::AssertSqlSafe(sql)),
            filter,
            filter.from_day,
            filter.to_day,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SellerDayRow {
                    cell: cell(row, row.try_get("day")?)?,
                    buyer_name: row.try_get("buyer_name")?,
                    conversations: row.try_get("conversations")?,
                    runs: row.try_get("runs")?,
                    input_tokens: row.try_get("input_tokens")?,
                    output_tokens: row.try_get("output_tokens")?,
                    feedback_up: row.try_get("feedback_up")?,
                    feedback_down: row.try_get("feedback_down")?,
                })
            })
            .collect()
    }

    /// The runs of the seller's versions that did not end `ok`, per cell and code.
    pub async fn seller_errors(
        &self,
        filter: &SellerFilter,
    ) -> Result<Vec<SellerErrorRow>, sqlx::Error> {
        let sql = format!(
            "SELECT cells.day, {CELL_COLUMNS}, cells.code, CAST(SUM(cells.runs) AS BIGINT) AS runs \
             FROM usage_daily_errors cells {SELLERS_VERSIONS} \
             AND cells.day >= $3 AND cells.day <= $4 \
             GROUP BY cells.day, versions.published_agent_id, versions.version, \
             cells.tenant_id, cells.code"
        );
        let rows = bind(
            sqlx::query(sqlx::AssertSqlSafe(sql)),
            filter,
            filter.from_day,
            filter.to_day,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SellerErrorRow {
                    cell: cell(row, row.try_get("day")?)?,
                    code: row.try_get("code")?,
                    runs: row.try_get("runs")?,
                })
            })
            .collect()
    }

    /// How fast each run of the seller's versions answered: its time to the
    /// first event and its duration, nothing else of it.
    pub async fn seller_run_times(
        &self,
        filter: &SellerFilter,
    ) -> Result<Vec<RunTimes>, sqlx::Error> {
        let sql = format!(
            "SELECT cells.started_at, {CELL_COLUMNS}, cells.first_event_ms, cells.duration_ms \
             FROM usage_runs cells {SELLERS_VERSIONS} \
             AND cells.started_at >= $3 AND cells.started_at < $4"
        );
        let (from, until) = (filter.from_day * DAY_MS, (filter.to_day + 1) * DAY_MS);
        let rows = bind(sqlx::query(sqlx::AssertSqlSafe(sql)), filter, from, until)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(RunTimes {
                    cell: cell(row, RollupCell::day_of(row.try_get("started_at")?))?,
                    first_event_ms: row.try_get("first_event_ms")?,
                    duration_ms: row.try_get("duration_ms")?,
                })
            })
            .collect()
    }
}

fn bind<'q>(query: AnyQuery<'q>, filter: &'q SellerFilter, from: i64, until: i64) -> AnyQuery<'q> {
    query
        .bind(filter.seller_id.as_str())
        .bind(filter.published_agent_id.as_deref().unwrap_or_default())
        .bind(from)
        .bind(until)
}
