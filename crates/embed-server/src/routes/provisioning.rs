//! The operator's API for a marketplace that provisions purchases
//! (`/v1/operator/organisations/{organisation}/subscriptions|widgets` and
//! `/v1/operator/widgets/…`, operator keys with `provisioning:write`): what a
//! purchase is given, found again by its `externalId`; its pause and monthly
//! budget; its removal; its usage in a month, for billing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::operator::{
    MarketplaceControls, MonthQuery, MonthlyUsage, OperatorWidget, ProvisionedSubscription,
    ProvisionedWidget,
};
use sitekit_sdk::subscriptions::Subscription;
use sitekit_sdk::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::AdminErrors;
use crate::operator::{OperatorCaller, provisioning};
use crate::state::AppState;

/// 201 for what was made now, 200 for what a purchase had already.
fn made_or_found(made: bool) -> StatusCode {
    if made {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

#[utoipa::path(
    post,
    path = "/v1/operator/organisations/{organisation}/subscriptions",
    operation_id = "provisionSubscription",
    tag = "operators",
    summary = "Subscribe an organisation that buys to a published agent, for a marketplace purchase",
    description = "Needs an operator key with the `provisioning:write` scope. The organisation's \
        subscription made before for the same `externalId` is found (`200`) instead of another \
        made (`201`), so a marketplace may provision a purchase twice.",
    params(
        ("organisation" = String, Path, description = "Organisation id (`ten_…`)"),
    ),
    request_body = ProvisionedSubscription,
    security(("operator_key" = ["provisioning:write"])),
    responses(
        (status = 201, body = Subscription),
        (status = 200, description = "The subscription made before for this `externalId`", body = Subscription),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such organisation, or no such published agent", body = ErrorBody),
        (status = 409, description = "The published agent was withdrawn (`agent_withdrawn`), has no such version (`unknown_version`), or the `externalId` has a subscription to another agent (`external_id_in_use`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn subscription(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath(organisation): ApiPath<String>,
    ApiJson(request): ApiJson<ProvisionedSubscription>,
) -> Result<(StatusCode, Json<Subscription>), ApiError> {
    let (subscription, made) =
        provisioning::subscription(&state.db, &caller, &organisation, request).await?;
    Ok((made_or_found(made), Json(subscription)))
}

#[utoipa::path(
    post,
    path = "/v1/operator/organisations/{organisation}/widgets",
    operation_id = "provisionWidget",
    tag = "operators",
    summary = "Create an organisation's widget and its publishable key, for a marketplace purchase",
    description = "Needs an operator key with the `provisioning:write` scope. The widget made \
        before for the same `externalId` is found (`200`, with its publishable key and snippet) \
        instead of another made (`201`).",
    params(
        ("organisation" = String, Path, description = "Organisation id (`ten_…`)"),
    ),
    request_body = ProvisionedWidget,
    security(("operator_key" = ["provisioning:write"])),
    responses(
        (status = 201, body = OperatorWidget, links(
            ("getProvisionedWidget" = (operation_id = "getProvisionedWidget", parameters(("widget" = "$response.body#/widget/id")))),
            ("controlProvisionedWidget" = (operation_id = "controlProvisionedWidget", parameters(("widget" = "$response.body#/widget/id")))),
            ("getProvisionedWidgetUsage" = (operation_id = "getProvisionedWidgetUsage", parameters(("widget" = "$response.body#/widget/id")))),
            ("deleteProvisionedWidget" = (operation_id = "deleteProvisionedWidget", parameters(("widget" = "$response.body#/widget/id")))),
        )),
        (status = 200, description = "The widget made before for this `externalId`", body = OperatorWidget),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such organisation, or no such agent or subscription of it", body = ErrorBody),
        (status = 409, description = "The widget made for this `externalId` was deleted (`external_id_in_use`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn widget(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath(organisation): ApiPath<String>,
    ApiJson(request): ApiJson<ProvisionedWidget>,
) -> Result<(StatusCode, Json<OperatorWidget>), ApiError> {
    let (widget, made) = provisioning::widget(
        &state.db,
        &caller,
        &organisation,
        request,
        &state.public_url,
    )
    .await?;
    Ok((made_or_found(made), Json(widget)))
}

#[utoipa::path(
    get,
    path = "/v1/operator/widgets/{widget}",
    operation_id = "getProvisionedWidget",
    tag = "operators",
    summary = "A widget of any organisation, with its publishable key and snippet",
    description = "Needs an operator key with the `provisioning:write` scope.",
    params(
        ("widget" = String, Path, description = "Widget id (`wgt_…`)"),
    ),
    security(("operator_key" = ["provisioning:write"])),
    responses(
        (status = 200, body = OperatorWidget),
        (status = 404, description = "No such widget, or it was deleted", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn get_widget(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<OperatorWidget>, ApiError> {
    Ok(Json(
        provisioning::get_widget(&state.db, &caller, &id, &state.public_url).await?,
    ))
}

#[utoipa::path(
    patch,
    path = "/v1/operator/widgets/{widget}",
    operation_id = "controlProvisionedWidget",
    tag = "operators",
    summary = "Pause or restore a widget, or change its monthly message budget",
    description = "Needs an operator key with the `provisioning:write` scope. A paused widget \
        still loads on its pages; its chat tells visitors it is paused (`widget_paused`) until \
        it is restored. Past its monthly budget a chat answers `budget_exhausted` until the next \
        UTC month. The widget's owner changes neither.",
    params(
        ("widget" = String, Path, description = "Widget id (`wgt_…`)"),
    ),
    request_body = MarketplaceControls,
    security(("operator_key" = ["provisioning:write"])),
    responses(
        (status = 200, body = OperatorWidget),
        (status = 400, description = "Malformed JSON or unknown fields", body = ErrorBody),
        (status = 404, description = "No such widget, or it was deleted", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn control_widget(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(controls): ApiJson<MarketplaceControls>,
) -> Result<Json<OperatorWidget>, ApiError> {
    Ok(Json(
        provisioning::control_widget(&state.db, &caller, &id, controls, &state.public_url).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/v1/operator/widgets/{widget}",
    operation_id = "deleteProvisionedWidget",
    tag = "operators",
    summary = "Delete a widget; its publishable key is revoked and its sessions end",
    description = "Needs an operator key with the `provisioning:write` scope. Its usage stays \
        readable.",
    params(
        ("widget" = String, Path, description = "Widget id (`wgt_…`)"),
    ),
    security(("operator_key" = ["provisioning:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such widget, or it was deleted already", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn delete_widget(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    provisioning::delete_widget(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/v1/operator/widgets/{widget}/usage",
    operation_id = "getProvisionedWidgetUsage",
    tag = "operators",
    summary = "A widget's usage in a UTC calendar month, to date: totals for billing",
    description = "Needs an operator key with the `provisioning:write` scope. Totals, never the \
        change since an earlier answer, so reporting them twice changes nothing. A deleted \
        widget answers too.",
    params(
        ("widget" = String, Path, description = "Widget id (`wgt_…`)"),
        MonthQuery,
    ),
    security(("operator_key" = ["provisioning:write"])),
    responses(
        (status = 200, body = MonthlyUsage),
        (status = 400, description = "The month is not `YYYY-MM`", body = ErrorBody),
        (status = 404, description = "No such widget", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn widget_usage(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<MonthQuery>,
) -> Result<Json<MonthlyUsage>, ApiError> {
    Ok(Json(
        provisioning::widget_usage(&state.db, &caller, &id, &query.month).await?,
    ))
}
