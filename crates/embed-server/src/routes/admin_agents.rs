//! Admin agents: the tenant's runtime bindings. Reading them takes
//! `widgets:read` (widgets are made from agents); changing them `agents:write`.
//! The runtime credential goes in and never comes out.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::admin::{AgentList, AgentSummary, AgentUpdate, NewAgentRequest};
use sitekit_sdk::wire::ErrorBody;

use crate::admin_auth::AdminCaller;
use crate::agents::settings::{self as agent_settings, AgentSettings, AgentSettingsError};
use crate::agents::{Agent, AgentDeletion};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::openapi::AdminErrors;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/v1/agents",
    operation_id = "listAgents",
    tag = "agents",
    summary = "The tenant's agents (never their runtime credentials)",
    description = "Needs the `widgets:read` scope.",
    security(("admin_key" = [])),
    responses(
        (status = 200, body = AgentList),
        AdminErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Json<AgentList>, ApiError> {
    caller.require("widgets:read")?;
    let agents = state.db.agents(&caller.scope()).await?;
    Ok(Json(AgentList {
        agents: agents.into_iter().map(AgentSummary::from).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/v1/agents/{agent}",
    operation_id = "getAgent",
    tag = "agents",
    summary = "One agent",
    description = "Needs the `widgets:read` scope.",
    params(
        ("agent" = String, Path, description = "Agent id (`agt_…`)"),
    ),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = AgentSummary),
        (status = 404, description = "No such agent of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AgentSummary>, ApiError> {
    caller.require("widgets:read")?;
    Ok(Json(owned_agent(&state, &caller, &id).await?.into()))
}

#[utoipa::path(
    post,
    path = "/v1/agents",
    operation_id = "createAgent",
    tag = "agents",
    summary = "Bind an agent runtime to the tenant",
    description = "Needs the `agents:write` scope.",
    request_body = NewAgentRequest,
    security(("admin_key" = [])),
    responses(
        (status = 201, body = AgentSummary, links(
            ("getAgent" = (operation_id = "getAgent", parameters(("agent" = "$response.body#/id")))),
            ("updateAgent" = (operation_id = "updateAgent", parameters(("agent" = "$response.body#/id")))),
            ("deleteAgent" = (operation_id = "deleteAgent", parameters(("agent" = "$response.body#/id")))),
        )),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiJson(request): ApiJson<NewAgentRequest>,
) -> Result<(StatusCode, Json<AgentSummary>), ApiError> {
    caller.require("agents:write")?;
    let settings =
        AgentSettings::from_request(&request, state.runtimes.policy()).map_err(invalid)?;
    let agent = state.db.create_agent(&caller.tenant_id, settings).await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

#[utoipa::path(
    patch,
    path = "/v1/agents/{agent}",
    operation_id = "updateAgent",
    tag = "agents",
    summary = "Change an agent; a bad field changes nothing",
    description = "Needs the `agents:write` scope.",
    params(
        ("agent" = String, Path, description = "Agent id (`agt_…`)"),
    ),
    request_body = AgentUpdate,
    security(("admin_key" = [])),
    responses(
        (status = 200, body = AgentSummary),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such agent of the caller's tenant", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(update): ApiJson<AgentUpdate>,
) -> Result<Json<AgentSummary>, ApiError> {
    caller.require("agents:write")?;
    let mut agent = owned_agent(&state, &caller, &id).await?;
    agent_settings::apply_update(&mut agent, update, state.runtimes.policy()).map_err(invalid)?;
    if !state.db.update_agent(&agent).await? {
        return Err(ApiError::NotFound(format!("no agent {id}")));
    }
    Ok(Json(agent.into()))
}

#[utoipa::path(
    delete,
    path = "/v1/agents/{agent}",
    operation_id = "deleteAgent",
    tag = "agents",
    summary = "Delete an agent no widget uses",
    description = "Needs the `agents:write` scope.",
    params(
        ("agent" = String, Path, description = "Agent id (`agt_…`)"),
    ),
    security(("admin_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such agent of the caller's tenant", body = ErrorBody),
        (status = 409, description = "Widgets still use the agent", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("agents:write")?;
    match state.db.delete_agent(&caller.tenant_id, &id).await? {
        AgentDeletion::Deleted => Ok(StatusCode::NO_CONTENT),
        AgentDeletion::InUse => Err(ApiError::conflict(
            "agent_in_use",
            format!("widgets still use agent {id}; delete them first"),
        )),
        AgentDeletion::NotFound => Err(ApiError::NotFound(format!("no agent {id}"))),
    }
}

/// The caller's agent `id`; another tenant's agent is indistinguishable from one
/// that does not exist.
async fn owned_agent(state: &AppState, caller: &AdminCaller, id: &str) -> Result<Agent, ApiError> {
    state
        .db
        .agent_of_tenant(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agent {id}")))
}

fn invalid(error: AgentSettingsError) -> ApiError {
    ApiError::bad_request(error.code, error.message)
}
