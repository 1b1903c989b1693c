//! The agent operations, once for every caller (`routes/agents.rs` and the
//! local command line). Reading agents takes `widgets:read` (widgets are made
//! from agents); changing them `agents:write`. The runtime credential goes in
//! and never comes out; every runtime address passes the egress policy.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::admin::{AgentSummary, AgentUpdate, NewAgentRequest};

use crate::agents::settings::{self, AgentSettings, AgentSettingsError};
use crate::agents::{Agent, AgentDeletion};
use crate::db::Db;
use crate::egress::EgressPolicy;
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;

pub async fn list(db: &Db, caller: &Caller) -> Result<Vec<AgentSummary>, ApiError> {
    caller.require(Scope::WidgetsRead)?;
    let agents = db.agents(caller.scope()).await?;
    Ok(agents.into_iter().map(AgentSummary::from).collect())
}

pub async fn get(db: &Db, caller: &Caller, id: &str) -> Result<AgentSummary, ApiError> {
    caller.require(Scope::WidgetsRead)?;
    Ok(owned(db, caller, id).await?.into())
}

pub async fn create(
    db: &Db,
    caller: &Caller,
    request: NewAgentRequest,
    runtimes: &EgressPolicy,
) -> Result<AgentSummary, ApiError> {
    caller.require(Scope::AgentsWrite)?;
    let settings = AgentSettings::from_request(&request, runtimes).map_err(invalid)?;
    let agent = db.create_agent(caller.tenant()?.as_str(), settings).await?;
    Ok(agent.into())
}

/// Changes an agent; a bad field changes nothing.
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: &str,
    update: AgentUpdate,
    runtimes: &EgressPolicy,
) -> Result<AgentSummary, ApiError> {
    caller.require(Scope::AgentsWrite)?;
    let mut agent = owned(db, caller, id).await?;
    settings::apply_update(&mut agent, update, runtimes).map_err(invalid)?;
    if !db.update_agent(&agent).await? {
        return Err(not_found(id));
    }
    Ok(agent.into())
}

/// Deletes an agent no widget uses.
pub async fn delete(db: &Db, caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.require(Scope::AgentsWrite)?;
    let agent = owned(db, caller, id).await?;
    match db.delete_agent(&agent.tenant_id, id).await? {
        AgentDeletion::Deleted => Ok(()),
        AgentDeletion::InUse => Err(ApiError::conflict(
            ErrorCode::AgentInUse,
            format!("widgets still use agent {id}; delete them first"),
        )),
        AgentDeletion::NotFound => Err(not_found(id)),
    }
}

/// The caller's agent `id`; another tenant's is indistinguishable from one
/// that does not exist.
pub async fn owned(db: &Db, caller: &Caller, id: &str) -> Result<Agent, ApiError> {
    db.agent_in(caller.scope(), id)
        .await?
        .ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no agent with id {id}"))
}

fn invalid(error: AgentSettingsError) -> ApiError {
    ApiError::bad_request(error.code, error.message)
}
