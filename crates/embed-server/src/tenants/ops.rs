//! The tenant operations. Only the server's operator makes tenants, on its
//! local database (`sitekit tenants create`); no key can.

use crate::db::Db;
use crate::error::ApiError;
use crate::tenants::{OrgRoles, Tenant};
use sitekit_sdk::ErrorCode;

/// A new organisation named `name` (trimmed; not empty, no control
/// characters), with at least one of the roles.
pub async fn create(db: &Db, name: &str, roles: OrgRoles) -> Result<Tenant, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid_name("must not be empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid_name("may not contain control characters"));
    }
    if !roles.buyer && !roles.seller {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidSetting,
            "an organisation is a buyer, a seller or both",
        ));
    }
    Ok(db.create_organisation(name, roles).await?)
}

fn invalid_name(why: &str) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidSetting, format!("a tenant's name {why}"))
}
