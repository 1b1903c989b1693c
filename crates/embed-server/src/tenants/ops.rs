//! The tenant operations. Only the server's operator makes tenants: on its
//! local database (`sitekit tenants create`) or with an operator key
//! (the operator's API); no organisation's key can.

use crate::db::Db;
use crate::error::ApiError;
use crate::setting_rules::one_line_text;
use crate::tenants::{OrgRoles, Tenant};
use sitekit_sdk::ErrorCode;
use sitekit_sdk::fields::{ExternalId, OrganisationName};

/// A new organisation named `name` (one line, trimmed, not empty, at most 200
/// characters), with at least one of the roles.
pub async fn create(db: &Db, name: &str, roles: OrgRoles) -> Result<Tenant, ApiError> {
    Ok(find_or_create(db, name, roles, None).await?.0)
}

/// A marketplace's id of something it provisions (an organisation, a
/// purchase's subscription or widget): one line, trimmed, 1 to 200 characters.
pub fn checked_external_id(external_id: &str) -> Result<String, ApiError> {
    one_line_text("an external id", external_id, ExternalId::MAX_CHARS)
        .map_err(|error| ApiError::bad_request(ErrorCode::InvalidSetting, error.0))
}

/// A new organisation, or with `external_id` the one made with it before
/// (`false`: found, not made now).
pub async fn find_or_create(
    db: &Db,
    name: &str,
    roles: OrgRoles,
    external_id: Option<&str>,
) -> Result<(Tenant, bool), ApiError> {
    let name = one_line_text("an organisation's name", name, OrganisationName::MAX_CHARS)
        .map_err(|error| ApiError::bad_request(ErrorCode::InvalidSetting, error.0))?;
    let external_id = external_id.map(checked_external_id).transpose()?;
    if !roles.buyer && !roles.seller {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidSetting,
            "an organisation is a buyer, a seller or both",
        ));
    }
    Ok(db
        .find_or_create_organisation(&name, roles, external_id.as_deref())
        .await?)
}
