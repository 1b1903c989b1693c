//! Client usage events (the SDK's CloudEvents): each stored once per widget,
//! source and id, however often, on however many nodes, it is sent, and added
//! to the daily roll-ups in the same transaction only if stored now. Batches
//! reach [`Db::write_group`] through the group commit of `event_queue`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;

use sqlx::{AnyConnection, Row};

use super::event_queue::Waiting;
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
}

/// Parameters of one stored event: its sender's six columns and its own five.
const ROW_PARAMS: usize = 11;
/// SQLite allows 32,766 parameters in a statement, PostgreSQL 65,535; this many
/// rows stay far below both and keep one statement's SQL small.
const ROWS_PER_STATEMENT: usize = 500;
const _: () = assert!(ROWS_PER_STATEMENT * ROW_PARAMS <= 32_766);

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

    /// Writes a group of batches in one transaction and answers each. If that
    /// fails, each batch is written alone, so one batch's error is its own.
    pub(super) async fn write_group(&self, group: Vec<Waiting>) {
        let batches: Vec<&EventBatch> = group.iter().map(|waiting| &waiting.batch).collect();
        match self.store_batches(&batches).await {
            Ok(stored) => {
                for (waiting, stored) in group.into_iter().zip(stored) {
                    // A request that is gone needs no answer.
                    let _ = waiting.reply.send(Ok(stored));
                }
            }
            Err(error) if group.len() == 1 => {
                if let Some(waiting) = group.into_iter().next() {
                    let _ = waiting.reply.send(Err(error));
                }
            }
            Err(_) => {
                for waiting in group {
                    let outcome = self
                        .store_batches(&[&waiting.batch])
                        .await
                        .map(|mut stored| stored.pop().unwrap_or_default());
                    let _ = waiting.reply.send(outcome);
                }
            }
        }
    }

    /// Stores the events of `batches` that were not stored before, all or
    /// none, and returns for each batch the (source, id) of its events stored
    /// now. Within the group, the first batch with an event is the one that
    /// stores it; later ones answer it as a duplicate.
    pub(super) async fn store_batches(
        &self,
        batches: &[&EventBatch],
    ) -> Result<Vec<StoredEvents>, sqlx::Error> {
        let rows = distinct_rows(batches);
        let dialect = if self.is_sqlite {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        };
        match self.store_rows(batches, &rows, Insert::New(dialect)).await {
            // PostgreSQL: another transaction (another line, another node)
            // stored one of these events between the look-up and the insert.
            Err(sqlx::Error::Database(error))
                if dialect == Dialect::Postgres && error.is_unique_violation() =>
            {
                self.store_rows(batches, &rows, Insert::SkippingStored)
                    .await
            }
            stored => stored,
        }
    }

    /// [`Db::store_batches`] for `rows`, the batches' distinct events, in one
    /// transaction, inserting them as `insert` says.
    async fn store_rows(
        &self,
        batches: &[&EventBatch],
        rows: &[EventRow<'_>],
        insert: Insert,
    ) -> Result<Vec<StoredEvents>, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let mut stored_now = vec![false; rows.len()];
        for (chunk, stored_now) in rows
            .chunks(ROWS_PER_STATEMENT)
            .zip(stored_now.chunks_mut(ROWS_PER_STATEMENT))
        {
            match insert {
                Insert::New(dialect) => insert_new(&mut tx, chunk, stored_now, dialect).await?,
                Insert::SkippingStored => insert_returning(&mut tx, chunk, stored_now).await?,
            }
        }
        // Only what this transaction stored is counted; a duplicate was counted
        // when it was stored.
        let mut stored = vec![StoredEvents::new(); batches.len()];
        let mut delta = RollupDelta::default();
        let mut accepted: BTreeMap<(&str, i64), i64> = BTreeMap::new();
        for (row, _) in rows.iter().zip(&stored_now).filter(|(_, new)| **new) {
            if let Some(counted) = row.event.counted {
                count(&mut delta, row.sender, row.event.time_ms, counted);
            }
            let day = RollupCell::day_of(row.sender.received_at_ms);
            *accepted.entry((&row.sender.widget_id, day)).or_default() += 1;
            stored[row.batch].insert((row.event.source.clone(), row.event.id.clone()));
        }
        delta.apply(&mut tx).await?;
        // In key order, like every transaction here: no two wait on each other
        // in opposite orders.
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
        Ok(stored)
    }
}

/// How a transaction tells new events from those stored before.
#[derive(Debug, Clone, Copy)]
enum Insert {
    /// Looks the events up, then inserts the others: fails on an event that
    /// another transaction stores meanwhile (which SQLite's one writer rules
    /// out). Measured on PostgreSQL, an insert that skips conflicts takes
    /// twice a plain one's time, more than the look-up adds.
    New(Dialect),
    /// PostgreSQL: inserts all, skipping those stored (`ON CONFLICT DO
    /// NOTHING`), and learns which were new from `RETURNING`. Right whatever
    /// other transactions do.
    SkippingStored,
}

