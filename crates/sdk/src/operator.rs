//! JSON payloads of the operator's API (`/v1/operator/…`, operator keys
//! `skt_op_…`): the organisations on the server, and their keys, so a control
//! plane provisions buyers and sellers without a shell on the server. The
//! organisations' keys are the admin API's [`crate::admin::NewKeyRequest`],
//! [`crate::admin::CreatedKey`] and [`crate::admin::KeyList`].

use serde::{Deserialize, Serialize};

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
