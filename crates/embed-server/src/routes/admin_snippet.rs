//! `GET /v1/widgets/<id>/snippet`: the widget's auto-updating and pinned
//! `<script>` snippets, for the tenant of the calling key only (`widgets:read`).

use axum::Json;
use axum::extract::State;
use sitekit_sdk::admin::WidgetSnippet;

use crate::admin_auth::AdminCaller;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::openapi::AdminErrors;
use crate::state::AppState;
use crate::widgets::snippet;
use sitekit_sdk::wire::ErrorBody;

#[utoipa::path(
    get,
    path = "/v1/widgets/{widget}/snippet",
    operation_id = "getWidgetSnippet",
    tag = "widgets",
    summary = "The widget's snippets: auto-updating, and pinned with Subresource Integrity",
    description = "Needs the `widgets:read` scope.",
    params(
        ("widget" = String, Path, description = "Widget id (`wgt_…`)"),
    ),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = WidgetSnippet),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        (status = 409, description = "The widget's publishable key was revoked", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WidgetSnippet>, ApiError> {
    caller.require("widgets:read")?;
    // Another tenant's widget answers exactly like a missing one.
    let widget = state
        .db
        .widget_of_tenant(&caller.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no widget {id}")))?;
    let key = state
        .db
        .publishable_key_of(&widget.id)
        .await?
        .ok_or_else(|| revoked(&widget.id))?;
    Ok(Json(snippet::for_widget(
        &widget.id,
        &state.public_url,
        &key,
        &state.assets.manifest,
    )))
}

/// A widget whose publishable key was revoked exists but has nothing a page
/// could load: a snippet with the dead key would only fail on the customer's site.
fn revoked(widget_id: &str) -> ApiError {
    ApiError::conflict(
        "publishable_key_revoked",
        format!(
            "widget {widget_id} has no snippet: its publishable key was revoked; \
             create a new widget for the site"
        ),
    )
}
