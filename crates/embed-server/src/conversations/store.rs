//! The inbox's queries: conversations (`conversations`, one row per thread,
//! written by `chat/threads.rs` with each turn), their messages, run records
//! and ratings, read through the indexes of migration 0025; ratings stored;
//! conversations deleted.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, now_unix_ms};
use crate::tenants::TenantScope;
use crate::webhooks::events::enqueue_on;
use crate::webhooks::{Event, ThreadIds};

/// The newest messages and runs of one conversation that a transcript holds.
pub const TRANSCRIPT_LIMIT: i64 = 2_000;

/// What is kept of a thread besides its row, all keyed by widget, visitor
/// and thread: what deleting a conversation deletes.
const THREAD_TABLES: [&str; 5] = [
    "thread_messages",
    "run_ratings",
    "conversation_csat",
    "leads",
    "handoff_requests",
];

/// Run outcomes that are not errors: the answer came, or the visitor left.
const NOT_ERRORS: &str = "('ok', 'visitor_left')";

/// Which conversations a list holds, after its checks (`ops.rs`).
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub widget_id: Option<String>,
    pub visitor_id: Option<String>,
    /// Unix milliseconds: the latest message at or after `from_ms` and before
    /// `until_ms`.
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub rated_down: bool,
    pub errored: bool,
    pub has_lead: bool,
    /// Words every one of which a message holds.
    pub search: Option<String>,
}

/// Where a page starts: after this conversation, in the inbox's order
/// (latest message, then id, both descending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    pub last_message_at: i64,
    pub id: String,
}

/// A conversation with what the inbox shows of it, as stored.
#[derive(Debug, Clone)]
pub struct ConversationRow {
    pub id: String,
    pub widget_id: String,
    pub widget_name: String,
    pub visitor_id: String,
    pub thread_id: String,
    pub started_at: i64,
    pub last_message_at: i64,
    pub messages: i64,
    pub runs: i64,
    pub errored_runs: i64,
    pub last_outcome: Option<String>,
    pub agent_version: Option<i64>,
    pub rated_up: i64,
    pub rated_down: i64,
    pub csat: Option<i64>,
    pub has_lead: bool,
    pub handoff_requested: bool,
}

/// One message of a transcript, as stored.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: String,
    pub role: String,
    pub content: String,
    pub created_at: i64,
    pub run_id: String,
}

/// One run of a conversation, as recorded, with the visitor's rating.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub run_id: String,
    pub started_at: i64,
    pub outcome: String,
    pub agent_version: i64,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub first_event_ms: Option<i64>,
    pub duration_ms: i64,
    pub rating: Option<String>,
}

/// A visitor's rating of one answer.
#[derive(Debug, Clone)]
pub struct RunRating {
    pub run_id: String,
    pub thread_id: String,
    /// `up` or `down`.
    pub rating: String,
    pub rated_at_ms: i64,
}

/// A visitor's answer to the CSAT question of one conversation.
#[derive(Debug, Clone)]
pub struct ConversationRating {
    pub thread_id: String,
    /// 1 to 5.
    pub score: u8,
    pub rated_at_ms: i64,
}

/// The same thread: `$t` is a table alias whose widget, visitor and thread
/// are those of the conversation `p`.
fn same_thread(t: &str) -> String {
    format!(
        "{t}.widget_id = p.widget_id AND {t}.visitor_id = p.visitor_id AND {t}.thread_id = p.thread_id"
    )
}

