//! JSON payloads of what a widget asks of its visitors besides their
//! questions: the contact details a visitor leaves (a lead), asking for a
//! person, and the organisation's list of leads. Times are RFC 3339 in UTC.

use serde::{Deserialize, Serialize};

/// The longest name, message and e-mail address a lead may hold (characters).
pub const MAX_LEAD_NAME_CHARS: usize = 200;
pub const MAX_LEAD_EMAIL_CHARS: usize = 254;
pub const MAX_LEAD_MESSAGE_CHARS: usize = 2_000;

/// `POST /v1/threads/{thread}/lead`: what a visitor filled in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewLead {
    /// Required when the widget's form asks for it; 1 to 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `local@domain.tld`, 3 to 254 characters.
    pub email: String,
    /// Up to 2,000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The visitor ticked the consent box: must be `true`.
    pub consent: bool,
}

/// The answer to `POST /v1/threads/{thread}/lead`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadCreated {
    /// `lead_…`.
    pub id: String,
    pub created_at: String,
}

/// The answer to `POST /v1/threads/{thread}/handoff`: when the visitor first
/// asked for a person in this conversation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoffRequested {
    pub requested_at: String,
}

/// A visitor's contact details, as the organisation reads them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lead {
    /// `lead_…`.
    pub id: String,
    /// The conversation it was left in (`cnv_…`); none when the visitor left
    /// it before writing (a form shown before the chat).
    pub conversation_id: Option<String>,
    pub widget_id: String,
    pub visitor_id: String,
    pub thread_id: String,
    pub name: Option<String>,
    pub email: String,
    pub message: Option<String>,
    /// The consent text the visitor agreed to, as the form showed it.
    pub consent_text: String,
    pub created_at: String,
}

/// `GET /v1/leads`: a page of leads, newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadPage {
    pub leads: Vec<Lead>,
    /// Pass as `cursor` for the next page; none after the last.
    pub next_cursor: Option<String>,
}

/// The query of `GET /v1/leads` and its export; every field may be left out.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadQuery {
    /// Only this widget's leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_id: Option<String>,
    /// Only leads left on or after this UTC day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub from: Option<String>,
    /// Only leads left on or before this UTC day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub to: Option<String>,
    /// How many leads a page holds: 1 to 200 (default 50); an export holds
    /// all unless this caps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::PageLimit>, inline))]
    pub limit: Option<u32>,
    /// The `nextCursor` of the page before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::LeadCursor>, inline))]
    pub cursor: Option<String>,
}
