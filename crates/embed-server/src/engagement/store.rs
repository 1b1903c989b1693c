//! Leads and handoff requests in the database (migration 0027): written once
//! per conversation, each with its webhook event in the same transaction, and
//! the organisation's leads read a page at a time, newest first.

use serde_json::{Value, json};
use sitekit_sdk::engagement::Lead;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::chat::ThreadKey;
use crate::db::{Db, new_id};
use crate::engagement::lead_rules::CheckedLead;
use crate::tenants::TenantScope;
use crate::webhooks::Event;
use crate::webhooks::events::{enqueue_on, rfc3339};

/// The newest messages a handoff request sends the help desk, and how many
/// characters of them at most: the webhook's body stays bounded.
const HANDOFF_MESSAGES: i64 = 50;
const HANDOFF_TRANSCRIPT_CHARS: usize = 64 * 1024;

/// A lead as stored, with the conversation it belongs to (none until the
/// visitor's first turn is written).
#[derive(Debug, Clone)]
pub struct LeadRow {
    pub id: String,
    pub conversation_id: Option<String>,
    pub widget_id: String,
    pub visitor_id: String,
    pub thread_id: String,
    pub name: Option<String>,
    pub email: String,
    pub message: Option<String>,
    pub consent_text: String,
    pub created_at: i64,
}

impl LeadRow {
    pub fn public(&self) -> Lead {
        Lead {
            id: self.id.clone(),
            conversation_id: self.conversation_id.clone(),
            widget_id: self.widget_id.clone(),
            visitor_id: self.visitor_id.clone(),
            thread_id: self.thread_id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            message: self.message.clone(),
            consent_text: self.consent_text.clone(),
            created_at: rfc3339(self.created_at),
        }
    }

