//! `GET /healthz`: 200 when the server can serve, i.e. the database answers.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if state.db.is_reachable().await {
        Ok(Json(json!({ "status": "ok" })))
    } else {
        Err(ApiError::Unavailable(
            "the database is not reachable".into(),
        ))
    }
}
