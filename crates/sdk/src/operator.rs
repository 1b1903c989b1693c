//! JSON payloads of the operator's API (`/v1/operator/…`, operator keys
//! `skt_op_…`): the organisations on the server, their keys, and what a
//! marketplace provisions for a purchase (a subscription and a widget, found
//! again by the purchase's id), so a control plane provisions buyers and
//! sellers without a shell on the server. The organisations' keys are the
//! admin API's [`crate::admin::NewKeyRequest`], [`crate::admin::CreatedKey`]
//! and [`crate::admin::KeyList`].

use serde::{Deserialize, Serialize};

use crate::admin::{NewWidgetRequest, WidgetSummary};
use crate::subscriptions::NewSubscription;

/// What an organisation does on the marketplace.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrganisationRole {
    /// Puts agents on its sites: its own, or published ones it subscribes to.
    Buyer,
    /// Publishes agents to the catalog.
    Seller,
}

impl OrganisationRole {
    /// As the wire and the command line name it.
    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationRole::Buyer => "buyer",
            OrganisationRole::Seller => "seller",
        }
    }
}

/// An organisation (a tenant) as the operator sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    /// `ten_…`
    pub id: String,
    pub name: String,
    /// One or both.
    pub roles: Vec<OrganisationRole>,
    /// In Unix seconds.
    pub created_at: i64,
    /// Its id in the marketplace that provisions it, if one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::ExternalId>))]
    pub external_id: Option<String>,
}

/// `POST /v1/operator/organisations`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrganisation {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::OrganisationName))]
    pub name: String,
    /// A buyer, a seller or both; left out, a buyer.
    #[serde(default = "buyer_only")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 2))]
    pub roles: Vec<OrganisationRole>,
    /// Its id in the marketplace that provisions it. With one, the call finds
    /// the organisation made with it before (`200`, roles as asked or `409`)
    /// instead of making another (`201`): provisioning can run twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::ExternalId>))]
    pub external_id: Option<String>,
}

fn buyer_only() -> Vec<OrganisationRole> {
    vec![OrganisationRole::Buyer]
}

/// `GET /v1/operator/organisations`, oldest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationList {
    pub organisations: Vec<Organisation>,
}

/// `POST /v1/operator/organisations/<id>/subscriptions`: a subscription of
/// the organisation for a marketplace purchase. The call finds the one made
/// before for the same `externalId` (`200`) instead of making another (`201`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProvisionedSubscription {
    /// The purchase's id in the marketplace (e.g. a Waldur resource's uuid),
    /// unique among the organisation's subscriptions.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::ExternalId))]
    pub external_id: String,
    /// As the organisation would ask `POST /v1/subscriptions`.
    pub subscription: NewSubscription,
}

/// `POST /v1/operator/organisations/<id>/widgets`: a widget of the
/// organisation for a marketplace purchase. The call finds the one made
/// before for the same `externalId` (`200`) instead of making another (`201`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProvisionedWidget {
    /// The purchase's id in the marketplace, unique among the organisation's
    /// widgets.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::ExternalId))]
    pub external_id: String,
    /// Messages a UTC month the purchase covers; 0 (the default) for no budget.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::fields::MonthlyMessageBudget))]
    pub monthly_message_budget: u32,
    /// As the organisation would ask `POST /v1/widgets`.
    pub widget: NewWidgetRequest,
}

/// `PATCH /v1/operator/widgets/<id>`: what the marketplace decides of a
/// widget, apart from what its owner sets; absent fields stay as they are.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarketplaceControls {
    /// Paused, the widget still loads but its chat answers visitors that it
    /// is paused (`widget_paused`) until it is restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::fields::MonthlyMessageBudget>))]
    pub monthly_message_budget: Option<u32>,
}

/// A widget as the operator sees it: whose it is, and what a page loads it
/// with (`POST /v1/operator/organisations/<id>/widgets`, and the
/// `/v1/operator/widgets/<id>` routes).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorWidget {
    /// The organisation it belongs to (`ten_…`).
    pub organisation_id: String,
    pub widget: WidgetSummary,
    /// Its publishable key; none once its owner revoked it.
    pub publishable_key: Option<String>,
    /// The auto-updating `<script>` snippet for its pages; none without a
    /// publishable key.
    pub snippet: Option<String>,
}

/// The query of `GET /v1/operator/widgets/<id>/usage`.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MonthQuery {
    /// The UTC calendar month, `YYYY-MM`.
    #[cfg_attr(feature = "openapi", param(value_type = crate::fields::Month, inline))]
    pub month: String,
}

/// A widget's usage in one UTC calendar month, to date: totals, never the
/// change since an earlier answer, so reporting one twice changes nothing.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthlyUsage {
    pub widget_id: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Messages visitors sent that the agent ran.
    pub messages: i64,
    /// Tokens as the runtime reported them.
    pub input_tokens: i64,
    pub output_tokens: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organisation_left_without_roles_buys() {
        let new: NewOrganisation = serde_json::from_str(r#"{"name":"Acme"}"#).unwrap();
        assert_eq!(new.roles, [OrganisationRole::Buyer]);
        let new: NewOrganisation =
            serde_json::from_str(r#"{"name":"Acme","roles":["seller","buyer"]}"#).unwrap();
        assert_eq!(
            new.roles,
            [OrganisationRole::Seller, OrganisationRole::Buyer]
        );
        assert!(
            serde_json::from_str::<NewOrganisation>(r#"{"name":"A","roles":["admin"]}"#).is_err()
        );
        assert!(serde_json::from_str::<NewOrganisation>(r#"{"name":"A","owner":"x"}"#).is_err());
    }
}