/// The inbox's columns of the conversations `inner` selects (`c.*`, in its
/// own order and limit), newest first.
fn with_details(inner: &str) -> String {
    let m = same_thread("m");
    let u = same_thread("u");
    let r = same_thread("r");
    let s = same_thread("s");
    let l = same_thread("l");
    let h = same_thread("h");
    format!(
        "SELECT p.id, p.widget_id, w.title AS widget_name, p.visitor_id, p.thread_id, \
         p.started_at, p.last_message_at, \
         (SELECT COUNT(*) FROM thread_messages m WHERE {m}) AS messages, \
         (SELECT COUNT(*) FROM usage_runs u WHERE {u}) AS runs, \
         (SELECT COUNT(*) FROM usage_runs u WHERE {u} AND u.outcome NOT IN {NOT_ERRORS}) \
           AS errored_runs, \
         (SELECT u.outcome FROM usage_runs u WHERE {u} \
           ORDER BY u.started_at DESC, u.id DESC LIMIT 1) AS last_outcome, \
         (SELECT u.agent_version FROM usage_runs u WHERE {u} \
           ORDER BY u.started_at DESC, u.id DESC LIMIT 1) AS agent_version, \
         (SELECT COUNT(*) FROM run_ratings r WHERE {r} AND r.rating = 'up') AS rated_up, \
         (SELECT COUNT(*) FROM run_ratings r WHERE {r} AND r.rating = 'down') AS rated_down, \
         (SELECT s.score FROM conversation_csat s WHERE {s}) AS csat, \
         (SELECT COUNT(*) FROM leads l WHERE {l}) AS leads, \
         (SELECT COUNT(*) FROM handoff_requests h WHERE {h}) AS handoffs \
         FROM ({inner}) p JOIN widgets w ON w.id = p.widget_id \
         ORDER BY p.last_message_at DESC, p.id DESC"
    )
}

fn conversation_row(row: &AnyRow) -> Result<ConversationRow, sqlx::Error> {
    Ok(ConversationRow {
        id: row.try_get("id")?,
        widget_id: row.try_get("widget_id")?,
        widget_name: row.try_get("widget_name")?,
        visitor_id: row.try_get("visitor_id")?,
        thread_id: row.try_get("thread_id")?,
        started_at: row.try_get("started_at")?,
        last_message_at: row.try_get("last_message_at")?,
        messages: row.try_get("messages")?,
        runs: row.try_get("runs")?,
        errored_runs: row.try_get("errored_runs")?,
        last_outcome: row.try_get("last_outcome")?,
        agent_version: row.try_get("agent_version")?,
        rated_up: row.try_get("rated_up")?,
        rated_down: row.try_get("rated_down")?,
        csat: row.try_get("csat")?,
        has_lead: row.try_get::<i64, _>("leads")? > 0,
        handoff_requested: row.try_get::<i64, _>("handoffs")? > 0,
    })
}

