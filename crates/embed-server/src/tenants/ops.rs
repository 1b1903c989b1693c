//! The tenant operations. Only the server's operator makes tenants, on its
//! local database (`sitekit tenants create`); no key can.

use crate::db::Db;
use crate::error::ApiError;
use crate::tenants::Tenant;
use sitekit_sdk::ErrorCode;

/// A new tenant named `name` (trimmed; not empty, no control characters).
pub async fn create(db: &Db, name: &str) -> Result<Tenant, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid_name("must not be empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid_name("may not contain control characters"));
    }
    Ok(db.create_tenant(name).await?)
}

fn invalid_name(why: &str) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidSetting, format!("a tenant's name {why}"))
}
