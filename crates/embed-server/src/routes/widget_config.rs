//! `GET /v1/widgets/<pub key>/config`: the public part of a widget's settings, for
//! pages on one of its allowed origins only.

use axum::Json;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use sitekit_sdk::wire::{WidgetConfig, WidgetPageConfig};

use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::{ApiPath, RequestOrigin};
use crate::routes::access::widget_for_page;
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

#[utoipa::path(
    get,
    path = "/v1/widgets/{widget}/config",
    operation_id = "getWidgetConfig",
    tag = "browser",
    summary = "What a page may know of a widget",
    description = "Only for pages on one of the widget's allowed origins (the `Origin` header).",
    params(("widget" = String, Path, description = "The widget's publishable key (`skt_pub_…`)")),
    responses(
        (status = 200, body = WidgetPageConfig),
        (status = 401, description = "Malformed, unknown, revoked or expired publishable key", body = ErrorBody),
        (status = 403, description = "No Origin, an origin not allowed, or the widget is disabled", body = ErrorBody),
        (status = 404, description = "A key that is not UTF-8 text once percent-decoded", body = ErrorBody),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorBody),
    )
)]
pub async fn config(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiPath(key): ApiPath<String>,
    RequestOrigin(origin): RequestOrigin,
) -> Result<impl IntoResponse, ApiError> {
    state.limits.request_from(client).await?;
    let (widget, _) = widget_for_page(&state, &key, &origin).await?;
    let position = widget.position();
    let engagement = (!widget.engagement.is_off()).then_some(widget.engagement);
    let config = WidgetConfig {
        position,
        title: widget.title,
        greeting: widget.greeting,
        locale: widget.locale,
        primary_color: widget.primary_color,
        primary_text_color: widget.primary_text_color,
        starter_prompts: widget.starter_prompts,
        avatar_url: widget.avatar_url,
        launcher_icon: widget.launcher_icon.as_str().to_owned(),
        conversation_days: widget.conversation_days,
    };
    let config = WidgetPageConfig { config, engagement };
    // Answers differ by origin (allowed or not), so caches must key on it.
    Ok((
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::VARY, "Origin"),
        ],
        Json(config),
    ))
}
