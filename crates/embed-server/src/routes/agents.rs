//! Admin agents: the tenant's runtime bindings. Reading them takes
//! `widgets:read` (widgets are made from agents); changing them `agents:write`.
//! The runtime credential goes in and never comes out.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::admin::{AgentList, AgentSummary, AgentUpdate, NewAgentRequest};
use sitekit_sdk::wire::ErrorBody;

use crate::agents::ops;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::keys::Caller;
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
    caller: Caller,
) -> Result<Json<AgentList>, ApiError> {
    let agents = ops::list(&state.db, &caller).await?;
    Ok(Json(AgentList { agents }))
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
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AgentSummary>, ApiError> {
    Ok(Json(ops::get(&state.db, &caller, &id).await?))
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
    caller: Caller,
    ApiJson(request): ApiJson<NewAgentRequest>,
) -> Result<(StatusCode, Json<AgentSummary>), ApiError> {
    let agent = ops::create(&state.db, &caller, request, state.runtimes.policy()).await?;
    Ok((StatusCode::CREATED, Json(agent)))
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
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(update): ApiJson<AgentUpdate>,
) -> Result<Json<AgentSummary>, ApiError> {
    let agent = ops::update(&state.db, &caller, &id, update, state.runtimes.policy()).await?;
    Ok(Json(agent))
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
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    ops::delete(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
