//! Admin widgets: list, read, create, change and delete, for the tenant of the calling
//! key only. `widgets:read` to look, `widgets:write` to change.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::admin::{
    CreatedWidget, NewWidgetRequest, WidgetList, WidgetSummary, WidgetUpdate,
};

use crate::admin_auth::AdminCaller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::keys::KeyMode;
use crate::openapi::AdminErrors;
use crate::state::AppState;
use crate::widgets::Widget;
use crate::widgets::settings::{self as settings, SettingsError, WidgetSettings};
use crate::widgets::snippet;
use sitekit_sdk::wire::ErrorBody;

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
    caller: AdminCaller,
) -> Result<Json<WidgetList>, ApiError> {
    caller.require("widgets:read")?;
    let widgets = state.db.widgets(&caller.scope()).await?;
    Ok(Json(WidgetList {
        widgets: widgets.into_iter().map(WidgetSummary::from).collect(),
    }))
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
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WidgetSummary>, ApiError> {
    caller.require("widgets:read")?;
    Ok(Json(owned_widget(&state, &caller, &id).await?.into()))
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
    caller: AdminCaller,
    ApiJson(request): ApiJson<NewWidgetRequest>,
) -> Result<(StatusCode, Json<CreatedWidget>), ApiError> {
    caller.require("widgets:write")?;
    let agent = state
        .db
        .agent_of_tenant(&caller.tenant_id, &request.agent_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agent {}", request.agent_id)))?;
    let settings = WidgetSettings::from_request(&request).map_err(invalid)?;
    let mode = if request.test_mode {
        KeyMode::Test
    } else {
        KeyMode::Live
    };
    let (widget, key) = state
        .db
        .create_widget(&agent, settings, mode, &caller.actor())
        .await?;
    let created = CreatedWidget {
        snippet: snippet::auto_updating(&state.public_url, key.expose()),
        publishable_key: key.expose().to_owned(),
        widget: widget.into(),
    };
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
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(update): ApiJson<WidgetUpdate>,
) -> Result<Json<WidgetSummary>, ApiError> {
    caller.require("widgets:write")?;
    let mut widget = owned_widget(&state, &caller, &id).await?;
    let test_mode = state.db.widget_is_test_mode(&widget.id).await?;
    settings::apply_update(&mut widget, update, test_mode).map_err(invalid)?;
    if !state.db.update_widget(&widget).await? {
        return Err(ApiError::NotFound(format!("no widget {id}")));
    }
    Ok(Json(widget.into()))
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
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("widgets:write")?;
    if !state
        .db
        .delete_widget(&caller.tenant_id, &id, &caller.actor())
        .await?
    {
        return Err(ApiError::NotFound(format!("no widget {id}")));
    }
    // This node stops its sessions at once; the others at their next reload.
    state.keys.refresh(&state.db).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's widget `id`; another tenant's widget is indistinguishable from
/// one that does not exist.
async fn owned_widget(
    state: &AppState,
    caller: &AdminCaller,
    id: &str,
) -> Result<Widget, ApiError> {
    state
        .db
        .widget_of_tenant(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no widget {id}")))
}

fn invalid(error: SettingsError) -> ApiError {
    ApiError::bad_request("invalid_setting", error.0)
}
