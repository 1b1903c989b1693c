//! The tenant operations: only the operator makes tenants (a key acts inside
//! its own tenant and never sees another).

use crate::db::Db;
use crate::error::ApiError;
use crate::keys::Caller;
use crate::tenants::Tenant;

/// A new tenant named `name` (trimmed; not empty, no control characters).
pub async fn create(db: &Db, caller: &Caller, name: &str) -> Result<Tenant, ApiError> {
    caller.require_operator()?;
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
    ApiError::bad_request("invalid_setting", format!("a tenant's name {why}"))
}
