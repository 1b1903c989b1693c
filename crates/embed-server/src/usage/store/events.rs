//! Client usage events (the SDK's CloudEvents): each stored once per widget,
//! source and id, however often, on however many nodes, it is sent, and added
//! to the daily roll-ups in the same transaction only if stored now. Batches
//! reach [`Db::store_batches`] through the group commit of `event_queue`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection, Row};

use super::events_postgres;
use super::rollups::{RollupCell, RollupDelta};
use crate::db::{AnyQuery, Db};
use crate::subscriptions::RESOLVED_AGENT_ID;

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
pub struct NewUsageEvent {
    pub source: String,
    pub id: String,
    pub kind: String,
    /// Unix milliseconds.
    pub time_ms: i64,
    /// JSON text.
    pub data: Option<String>,
    /// What the event adds to the daily roll-ups, if anything.
    pub counted: Option<CountedEvent>,
}

/// One request's events, all from one sender.
#[derive(Debug, Clone)]
pub struct EventBatch {
    pub sender: EventSender,
    pub events: Vec<NewUsageEvent>,
}

/// The (source, id) of a batch's events stored now.
pub type StoredEvents = HashSet<(String, String)>;

/// What ingestion needs to know of a widget before it stores a batch.
#[derive(Debug, Clone)]
pub struct WidgetForEvents {
    pub agent_id: String,
    pub enabled: bool,
    /// Events accepted on the day asked for.
    pub accepted_today: i64,
}

/// The client events the roll-ups count (the others are only stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountedEvent {
    Load,
    Open,
    FeedbackUp,
    FeedbackDown,
    /// An answer to the CSAT question, with its score (1 to 5).
    Csat(u8),
}

/// Parameters of one stored event: its sender's six columns and its own five.
const ROW_PARAMS: usize = 11;
/// SQLite allows 32,766 parameters in a statement; this many rows stay far
/// below that and keep one statement small.
const ROWS_PER_STATEMENT: usize = 500;
const _: () = assert!(ROWS_PER_STATEMENT * ROW_PARAMS <= 32_766);

impl CountedEvent {
    /// What the event adds to the roll-ups, as PostgreSQL's statement reads
    /// it: the `usage_daily` column it adds one to, or `csat_<score>`.
    pub(super) fn column(self) -> &'static str {
        match self {
            CountedEvent::Load => "loads",
            CountedEvent::Open => "opens",
            CountedEvent::FeedbackUp => "feedback_up",
            CountedEvent::FeedbackDown => "feedback_down",
            CountedEvent::Csat(1) => "csat_1",
            CountedEvent::Csat(2) => "csat_2",
            CountedEvent::Csat(3) => "csat_3",
            CountedEvent::Csat(4) => "csat_4",
            // `event_rules` lets only 1 to 5 through.
            CountedEvent::Csat(_) => "csat_5",
        }
    }
}

impl Db {
    /// For a widget that still exists: the agent it runs now (for a
    /// subscription, the version it resolves to), whether it is enabled, and
    /// how many usage events it accepted on `day` (days since the epoch, by
    /// their arrival), for its daily cap. One query: it runs for every batch.
    pub async fn widget_for_events(
        &self,
        widget_id: &str,
        day: i64,
    ) -> Result<Option<WidgetForEvents>, sqlx::Error> {
        let sql = format!(
            "SELECT {RESOLVED_AGENT_ID} AS agent_id, enabled, \
             COALESCE((SELECT accepted FROM usage_event_days \
                       WHERE usage_event_days.widget_id = widgets.id AND day = $2), 0) AS accepted \
             FROM widgets WHERE id = $1 AND deleted_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(widget_id)
            .bind(day)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(WidgetForEvents {
                agent_id: row.try_get("agent_id")?,
                enabled: row.try_get::<i64, _>("enabled")? != 0,
                accepted_today: row.try_get("accepted")?,
            })
        })
        .transpose()
    }

    /// Stores the events of `batches` that were not stored before, all or
    /// none, and returns for each batch the (source, id) of its events stored
    /// now. Within the group, the first batch with an event is the one that
    /// stores it; later ones answer it as a duplicate.
    pub(super) async fn store_batches(
        &self,
        connection: &mut AnyConnection,
        batches: &[&EventBatch],
    ) -> Result<Vec<StoredEvents>, sqlx::Error> {
        let rows = distinct_rows(batches);
        let stored_now = if self.is_sqlite {
            store_rows_sqlite(connection, &rows).await?
        } else {
            events_postgres::store_rows(connection, &rows).await?
        };
        let mut stored = vec![StoredEvents::new(); batches.len()];
        for (row, _) in rows.iter().zip(&stored_now).filter(|(_, new)| **new) {
            stored[row.batch].insert((row.event.source.clone(), row.event.id.clone()));
        }
        Ok(stored)
    }
}

