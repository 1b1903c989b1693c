//! Client usage events (the SDK's CloudEvents): each stored once per widget,
//! source and id, however often, on however many nodes, it is sent, and added
//! to the daily roll-ups in the same transaction only if stored now.

use std::collections::HashSet;
use std::fmt::Write;

use sqlx::Row;

use super::Db;
use super::rollups::{RollupCell, RollupDelta};

/// Who sent a batch, from its session: the same for every event in it.
#[derive(Debug, Clone)]
pub struct EventSender {
    pub tenant_id: String,
    pub agent_id: String,
    pub widget_id: String,
    pub key_id: String,
    pub visitor_id: String,
    /// Unix milliseconds.
    pub received_at_ms: i64,
}

/// One event to store.
#[derive(Debug, Clone)]
pub struct NewUsageEvent<'a> {
    pub source: &'a str,
    pub id: &'a str,
    pub kind: &'a str,
    /// Unix milliseconds.
    pub time_ms: i64,
    /// JSON text.
    pub data: Option<String>,
    /// What the event adds to the daily roll-ups, if anything.
    pub counted: Option<CountedEvent>,
}

/// The client events the roll-ups count (the others are only stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountedEvent {
    Load,
    Open,
    FeedbackUp,
    FeedbackDown,
}

/// The sender's columns are bound once per statement and named by every row.
const SENDER_PARAMS: usize = 6;
const EVENT_PARAMS: usize = 5;
/// SQLite allows 32,766 parameters in a statement, PostgreSQL 65,535; this many
/// rows stay far below both and keep one statement's SQL small.
const ROWS_PER_STATEMENT: usize = 500;
const _: () = assert!(SENDER_PARAMS + ROWS_PER_STATEMENT * EVENT_PARAMS <= 32_766);

impl Db {
    /// The agent of a widget that still exists, and whether the widget is enabled.
    pub async fn agent_of_widget(
        &self,
        widget_id: &str,
    ) -> Result<Option<(String, bool)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT agent_id, enabled FROM widgets WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(widget_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("agent_id")?,
                row.try_get::<i64, _>("enabled")? != 0,
            ))
        })
        .transpose()
    }

    /// Stores the events that were not stored before, all or none, and returns
    /// the (source, id) of those stored now; the others were duplicates. The
    /// events must differ in (source, id).
    pub async fn record_usage_events(
        &self,
        sender: &EventSender,
        events: &[NewUsageEvent<'_>],
    ) -> Result<HashSet<(String, String)>, sqlx::Error> {
        // The same order in every batch: two concurrent batches sharing events
        // then wait for each other on PostgreSQL's unique index instead of each
        // holding a row the other needs (a deadlock).
        let mut events: Vec<&NewUsageEvent<'_>> = events.iter().collect();
        events.sort_unstable_by_key(|event| (event.source, event.id));
        let mut stored = HashSet::with_capacity(events.len());
        let mut tx = self.pool.begin().await?;
        for rows in events.chunks(ROWS_PER_STATEMENT) {
            // ON CONFLICT DO NOTHING: an event stored before, or by a concurrent
            // batch that commits first, is skipped, not counted again; RETURNING
            // names the rows this statement did store.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(insert_sql(rows.len())))
                .bind(&sender.tenant_id)
                .bind(&sender.agent_id)
                .bind(&sender.widget_id)
                .bind(&sender.key_id)
                .bind(&sender.visitor_id)
                .bind(sender.received_at_ms);
            for event in rows {
                query = query
                    .bind(event.source)
                    .bind(event.id)
                    .bind(event.kind)
                    .bind(event.time_ms)
                    .bind(event.data.as_deref());
            }
            for row in query.fetch_all(&mut *tx).await? {
                stored.insert((row.try_get("source")?, row.try_get("event_id")?));
            }
        }
        // Only what this transaction stored; a duplicate was counted when it was.
        let mut delta = RollupDelta::default();
        for event in &events {
            let Some(counted) = event.counted else {
                continue;
            };
            if !stored.contains(&(event.source.to_owned(), event.id.to_owned())) {
                continue;
            }
            let counts = delta.cell(RollupCell {
                tenant_id: sender.tenant_id.clone(),
                day: RollupCell::day_of(event.time_ms),
                agent_id: sender.agent_id.clone(),
                widget_id: sender.widget_id.clone(),
                key_id: sender.key_id.clone(),
            });
            match counted {
                CountedEvent::Load => counts.loads += 1,
                CountedEvent::Open => counts.opens += 1,
                CountedEvent::FeedbackUp => counts.feedback_up += 1,
                CountedEvent::FeedbackDown => counts.feedback_down += 1,
            }
        }
        delta.apply(&mut tx).await?;
        tx.commit().await?;
        Ok(stored)
    }
}

/// `INSERT … VALUES (…), (…) … ON CONFLICT DO NOTHING RETURNING …` for `rows`
/// events: one statement (one round trip, one index pass) for a whole batch.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(200 + rows * 64);
    sql.push_str(
        "INSERT INTO usage_events (tenant_id, agent_id, widget_id, key_id, visitor_id, \
         received_at, source, event_id, event_type, occurred_at, data) VALUES ",
    );
    for row in 0..rows {
        let first = SENDER_PARAMS + row * EVENT_PARAMS + 1;
        if row > 0 {
            sql.push_str(", ");
        }
        let _ = write!(
            sql,
            "($1, $2, $3, $4, $5, $6, ${}, ${}, ${}, ${}, ${})",
            first,
            first + 1,
            first + 2,
            first + 3,
            first + 4
        );
    }
    sql.push_str(
        " ON CONFLICT (widget_id, source, event_id) DO NOTHING RETURNING source, event_id",
    );
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_the_shared_sender_and_its_own_parameters() {
        let sql = insert_sql(2);
        assert!(
            sql.contains(
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11), \
                 ($1, $2, $3, $4, $5, $6, $12, $13, $14, $15, $16) ON CONFLICT"
            ),
            "{sql}"
        );
    }
}
