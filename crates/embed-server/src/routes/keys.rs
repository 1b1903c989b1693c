//! Admin keys (`keys:write`): list the tenant's keys, create secret and
//! restricted keys (shown once), rotate, revoke, read a key's audit trail.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::admin::{CreatedKey, KeyEventList, KeyList, NewKeyRequest, RotateKeyRequest};
use sitekit_sdk::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::keys::{Caller, ops};
use crate::openapi::AdminErrors;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/v1/keys",
    operation_id = "listKeys",
    tag = "keys",
    summary = "The tenant's keys, in display form only",
    description = "Needs the `keys:write` scope.",
    security(("admin_key" = [])),
    responses(
        (status = 200, body = KeyList),
        AdminErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<KeyList>, ApiError> {
    let keys = ops::list(&state.db, &caller, None).await?;
    Ok(Json(KeyList { keys }))
}

#[utoipa::path(
    post,
    path = "/v1/keys",
    operation_id = "createKey",
    tag = "keys",
    summary = "Create a secret or restricted key; the key is shown only in this answer",
    description = "Needs the `keys:write` scope, and every scope the new key gets: a key \
        grants only scopes it holds, only a secret key makes a secret key, and a key made by \
        a key that expires expires no later than it.",
    request_body = NewKeyRequest,
    security(("admin_key" = [])),
    responses(
        (status = 201, body = CreatedKey, links(
            ("listKeyEvents" = (operation_id = "listKeyEvents", parameters(("key" = "$response.body#/id")))),
            ("rotateKey" = (operation_id = "rotateKey", parameters(("key" = "$response.body#/id")))),
            ("revokeKey" = (operation_id = "revokeKey", parameters(("key" = "$response.body#/id")))),
        )),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let created = ops::create(&state.db, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    post,
    path = "/v1/keys/{key}/revoke",
    operation_id = "revokeKey",
    tag = "keys",
    summary = "Revoke a key; its sessions end",
    description = "Needs the `keys:write` scope; a secret key can be revoked only with a secret key.",
    params(
        ("key" = String, Path, description = "Key id (`key_…`)"),
    ),
    security(("admin_key" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key of the caller's tenant", body = ErrorBody),
        (status = 409, description = "The key was revoked already (`key_revoked`)", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    ops::revoke(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/keys/{key}/rotate",
    operation_id = "rotateKey",
    tag = "keys",
    summary = "Replace a key; the old one works for the grace period. The new key is shown only in this answer",
    description = "Needs the `keys:write` scope, and every scope of the key: a secret key is \
        rotated only with a secret key, a widget's publishable key with `widgets:write`. The \
        new key expires no later than the caller's own key.",
    params(
        ("key" = String, Path, description = "Key id (`key_…`)"),
    ),
    request_body = RotateKeyRequest,
    security(("admin_key" = [])),
    responses(
        (status = 201, body = CreatedKey, links(
            ("listKeyEvents" = (operation_id = "listKeyEvents", parameters(("key" = "$response.body#/id")))),
            ("rotateKey" = (operation_id = "rotateKey", parameters(("key" = "$response.body#/id")))),
            ("revokeKey" = (operation_id = "revokeKey", parameters(("key" = "$response.body#/id")))),
        )),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such key of the caller's tenant", body = ErrorBody),
        (status = 409, description = "The key was revoked (`key_revoked`) or has expired (`key_expired`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<RotateKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let created = ops::rotate(&state.db, &caller, &id, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// A key's audit trail. Revoked and expired keys keep theirs; another tenant's
/// key is indistinguishable from one that does not exist.
#[utoipa::path(
    get,
    path = "/v1/keys/{key}/events",
    operation_id = "listKeyEvents",
    tag = "keys",
    summary = "A key's audit trail: created, rotated, revoked, by whom, when",
    description = "Needs the `keys:write` scope.",
    params(("key" = String, Path, description = "Key id (`key_…`)")),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = KeyEventList),
        (status = 404, description = "No such key of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<KeyEventList>, ApiError> {
    Ok(Json(ops::events(&state.db, &caller, &id).await?))
}