/// SQLite's write of `rows`, the group's distinct events, in one transaction:
/// stores those not stored before and adds them to the roll-ups and their
/// widgets' accepted counts, and says for each row whether it was stored now.
async fn store_rows_sqlite(
    connection: &mut AnyConnection,
    rows: &[EventRow<'_>],
) -> Result<Vec<bool>, sqlx::Error> {
    let mut tx = connection.begin().await?;
    let mut stored_now = vec![false; rows.len()];
    for (chunk, stored_now) in rows
        .chunks(ROWS_PER_STATEMENT)
        .zip(stored_now.chunks_mut(ROWS_PER_STATEMENT))
    {
        insert_new(&mut tx, chunk, stored_now).await?;
    }
    // Only what this transaction stored is counted; a duplicate was counted
    // when it was stored.
    let mut delta = RollupDelta::default();
    let mut accepted: BTreeMap<(&str, i64), i64> = BTreeMap::new();
    for (row, _) in rows.iter().zip(&stored_now).filter(|(_, new)| **new) {
        if let Some(counted) = row.event.counted {
            count(&mut delta, row.sender, row.event.time_ms, counted);
        }
        let day = RollupCell::day_of(row.sender.received_at_ms);
        *accepted.entry((&row.sender.widget_id, day)).or_default() += 1;
    }
    delta.apply(&mut tx).await?;
    // In key order, like every transaction here.
    for ((widget_id, day), count) in accepted {
        sqlx::query(
            "INSERT INTO usage_event_days (widget_id, day, accepted) VALUES ($1, $2, $3) \
             ON CONFLICT (widget_id, day) DO UPDATE \
             SET accepted = usage_event_days.accepted + excluded.accepted",
        )
        .bind(widget_id)
        .bind(day)
        .bind(count)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(stored_now)
}

/// One event of a group, with its batch and sender.
pub(super) struct EventRow<'a> {
    pub batch: usize,
    pub sender: &'a EventSender,
    pub event: &'a NewUsageEvent,
}

impl<'a> EventRow<'a> {
    /// What makes an event the same event: the dedupe key.
    fn key(&self) -> (&'a str, &'a str, &'a str) {
        (&self.sender.widget_id, &self.event.source, &self.event.id)
    }
}

/// Each event of the group once, the first batch's, in key order: the same
/// order in every transaction, so two concurrent ones sharing events wait for
/// each other on PostgreSQL's unique index instead of each holding a row the
/// other needs (a deadlock).
fn distinct_rows<'a>(batches: &[&'a EventBatch]) -> Vec<EventRow<'a>> {
    let mut seen = HashSet::new();
    let mut rows: Vec<EventRow<'a>> = Vec::new();
    for (batch_index, batch) in batches.iter().enumerate() {
        for event in &batch.events {
            let row = EventRow {
                batch: batch_index,
                sender: &batch.sender,
                event,
            };
            if seen.insert(row.key()) {
                rows.push(row);
            }
        }
    }
    rows.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
    rows
}

