//! The catalog: agents sellers publish and their versions. Browsing takes
//! `widgets:read`; publishing `catalog:write` and an organisation that sells.
//! A version's binding is shown only to its seller, its credential to no one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::catalog::{
    AgentVersion, NewAgentVersion, NewPublishedAgent, PublishedAgent, PublishedAgentList,
    PublishedAgentUpdate,
};
use sitekit_sdk::wire::ErrorBody;

use crate::catalog::ops;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/v1/catalog/agents",
    operation_id = "listPublishedAgents",
    tag = "catalog",
    summary = "The published agents: every seller's that are not withdrawn, and the caller's own",
    description = "Needs the `widgets:read` scope. Versions carry their runtime binding only for \
                   their seller.",
    security(("admin_key" = [])),
    responses(
        (status = 200, body = PublishedAgentList),
        AdminErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<PublishedAgentList>, ApiError> {
    let agents = ops::list(&state.db, &caller).await?;
    Ok(Json(PublishedAgentList { agents }))
}

#[utoipa::path(
    get,
    path = "/v1/catalog/agents/{publishedAgent}",
    operation_id = "getPublishedAgent",
    tag = "catalog",
    summary = "One published agent with its versions",
    description = "Needs the `widgets:read` scope.",
    params(
        ("publishedAgent" = String, Path, description = "Published agent id (`pag_…`)"),
    ),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = PublishedAgent),
        (status = 404, description = "No such published agent the caller may see", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PublishedAgent>, ApiError> {
    Ok(Json(ops::get(&state.db, &caller, &id).await?))
}

#[utoipa::path(
    post,
    path = "/v1/catalog/agents",
    operation_id = "createPublishedAgent",
    tag = "catalog",
    summary = "Add an agent to the catalog; buyers see it once a version is published",
    description = "Needs the `catalog:write` scope, and an organisation that sells agents \
                   (else 403 `not_a_seller`).",
    request_body = NewPublishedAgent,
    security(("admin_key" = [])),
    responses(
        (status = 201, body = PublishedAgent, links(
            ("getPublishedAgent" = (operation_id = "getPublishedAgent", parameters(("publishedAgent" = "$response.body#/id")))),
            ("updatePublishedAgent" = (operation_id = "updatePublishedAgent", parameters(("publishedAgent" = "$response.body#/id")))),
            ("publishAgentVersion" = (operation_id = "publishAgentVersion", parameters(("publishedAgent" = "$response.body#/id")))),
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
    ApiJson(request): ApiJson<NewPublishedAgent>,
) -> Result<(StatusCode, Json<PublishedAgent>), ApiError> {
    let agent = ops::create(&state.db, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(agent)))
}

#[utoipa::path(
    patch,
    path = "/v1/catalog/agents/{publishedAgent}",
    operation_id = "updatePublishedAgent",
    tag = "catalog",
    summary = "Rename, describe, deprecate, withdraw or restore a published agent",
    description = "Needs the `catalog:write` scope. Deprecating tells buyers and breaks nothing; \
                   withdrawing takes no new subscriptions. A bad field changes nothing.",
    params(
        ("publishedAgent" = String, Path, description = "Published agent id (`pag_…`)"),
    ),
    request_body = PublishedAgentUpdate,
    security(("admin_key" = [])),
    responses(
        (status = 200, body = PublishedAgent),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such published agent of the caller's", body = ErrorBody),
        (status = 409, description = "`releasedVersion` names a version not published (`unknown_version`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(update): ApiJson<PublishedAgentUpdate>,
) -> Result<Json<PublishedAgent>, ApiError> {
    Ok(Json(ops::update(&state.db, &caller, &id, update).await?))
}

#[utoipa::path(
    post,
    path = "/v1/catalog/agents/{publishedAgent}/versions",
    operation_id = "publishAgentVersion",
    tag = "catalog",
    summary = "Publish the next version, which never changes",
    description = "Needs the `catalog:write` scope. The first version names its runtime binding \
                   as `POST /v1/agents` does; a later one on the same kind of runtime takes \
                   every binding field it leaves out from the latest version, credential \
                   included, except that a `baseUrl` on another server needs that server's \
                   `runtimeKey` (`runtime_key_required`).",
    params(
        ("publishedAgent" = String, Path, description = "Published agent id (`pag_…`)"),
    ),
    request_body = NewAgentVersion,
    security(("admin_key" = [])),
    responses(
        (status = 201, body = AgentVersion),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such published agent of the caller's", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn publish_version(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<NewAgentVersion>,
) -> Result<(StatusCode, Json<AgentVersion>), ApiError> {
    let version =
        ops::publish_version(&state.db, &caller, &id, request, state.runtimes.policy()).await?;
    Ok((StatusCode::CREATED, Json(version)))
}
