//! `GET /v1/usage` (`usage:read`): the messages the tenant's widgets answered per
//! UTC day, over a range of days and optionally for one widget.

use axum::Json;
use axum::extract::State;
use sitekit_sdk::admin::{UsageQuery, UsageReport};
use sitekit_sdk::wire::ErrorBody;

use crate::admin_auth::AdminCaller;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::openapi::AdminErrors;
use crate::state::AppState;
use crate::usage_report::UsageRange;

#[utoipa::path(
    get,
    path = "/v1/usage",
    tag = "usage",
    summary = "Messages per widget and UTC day",
    description = "Needs the `usage:read` scope.",
    params(UsageQuery),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = UsageReport),
        (status = 400, description = "A malformed date, a range over 366 days, or an unknown parameter", body = ErrorBody),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn summary(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiQuery(params): ApiQuery<UsageQuery>,
) -> Result<Json<UsageReport>, ApiError> {
    caller.require("usage:read")?;
    let range = UsageRange::parse(params.from.as_deref(), params.to.as_deref())
        .map_err(|error| ApiError::bad_request("invalid_query", error.0))?;
    if let Some(widget) = &params.widget_id
        && state
            .db
            .widget_of_tenant(&caller.tenant_id, widget)
            .await?
            .is_none()
    {
        return Err(ApiError::NotFound(format!("no widget {widget}")));
    }
    let counts = state
        .db
        .daily_messages(
            Some(&caller.tenant_id),
            params.widget_id.as_deref(),
            range.from,
            range.to,
        )
        .await?;
    Ok(Json(range.report(counts)))
}
