//! `GET /v1/widgets/<id>/snippet`: the widget's auto-updating and pinned
//! `<script>` snippets, for the tenant of the calling key only (`widgets:read`).

use axum::Json;
use axum::extract::State;
use sitekit_sdk::admin::WidgetSnippet;
use sitekit_sdk::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::state::AppState;
use crate::widgets::ops;

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
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WidgetSnippet>, ApiError> {
    let snippet = ops::snippet(
        &state.db,
        &caller,
        &id,
        &state.public_url,
        &state.assets.manifest,
    )
    .await?;
    Ok(Json(snippet))
}
