//! The usage operations, once for every caller (`routes/usage.rs`,
//! `routes/usage_export.rs` and the local command line): `usage:read`, and
//! every agent, widget and key a query names must be the caller's (another
//! tenant's answers exactly like one that does not exist). A seller's
//! analytics take `seller:read` and an organisation that sells, and cover only
//! the agents it publishes.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::admin::{UsageQuery, UsageReport};
use sitekit_sdk::seller::{SellerUsageQuery, SellerUsageReport, VersionRollout};

use crate::catalog;
use crate::db::Db;
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;
use crate::usage::report::{UsageRange, named_subjects, subject_name};
use crate::usage::seller::{self, PublishedVersion, SellerData};
use crate::usage::{SellerFilter, UsageFilter};

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

/// How buyers use the caller's published agents over a range of days.
pub async fn seller_report(
    db: &Db,
    caller: &Caller,
    query: &SellerUsageQuery,
) -> Result<SellerUsageReport, ApiError> {
    caller.require(Scope::SellerRead)?;
    let seller = catalog::ops::seller(db, caller).await?;
    let range = UsageRange::parse(query.from.as_deref(), query.to.as_deref())
        .map_err(|error| ApiError::bad_request(ErrorCode::InvalidQuery, error.0))?;
    let only = query.published_agent_id.as_deref();
    let (entries, versions) = tokio::try_join!(
        db.catalog(caller.scope()),
        db.catalog_versions(caller.scope(), only)
    )?;
    // The caller's own entries: every seller's active ones are in its catalog too.
    let own: Vec<_> = entries
        .into_iter()
        .filter(|entry| entry.seller_id == seller.as_str())
        .filter(|entry| only.is_none_or(|id| id == entry.id))
        .collect();
    if let Some(id) = only.filter(|_| own.is_empty()) {
        return Err(ApiError::NotFound(format!(
            "no published agent with id {id} of yours"
        )));
    }
    let filter = SellerFilter {
        seller_id: seller.as_str().to_owned(),
        published_agent_id: only.map(str::to_owned),
        from_day: range.from,
        to_day: range.to,
    };
    let (days, errors, run_times, subscriptions) = tokio::try_join!(
        db.seller_days(&filter),
        db.seller_errors(&filter),
        db.seller_run_times(&filter),
        db.subscriptions_to_seller(&filter.seller_id, only),
    )?;
    let versions = versions
        .into_iter()
        .filter_map(|version| {
            let entry = own
                .iter()
                .find(|entry| entry.id == version.published_agent_id)?;
            let rollout = if entry
                .canary
                .is_some_and(|canary| canary.version == version.version)
            {
                Some(VersionRollout::Canary)
            } else if entry.released_version == Some(version.version) {
                Some(VersionRollout::Released)
            } else {
                None
            };
            Some(PublishedVersion {
                published_agent_id: version.published_agent_id,
                agent_name: entry.name.clone(),
                version: version.version,
                rollout,
            })
        })
        .collect();
    let data = SellerData {
        versions,
        days,
        errors,
        run_times,
        subscriptions,
    };
    Ok(seller::report(range, data))
}
