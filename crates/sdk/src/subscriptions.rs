//! JSON payloads of a buyer's subscriptions: a published agent of the
//! catalog, and which of its versions the buyer's widgets run. The buyer
//! never sees where a version runs.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::catalog::PublishedAgentStatus;

/// Which version a subscription runs: one version, or the newest the seller
/// published. On the wire a version number, or `"latest"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionPolicy {
    /// This version, until the buyer says otherwise.
    Pinned(u32),
    /// The newest version, moving with each one the seller publishes.
    #[default]
    Latest,
}

impl VersionPolicy {
    pub const LATEST: &'static str = "latest";

    /// The pinned version, if any.
    pub fn pinned(self) -> Option<u32> {
        match self {
            VersionPolicy::Pinned(version) => Some(version),
            VersionPolicy::Latest => None,
        }
    }

    /// `latest`, or a version number as the command line takes it.
    pub fn parse(text: &str) -> Option<VersionPolicy> {
        if text == Self::LATEST {
            return Some(VersionPolicy::Latest);
        }
        text.parse()
            .ok()
            .filter(|version| *version >= 1)
            .map(VersionPolicy::Pinned)
    }
}

impl fmt::Display for VersionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionPolicy::Pinned(version) => write!(f, "pinned to version {version}"),
            VersionPolicy::Latest => f.write_str("follows the latest version"),
        }
    }
}

impl Serialize for VersionPolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            VersionPolicy::Pinned(version) => serializer.serialize_u32(*version),
            VersionPolicy::Latest => serializer.serialize_str(Self::LATEST),
        }
    }
}

impl<'de> Deserialize<'de> for VersionPolicy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PolicyVisitor;

        impl Visitor<'_> for PolicyVisitor {
            type Value = VersionPolicy;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a version number from 1, or \"latest\"")
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<VersionPolicy, E> {
                u32::try_from(value)
                    .ok()
                    .filter(|version| *version >= 1)
                    .map(VersionPolicy::Pinned)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(value), &self))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<VersionPolicy, E> {
                u64::try_from(value)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
                    .and_then(|value| self.visit_u64(value))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<VersionPolicy, E> {
                if value == VersionPolicy::LATEST {
                    Ok(VersionPolicy::Latest)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(value), &self))
                }
            }
        }

        deserializer.deserialize_any(PolicyVisitor)
    }
}

/// `POST /v1/subscriptions`: subscribe the caller's organisation, a buyer, to
/// a published agent; it follows the latest version unless `version` pins one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSubscription {
    /// The published agent (`pag_…`).
    pub published_agent_id: String,
    #[serde(default)]
    pub version: VersionPolicy,
}

/// `PATCH /v1/subscriptions/<id>`: pin a version (to upgrade or roll back), or
/// follow the latest. The one field is required.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionUpdate {
    pub version: VersionPolicy,
}

/// A subscription as its buyer sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: String,
    pub published_agent_id: String,
    pub agent_name: String,
    pub seller_name: String,
    /// The published agent's status: `deprecated` tells the buyer to look for
    /// a successor; a `withdrawn` agent keeps running for its subscribers.
    pub status: PublishedAgentStatus,
    /// Pinned to a version, or following the latest.
    pub version_policy: VersionPolicy,
    /// The version a chat starting now runs.
    pub version: u32,
    /// Since when it has run that version, in Unix seconds: when the policy
    /// was set, or when a later version it follows came out.
    pub version_since: i64,
    /// When the version policy was last set, in Unix seconds.
    pub policy_changed_at: i64,
    pub created_at: i64,
    /// The purchase's id in the marketplace that provisioned it, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// `GET /v1/subscriptions`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionList {
    pub subscriptions: Vec<Subscription>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_policy_is_a_version_number_or_latest() {
        let pinned: SubscriptionUpdate = serde_json::from_value(json!({ "version": 3 })).unwrap();
        assert_eq!(pinned.version, VersionPolicy::Pinned(3));
        let latest: SubscriptionUpdate =
            serde_json::from_value(json!({ "version": "latest" })).unwrap();
        assert_eq!(latest.version, VersionPolicy::Latest);
        assert_eq!(
            serde_json::to_value(pinned).unwrap(),
            json!({ "version": 3 })
        );
        assert_eq!(
            serde_json::to_value(latest).unwrap(),
            json!({ "version": "latest" })
        );
    }

    #[test]
    fn a_policy_refuses_what_names_no_version() {
        for bad in [
            json!({}),
            json!({ "version": 0 }),
            json!({ "version": -1 }),
            json!({ "version": 1.5 }),
            json!({ "version": "newest" }),
            json!({ "version": null }),
            json!({ "version": 4_294_967_296_u64 }),
        ] {
            assert!(
                serde_json::from_value::<SubscriptionUpdate>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        let new: NewSubscription =
            serde_json::from_value(json!({ "publishedAgentId": "pag_1" })).unwrap();
        assert_eq!(new.version, VersionPolicy::Latest);
    }

    #[test]
    fn the_command_line_names_a_policy_as_the_wire_does() {
        assert_eq!(VersionPolicy::parse("latest"), Some(VersionPolicy::Latest));
        assert_eq!(VersionPolicy::parse("2"), Some(VersionPolicy::Pinned(2)));
        assert_eq!(VersionPolicy::parse("v2"), None);
        assert_eq!(VersionPolicy::parse("0"), None);
    }
}
