//! Admin widgets: list, read, create, change and delete, for the tenant of the calling
//! key only. `widgets:read` to look, `widgets:write` to change.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::admin::{
    CreatedWidget, NewWidgetRequest, WidgetList, WidgetSummary, WidgetUpdate,
};
use sitekit_sdk::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::state::AppState;
use crate::widgets::ops;

#[utoipa::path(
    get,
    path = "/v1/widgets",
    operation_id = "listWidgets",
    tag = "widgets",
    summary = "The tenant's widgets",
    description = "Needs the `widgets:read` scope.",
    security(("admin_key" = [])),
    responses(
        (status = 200, body = WidgetList),
        AdminErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<WidgetList>, ApiError> {
    let widgets = ops::list(&state.db, &caller).await?;
    Ok(Json(WidgetList { widgets }))
}

#[utoipa::path(
    get,
    path = "/v1/widgets/{widget}",
    operation_id = "getWidget",
    tag = "widgets",
    summary = "One widget",
    description = "Needs the `widgets:read` scope.",
    params(
        ("widget" = String, Path, description = "Widget id (`wgt_…`)"),
    ),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = WidgetSummary),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WidgetSummary>, ApiError> {
    Ok(Json(ops::get(&state.db, &caller, &id).await?))
}

#[utoipa::path(
    post,
    path = "/v1/widgets",
    operation_id = "createWidget",
    tag = "widgets",
    summary = "Create a widget and its publishable key",
    description = "Needs the `widgets:write` scope.",
    request_body = NewWidgetRequest,
    security(("admin_key" = [])),
    responses(
        (status = 201, body = CreatedWidget, links(
            ("getWidget" = (operation_id = "getWidget", parameters(("widget" = "$response.body#/widget/id")))),
            ("updateWidget" = (operation_id = "updateWidget", parameters(("widget" = "$response.body#/widget/id")))),
            ("getWidgetSnippet" = (operation_id = "getWidgetSnippet", parameters(("widget" = "$response.body#/widget/id")))),
            ("deleteWidget" = (operation_id = "deleteWidget", parameters(("widget" = "$response.body#/widget/id")))),
        )),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such agent of the caller's tenant", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewWidgetRequest>,
) -> Result<(StatusCode, Json<CreatedWidget>), ApiError> {
    let created = ops::create(&state.db, &caller, request, &state.public_url).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    patch,
    path = "/v1/widgets/{widget}",
    operation_id = "updateWidget",
    tag = "widgets",
    summary = "Change a widget; a bad field changes nothing",
    description = "Needs the `widgets:write` scope.",
    params(
        ("widget" = String, Path, description = "Widget id (`wgt_…`)"),
    ),
    request_body = WidgetUpdate,
    security(("admin_key" = [])),
    responses(
        (status = 200, body = WidgetSummary),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(update): ApiJson<WidgetUpdate>,
) -> Result<Json<WidgetSummary>, ApiError> {
    Ok(Json(ops::update(&state.db, &caller, &id, update).await?))
}

/// Deletes the widget and revokes its publishable keys, ending its sessions.
#[utoipa::path(
    delete,
    path = "/v1/widgets/{widget}",
    operation_id = "deleteWidget",
    tag = "widgets",
    summary = "Delete a widget; its publishable keys are revoked and its sessions end",
    description = "Needs the `widgets:write` scope.",
    params(
        ("widget" = String, Path, description = "Widget id (`wgt_…`)"),
    ),
    security(("admin_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    ops::delete(&state.db, &caller, &id).await?;
    // This node stops its sessions at once; the others at their next reload.
    state.keys.refresh(&state.db).await?;
    Ok(StatusCode::NO_CONTENT)
}
