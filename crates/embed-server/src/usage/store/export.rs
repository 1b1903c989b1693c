//! The raw usage records an export streams, a page at a time: each page starts
//! after the last row of the one before (keyset paging), so an export of any
//! size holds one page in memory and no connection between pages.

use sqlx::Row;

use super::daily::{UsageFilter, bind_filter, filter_sql};
use super::runs::{RUN_COLUMNS, UsageRun};
use crate::db::DAY_MS;
use crate::db::Db;

/// A client usage event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUsageEvent {
    pub tenant_id: String,
    pub agent_id: String,
    pub widget_id: String,
    pub key_id: String,
    pub visitor_id: String,
    pub source: String,
    pub id: String,
    pub kind: String,
    /// Unix milliseconds: the event's own time, and when the server stored it.
    pub time_ms: i64,
    pub received_at_ms: i64,
    /// JSON text.
    pub data: Option<String>,
}

/// Where the next page of events starts: after this (time, widget, source, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCursor {
    pub time_ms: i64,
    pub widget_id: String,
    pub source: String,
    pub id: String,
}

impl StoredUsageEvent {
    pub fn cursor(&self) -> EventCursor {
        EventCursor {
            time_ms: self.time_ms,
            widget_id: self.widget_id.clone(),
            source: self.source.clone(),
            id: self.id.clone(),
        }
    }
}

/// The filter's days as the first and the one past the last Unix millisecond.
fn millisecond_bounds(filter: &UsageFilter) -> (i64, i64) {
    (
        filter.from_day.saturating_mul(DAY_MS),
        filter.to_day.saturating_add(1).saturating_mul(DAY_MS),
    )
}

impl Db {
    /// Up to `limit` run records the filter selects, by start time and id,
    /// after `after` (the last one of the page before).
    pub async fn runs_page(
        &self,
        filter: &UsageFilter,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<UsageRun>, sqlx::Error> {
        let (after_ms, after_id) = after.unwrap_or((i64::MIN, String::new()));
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM usage_runs WHERE {} \
             AND (started_at > $8 OR (started_at = $8 AND id > $9)) \
             ORDER BY started_at, id LIMIT $10",
            filter_sql("started_at")
        );
        let rows = bind_filter(
            sqlx::query(sqlx::AssertSqlSafe(sql)),
            filter,
            millisecond_bounds(filter),
        )
        .bind(after_ms)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(UsageRun::from_row).collect()
    }

    /// Up to `limit` stored usage events the filter selects, by their time,
    /// widget, source and id, after `after`.
    pub async fn events_page(
        &self,
        filter: &UsageFilter,
        after: Option<&EventCursor>,
        limit: i64,
    ) -> Result<Vec<StoredUsageEvent>, sqlx::Error> {
        let start = EventCursor {
            time_ms: i64::MIN,
            widget_id: String::new(),
            source: String::new(),
            id: String::new(),
        };
        let after = after.unwrap_or(&start);
        let sql = format!(
            "SELECT tenant_id, agent_id, widget_id, key_id, visitor_id, source, event_id, \
             event_type, occurred_at, received_at, data FROM usage_events WHERE {} \
             AND (occurred_at, widget_id, source, event_id) > ($8, $9, $10, $11) \
             ORDER BY occurred_at, widget_id, source, event_id LIMIT $12",
            filter_sql("occurred_at")
        );
        let rows = bind_filter(
            sqlx::query(sqlx::AssertSqlSafe(sql)),
            filter,
            millisecond_bounds(filter),
        )
        .bind(after.time_ms)
        .bind(&after.widget_id)
        .bind(&after.source)
        .bind(&after.id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredUsageEvent {
                    tenant_id: row.try_get("tenant_id")?,
                    agent_id: row.try_get("agent_id")?,
                    widget_id: row.try_get("widget_id")?,
                    key_id: row.try_get("key_id")?,
                    visitor_id: row.try_get("visitor_id")?,
                    source: row.try_get("source")?,
                    id: row.try_get("event_id")?,
                    kind: row.try_get("event_type")?,
                    time_ms: row.try_get("occurred_at")?,
                    received_at_ms: row.try_get("received_at")?,
                    data: row.try_get("data")?,
                })
            })
            .collect()
    }
}
