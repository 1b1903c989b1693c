//! Outgoing webhooks (`webhooks:write`): `POST /v1/webhooks` (the secret is
//! in this answer only), `GET /v1/webhooks`, `GET`/`PATCH`/`DELETE
//! /v1/webhooks/{id}`, `POST /v1/webhooks/{id}/rotate-secret`, the delivery
//! log `GET /v1/webhooks/{id}/deliveries` and
//! `POST /v1/webhooks/{id}/deliveries/{delivery}/resend`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::webhooks::{
    DeliveryPage, DeliveryQuery, NewWebhookRequest, Webhook, WebhookList, WebhookUpdate,
    WebhookWithSecret,
};
use sitekit_sdk::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::state::AppState;
use crate::webhooks::ops;

#[utoipa::path(
    post,
    path = "/v1/webhooks",
    operation_id = "createWebhook",
    tag = "webhooks",
    summary = "Register an endpoint for events; the answer holds its signing secret, once",
    description = "Needs the `webhooks:write` scope. Events: `conversation.started`, \
        `conversation.rated`, `lead.created`, `run.failed`, `usage.daily`, \
        `handoff.requested`. Each is POSTed as `{\"type\",\"timestamp\",\"data\"}` and signed \
        by the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, \
        `webhook-signature`) with the `secret` this answer holds and no other shows. The URL \
        is `https://` (`http://` only to a host the server's operator allows), without user \
        name or password, and within the server's egress policy. At most 10 endpoints an \
        organisation.",
    request_body = NewWebhookRequest,
    security(("admin_key" = [])),
    responses(
        (status = 201, body = WebhookWithSecret, links(
            ("getWebhook" = (operation_id = "getWebhook", parameters(("webhook" = "$response.body#/id")))),
            ("deleteWebhook" = (operation_id = "deleteWebhook", parameters(("webhook" = "$response.body#/id")))),
        )),
        (status = 400, description = "Malformed JSON or unknown fields (`invalid_json`, `invalid_body`); no or an unknown event type (`invalid_body`); a URL that is not https:// or outside the egress policy (`webhook_url_not_allowed`) or carries a user name or password (`credentials_in_url`)", body = ErrorBody),
        (status = 409, description = "The organisation has 10 endpoints already (`too_many_webhooks`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewWebhookRequest>,
) -> Result<(StatusCode, Json<WebhookWithSecret>), ApiError> {
    let created = ops::create(&state.db, &caller, &state.egress, &request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = "/v1/webhooks",
    operation_id = "listWebhooks",
    tag = "webhooks",
    summary = "The organisation's endpoints, oldest first, without their secrets",
    description = "Needs the `webhooks:write` scope.",
    security(("admin_key" = [])),
    responses((status = 200, body = WebhookList), AdminErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<WebhookList>, ApiError> {
    Ok(Json(ops::list(&state.db, &caller).await?))
}

#[utoipa::path(
    get,
    path = "/v1/webhooks/{webhook}",
    operation_id = "getWebhook",
    tag = "webhooks",
    summary = "An endpoint, without its secret",
    description = "Needs the `webhooks:write` scope.",
    params(("webhook" = String, Path, description = "Webhook endpoint id (`whk_…`)")),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = Webhook),
        (status = 404, description = "No such endpoint of the caller's organisation", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(ops::get(&state.db, &caller, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/v1/webhooks/{webhook}",
    operation_id = "updateWebhook",
    tag = "webhooks",
    summary = "Change an endpoint's URL or events",
    description = "Needs the `webhooks:write` scope. What is left out stays; the rules are \
        those of creating one. Deliveries already in the outbox go to the new URL.",
    params(("webhook" = String, Path, description = "Webhook endpoint id (`whk_…`)")),
    request_body = WebhookUpdate,
    security(("admin_key" = [])),
    responses(
        (status = 200, body = Webhook),
        (status = 400, description = "Malformed JSON, unknown fields, or a URL or events that break a rule", body = ErrorBody),
        (status = 404, description = "No such endpoint of the caller's organisation", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<WebhookUpdate>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(
        ops::update(&state.db, &caller, &state.egress, &id, &change).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/v1/webhooks/{webhook}",
    operation_id = "deleteWebhook",
    tag = "webhooks",
    summary = "Delete an endpoint: nothing more is sent to it",
    description = "Needs the `webhooks:write` scope. Its pending deliveries end `failed`.",
    params(("webhook" = String, Path, description = "Webhook endpoint id (`whk_…`)")),
    security(("admin_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint of the caller's organisation", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    ops::delete(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/webhooks/{webhook}/rotate-secret",
    operation_id = "rotateWebhookSecret",
    tag = "webhooks",
    summary = "A new signing secret, shown in this answer only",
    description = "Needs the `webhooks:write` scope. For 24 hours deliveries carry two \
        signatures, by the new secret and by the old (`v1,<new> v1,<old>`), so a receiver \
        verifies with either while the new one is deployed.",
    params(("webhook" = String, Path, description = "Webhook endpoint id (`whk_…`)")),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = WebhookWithSecret),
        (status = 404, description = "No such endpoint of the caller's organisation", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WebhookWithSecret>, ApiError> {
    Ok(Json(ops::rotate_secret(&state.db, &caller, &id).await?))
}

#[utoipa::path(
    get,
    path = "/v1/webhooks/{webhook}/deliveries",
    operation_id = "listWebhookDeliveries",
    tag = "webhooks",
    summary = "The endpoint's delivery log, newest first",
    description = "Needs the `webhooks:write` scope. Each delivery is one event for this \
        endpoint: `pending` (due at `nextAttemptAt`), `done` (answered 2xx) or `failed` (no \
        2xx for 24 hours, or the endpoint was deleted), with its attempts and the latest \
        answer's status or error. Kept 30 days. Pages by `before` (a page's `nextBefore`), \
        `limit` 1 to 200 (default 50).",
    params(
        ("webhook" = String, Path, description = "Webhook endpoint id (`whk_…`)"),
        DeliveryQuery,
    ),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = DeliveryPage),
        (status = 400, description = "A `limit` past 1 to 200, or an unknown parameter (`invalid_query`)", body = ErrorBody),
        (status = 404, description = "No such endpoint of the caller's organisation, or a `before` that is no delivery of it", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> Result<Json<DeliveryPage>, ApiError> {
    Ok(Json(
        ops::deliveries(&state.db, &caller, &id, &query).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/v1/webhooks/{webhook}/deliveries/{delivery}/resend",
    operation_id = "resendWebhookDelivery",
    tag = "webhooks",
    summary = "Send a delivery again, with the same id",
    description = "Needs the `webhooks:write` scope. The delivery starts over as `pending`, \
        due now and retried for another 24 hours, with the same payload and the same \
        `webhook-id`: Standard Webhooks' idempotency key, so a receiver that processed it \
        once may drop it.",
    params(
        ("webhook" = String, Path, description = "Webhook endpoint id (`whk_…`)"),
        ("delivery" = String, Path, description = "Delivery id (`whd_…`)"),
    ),
    security(("admin_key" = [])),
    responses(
        (status = 202, description = "Queued"),
        (status = 404, description = "No such endpoint of the caller's organisation, or no such delivery of it", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn resend(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, delivery)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    ops::resend(&state.db, &caller, &id, &delivery).await?;
    Ok(StatusCode::ACCEPTED)
}
