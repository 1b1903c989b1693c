//! The operations on leads and handoff requests, once for every caller: a
//! visitor (a session of the widget) leaves contact details or asks for a
//! person, when the widget's owner turned that on; the organisation reads
//! and exports its leads with `conversations:read`. Another tenant's widget
//! is one that does not exist.

use serde_json::{Map, Value, json};
use sitekit_sdk::ErrorCode;
use sitekit_sdk::engagement::{HandoffRequested, LeadCreated, LeadPage, LeadQuery, NewLead};
use sitekit_sdk::wire::{LeadForm, usage_types};

use crate::chat::ThreadKey;
use crate::chat::session::SessionClaims;
use crate::db::{Db, now_unix_ms};
use crate::engagement::lead_rules;
use crate::engagement::store::{LeadFilter, LeadRow};
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;
use crate::tenants::TenantScope;
use crate::usage::event_rules::{Reason, ValidEvent};
use crate::usage::list_window::{list_window, unknown_cursor};
use crate::webhooks::events::rfc3339;
use crate::widgets::Widget;

/// A visitor leaves contact details in `thread_id`, once per conversation.
pub async fn leave_lead(
    db: &Db,
    claims: &SessionClaims,
    thread_id: String,
    lead: NewLead,
) -> Result<LeadCreated, ApiError> {
    let widget = session_widget(db, claims).await?;
    let Some(form) = &widget.engagement.lead_form else {
        return Err(ApiError::forbidden(
            ErrorCode::LeadFormOff,
            "this widget asks for no contact details",
        ));
    };
    let lead = lead_rules::check(form, lead)
        .map_err(|message| ApiError::bad_request(ErrorCode::InvalidLead, message))?;
    let thread = thread_of(claims, thread_id);
    let stored = db
        .insert_lead(
            &claims.tenant_id,
            &thread,
            &lead,
            &form.consent_text,
            now_unix_ms(),
        )
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                ErrorCode::LeadExists,
                "contact details were left in this conversation already",
            )
        })?;
    Ok(LeadCreated {
        id: stored.id,
        created_at: rfc3339(stored.created_at),
    })
}

/// A visitor asks for a person in `thread_id`; asking again changes nothing.
pub async fn ask_for_person(
    db: &Db,
    claims: &SessionClaims,
    thread_id: String,
) -> Result<HandoffRequested, ApiError> {
    let widget = session_widget(db, claims).await?;
    if !widget.engagement.handoff {
        return Err(ApiError::forbidden(
            ErrorCode::HandoffOff,
            "this widget offers no person to talk to",
        ));
    }
    let thread = thread_of(claims, thread_id);
    let at = db
        .request_handoff(&claims.tenant_id, &thread, now_unix_ms())
        .await?;
    Ok(HandoffRequested {
        requested_at: rfc3339(at),
    })
}

/// The contact details and requests for a person among a batch's valid usage
/// events (the widget sends them that way: durably, once), handled as the
/// visitor routes handle them: one the widget's settings refuse becomes
/// `invalid_data` and is not stored; of the others, the first of a thread
/// stands, and the event itself keeps only its thread id, so usage events and
/// their exports never hold a visitor's details.
pub async fn take_from_events(
    db: &Db,
    claims: &SessionClaims,
    events: Vec<&mut Result<ValidEvent, Reason>>,
) -> Result<(), ApiError> {
    let mut widget: Option<Widget> = None;
    for outcome in events {
        let Ok(valid) = outcome else { continue };
        let kind = valid.event.kind.as_str();
        if kind != usage_types::LEAD && kind != usage_types::HANDOFF {
            continue;
        }
        if widget.is_none() {
            widget = Some(session_widget(db, claims).await?);
        }
        let engagement = &widget.as_ref().expect("just read").engagement;
        // `event_rules` made sure of an object with a thread id.
        let Some(Value::Object(mut data)) = valid.event.data.take() else {
            continue;
        };
        let thread_id = data.remove("threadId").unwrap_or_default();
        let thread = thread_of(claims, thread_id.as_str().unwrap_or_default().to_owned());
        let taken = if kind == usage_types::LEAD {
            lead_of_event(db, claims, engagement.lead_form.as_ref(), &thread, data).await?
        } else if engagement.handoff {
            db.request_handoff(&claims.tenant_id, &thread, now_unix_ms())
                .await?;
            true
        } else {
            false
        };
        if taken {
            valid.event.data = Some(json!({ "threadId": thread.thread_id }));
        } else {
            *outcome = Err(Reason::InvalidData);
        }
    }
    Ok(())
}

