//! Admin: `GET /v1/widgets` and `GET /v1/widgets/<id>`, for the tenant of the
//! calling key only.

use axum::Json;
use axum::extract::{Path, State};
use sitekit_sdk::admin::{WidgetList, WidgetSummary};

use crate::admin_auth::AdminCaller;
use crate::db::Widget;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Json<WidgetList>, ApiError> {
    caller.require("widgets:read")?;
    let widgets = state.db.widgets_of_tenant(&caller.tenant_id).await?;
    Ok(Json(WidgetList {
        widgets: widgets.into_iter().map(summary).collect(),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> Result<Json<WidgetSummary>, ApiError> {
    caller.require("widgets:read")?;
    let widget = state
        .db
        .widget_of_tenant(&caller.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no widget {id}")))?;
    Ok(Json(summary(widget)))
}

fn summary(widget: Widget) -> WidgetSummary {
    WidgetSummary {
        allowed_origins: widget.allowed_origins.to_texts(),
        position: widget.position(),
        id: widget.id,
        agent_id: widget.agent_id,
        title: widget.title,
        greeting: widget.greeting,
        locale: widget.locale,
        primary_color: widget.primary_color,
        enabled: widget.enabled,
        daily_message_budget: widget.daily_message_budget,
    }
}
