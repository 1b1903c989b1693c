//! JSON payloads of the catalog: the agents sellers publish, each with
//! immutable numbered versions, as their sellers manage them and buyers browse
//! them. A version's runtime binding is shown only to its seller, and its
//! credential to no one.

use serde::{Deserialize, Serialize};

use crate::admin::{AgentSummary, AgentTimeouts};

/// Where a published agent stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PublishedAgentStatus {
    /// Open to new subscriptions.
    Active,
    /// Still open and working; buyers are told to look for a successor.
    Deprecated,
    /// No new subscriptions; buyers who have one keep it working.
    Withdrawn,
}

impl PublishedAgentStatus {
    pub const ALL: [PublishedAgentStatus; 3] = [
        PublishedAgentStatus::Active,
        PublishedAgentStatus::Deprecated,
        PublishedAgentStatus::Withdrawn,
    ];

    /// As stored and sent: `active`, `deprecated` or `withdrawn`.
    pub fn as_str(self) -> &'static str {
        match self {
            PublishedAgentStatus::Active => "active",
            PublishedAgentStatus::Deprecated => "deprecated",
            PublishedAgentStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<PublishedAgentStatus> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// `POST /v1/catalog/agents`: a new catalog entry of the caller's organisation,
/// which must be a seller. It has no version until one is published.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPublishedAgent {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::AgentName))]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::AgentDescription))]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::AvatarUrl>))]
    pub icon_url: Option<String>,
}

/// `PATCH /v1/catalog/agents/<id>`: what to change; absent fields stay as they
/// are. Versions never change: publish a new one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublishedAgentUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::AgentName>))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::AgentDescription>))]
    pub description: Option<String>,
    /// A new icon, or `""` to remove it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::AvatarUrlChange>))]
    pub icon_url: Option<String>,
    /// `deprecated` tells buyers; `withdrawn` takes no new subscriptions;
    /// `active` undoes either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PublishedAgentStatus>,
    /// The version subscriptions that follow the latest run: the canary's
    /// to promote it (which ends the canary), an earlier one to roll back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_version: Option<u32>,
    /// The canary's share of the subscriptions that follow the latest, 1 to
    /// 99; 0 ends the canary (they all run the released version again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::CanaryPercent>))]
    pub canary_percent: Option<u8>,
}

/// What a version lets its buyers set for themselves.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuyerSettings {
    /// Whether a buyer may add to the system prompt.
    #[serde(default)]
    pub prompt_addendum: bool,
}

/// `POST /v1/catalog/agents/<id>/versions`: publish the next version. The
/// first version names its runtime binding as `POST /v1/agents` does; a later
/// one takes every binding field it leaves out (the runtime, its address and
/// credential included) from the latest version.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAgentVersion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::RuntimeKind>))]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::RuntimeUrl>))]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::FlowId>))]
    pub flow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::ModelName>))]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::SystemPrompt>))]
    pub system_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<AgentTimeouts>,
    /// Stored, never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::RuntimeKey>))]
    pub runtime_key: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::ReleaseNotes))]
    pub release_notes: String,
    #[serde(default)]
    pub buyer_settings: BuyerSettings,
    /// Release it as a canary to this share (1 to 99) of the subscriptions
    /// that follow the latest, the same ones each time; the rest keep the
    /// released version. Left out, the new version is released to all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::CanaryPercent>))]
    pub canary_percent: Option<u8>,
}

/// One version of a published agent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentVersion {
    /// 1 for the first, then one more for each.
    pub version: u32,
    pub release_notes: String,
    pub buyer_settings: BuyerSettings,
    /// When it was published, in Unix seconds.
    pub published_at: i64,
    /// Where it runs (never its credential): shown to its seller only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<AgentSummary>,
}

/// A published agent: what every organisation may read of it, and for its
/// seller each version's binding too.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedAgent {
    pub id: String,
    pub seller_id: String,
    pub seller_name: String,
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    pub status: PublishedAgentStatus,
    /// The version subscriptions that follow the latest run (but the canary's
    /// share); absent until the first is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_version: Option<u32>,
    /// A version rolled out to a share of them, if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<Canary>,
    /// Oldest first; empty until the first is published.
    pub versions: Vec<AgentVersion>,
}

/// A version rolled out to a share of the subscriptions that follow the
/// latest: those whose place among the agent's subscriptions falls within
/// `percent`, the same ones for as long as it runs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Canary {
    pub version: u32,
    /// 1 to 99.
    pub percent: u8,
}

impl PublishedAgent {
    /// The newest version's number, if any was published.
    pub fn latest_version(&self) -> Option<u32> {
        self.versions.last().map(|version| version.version)
    }
}

/// `GET /v1/catalog/agents`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedAgentList {
    pub agents: Vec<PublishedAgent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_as_written_and_sent() {
        for status in PublishedAgentStatus::ALL {
            assert_eq!(PublishedAgentStatus::parse(status.as_str()), Some(status));
            let sent = serde_json::to_string(&status).unwrap();
            assert_eq!(sent, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(PublishedAgentStatus::parse("gone"), None);
    }
}
