//! JSON payloads of a seller's analytics: how buyers use the agents it
//! publishes, per published agent, version, buying organisation and UTC day.
//! Counts and times only: never a visitor, a thread or a message's text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /v1/seller/usage`: the days to report, as `GET /v1/usage` takes them.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SellerUsageQuery {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`), not after
    /// `to` and at most 365 days before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive (default: today, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::fields::Day>, inline))]
    pub to: Option<String>,
    /// Only this published agent's usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_agent_id: Option<String>,
}

/// What buyers' visitors did with some runs of a seller's agent, and how fast
/// it answered them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SellerCounts {
    /// Threads whose first run it was.
    pub conversations: i64,
    pub runs: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Runs that did not end `ok`, by code.
    pub errors: BTreeMap<String, i64>,
    pub feedback_up: i64,
    pub feedback_down: i64,
    /// `feedbackUp` over all ratings, from 0 to 1; absent without ratings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_up_ratio: Option<f64>,
    /// Time to the first event of a run, in milliseconds: the median and the
    /// 95th percentile of the runs that had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_event_ms_p50: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_event_ms_p95: Option<i64>,
    /// A run's whole duration, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms_p50: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms_p95: Option<i64>,
}

/// One version of a published agent over the whole range: how it compares
/// with the others.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SellerVersionUsage {
    pub published_agent_id: String,
    pub agent_name: String,
    pub version: u32,
    /// Whether subscriptions that follow the latest run it now: `released`
    /// (all but the canary's share) or `canary`; absent for neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<VersionRollout>,
    /// Subscriptions that run this version now.
    pub subscriptions: i64,
    #[serde(flatten)]
    pub counts: SellerCounts,
}

/// A version's place in its agent's rollout.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionRollout {
    /// What subscriptions that follow the latest run.
    Released,
    /// Tried on a share of them.
    Canary,
}

/// One day of one version at one buying organisation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SellerDailyUsage {
    /// `YYYY-MM-DD`
    pub date: String,
    pub published_agent_id: String,
    pub version: u32,
    pub buyer_id: String,
    pub buyer_name: String,
    #[serde(flatten)]
    pub counts: SellerCounts,
}

/// One buying organisation's subscriptions to one published agent, now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SellerSubscriptions {
    pub published_agent_id: String,
    pub buyer_id: String,
    pub buyer_name: String,
    /// How many it has, and how many of them follow the latest version.
    pub subscriptions: i64,
    pub following_latest: i64,
}

/// `GET /v1/seller/usage`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SellerUsageReport {
    /// The first and last day, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// Every version of the seller's published agents, by agent and number.
    pub versions: Vec<SellerVersionUsage>,
    /// Who subscribes to what, by agent and buyer.
    pub subscriptions: Vec<SellerSubscriptions>,
    /// One row per day, agent, version and buyer with any run or rating,
    /// oldest first.
    pub days: Vec<SellerDailyUsage>,
}
