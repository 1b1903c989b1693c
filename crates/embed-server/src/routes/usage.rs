//! `GET /v1/usage` (`usage:read`): what the tenant's widgets were used for, per
//! UTC day and agent, widget and key, from the daily roll-ups; over a range of
//! days and optionally for one agent, widget or key.

use axum::Json;
use axum::extract::State;
use sitekit_sdk::admin::{UsageQuery, UsageReport};
use sitekit_sdk::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::state::AppState;
use crate::usage::ops;

#[utoipa::path(
    get,
    path = "/v1/usage",
    operation_id = "getUsage",
    tag = "usage",
    summary = "Usage per UTC day, agent, widget and key",
    description = "Needs the `usage:read` scope. Each row of `days` is one day of one agent, \
        widget and publishable key with any activity: conversations (threads whose first run \
        started that day), runs, messages (one per run: what visitors sent and the server ran), \
        characters and tokens in and out, runs that did not end `ok` by code (`errors`), from \
        the server's own run records; and feedback, widget loads and opens from the pages' \
        usage events. `totals` adds the rows up.",
    params(UsageQuery),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = UsageReport),
        (status = 400, description = "A malformed date, a range over 366 days, a granularity other than `day`, or an unknown parameter (`invalid_query`)", body = ErrorBody),
        (status = 404, description = "No such agent, widget or key of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> Result<Json<UsageReport>, ApiError> {
    Ok(Json(ops::report(&state.db, &caller, &query).await?))
}
