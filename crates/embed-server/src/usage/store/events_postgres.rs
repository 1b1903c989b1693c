//! PostgreSQL's write of a group of usage events: one statement inserts the
//! events not stored before, adds those it stored to the daily roll-ups and to
//! their widgets' accepted counts, and names the listed events that were stored
//! before. A statement alone is its own transaction, so a group costs one round
//! trip, and the roll-up rows that every group updates stay locked only from
//! the statement's end to its commit (six statements a group left them locked
//! across three round trips and a commit, and the groups of every line and
//! node waited for each other there).
//!
//! The events travel as one array parameter a column (`unnest`): one statement
//! text whatever the number of rows, prepared once per connection, and the
//! cheapest form PostgreSQL reads rows in (2.5 µs an event, against 4.8 µs for
//! the same rows as a JSON array of objects, in `psql`). A parameter per
//! value made a new text for each number of rows, planned anew at every run:
//! planning took more time than the insert (4.8 ms against 1.3 ms for 100
//! rows).

use sqlx::AnyConnection;

use super::events::{CountedEvent, EventRow, mark_stored_before};
use super::rollups::RollupCell;

/// The statement. `ON CONFLICT DO NOTHING` skips an event stored before, or by
/// a concurrent transaction that commits first (it waits for that one), so
/// what it reports is right whatever other lines and nodes do. Roll-up rows
/// are updated in byte order of their keys, the order of every transaction
/// that updates them (`RollupDelta`), so none waits on another in a cycle.
const STORE_EVENTS: &str = "\
WITH listed AS MATERIALIZED (
    SELECT * FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[]), CAST($3 AS TEXT[]),
        CAST($4 AS TEXT[]), CAST($5 AS TEXT[]), CAST($6 AS BIGINT[]), CAST($7 AS TEXT[]),
        CAST($8 AS TEXT[]), CAST($9 AS TEXT[]), CAST($10 AS BIGINT[]), CAST($11 AS TEXT[]),
        CAST($12 AS BIGINT[]), CAST($13 AS BIGINT[]), CAST($14 AS TEXT[]))
    WITH ORDINALITY AS listed(tenant_id, agent_id, widget_id, key_id, visitor_id,
        received_at, source, event_id, event_type, occurred_at, data, day, received_day,
        counted, position)
), inserted AS (
    INSERT INTO usage_events (tenant_id, agent_id, widget_id, key_id, visitor_id, received_at,
        source, event_id, event_type, occurred_at, data)
    SELECT tenant_id, agent_id, widget_id, key_id, visitor_id, received_at,
        source, event_id, event_type, occurred_at, data FROM listed
    ON CONFLICT (widget_id, source, event_id) DO NOTHING
    RETURNING widget_id, source, event_id
), stored_now AS MATERIALIZED (
    SELECT listed.* FROM listed JOIN inserted ON inserted.widget_id = listed.widget_id
        AND inserted.source = listed.source AND inserted.event_id = listed.event_id
), counted AS (
    INSERT INTO usage_daily (tenant_id, day, agent_id, widget_id, key_id,
        feedback_up, feedback_down, loads, opens, csat_responses, csat_score_sum)
    SELECT tenant_id, day, agent_id, widget_id, key_id,
        count(*) FILTER (WHERE counted = 'feedback_up'),
        count(*) FILTER (WHERE counted = 'feedback_down'),
        count(*) FILTER (WHERE counted = 'loads'),
        count(*) FILTER (WHERE counted = 'opens'),
        count(*) FILTER (WHERE counted LIKE 'csat\\_%'),
        COALESCE(sum(CAST(substr(counted, 6) AS BIGINT)) FILTER (WHERE counted LIKE 'csat\\_%'), 0)
    FROM stored_now WHERE counted IS NOT NULL
    GROUP BY tenant_id, day, agent_id, widget_id, key_id
    ORDER BY tenant_id COLLATE \"C\", day, agent_id COLLATE \"C\", widget_id COLLATE \"C\",
        key_id COLLATE \"C\"
    ON CONFLICT (tenant_id, day, agent_id, widget_id, key_id) DO UPDATE SET
        feedback_up = usage_daily.feedback_up + excluded.feedback_up,
        feedback_down = usage_daily.feedback_down + excluded.feedback_down,
        loads = usage_daily.loads + excluded.loads,
        opens = usage_daily.opens + excluded.opens,
        csat_responses = usage_daily.csat_responses + excluded.csat_responses,
        csat_score_sum = usage_daily.csat_score_sum + excluded.csat_score_sum
), accepted AS (
    INSERT INTO usage_event_days (widget_id, day, accepted)
    SELECT widget_id, received_day, count(*) FROM stored_now
    GROUP BY widget_id, received_day
    ORDER BY widget_id COLLATE \"C\", received_day
    ON CONFLICT (widget_id, day) DO UPDATE
    SET accepted = usage_event_days.accepted + excluded.accepted
)
SELECT position - 1 FROM listed WHERE NOT EXISTS (SELECT 1 FROM inserted
    WHERE inserted.widget_id = listed.widget_id AND inserted.source = listed.source
    AND inserted.event_id = listed.event_id)";

