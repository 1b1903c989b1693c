//! A buyer's subscriptions to published agents. Reading takes `widgets:read`;
//! subscribing and moving between versions `agents:write` and an
//! organisation that buys. Nothing here shows where a version runs.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::subscriptions::{
    NewSubscription, Subscription, SubscriptionList, SubscriptionUpdate,
};
use sitekit_sdk::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::state::AppState;
use crate::subscriptions::ops;

#[utoipa::path(
    get,
    path = "/v1/subscriptions",
    operation_id = "listSubscriptions",
    tag = "subscriptions",
    summary = "The organisation's subscriptions and the version each runs now",
    description = "Needs the `widgets:read` scope.",
    security(("admin_key" = [])),
    responses(
        (status = 200, body = SubscriptionList),
        AdminErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SubscriptionList>, ApiError> {
    let subscriptions = ops::list(&state.db, &caller).await?;
    Ok(Json(SubscriptionList { subscriptions }))
}

#[utoipa::path(
    get,
    path = "/v1/subscriptions/{subscription}",
    operation_id = "getSubscription",
    tag = "subscriptions",
    summary = "One subscription",
    description = "Needs the `widgets:read` scope.",
    params(
        ("subscription" = String, Path, description = "Subscription id (`sub_…`)"),
    ),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = Subscription),
        (status = 404, description = "No such subscription of the caller's", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(ops::get(&state.db, &caller, &id).await?))
}

#[utoipa::path(
    post,
    path = "/v1/subscriptions",
    operation_id = "createSubscription",
    tag = "subscriptions",
    summary = "Subscribe to a published agent, following its latest version or pinned to one",
    description = "Needs the `agents:write` scope, and an organisation that buys agents (else \
                   403 `not_a_buyer`). A withdrawn agent takes no new subscriptions (409 \
                   `agent_withdrawn`).",
    request_body = NewSubscription,
    security(("admin_key" = [])),
    responses(
        (status = 201, body = Subscription, links(
            ("getSubscription" = (operation_id = "getSubscription", parameters(("subscription" = "$response.body#/id")))),
            ("updateSubscription" = (operation_id = "updateSubscription", parameters(("subscription" = "$response.body#/id")))),
        )),
        (status = 400, description = "Malformed JSON or unknown fields", body = ErrorBody),
        (status = 404, description = "No such published agent to subscribe to", body = ErrorBody),
        (status = 409, description = "The published agent was withdrawn (`agent_withdrawn`) or has no such version (`unknown_version`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewSubscription>,
) -> Result<(StatusCode, Json<Subscription>), ApiError> {
    let subscription = ops::create(&state.db, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(subscription)))
}

#[utoipa::path(
    patch,
    path = "/v1/subscriptions/{subscription}",
    operation_id = "updateSubscription",
    tag = "subscriptions",
    summary = "Pin a version (upgrade or roll back) or follow the latest, in one call",
    description = "Needs the `agents:write` scope. The next chat of every widget on the \
                   subscription runs the version it now resolves to; chats already running \
                   finish on theirs.",
    params(
        ("subscription" = String, Path, description = "Subscription id (`sub_…`)"),
    ),
    request_body = SubscriptionUpdate,
    security(("admin_key" = [])),
    responses(
        (status = 200, body = Subscription),
        (status = 400, description = "Malformed JSON or unknown fields", body = ErrorBody),
        (status = 404, description = "No such subscription of the caller's", body = ErrorBody),
        (status = 409, description = "The published agent has no such version (`unknown_version`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(update): ApiJson<SubscriptionUpdate>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(ops::update(&state.db, &caller, &id, update).await?))
}