    fn from_row(row: &AnyRow) -> Result<LeadRow, sqlx::Error> {
        Ok(LeadRow {
            id: row.try_get("id")?,
            conversation_id: row.try_get("conversation_id")?,
            widget_id: row.try_get("widget_id")?,
            visitor_id: row.try_get("visitor_id")?,
            thread_id: row.try_get("thread_id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            message: row.try_get("message")?,
            consent_text: row.try_get("consent_text")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// Which leads a list holds, and where its page starts: after the lead
/// (`created_at`, `id`) in the list's order, newest first.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub widget_id: Option<String>,
    /// Unix milliseconds: left at or after `from_ms` and before `until_ms`.
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub after: Option<(i64, String)>,
}

const LEAD_COLUMNS: &str = "l.id, l.widget_id, l.visitor_id, l.thread_id, l.name, l.email, \
     l.message, l.consent_text, l.created_at, (SELECT c.id FROM conversations c \
     WHERE c.widget_id = l.widget_id AND c.visitor_id = l.visitor_id \
     AND c.thread_id = l.thread_id) AS conversation_id";

impl Db {
    /// Stores a visitor's contact details for `thread` and enqueues
    /// `lead.created`, in one transaction; None, and nothing written, when the
    /// thread has a lead already.
    pub async fn insert_lead(
        &self,
        tenant_id: &str,
        thread: &ThreadKey,
        lead: &CheckedLead,
        consent_text: &str,
        now_ms: i64,
    ) -> Result<Option<LeadRow>, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let id = new_id("lead");
        let stored = sqlx::query(
            "INSERT INTO leads (id, tenant_id, widget_id, visitor_id, thread_id, name, email, \
             message, consent_text, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (widget_id, visitor_id, thread_id) DO NOTHING",
        )
        .bind(&id)
        .bind(tenant_id)
        .bind(&thread.widget_id)
        .bind(&thread.visitor_id)
        .bind(&thread.thread_id)
        .bind(lead.name.as_deref())
        .bind(&lead.email)
        .bind(lead.message.as_deref())
        .bind(consent_text)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if stored == 0 {
            return Ok(None);
        }
        let sql = format!("SELECT {LEAD_COLUMNS} FROM leads l WHERE l.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
        let row = LeadRow::from_row(&row)?;
        let event = Event::lead_created(serde_json::to_value(row.public()).unwrap_or(Value::Null));
        enqueue_on(&mut tx, tenant_id, &event, now_ms).await?;
        tx.commit().await?;
        Ok(Some(row))
    }

    /// The lead left in `thread`, if any.
    pub async fn lead_of(&self, thread: &ThreadKey) -> Result<Option<LeadRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {LEAD_COLUMNS} FROM leads l \
             WHERE l.widget_id = $1 AND l.visitor_id = $2 AND l.thread_id = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&thread.widget_id)
            .bind(&thread.visitor_id)
            .bind(&thread.thread_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(LeadRow::from_row).transpose()
    }

    /// A page of `limit` leads of `scope` that `filter` lets through, newest first.
    pub async fn leads(
        &self,
        scope: &TenantScope,
        filter: &LeadFilter,
        limit: i64,
    ) -> Result<Vec<LeadRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {LEAD_COLUMNS} FROM leads l WHERE ($1 = 1 OR l.tenant_id = $2) \
             AND ($3 = '' OR l.widget_id = $3) AND l.created_at >= $4 AND l.created_at < $5 \
             AND (l.created_at < $6 OR (l.created_at = $6 AND l.id < $7)) \
             ORDER BY l.created_at DESC, l.id DESC LIMIT $8"
        );
        let (after_ms, after_id) = filter
            .after
            .as_ref()
            .map_or((i64::MAX, ""), |(at, id)| (*at, id.as_str()));
        let rows = scope
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .bind(filter.widget_id.as_deref().unwrap_or_default())
            .bind(filter.from_ms.unwrap_or(i64::MIN))
            .bind(filter.until_ms.unwrap_or(i64::MAX))
            .bind(after_ms)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(LeadRow::from_row).collect()
    }

    /// When the visitor first asked for a person in `thread`, if they did.
    pub async fn handoff_of(&self, thread: &ThreadKey) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT requested_at FROM handoff_requests \
             WHERE widget_id = $1 AND visitor_id = $2 AND thread_id = $3",
        )
        .bind(&thread.widget_id)
        .bind(&thread.visitor_id)
        .bind(&thread.thread_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Records that the visitor asked for a person in `thread` and enqueues
    /// `handoff.requested` with the transcript, in one transaction; asked
    /// before, it changes nothing. Returns when it was first asked.
    pub async fn request_handoff(
        &self,
        tenant_id: &str,
        thread: &ThreadKey,
        now_ms: i64,
    ) -> Result<i64, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let stored = sqlx::query(
            "INSERT INTO handoff_requests (widget_id, visitor_id, thread_id, tenant_id, \
             requested_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (widget_id, visitor_id, thread_id) DO NOTHING",
        )
        .bind(&thread.widget_id)
        .bind(&thread.visitor_id)
        .bind(&thread.thread_id)
        .bind(tenant_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if stored == 0 {
            let first: i64 = sqlx::query_scalar(
                "SELECT requested_at FROM handoff_requests \
                 WHERE widget_id = $1 AND visitor_id = $2 AND thread_id = $3",
            )
            .bind(&thread.widget_id)
            .bind(&thread.visitor_id)
            .bind(&thread.thread_id)
            .fetch_one(&mut *tx)
            .await?;
            return Ok(first);
        }
        let conversation_id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM conversations WHERE widget_id = $1 AND visitor_id = $2 \
             AND thread_id = $3",
        )
        .bind(&thread.widget_id)
        .bind(&thread.visitor_id)
        .bind(&thread.thread_id)
        .fetch_optional(&mut *tx)
        .await?;
        let messages = sqlx::query(
            "SELECT role, content, created_at FROM thread_messages \
             WHERE widget_id = $1 AND visitor_id = $2 AND thread_id = $3 \
             ORDER BY seq DESC LIMIT $4",
        )
        .bind(&thread.widget_id)
        .bind(&thread.visitor_id)
        .bind(&thread.thread_id)
        .bind(HANDOFF_MESSAGES)
        .fetch_all(&mut *tx)
        .await?;
        let transcript = newest_within(&messages, HANDOFF_TRANSCRIPT_CHARS)?;
        let event = Event::handoff_requested(thread.ids(), conversation_id.as_deref(), transcript);
        enqueue_on(&mut tx, tenant_id, &event, now_ms).await?;
        tx.commit().await?;
        Ok(now_ms)
    }
}

/// The messages (`rows`, newest first) as `{role, content, at}`, oldest
/// first, keeping the newest that fit in `max_chars` together.
fn newest_within(rows: &[AnyRow], max_chars: usize) -> Result<Value, sqlx::Error> {
    let mut kept = Vec::new();
    let mut chars = 0;
    for row in rows {
        let content: String = row.try_get("content")?;
        chars += content.chars().count();
        if chars > max_chars {
            break;
        }
        kept.push(json!({
            "role": row.try_get::<String, _>("role")?,
            "content": content,
            "at": rfc3339(row.try_get("created_at")?),
        }));
    }
    kept.reverse();
    Ok(Value::Array(kept))
}
