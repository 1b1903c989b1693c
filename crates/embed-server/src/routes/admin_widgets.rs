//! Admin widgets: list, read, create and change, for the tenant of the calling
//! key only. `widgets:read` to look, `widgets:write` to change.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use sitekit_sdk::admin::{
    CreatedWidget, NewWidgetRequest, WidgetList, WidgetSummary, WidgetUpdate,
};
use sitekit_sdk::wire::Position;

use crate::admin_auth::AdminCaller;
use crate::db::{NewWidget, Widget};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::keys::{KeyMode, ParsedKey};
use crate::snippet;
use crate::state::AppState;
use crate::widget_settings::{self as settings, SettingsError};

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
    Ok(Json(summary(owned_widget(&state, &caller, &id).await?)))
}

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
    let title = request
        .title
        .as_deref()
        .unwrap_or(settings::DEFAULT_TITLE)
        .trim();
    let greeting = request
        .greeting
        .as_deref()
        .unwrap_or(settings::DEFAULT_GREETING)
        .trim();
    let locale = request
        .locale
        .as_deref()
        .unwrap_or(settings::DEFAULT_LOCALE);
    let colour = request
        .primary_color
        .as_deref()
        .unwrap_or(settings::DEFAULT_COLOUR);
    let allowed_origins =
        settings::allowlist(&request.allowed_origins, request.test_mode).map_err(invalid)?;
    settings::check_title(title).map_err(invalid)?;
    settings::check_greeting(greeting).map_err(invalid)?;
    settings::check_locale(locale).map_err(invalid)?;
    settings::check_colour(colour).map_err(invalid)?;
    let (widget, key) = state
        .db
        .create_widget(NewWidget {
            agent: &agent,
            title,
            greeting,
            locale,
            primary_color: colour,
            position: position_text(request.position.unwrap_or(Position::Right)),
            allowed_origins,
            daily_message_budget: i64::from(request.daily_message_budget),
            mode: if request.test_mode {
                KeyMode::Test
            } else {
                KeyMode::Live
            },
            actor: &caller.actor(),
        })
        .await?;
    let created = CreatedWidget {
        snippet: snippet::auto_updating(&state.public_url, key.expose()),
        publishable_key: key.expose().to_owned(),
        widget: summary(widget),
    };
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn update(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    ApiJson(update): ApiJson<WidgetUpdate>,
) -> Result<Json<WidgetSummary>, ApiError> {
    caller.require("widgets:write")?;
    let mut widget = owned_widget(&state, &caller, &id).await?;
    if let Some(title) = update.title {
        settings::check_title(&title).map_err(invalid)?;
        widget.title = title.trim().to_owned();
    }
    if let Some(greeting) = update.greeting {
        settings::check_greeting(&greeting).map_err(invalid)?;
        widget.greeting = greeting.trim().to_owned();
    }
    if let Some(locale) = update.locale {
        settings::check_locale(&locale).map_err(invalid)?;
        widget.locale = locale;
    }
    if let Some(colour) = update.primary_color {
        settings::check_colour(&colour).map_err(invalid)?;
        widget.primary_color = colour;
    }
    if let Some(position) = update.position {
        widget.position = position_text(position).to_owned();
    }
    if let Some(origins) = update.allowed_origins {
        let test_mode = state
            .db
            .publishable_key_of(&widget.id)
            .await?
            .and_then(|key| ParsedKey::parse(&key).ok())
            .is_some_and(|key| key.mode == KeyMode::Test);
        widget.allowed_origins = settings::allowlist(&origins, test_mode).map_err(invalid)?;
    }
    if let Some(enabled) = update.enabled {
        widget.enabled = enabled;
    }
    if let Some(budget) = update.daily_message_budget {
        widget.daily_message_budget = i64::from(budget);
    }
    // Every field was checked before this one write: a bad field changes nothing.
    if !state.db.update_widget(&widget).await? {
        return Err(ApiError::NotFound(format!("no widget {id}")));
    }
    Ok(Json(summary(widget)))
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

fn position_text(position: Position) -> &'static str {
    match position {
        Position::Left => "left",
        Position::Right => "right",
    }
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
