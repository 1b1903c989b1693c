//! `GET /healthz`: 200 when the server can serve, i.e. the database answers.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operators",
    summary = "Liveness: 200 when the database answers",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "The database is not reachable", body = ErrorBody),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    if state.db.is_reachable().await {
        Ok(Json(Health { status: "ok" }))
    } else {
        Err(ApiError::Unavailable(
            "the database is not reachable".into(),
        ))
    }
}

/// `{"status":"ok"}`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
}
