//! JSON payloads of the admin API (secret and restricted keys), camelCase like the
//! rest of the public API.

use serde::{Deserialize, Serialize};

use crate::wire::Position;

/// A widget as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSummary {
    pub id: String,
    pub agent_id: String,
    pub title: String,
    pub greeting: String,
    pub locale: String,
    pub primary_color: String,
    pub position: Position,
    /// Exact origins and patterns, as written (`https://*.example.com`).
    pub allowed_origins: Vec<String>,
    pub enabled: bool,
    /// Messages a day over all visitors; 0 means no budget.
    pub daily_message_budget: i64,
}

/// `GET /v1/widgets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetList {
    pub widgets: Vec<WidgetSummary>,
}