/// One event of a group, with its batch and sender.
struct EventRow<'a> {
    batch: usize,
    sender: &'a EventSender,
    event: &'a NewUsageEvent,
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
/// stored now. On SQLite, which has one writer (and a transaction that read
/// before another process wrote fails rather than write), what the look-up
/// found still holds when the insert runs; on PostgreSQL, an event another
/// transaction stores meanwhile makes the insert fail. Only the duplicates (a
/// few) come back, as their position: returning every new row's key spent
/// much of ingestion's CPU (in `perf`) making and dropping rows.
async fn insert_new(
    connection: &mut AnyConnection,
    rows: &[EventRow<'_>],
    stored_now: &mut [bool],
    dialect: Dialect,
) -> Result<(), sqlx::Error> {
    let mut lookup = sqlx::query(sqlx::AssertSqlSafe(stored_before_sql(rows.len(), dialect)));
    for row in rows {
        let (widget_id, source, id) = row.key();
        lookup = lookup.bind(widget_id).bind(source).bind(id);
    }
    stored_now.fill(true);
    for found in lookup.fetch_all(&mut *connection).await? {
        let position: i64 = found.try_get(0)?;
        let Some(slot) = usize::try_from(position)
            .ok()
            .and_then(|position| stored_now.get_mut(position))
        else {
            return Err(sqlx::Error::Protocol(format!(
                "the database found an event at position {position} of {}",
                rows.len()
            )));
        };
        *slot = false;
    }
    let new: Vec<&EventRow<'_>> = rows
        .iter()
        .zip(stored_now.iter())
        .filter_map(|(row, new)| new.then_some(row))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let mut insert = sqlx::query(sqlx::AssertSqlSafe(insert_sql(new.len(), dialect)));
    for row in &new {
        insert = bind_row(insert, row);
    }
    let inserted = insert.execute(&mut *connection).await?.rows_affected();
    if inserted != new.len() as u64 {
        return Err(sqlx::Error::Protocol(format!(
            "{inserted} of {} new events were stored: another writer stored some meanwhile",
            new.len()
        )));
    }
    Ok(())
}

/// PostgreSQL: inserts `rows` in one statement, skipping those stored before
/// or by a concurrent transaction that commits first (ON CONFLICT DO NOTHING),
/// and marks the ones RETURNING names as stored now.
async fn insert_returning(
    connection: &mut AnyConnection,
    rows: &[EventRow<'_>],
    stored_now: &mut [bool],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "{} ON CONFLICT (widget_id, source, event_id) DO NOTHING \
         RETURNING widget_id, source, event_id",
        insert_sql(rows.len(), Dialect::Postgres)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in rows {
        query = bind_row(query, row);
    }
    let position = positions(rows);
    for row in query.fetch_all(&mut *connection).await? {
        let widget_id: String = row.try_get("widget_id")?;
        let source: String = row.try_get("source")?;
        let id: String = row.try_get("event_id")?;
        let Some(&index) = position.get(&(widget_id.as_str(), source.as_str(), id.as_str())) else {
            return Err(sqlx::Error::Protocol(format!(
                "the database stored an event it was not sent: {source} {id}"
            )));
        };
        stored_now[index] = true;
    }
    Ok(())
}

/// Where each row's key is in `rows`.
fn positions<'a>(rows: &[EventRow<'a>]) -> HashMap<(&'a str, &'a str, &'a str), usize> {
    rows.iter()
        .enumerate()
        .map(|(index, row)| (row.key(), index))
        .collect()
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
    }
}

/// Which database a statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// `?` for every value, in order. SQLite finds a numbered parameter by
    /// walking the statement's list of them as it binds, which makes a
    /// statement of thousands bind in quadratic time (a tenth of ingestion's CPU
    /// when measured); it binds `?` in order.
    Sqlite,
    /// `$1`, `$2`, …: PostgreSQL's only form.
    Postgres,
}

/// One multi-row INSERT for `rows` events: one statement, one index pass.
fn insert_sql(rows: usize, dialect: Dialect) -> String {
    let mut sql = String::with_capacity(300 + rows * 40);
    sql.push_str(
        "INSERT INTO usage_events (tenant_id, agent_id, widget_id, key_id, visitor_id, \
         received_at, source, event_id, event_type, occurred_at, data) VALUES ",
    );
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..ROW_PARAMS {
            if column > 0 {
                sql.push_str(", ");
            }
            match dialect {
                Dialect::Sqlite => sql.push('?'),
                Dialect::Postgres => {
                    let _ = write!(sql, "${}", row * ROW_PARAMS + column + 1);
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// The position in a list of `rows` event keys (widget, source, id, bound in
/// that order) of each one stored already. The list is the outer table of the
/// join, so each key is one lookup in the primary key's index; `(…) IN (VALUES
/// …)` would scan the whole index on SQLite. Both name a `VALUES` list's
/// columns `column1`, `column2`, …; the first position is a `BIGINT`, which
/// makes the column one on PostgreSQL (read as `i64`).
fn stored_before_sql(rows: usize, dialect: Dialect) -> String {
    let mut sql = String::with_capacity(200 + rows * 24);
    sql.push_str("SELECT listed.column1 FROM (VALUES ");
    for row in 0..rows {
        if row == 0 {
            sql.push_str("(CAST(0 AS BIGINT)");
        } else {
            let _ = write!(sql, ", ({row}");
        }
        match dialect {
            Dialect::Sqlite => sql.push_str(", ?, ?, ?)"),
            Dialect::Postgres => {
                let first = row * 3 + 1;
                let _ = write!(sql, ", ${first}, ${}, ${})", first + 1, first + 2);
            }
        }
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
        let plan = format!(
            "EXPLAIN QUERY PLAN {}",
            stored_before_sql(3, Dialect::Sqlite)
        );
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
    fn each_row_binds_its_own_eleven_parameters() {
        let postgres = insert_sql(2, Dialect::Postgres);
        assert!(
            postgres.contains(
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11), \
                 ($12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
            ),
            "{postgres}"
        );
        let lookup = stored_before_sql(2, Dialect::Postgres);
        assert!(
            lookup.contains("VALUES (CAST(0 AS BIGINT), $1, $2, $3), (1, $4, $5, $6)"),
            "{lookup}"
        );
        let sqlite = insert_sql(2, Dialect::Sqlite);
        assert!(
            sqlite.contains(
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            "{sqlite}"
        );
    }
}
