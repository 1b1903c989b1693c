//! JSON payloads of the embed server's public routes (camelCase, like AG-UI).

use serde::{Deserialize, Serialize};

/// `POST /v1/sessions` request body. The browser adds the `Origin` header itself.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    pub publishable_key: String,
    /// The `visitorId` an earlier session of this widget answered with, to
    /// continue as that visitor. One the server did not issue for this widget
    /// (made up, damaged, or the public id from a usage export) is not an error:
    /// the answer names a new visitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::VisitorId>))]
    pub visitor_id: Option<String>,
}

/// `POST /v1/sessions` answer: a short-lived token for the chat routes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    /// For `Authorization: Bearer` on the chat, thread and usage routes; never
    /// in a URL.
    pub token: String,
    /// RFC 3339, UTC; the usage token expires with the session.
    pub expires_at: String,
    /// The visitor's credential, `<public id>.<signature>`: keep it (like a
    /// cookie) and present it for the next session. Usage records and exports
    /// name the visitor by the public id alone, which continues nobody.
    pub visitor_id: String,
    /// A token that may only write usage events (scope `usage:beacon`), for
    /// `POST /v1/usage/events?access_token=…` from `navigator.sendBeacon`, which
    /// cannot set headers; the only token the server accepts in a URL.
    pub usage_token: String,
}

/// The part of a `visitorId` that names the visitor in usage events and
/// exports: the public id, without the signature that makes it a credential.
pub fn public_visitor_id(visitor_id: &str) -> &str {
    visitor_id
        .split_once('.')
        .map_or(visitor_id, |(public, _)| public)
}

/// `GET /v1/widgets/<pub key>/config`: what a visitor's browser may know of a widget.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetConfig {
    pub title: String,
    pub greeting: String,
    pub locale: String,
    pub primary_color: String,
    /// Text on the primary colour (empty from servers that predate it).
    #[serde(default)]
    pub primary_text_color: String,
    pub position: Position,
    /// Suggestions to offer before the first message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starter_prompts: Vec<String>,
    /// An `https://` image for the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// The launcher bubble's icon: a `LauncherIcon` name. Text rather than the
    /// enum, so a page whose widget predates an icon shows the default instead of
    /// refusing the whole config; `chat` from servers that predate the setting.
    #[serde(default = "default_launcher_icon")]
    #[cfg_attr(feature = "openapi", schema(value_type = LauncherIcon))]
    pub launcher_icon: String,
    /// Days a visitor's conversation is kept across reloads and pages without
    /// activity; 0 starts a new conversation on every page load. 30 from servers
    /// that predate the setting.
    #[serde(default = "default_conversation_days")]
    pub conversation_days: u32,
}

/// `GET /v1/widgets/<pub key>/config` as the server sends it: the config, and
/// what the widget asks of visitors besides their questions (left out when
/// its owner turned none of it on). The widget's extras script reads the
/// second itself.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetPageConfig {
    #[serde(flatten)]
    pub config: WidgetConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement: Option<Engagement>,
}

/// What a widget asks of its visitors besides their questions. The widget
/// draws these from a module it loads only when one of them is on.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Engagement {
    /// Ask "How would you rate this conversation?" (1 to 5) once the agent answered.
    pub csat: bool,
    /// Offer a "Talk to a person" button once the visitor wrote; it sends the
    /// `handoff.requested` webhook with the transcript.
    pub handoff: bool,
    /// Ask for the visitor's contact details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_form: Option<LeadForm>,
}

impl Engagement {
    /// Nothing is asked: the widget loads no more than the chat.
    pub fn is_off(&self) -> bool {
        !self.csat && !self.handoff && self.lead_form.is_none()
    }
}

/// A widget's contact form.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadForm {
    /// The fields it shows, in this order: `name`, `email` (always), `message`
    /// (always optional for the visitor).
    pub fields: Vec<LeadField>,
    pub when: LeadFormWhen,
    /// With `afterMessages`: how many messages the visitor sent first (1 to 50).
    #[serde(default = "default_lead_after_messages")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub after_messages: u32,
    /// The consent the visitor gives by ticking its box (1 to 500 characters,
    /// one line).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub consent_text: String,
}

/// After how many visitor messages a lead form shows when its owner has not said.
pub const DEFAULT_LEAD_AFTER_MESSAGES: u32 = 3;

fn default_lead_after_messages() -> u32 {
    DEFAULT_LEAD_AFTER_MESSAGES
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeadField {
    Name,
    Email,
    Message,
}

/// When the contact form shows.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LeadFormWhen {
    /// Before the chat: the visitor writes once the form is sent.
    Before,
    /// Once the visitor sent `afterMessages` messages and the agent answered.
    AfterMessages,
    /// When a run of the agent failed.
    OnFailure,
}

/// How long a conversation is kept when the widget's owner has not said.
pub const DEFAULT_CONVERSATION_DAYS: u32 = 30;

fn default_launcher_icon() -> String {
    LauncherIcon::default().as_str().to_owned()
}

fn default_conversation_days() -> u32 {
    DEFAULT_CONVERSATION_DAYS
}