/// Stores the events of `rows` not stored before and counts them, all or
/// none, and says for each row whether it was stored now.
pub(super) async fn store_rows<'a>(
    connection: &mut AnyConnection,
    rows: &[EventRow<'a>],
) -> Result<Vec<bool>, sqlx::Error> {
    let texts =
        |value: for<'r> fn(&'r EventRow<'a>) -> Option<&'r str>| text_array(rows.iter().map(value));
    let numbers = |value: fn(&EventRow<'a>) -> i64| number_array(rows.iter().map(value));
    let query = sqlx::query(STORE_EVENTS)
        .bind(texts(|row| Some(&row.sender.tenant_id)))
        .bind(texts(|row| Some(&row.sender.agent_id)))
        .bind(texts(|row| Some(&row.sender.widget_id)))
        .bind(texts(|row| Some(&row.sender.key_id)))
        .bind(texts(|row| Some(&row.sender.visitor_id)))
        .bind(numbers(|row| row.sender.received_at_ms))
        .bind(texts(|row| Some(&row.event.source)))
        .bind(texts(|row| Some(&row.event.id)))
        .bind(texts(|row| Some(&row.event.kind)))
        .bind(numbers(|row| row.event.time_ms))
        .bind(texts(|row| row.event.data.as_deref()))
        // The roll-up day is the event's own time; the day its widget's
        // daily cap counts it on, its arrival.
        .bind(numbers(|row| RollupCell::day_of(row.event.time_ms)))
        .bind(numbers(|row| RollupCell::day_of(row.sender.received_at_ms)))
        .bind(texts(|row| row.event.counted.map(CountedEvent::column)));
    let mut stored_now = vec![true; rows.len()];
    mark_stored_before(query.fetch_all(connection).await?, &mut stored_now)?;
    Ok(stored_now)
}

/// A PostgreSQL array literal of texts: each element in double quotes, with
/// its `"` and `\` escaped (the only characters special inside them), so a
/// value reads back as sent whatever it holds, `NULL` and braces included;
/// `None` is the unquoted `NULL`.
fn text_array<'a>(values: impl Iterator<Item = Option<&'a str>>) -> String {
    let mut literal = String::from("{");
    for (index, value) in values.enumerate() {
        if index > 0 {
            literal.push(',');
        }
        let Some(value) = value else {
            literal.push_str("NULL");
            continue;
        };
        literal.push('"');
        for character in value.chars() {
            if matches!(character, '"' | '\\') {
                literal.push('\\');
            }
            literal.push(character);
        }
        literal.push('"');
    }
    literal.push('}');
    literal
}

/// A PostgreSQL array literal of integers.
fn number_array(values: impl Iterator<Item = i64>) -> String {
    let mut literal = String::from("{");
    for (index, value) in values.enumerate() {
        if index > 0 {
            literal.push(',');
        }
        literal.push_str(&value.to_string());
    }
    literal.push('}');
    literal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_arrays_quote_every_value_and_escape_quotes_and_backslashes() {
        let values = [
            Some("plain"),
            Some("NULL"),
            Some(""),
            Some(r#"{a,"b"}\c"#),
            None,
        ];
        assert_eq!(
            text_array(values.into_iter()),
            r#"{"plain","NULL","","{a,\"b\"}\\c",NULL}"#
        );
        assert_eq!(text_array(std::iter::empty()), "{}");
    }

    #[test]
    fn number_arrays_list_each_number() {
        assert_eq!(
            number_array([1, -2, i64::MAX].into_iter()),
            "{1,-2,9223372036854775807}"
        );
    }
}
