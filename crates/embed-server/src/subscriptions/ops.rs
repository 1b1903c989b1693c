//! The subscription operations, once for every caller (`routes/subscriptions.rs`
//! and the local command line): `widgets:read` to look, `agents:write` to
//! subscribe and to move between versions, each in one call. Only an
//! organisation that buys subscribes; what it sees of the published agent is
//! what the catalog shows every organisation, never where a version runs.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::catalog::PublishedAgentStatus;
use sitekit_sdk::subscriptions::{
    NewSubscription, Subscription, SubscriptionUpdate, VersionPolicy,
};

use crate::db::Db;
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;
use crate::subscriptions::SubscriptionRecord;
use crate::tenants::{TenantId, TenantScope};

pub async fn list(db: &Db, caller: &Caller) -> Result<Vec<Subscription>, ApiError> {
    caller.require(Scope::WidgetsRead)?;
    let records = db.subscriptions(caller.scope()).await?;
    Ok(records.into_iter().map(Subscription::from).collect())
}

pub async fn get(db: &Db, caller: &Caller, id: &str) -> Result<Subscription, ApiError> {
    caller.require(Scope::WidgetsRead)?;
    Ok(owned(db, caller, id).await?.into())
}

/// Subscribes the caller's organisation, which must buy agents, to a
/// published agent that has a version and is not withdrawn.
pub async fn create(
    db: &Db,
    caller: &Caller,
    request: NewSubscription,
) -> Result<Subscription, ApiError> {
    Ok(find_or_create(db, caller, request, None).await?.0)
}

/// As [`create`]; with an `external_id` (a marketplace purchase's), the
/// subscription made for it before if there is one (`false`: not made now),
/// provided it is to the same published agent.
pub async fn find_or_create(
    db: &Db,
    caller: &Caller,
    request: NewSubscription,
    external_id: Option<&str>,
) -> Result<(Subscription, bool), ApiError> {
    caller.require(Scope::AgentsWrite)?;
    let buyer = buyer(db, caller).await?;
    let id = &request.published_agent_id;
    // Found before the catalog is asked: what a purchase subscribed to stays
    // its subscription even once the agent is withdrawn.
    if let Some(external_id) = external_id
        && let Some(found) = db
            .subscription_by_external_id(buyer.as_str(), external_id)
            .await?
    {
        return Ok((same_agent(db, &found, id).await?, false));
    }
    // Looked up past the catalog's visibility, so that a buyer who knew a
    // withdrawn agent is told what became of it.
    let entry = db
        .catalog_entry(&TenantScope::Operator, id)
        .await?
        .ok_or_else(|| no_published_agent(id))?;
    let versions = db.version_numbers(id).await?;
    if versions.is_empty() {
        // Nothing to run yet: not in the catalog for buyers.
        return Err(no_published_agent(id));
    }
    if entry.status == PublishedAgentStatus::Withdrawn {
        return Err(ApiError::conflict(
            ErrorCode::AgentWithdrawn,
            format!(
                "{} ({id}) was withdrawn and takes no new subscriptions",
                entry.name
            ),
        ));
    }
    check_version(request.version, &versions, id)?;
    let (subscription, made) = db
        .create_subscription(buyer.as_str(), id, request.version, external_id)
        .await?;
    Ok((same_agent(db, &subscription, id).await?, made))
}

/// Subscription `id`, which a purchase's external id found, if it is to the
/// published agent asked for; 409 `external_id_in_use` if to another.
async fn same_agent(db: &Db, id: &str, published_agent_id: &str) -> Result<Subscription, ApiError> {
    let subscription = owned(db, &Caller::operator(None), id).await?;
    if subscription.published_agent_id != published_agent_id {
        return Err(ApiError::conflict(
            ErrorCode::ExternalIdInUse,
            format!(
                "{} already has this external id, for {}",
                subscription.id, subscription.published_agent_id
            ),
        ));
    }
    Ok(subscription.into())
}

/// Pins a version (an upgrade or a rollback) or follows the latest.
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: &str,
    update: SubscriptionUpdate,
) -> Result<Subscription, ApiError> {
    caller.require(Scope::AgentsWrite)?;
    let subscription = owned(db, caller, id).await?;
    let versions = db.version_numbers(&subscription.published_agent_id).await?;
    check_version(update.version, &versions, &subscription.published_agent_id)?;
    db.set_version_policy(&subscription, update.version).await?;
    // Read back: a subscription that follows the latest may have moved on.
    Ok(owned(db, caller, id).await?.into())
}

/// The caller's subscription `id`; another organisation's is
/// indistinguishable from one that does not exist.
pub async fn owned(db: &Db, caller: &Caller, id: &str) -> Result<SubscriptionRecord, ApiError> {
    db.subscription_in(caller.scope(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no subscription with id {id}")))
}

/// The caller's organisation, if it buys agents.
async fn buyer(db: &Db, caller: &Caller) -> Result<TenantId, ApiError> {
    let tenant = caller.tenant()?;
    match db.tenant(tenant.as_str()).await? {
        Some(org) if org.roles.buyer => Ok(tenant.clone()),
        _ => Err(ApiError::forbidden(
            ErrorCode::NotABuyer,
            "only an organisation that buys agents subscribes to them; the server's operator \
             makes one with `sitekit tenants create --role buyer`",
        )),
    }
}

fn check_version(
    policy: VersionPolicy,
    versions: &[u32],
    published_agent_id: &str,
) -> Result<(), ApiError> {
    match policy {
        // The agent's state, not the request, rules it out: the version may
        // yet be published.
        VersionPolicy::Pinned(version) if !versions.contains(&version) => Err(ApiError::conflict(
            ErrorCode::UnknownVersion,
            format!(
                "{published_agent_id} has no version {version}; its versions are {}",
                versions
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

fn no_published_agent(id: &str) -> ApiError {
    ApiError::NotFound(format!("no published agent with id {id} to subscribe to"))
}

impl From<SubscriptionRecord> for Subscription {
    fn from(record: SubscriptionRecord) -> Self {
        Subscription {
            version_since: record.version_since(),
            id: record.id,
            published_agent_id: record.published_agent_id,
            agent_name: record.agent_name,
            seller_name: record.seller_name,
            status: record.status,
            version_policy: record.policy,
            version: record.version,
            policy_changed_at: record.policy_changed_at,
            created_at: record.created_at,
            external_id: record.external_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_version_must_exist_and_latest_always_does() {
        assert!(check_version(VersionPolicy::Pinned(2), &[1, 2], "pag_1").is_ok());
        assert!(check_version(VersionPolicy::Latest, &[1], "pag_1").is_ok());
        let error = check_version(VersionPolicy::Pinned(3), &[1, 2], "pag_1").unwrap_err();
        assert!(
            error.to_string().contains("its versions are 1, 2"),
            "{error}"
        );
    }
}