impl WidgetConfig {
    /// Reads the config route's JSON (as the loader hands it to the widget),
    /// field by field rather than through serde (see `decode.rs`).
    pub fn from_json(text: &str) -> Result<WidgetConfig, crate::Error> {
        crate::decode::widget_config(text)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    Left,
    Right,
}

/// The built-in icons the launcher bubble can show.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LauncherIcon {
    /// A speech bubble.
    #[default]
    Chat,
    /// A question mark.
    Help,
    Sparkles,
    Headset,
}

impl LauncherIcon {
    pub const ALL: [LauncherIcon; 4] = [
        LauncherIcon::Chat,
        LauncherIcon::Help,
        LauncherIcon::Sparkles,
        LauncherIcon::Headset,
    ];

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            LauncherIcon::Chat => "chat",
            LauncherIcon::Help => "help",
            LauncherIcon::Sparkles => "sparkles",
            LauncherIcon::Headset => "headset",
        }
    }

    /// The icon called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<LauncherIcon> {
        LauncherIcon::ALL
            .into_iter()
            .find(|icon| icon.as_str() == name)
    }
}

/// `GET /v1/threads/<id>`: a visitor's own conversation, oldest first, as AG-UI
/// messages (what the visitor wrote and what the agent answered).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(all(feature = "js", target_arch = "wasm32"), derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadMessages {
    pub thread_id: String,
    pub messages: Vec<crate::agui::Message>,
}

/// Every API error: `{"error":{"code":"…","message":"…"}}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable, snake_case.
    pub code: String,
    /// Safe to show to a person.
    pub message: String,
}

/// One client usage event (widget loaded, opened, message sent, feedback, a page's
/// own `track`) as a CloudEvents 1.0 JSON event. `POST /v1/usage/events` takes a
/// batch of them (a JSON array) and the server dedupes on (`source`, `id`) within
/// the widget, so an event sent twice counts once.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageEvent {
    /// Always `"1.0"`.
    pub specversion: String,
    /// Derived from the event's content, so a retried event keeps its id.
    pub id: String,
    /// Who sent it, e.g. `/visitors/<visitor id>`; opaque to the server.
    pub source: String,
    /// One of [`usage_types::ALL`].
    #[serde(rename = "type")]
    pub kind: String,
    /// RFC 3339, UTC.
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacontenttype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<serde_json::Value>,
}

/// The client event types the server accepts.
pub mod usage_types {
    /// The widget started on a page: the visitor turned to its launcher, or the
    /// page called `SiteKit(…)`.
    pub const WIDGET_LOADED: &str = "dev.sitekit.widget.loaded";
    /// A visitor opened the chat panel.
    pub const WIDGET_OPENED: &str = "dev.sitekit.widget.opened";
    /// A visitor sent a message; data `{"threadId","runId"}`.
    pub const MESSAGE_SENT: &str = "dev.sitekit.message.sent";
    /// A visitor rated an answer; data `{"threadId","runId","rating":"up"|"down"}`
    /// (`threadId` may be left out; then the inbox does not show the rating).
    pub const FEEDBACK: &str = "dev.sitekit.feedback";
    /// A page's own event (`kit.track(name, properties)`); data `{"name","properties"?}`.
    pub const TRACK: &str = "dev.sitekit.track";
    /// The host site said who the visitor is (`SiteKit('identify', user)`); data
    /// the site's `{"id","name"?,"email"?}`.
    pub const VISITOR_IDENTIFIED: &str = "dev.sitekit.visitor.identified";
    /// A visitor answered the CSAT question; data `{"threadId","score":1..5}`.
    pub const CSAT: &str = "dev.sitekit.csat";
    /// A visitor left contact details; data `{"threadId","name"?,"email",
    /// "message"?,"consent":true}` (`crate::engagement::NewLead` and its
    /// thread). Stored as a lead; the event keeps only the thread id.
    pub const LEAD: &str = "dev.sitekit.lead";
    /// A visitor asked for a person; data `{"threadId"}`.
    pub const HANDOFF: &str = "dev.sitekit.handoff";
    pub const ALL: [&str; 9] = [
        WIDGET_LOADED,
        WIDGET_OPENED,
        MESSAGE_SENT,
        FEEDBACK,
        TRACK,
        VISITOR_IDENTIFIED,
        CSAT,
        LEAD,
        HANDOFF,
    ];
}

/// `POST /v1/usage/events` answer: one result per event, in the batch's order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEventResults {
    pub results: Vec<UsageEventResult>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEventResult {
    /// The event's `id` (empty when the event had none).
    pub id: String,
    pub status: UsageEventStatus,
    /// Why a rejected event was refused, e.g. `time_out_of_range`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What became of one event. Whatever the status, the client can forget the
/// event: only an event missing from the answer (or a failed request) is sent again.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsageEventStatus {
    /// Stored now.
    Accepted,
    /// Stored before (same source and id): not counted again.
    Duplicate,
    /// Not valid; `reason` says why. Sending it again will not help.
    Rejected,
}