/// Finds which of `rows` were stored before, inserts the others and marks them
/// stored now. SQLite has one writer (and a transaction that read before
/// another process wrote fails rather than write), so what the look-up found
/// still holds when the insert runs. Only the duplicates (a few) come back,
/// as their position: returning every new row's key spent much of ingestion's
/// CPU (in `perf`) making and dropping rows.
async fn insert_new(
    connection: &mut AnyConnection,
    rows: &[EventRow<'_>],
    stored_now: &mut [bool],
) -> Result<(), sqlx::Error> {
    let mut lookup = sqlx::query(sqlx::AssertSqlSafe(stored_before_sql(rows.len())));
    for row in rows {
        let (widget_id, source, id) = row.key();
        lookup = lookup.bind(widget_id).bind(source).bind(id);
    }
    stored_now.fill(true);
    mark_stored_before(lookup.fetch_all(&mut *connection).await?, stored_now)?;
    let new: Vec<&EventRow<'_>> = rows
        .iter()
        .zip(stored_now.iter())
        .filter_map(|(row, new)| new.then_some(row))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let mut insert = sqlx::query(sqlx::AssertSqlSafe(insert_sql(new.len())));
    for row in &new {
        insert = bind_row(insert, row);
    }
    insert.execute(&mut *connection).await?;
    Ok(())
}

/// Marks as not stored now the rows at the positions (the first column of
/// `found`) that a look-up found stored before.
pub(super) fn mark_stored_before(
    found: Vec<AnyRow>,
    stored_now: &mut [bool],
) -> Result<(), sqlx::Error> {
    let rows = stored_now.len();
    for found in found {
        let position: i64 = found.try_get(0)?;
        let Some(slot) = usize::try_from(position)
            .ok()
            .and_then(|position| stored_now.get_mut(position))
        else {
            return Err(sqlx::Error::Protocol(format!(
                "the database found an event at position {position} of {rows}"
            )));
        };
        *slot = false;
    }
    Ok(())
}

/// Binds a row's eleven values, in [`insert_sql`]'s column order.
fn bind_row<'q>(query: AnyQuery<'q>, row: &EventRow<'q>) -> AnyQuery<'q> {
    query
        .bind(&row.sender.tenant_id)
        .bind(&row.sender.agent_id)
        .bind(&row.sender.widget_id)
        .bind(&row.sender.key_id)
        .bind(&row.sender.visitor_id)
        .bind(row.sender.received_at_ms)
        .bind(&row.event.source)
        .bind(&row.event.id)
        .bind(&row.event.kind)
        .bind(row.event.time_ms)
        .bind(row.event.data.as_deref())
}

/// Adds a stored event to the roll-up cell of its sender and day.
fn count(delta: &mut RollupDelta, sender: &EventSender, time_ms: i64, counted: CountedEvent) {
    let counts = delta.cell(RollupCell {
        tenant_id: sender.tenant_id.clone(),
        day: RollupCell::day_of(time_ms),
        agent_id: sender.agent_id.clone(),
        widget_id: sender.widget_id.clone(),
        key_id: sender.key_id.clone(),
    });
    match counted {
        CountedEvent::Load => counts.loads += 1,
        CountedEvent::Open => counts.opens += 1,
        CountedEvent::FeedbackUp => counts.feedback_up += 1,
        CountedEvent::FeedbackDown => counts.feedback_down += 1,
        CountedEvent::Csat(score) => {
            counts.csat_responses += 1;
            counts.csat_score_sum += i64::from(score);
        }
    }
}

/// One multi-row INSERT for `rows` events on SQLite: one statement, one
/// index pass. A `?` for every value, in order: SQLite finds a numbered
/// parameter by walking the statement's list of them as it binds, which makes
/// a statement of thousands bind in quadratic time (a tenth of ingestion's
/// CPU when measured); it binds `?` in order.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(300 + rows * 40);
    sql.push_str(
        "INSERT INTO usage_events (tenant_id, agent_id, widget_id, key_id, visitor_id, \
         received_at, source, event_id, event_type, occurred_at, data) VALUES ",
    );
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..ROW_PARAMS {
            sql.push_str(if column == 0 { "?" } else { ", ?" });
        }
        sql.push(')');
    }
    sql
}

/// The position in a list of `rows` event keys (widget, source, id, bound in
/// that order) of each one stored already, on SQLite. The list is the outer
/// table of the join, so each key is one lookup in the primary key's index;
/// `(…) IN (VALUES …)` would scan the whole index. SQLite names a `VALUES`
/// list's columns `column1`, `column2`, ….
fn stored_before_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(200 + rows * 24);
    sql.push_str("SELECT listed.column1 FROM (VALUES ");
    for row in 0..rows {
        let _ = write!(sql, "{}({row}, ?, ?, ?)", if row == 0 { "" } else { ", " });
    }
    sql.push_str(
        ") AS listed JOIN usage_events stored ON stored.widget_id = listed.column2 \
         AND stored.source = listed.column3 AND stored.event_id = listed.column4",
    );
    sql
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::*;

    /// A lookup per event, not a pass over every event ever stored: ingestion
    /// would slow as the table grows.
    #[tokio::test]
    async fn sqlite_looks_up_each_listed_event_in_the_primary_key() {
        sqlx::any::install_default_drivers();
        let mut connection = AnyConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::raw_sql(include_str!("../../../migrations/0008_usage_events.sql"))
            .execute(&mut connection)
            .await
            .unwrap();
        let plan = format!("EXPLAIN QUERY PLAN {}", stored_before_sql(3));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(plan));
        for _ in 0..9 {
            query = query.bind("x");
        }
        let steps: Vec<String> = query
            .fetch_all(&mut connection)
            .await
            .unwrap()
            .iter()
            .map(|step| step.try_get::<String, _>(3).unwrap())
            .collect();
        assert!(
            steps
                .iter()
                .any(|step| step.starts_with("SEARCH stored USING")
                    && step.contains("(widget_id=? AND source=? AND event_id=?)")),
            "{steps:?}"
        );
        assert!(
            !steps.iter().any(|step| step.starts_with("SCAN stored")),
            "{steps:?}"
        );
    }

    #[test]
    fn sqlite_binds_each_rows_eleven_values_in_order() {
        let sqlite = insert_sql(2);
        assert!(
            sqlite.contains(
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            "{sqlite}"
        );
        let lookup = stored_before_sql(2);
        assert!(
            lookup.contains("VALUES (0, ?, ?, ?), (1, ?, ?, ?)"),
            "{lookup}"
        );
    }
}