/// Stores the lead a usage event carries, if the widget's form allows it.
async fn lead_of_event(
    db: &Db,
    claims: &SessionClaims,
    form: Option<&LeadForm>,
    thread: &ThreadKey,
    fields: Map<String, Value>,
) -> Result<bool, ApiError> {
    let Some(form) = form else { return Ok(false) };
    let Ok(lead) = serde_json::from_value::<NewLead>(Value::Object(fields)) else {
        return Ok(false);
    };
    let Ok(lead) = lead_rules::check(form, lead) else {
        return Ok(false);
    };
    db.insert_lead(
        &claims.tenant_id,
        thread,
        &lead,
        &form.consent_text,
        now_unix_ms(),
    )
    .await?;
    Ok(true)
}

/// The session's widget, as long as it exists and is enabled.
async fn session_widget(db: &Db, claims: &SessionClaims) -> Result<Widget, ApiError> {
    db.widget_in(&TenantScope::one(&claims.tenant_id), &claims.widget_id)
        .await?
        .filter(|widget| widget.enabled)
        .ok_or_else(|| ApiError::forbidden(ErrorCode::WidgetDisabled, "this widget is disabled"))
}

fn thread_of(claims: &SessionClaims, thread_id: String) -> ThreadKey {
    ThreadKey {
        widget_id: claims.widget_id.clone(),
        visitor_id: claims.visitor_id.clone(),
        thread_id,
    }
}

/// A page of the caller's leads, newest first.
pub async fn list(db: &Db, caller: &Caller, query: &LeadQuery) -> Result<LeadPage, ApiError> {
    let (filter, limit) = checked(db, caller, query).await?;
    let mut rows = db
        .leads(caller.scope(), &filter, i64::from(limit) + 1)
        .await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last()
            .map(|last| format!("{}.{}", last.created_at, last.id))
    } else {
        None
    };
    Ok(LeadPage {
        leads: rows.iter().map(LeadRow::public).collect(),
        next_cursor,
    })
}

/// The query's filter and page size, once the caller may read leads and
/// every value is valid.
pub async fn checked(
    db: &Db,
    caller: &Caller,
    query: &LeadQuery,
) -> Result<(LeadFilter, u32), ApiError> {
    caller.require(Scope::ConversationsRead)?;
    let window = list_window(
        db,
        caller,
        query.widget_id.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
        query.limit,
    )
    .await?;
    let after = query
        .cursor
        .as_deref()
        .map(|text| decode_cursor(text).ok_or_else(unknown_cursor))
        .transpose()?;
    let filter = LeadFilter {
        widget_id: query.widget_id.clone(),
        from_ms: window.from_ms,
        until_ms: window.until_ms,
        after,
    };
    Ok((filter, window.limit))
}

/// `<created, Unix ms>.<lead id>`, as `list` gives it.
fn decode_cursor(text: &str) -> Option<(i64, String)> {
    let (at, id) = text.split_once('.')?;
    let valid_id = id.len() <= 65
        && id.starts_with("lead_")
        && id[5..].bytes().all(|b| b.is_ascii_alphanumeric());
    Some((at.parse().ok()?, id.to_owned())).filter(|_| valid_id)
}

/// The header of the CSV export.
pub const CSV_HEADER: &str = "created_at,widget_id,conversation_id,name,email,message,\
    consent_text,visitor_id,thread_id\r\n";

/// One lead as a line of the CSV export (RFC 4180). A cell a spreadsheet
/// would run as a formula (`=`, `+`, `-`, `@`, a tab or a carriage return
/// first) gets a `'` in front, as OWASP advises: a visitor wrote these.
pub fn csv_line(lead: &LeadRow) -> String {
    let cells = [
        rfc3339(lead.created_at),
        lead.widget_id.clone(),
        lead.conversation_id.clone().unwrap_or_default(),
        lead.name.clone().unwrap_or_default(),
        lead.email.clone(),
        lead.message.clone().unwrap_or_default(),
        lead.consent_text.clone(),
        lead.visitor_id.clone(),
        lead.thread_id.clone(),
    ];
    let mut line = cells
        .iter()
        .map(|cell| csv_cell(cell))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn csv_cell(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("Ada"), "Ada");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("line 1\nline 2"), "\"line 1\nline 2\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn cursors_are_only_those_the_list_gives() {
        assert_eq!(
            decode_cursor("1700000000000.lead_abc123"),
            Some((1_700_000_000_000, "lead_abc123".to_owned()))
        );
        for bad in ["", "x.lead_a", "1.cnv_a", "1.lead_a'b", "1lead_a"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}