impl Db {
    /// A page of `limit` conversations of `scope` that `filter` lets through,
    /// after `cursor`, newest first.
    pub async fn conversations(
        &self,
        scope: &TenantScope,
        filter: &ConversationFilter,
        cursor: Option<&PageCursor>,
        limit: i64,
    ) -> Result<Vec<ConversationRow>, sqlx::Error> {
        let mut conditions = vec![
            "($1 = 1 OR c.tenant_id = $2)".to_owned(),
            "($3 = '' OR c.widget_id = $3)".to_owned(),
            "($4 = '' OR c.visitor_id = $4)".to_owned(),
            "c.last_message_at >= $5 AND c.last_message_at < $6".to_owned(),
            "(c.last_message_at < $7 OR (c.last_message_at = $7 AND c.id < $8))".to_owned(),
        ];
        if filter.rated_down {
            conditions.push(
                "EXISTS (SELECT 1 FROM run_ratings r WHERE r.widget_id = c.widget_id \
                 AND r.visitor_id = c.visitor_id AND r.thread_id = c.thread_id \
                 AND r.rating = 'down')"
                    .to_owned(),
            );
        }
        if filter.has_lead {
            conditions.push(
                "EXISTS (SELECT 1 FROM leads l WHERE l.widget_id = c.widget_id \
                 AND l.visitor_id = c.visitor_id AND l.thread_id = c.thread_id)"
                    .to_owned(),
            );
        }
        if filter.errored {
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM usage_runs u WHERE u.widget_id = c.widget_id \
                 AND u.visitor_id = c.visitor_id AND u.thread_id = c.thread_id \
                 AND u.outcome NOT IN {NOT_ERRORS})"
            ));
        }
        let search = filter
            .search
            .as_deref()
            .and_then(|text| self.search_terms(text));
        if let Some(terms) = &search {
            let plan = self.search_plan(terms).await?;
            conditions.push(self.conversation_matches(plan, 10));
        }
        let inner = format!(
            "SELECT c.* FROM conversations c WHERE {} \
             ORDER BY c.last_message_at DESC, c.id DESC LIMIT $9",
            conditions.join(" AND ")
        );
        let (after_ms, after_id) = cursor.map_or((i64::MAX, ""), |cursor| {
            (cursor.last_message_at, cursor.id.as_str())
        });
        // Only fixed conditions and placeholders are formatted in.
        let sql = with_details(&inner);
        let query = scope.bind(sqlx::query(sqlx::AssertSqlSafe(sql)));
        let mut query = query
            .bind(filter.widget_id.as_deref().unwrap_or_default())
            .bind(filter.visitor_id.as_deref().unwrap_or_default())
            .bind(filter.from_ms.unwrap_or(i64::MIN))
            .bind(filter.until_ms.unwrap_or(i64::MAX))
            .bind(after_ms)
            .bind(after_id)
            .bind(limit);
        if let Some(search) = search {
            query = query.bind(search);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(conversation_row).collect()
    }

    /// One conversation of `scope`.
    pub async fn conversation(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> Result<Option<ConversationRow>, sqlx::Error> {
        let sql = with_details(
            "SELECT c.* FROM conversations c WHERE ($1 = 1 OR c.tenant_id = $2) AND c.id = $3",
        );
        let row = scope
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(conversation_row).transpose()
    }

    /// The newest [`TRANSCRIPT_LIMIT`] messages of a conversation, oldest first.
    pub async fn transcript(&self, c: &ConversationRow) -> Result<Vec<MessageRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, role, content, created_at, run_id FROM thread_messages \
             WHERE widget_id = $1 AND visitor_id = $2 AND thread_id = $3 \
             ORDER BY seq DESC LIMIT $4",
        )
        .bind(&c.widget_id)
        .bind(&c.visitor_id)
        .bind(&c.thread_id)
        .bind(TRANSCRIPT_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows
            .iter()
            .map(|row| {
                Ok(MessageRow {
                    id: row.try_get("id")?,
                    role: row.try_get("role")?,
                    content: row.try_get("content")?,
                    created_at: row.try_get("created_at")?,
                    run_id: row.try_get("run_id")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        messages.reverse();
        Ok(messages)
    }

    /// The newest [`TRANSCRIPT_LIMIT`] runs of a conversation with their
    /// ratings, oldest first.
    pub async fn conversation_runs(&self, c: &ConversationRow) -> Result<Vec<RunRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT u.run_id, u.started_at, u.outcome, u.agent_version, u.input_tokens, \
             u.output_tokens, u.first_event_ms, u.duration_ms, r.rating \
             FROM usage_runs u LEFT JOIN run_ratings r ON r.widget_id = u.widget_id \
             AND r.visitor_id = u.visitor_id AND r.run_id = u.run_id \
             WHERE u.widget_id = $1 AND u.visitor_id = $2 AND u.thread_id = $3 \
             ORDER BY u.started_at DESC, u.id DESC LIMIT $4",
        )
        .bind(&c.widget_id)
        .bind(&c.visitor_id)
        .bind(&c.thread_id)
        .bind(TRANSCRIPT_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        let mut runs = rows
            .iter()
            .map(|row| {
                Ok(RunRow {
                    run_id: row.try_get("run_id")?,
                    started_at: row.try_get("started_at")?,
                    outcome: row.try_get("outcome")?,
                    agent_version: row.try_get("agent_version")?,
                    input_tokens: row.try_get("input_tokens")?,
                    output_tokens: row.try_get("output_tokens")?,
                    first_event_ms: row.try_get("first_event_ms")?,
                    duration_ms: row.try_get("duration_ms")?,
                    rating: row.try_get("rating")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        runs.reverse();
        Ok(runs)
    }

    /// Stores a visitor's ratings of answers and answers to the CSAT question
    /// of a widget's conversations, in one transaction; a run or conversation
    /// rated before keeps its first rating, so sending one again changes
    /// nothing. Each rating that stands tells the organisation's webhooks.
    pub async fn store_ratings(
        &self,
        widget_id: &str,
        visitor_id: &str,
        runs: &[RunRating],
        conversations: &[ConversationRating],
    ) -> Result<(), sqlx::Error> {
        if runs.is_empty() && conversations.is_empty() {
            return Ok(());
        }
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let mut events = Vec::new();
        let thread = |thread_id| ThreadIds {
            widget_id,
            visitor_id,
            thread_id,
        };
        for rating in runs {
            let stored = sqlx::query(
                "INSERT INTO run_ratings (widget_id, visitor_id, run_id, thread_id, rating, \
                 rated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (widget_id, visitor_id, run_id) DO NOTHING",
            )
            .bind(widget_id)
            .bind(visitor_id)
            .bind(&rating.run_id)
            .bind(&rating.thread_id)
            .bind(&rating.rating)
            .bind(rating.rated_at_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if stored == 1 {
                let thread = thread(&rating.thread_id);
                events.push(Event::conversation_rated(
                    thread,
                    &rating.run_id,
                    &rating.rating,
                ));
            }
        }
        for rating in conversations {
            let stored = sqlx::query(
                "INSERT INTO conversation_csat (widget_id, visitor_id, thread_id, score, \
                 rated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (widget_id, visitor_id, thread_id) DO NOTHING",
            )
            .bind(widget_id)
            .bind(visitor_id)
            .bind(&rating.thread_id)
            .bind(i64::from(rating.score))
            .bind(rating.rated_at_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if stored == 1 {
                let thread = thread(&rating.thread_id);
                events.push(Event::conversation_csat(thread, rating.score));
            }
        }
        if !events.is_empty() {
            let tenant_id: Option<String> =
                sqlx::query_scalar("SELECT tenant_id FROM widgets WHERE id = $1")
                    .bind(widget_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(tenant_id) = tenant_id {
                for event in &events {
                    enqueue_on(&mut tx, &tenant_id, event, now_unix_ms()).await?;
                }
            }
        }
        tx.commit().await
    }

    /// Deletes the conversations of `scope` that are `id` (one) or of
    /// `visitor_id` (all of them), with their messages, ratings, leads and handoff requests, in one
    /// transaction; a visitor's usage events too. Returns how many
    /// conversations and events were deleted.
    pub async fn delete_conversations(
        &self,
        scope: &TenantScope,
        which: &Deletion<'_>,
    ) -> Result<(i64, i64), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let (column, value) = match which {
            Deletion::One(id) => ("id", *id),
            Deletion::Visitor(visitor) => ("visitor_id", *visitor),
        };
        let sql = format!(
            "SELECT id, widget_id, visitor_id, thread_id FROM conversations \
             WHERE ($1 = 1 OR tenant_id = $2) AND {column} = $3"
        );
        let threads = scope
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .bind(value)
            .fetch_all(&mut *tx)
            .await?;
        for thread in &threads {
            let widget: String = thread.try_get("widget_id")?;
            let visitor: String = thread.try_get("visitor_id")?;
            let thread_id: String = thread.try_get("thread_id")?;
            for table in THREAD_TABLES {
                let sql = format!(
                    "DELETE FROM {table} WHERE widget_id = $1 AND visitor_id = $2 \
                     AND thread_id = $3"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&widget)
                    .bind(&visitor)
                    .bind(&thread_id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM conversations WHERE id = $1")
                .bind(thread.try_get::<String, _>("id")?)
                .execute(&mut *tx)
                .await?;
        }
        let mut events = 0;
        if let Deletion::Visitor(visitor) = which {
            // Whatever else of theirs the widgets keep: messages and ratings
            // of a thread whose first turn is still being written, and what
            // their pages reported.
            let of_scope = "widget_id IN (SELECT id FROM widgets WHERE ($1 = 1 OR tenant_id = $2))";
            for table in THREAD_TABLES {
                let sql = format!("DELETE FROM {table} WHERE {of_scope} AND visitor_id = $3");
                scope
                    .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
                    .bind(*visitor)
                    .execute(&mut *tx)
                    .await?;
            }
            events = scope
                .bind(sqlx::query(
                    "DELETE FROM usage_events WHERE ($1 = 1 OR tenant_id = $2) AND visitor_id = $3",
                ))
                .bind(*visitor)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok((threads.len() as i64, events as i64))
    }
}

/// What [`Db::delete_conversations`] deletes.
#[derive(Debug, Clone, Copy)]
pub enum Deletion<'a> {
    /// One conversation, by its id.
    One(&'a str),
    /// All of one visitor's conversations and usage events.
    Visitor(&'a str),
}
