//! The usage operations, once for every caller (`routes/usage.rs`,
//! `routes/usage_export.rs` and the local command line): `usage:read`, and
//! every agent, widget and key a query names must be the caller's (another
//! tenant's answers exactly like one that does not exist).

use sitekit_sdk::ErrorCode;
use sitekit_sdk::admin::{UsageQuery, UsageReport};

use crate::db::Db;
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;
use crate::usage::UsageFilter;
use crate::usage::report::{UsageRange, named_subjects, subject_name};

/// The daily usage report of a query.
pub async fn report(db: &Db, caller: &Caller, query: &UsageQuery) -> Result<UsageReport, ApiError> {
    let (range, filter) = checked_filter(db, caller, query).await?;
    let rows = db.daily_usage(&filter).await?;
    Ok(range.report(rows))
}

/// The range and filter of a usage query, once its dates are valid and every
/// subject it names is the caller's.
pub async fn checked_filter(
    db: &Db,
    caller: &Caller,
    query: &UsageQuery,
) -> Result<(UsageRange, UsageFilter), ApiError> {
    caller.require(Scope::UsageRead)?;
    let range = UsageRange::parse(query.from.as_deref(), query.to.as_deref())
        .map_err(|error| ApiError::bad_request(ErrorCode::InvalidQuery, error.0))?;
    for (subject, id) in named_subjects(query) {
        if !db.usage_subject_exists(caller.scope(), subject, id).await? {
            return Err(ApiError::NotFound(format!(
                "no {} with id {id}",
                subject_name(subject)
            )));
        }
    }
    Ok((range, range.filter(caller.scope().clone(), query)))
}
