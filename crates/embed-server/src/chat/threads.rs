//! Each thread's messages (one visitor's conversation with one widget), kept for
//! the retention period: history for runtimes that keep none, a returning
//! visitor's conversation, and the owner's inbox (`conversations/`), whose row
//! of the thread is written here with each turn.

use sitekit_sdk::agui::{Message, Role};
use sqlx::{AnyConnection, Row};

use crate::db::{Db, new_id};
use crate::webhooks::events::enqueue_on;
use crate::webhooks::{Event, ThreadIds};

/// Who a thread belongs to: the id a browser chose is unique only per widget and
/// visitor, so all three always go together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadKey {
    pub widget_id: String,
    pub visitor_id: String,
    pub thread_id: String,
}

impl ThreadKey {
    /// The thread as webhook events name it.
    pub fn ids(&self) -> ThreadIds<'_> {
        ThreadIds {
            widget_id: &self.widget_id,
            visitor_id: &self.visitor_id,
            thread_id: &self.thread_id,
        }
    }
}

/// One finished exchange: the visitor's message and what the agent answered
/// (empty when it answered nothing).
#[derive(Debug, Clone)]
pub struct Turn {
    pub run_id: String,
    pub question: String,
    pub answer: String,
    pub at_ms: i64,
}

/// `text` as a thread keeps it. PostgreSQL's text cannot hold NUL, so a NUL
/// (which a visitor may paste and a runtime may send) is kept as U+FFFD, as
/// CommonMark reads it; on SQLite too, so both databases keep the same thread.
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

impl Db {
    /// Appends a turn to its thread, in order after the messages before it.
    /// Turns of one thread that end at once (on any nodes) may both read the
    /// same next place: the one that loses tries again after the other's
    /// commit, so each round at least one of them lands.
    pub async fn append_turn(&self, thread: &ThreadKey, turn: &Turn) -> Result<(), sqlx::Error> {
        const ATTEMPTS: usize = 20;
        let mut attempt = 1;
        loop {
            match self.append_turn_once(thread, turn).await {
                Err(sqlx::Error::Database(error))
                    if error.is_unique_violation() && attempt < ATTEMPTS =>
                {
                    attempt += 1;
                }
                appended => return appended,
            }
        }
    }

    async fn append_turn_once(&self, thread: &ThreadKey, turn: &Turn) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        append_turn_on(&mut tx, thread, turn).await?;
        tx.commit().await
    }

    /// The newest `limit` messages of a thread, oldest first.
    pub async fn thread_messages(
        &self,
        thread: &ThreadKey,
        limit: i64,
    ) -> Result<Vec<Message>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, role, content FROM thread_messages \
             WHERE widget_id = $1 AND visitor_id = $2 AND thread_id = $3 \
             ORDER BY seq DESC LIMIT $4",
        )
        .bind(&thread.widget_id)
        .bind(&thread.visitor_id)
        .bind(&thread.thread_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows
            .iter()
            .map(|row| {
                let role = match row.try_get::<String, _>("role")?.as_str() {
                    "user" => Role::User,
                    _ => Role::Assistant,
                };
                Ok(Message {
                    id: row.try_get("id")?,
                    role,
                    content: Some(row.try_get("content")?),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        messages.reverse();
        Ok(messages)
    }

    /// Forgets every message older than `before_ms` (Unix milliseconds), and
    /// the inbox's conversations with no message after it, with their
    /// ratings, leads and handoff requests.
    pub async fn forget_messages_before(&self, before_ms: i64) -> Result<u64, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let forgotten = sqlx::query("DELETE FROM thread_messages WHERE created_at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM conversations WHERE last_message_at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?;
        // A rating, lead or handoff request may come before its thread's
        // first turn is written: only old ones of threads that are gone.
        for (table, at) in [
            ("run_ratings", "rated_at"),
            ("conversation_csat", "rated_at"),
            ("leads", "created_at"),
            ("handoff_requests", "requested_at"),
        ] {
            let sql = format!(
                "DELETE FROM {table} WHERE {at} < $1 AND NOT EXISTS (SELECT 1 \
                 FROM conversations c WHERE c.widget_id = {table}.widget_id \
                 AND c.visitor_id = {table}.visitor_id AND c.thread_id = {table}.thread_id)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(before_ms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(forgotten)
    }
}

/// Appends a turn to its thread on `connection`, inside a transaction (see
/// [`Db::append_turn`]): one statement, each message's place read from the
/// thread as it stood before it.
pub(crate) async fn append_turn_on(
    connection: &mut AnyConnection,
    thread: &ThreadKey,
    turn: &Turn,
) -> Result<(), sqlx::Error> {
    let messages: Vec<(&str, &String)> = [("user", &turn.question), ("assistant", &turn.answer)]
        .into_iter()
        .filter(|(_, content)| !content.is_empty())
        .collect();
    if messages.is_empty() {
        return Ok(());
    }
    // $1…$5 are the thread and turn; each message adds its id, role and content.
    let rows: Vec<String> = (0..messages.len())
        .map(|index| {
            let first = 6 + 3 * index;
            format!(
                "(${first}, $1, $2, $3, $4, (SELECT COALESCE(MAX(seq), 0) + {place} \
                 FROM thread_messages WHERE widget_id = $1 AND visitor_id = $2 \
                 AND thread_id = $3), ${role}, ${content}, $5)",
                place = index + 1,
                role = first + 1,
                content = first + 2,
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO thread_messages (id, widget_id, visitor_id, thread_id, run_id, seq, role, \
         content, created_at) VALUES {}",
        rows.join(", ")
    );
    // Only placeholders and small integers are formatted in.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&thread.widget_id)
        .bind(&thread.visitor_id)
        .bind(&thread.thread_id)
        .bind(&turn.run_id)
        .bind(turn.at_ms);
    for (role, content) in messages {
        query = query.bind(new_id("msg")).bind(role).bind(storable(content));
    }
    query.execute(&mut *connection).await?;
    note_conversation(connection, thread, turn.at_ms).await
}

/// The thread's row in the owner's inbox (`conversations`): made with its
/// first turn, its latest message moved on by every later one, in the turn's
/// transaction. A turn that lands after a newer one (on another node) leaves
/// the latest as it is. The turn that makes the row puts the organisation's
/// `conversation.started` webhooks in the outbox, in the same transaction.
async fn note_conversation(
    connection: &mut AnyConnection,
    thread: &ThreadKey,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    let id = new_id("cnv");
    // RETURNING gives the row as it stands: this id only when this turn made it.
    let row = sqlx::query(
        "INSERT INTO conversations (id, tenant_id, widget_id, visitor_id, thread_id, started_at, \
         last_message_at) \
         SELECT $1, tenant_id, $2, $3, $4, $5, $5 FROM widgets WHERE id = $2 \
         ON CONFLICT (widget_id, visitor_id, thread_id) DO UPDATE SET last_message_at = \
         CASE WHEN excluded.last_message_at > conversations.last_message_at \
         THEN excluded.last_message_at ELSE conversations.last_message_at END \
         RETURNING id, tenant_id",
    )
    .bind(&id)
    .bind(&thread.widget_id)
    .bind(&thread.visitor_id)
    .bind(&thread.thread_id)
    .bind(at_ms)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = row else {
        return Ok(());
    };
    if row.try_get::<String, _>("id")? != id {
        return Ok(());
    }
    let tenant_id: String = row.try_get("tenant_id")?;
    let event = Event::conversation_started(&id, thread.ids());
    enqueue_on(connection, &tenant_id, &event, at_ms).await?;
    Ok(())
}
