//! The inbox's operations, once for every caller: reading conversations takes
//! `conversations:read`; deleting them `widgets:write` as well (it changes
//! what a widget keeps). A widget a query names must be the caller's, and
//! another tenant's conversation answers exactly like one that does not
//! exist.

use sitekit_sdk::conversations::{
    Conversation, ConversationOutcome, ConversationPage, ConversationQuery, ConversationSummary,
    TranscriptMessage, TranscriptRun, VisitorDeletion,
};
use sitekit_sdk::fields::SearchText;

use crate::chat::ThreadKey;
use crate::conversations::store::{
    ConversationFilter, ConversationRow, Deletion, MessageRow, PageCursor, RunRow,
};
use crate::db::Db;
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;
use crate::usage::export::rfc3339;
use crate::usage::list_window::{invalid_query, list_window, unknown_cursor};

/// A page of the caller's conversations.
pub async fn list(
    db: &Db,
    caller: &Caller,
    query: &ConversationQuery,
) -> Result<ConversationPage, ApiError> {
    let (filter, cursor, limit) = checked(db, caller, query).await?;
    // One more than asked: whether there is a next page.
    let mut rows = db
        .conversations(
            caller.scope(),
            &filter,
            cursor.as_ref(),
            i64::from(limit) + 1,
        )
        .await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last()
            .map(|last| encode_cursor(last.last_message_at, &last.id))
    } else {
        None
    };
    Ok(ConversationPage {
        conversations: rows.iter().map(summary).collect(),
        next_cursor,
    })
}

/// The query's filter, start and page size, once the caller may read
/// conversations and every value is valid.
pub async fn checked(
    db: &Db,
    caller: &Caller,
    query: &ConversationQuery,
) -> Result<(ConversationFilter, Option<PageCursor>, u32), ApiError> {
    caller.require(Scope::ConversationsRead)?;
    if let Some(q) = &query.q
        && !(1..=SearchText::MAX_CHARS).contains(&q.chars().count())
    {
        return Err(invalid_query(format!(
            "`q` is 1 to {} characters",
            SearchText::MAX_CHARS
        )));
    }
    let window = list_window(
        db,
        caller,
        query.widget_id.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
        query.limit,
    )
    .await?;
    let cursor = query
        .cursor
        .as_deref()
        .map(|text| decode_cursor(text).ok_or_else(unknown_cursor))
        .transpose()?;
    let filter = ConversationFilter {
        widget_id: query.widget_id.clone(),
        visitor_id: query.visitor_id.clone(),
        from_ms: window.from_ms,
        until_ms: window.until_ms,
        rated_down: query.rated_down == Some(true),
        errored: query.errored == Some(true),
        has_lead: query.has_lead == Some(true),
        search: query.q.clone(),
    };
    Ok((filter, cursor, window.limit))
}

/// One conversation of the caller's, with its transcript and runs.
pub async fn get(db: &Db, caller: &Caller, id: &str) -> Result<Conversation, ApiError> {
    caller.require(Scope::ConversationsRead)?;
    let row = db
        .conversation(caller.scope(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(whole(db, &row).await?)
}

/// A conversation as its page and the export show it.
pub async fn whole(db: &Db, row: &ConversationRow) -> Result<Conversation, sqlx::Error> {
    let thread = ThreadKey {
        widget_id: row.widget_id.clone(),
        visitor_id: row.visitor_id.clone(),
        thread_id: row.thread_id.clone(),
    };
    let (messages, runs, lead, handoff) = tokio::try_join!(
        db.transcript(row),
        db.conversation_runs(row),
        db.lead_of(&thread),
        db.handoff_of(&thread),
    )?;
    Ok(Conversation {
        summary: summary(row),
        transcript: messages.into_iter().map(message).collect(),
        run_records: runs.into_iter().map(run).collect(),
        lead: lead.map(|lead| lead.public()),
        handoff_requested_at: handoff.map(rfc3339),
    })
}

/// Deletes one conversation of the caller's, its messages, ratings, lead and handoff request.
pub async fn delete(db: &Db, caller: &Caller, id: &str) -> Result<(), ApiError> {
    require_delete(caller)?;
    let (deleted, _) = db
        .delete_conversations(caller.scope(), &Deletion::One(id))
        .await?;
    if deleted == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// A data-subject request: deletes every conversation of one visitor with the
/// caller's widgets, and the usage events their pages reported.
pub async fn delete_visitor(
    db: &Db,
    caller: &Caller,
    visitor_id: &str,
) -> Result<VisitorDeletion, ApiError> {
    require_delete(caller)?;
    let (conversations, usage_events) = db
        .delete_conversations(caller.scope(), &Deletion::Visitor(visitor_id))
        .await?;
    Ok(VisitorDeletion {
        conversations,
        usage_events,
    })
}

fn require_delete(caller: &Caller) -> Result<(), ApiError> {
    caller.require(Scope::ConversationsRead)?;
    caller.require(Scope::WidgetsWrite)
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no conversation with id {id}"))
}

fn summary(row: &ConversationRow) -> ConversationSummary {
    let outcome = if row.errored_runs > 0 {
        ConversationOutcome::Errored
    } else if row.last_outcome.as_deref() == Some("visitor_left") {
        ConversationOutcome::VisitorLeft
    } else {
        ConversationOutcome::Answered
    };
    ConversationSummary {
        id: row.id.clone(),
        widget_id: row.widget_id.clone(),
        widget_name: row.widget_name.clone(),
        visitor_id: row.visitor_id.clone(),
        thread_id: row.thread_id.clone(),
        started_at: rfc3339(row.started_at),
        last_message_at: rfc3339(row.last_message_at),
        messages: row.messages,
        runs: row.runs,
        outcome,
        agent_version: row.agent_version,
        rated_up: row.rated_up,
        rated_down: row.rated_down,
        csat: row.csat,
        has_lead: row.has_lead,
        handoff_requested: row.handoff_requested,
    }
}

fn message(row: MessageRow) -> TranscriptMessage {
    TranscriptMessage {
        id: row.id,
        role: row.role,
        content: row.content,
        at: rfc3339(row.created_at),
        run_id: row.run_id,
    }
}

fn run(row: RunRow) -> TranscriptRun {
    TranscriptRun {
        run_id: row.run_id,
        started_at: rfc3339(row.started_at),
        outcome: row.outcome,
        agent_version: row.agent_version,
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
        first_event_ms: row.first_event_ms,
        duration_ms: row.duration_ms,
        rating: row.rating,
    }
}

/// `<latest message, Unix ms>.<id>`: where the next page starts.
fn encode_cursor(last_message_at: i64, id: &str) -> String {
    format!("{last_message_at}.{id}")
}

fn decode_cursor(text: &str) -> Option<PageCursor> {
    let (at, id) = text.split_once('.')?;
    let valid_id = id.len() <= 64
        && id.starts_with("cnv_")
        && id[4..].bytes().all(|b| b.is_ascii_alphanumeric());
    Some(PageCursor {
        last_message_at: at.parse().ok()?,
        id: id.to_owned(),
    })
    .filter(|_| valid_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_anything_else_is_refused() {
        let text = encode_cursor(1_795_774_080_250, "cnv_3ZrX");
        assert_eq!(
            decode_cursor(&text),
            Some(PageCursor {
                last_message_at: 1_795_774_080_250,
                id: "cnv_3ZrX".into()
            })
        );
        for broken in ["", "12", "x.cnv_a", "12.wgt_a", "12.cnv_a'--", "12.cnv_a.b"] {
            assert_eq!(decode_cursor(broken), None, "{broken}");
        }
    }
}
