//! Admin keys (`keys:write`): list the tenant's keys, create secret and
//! restricted keys (shown once), rotate, revoke, read a key's audit trail.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::admin::{
    AdminKeyKind, CreatedKey, KeyEventList, KeyList, KeySummary, NewKeyRequest, RotateKeyRequest,
};

use crate::admin_auth::AdminCaller;
use crate::db::now_unix;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::keys::scopes;
use crate::keys::{
    DEFAULT_ROTATION_GRACE_SECS, KeyListing, MAX_ROTATION_GRACE_SECS, NewAdminKey, earlier_expiry,
};
use crate::keys::{KeyKind, KeyMode};
use crate::openapi::AdminErrors;
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

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
    caller: AdminCaller,
) -> Result<Json<KeyList>, ApiError> {
    caller.require("keys:write")?;
    let keys = state.db.list_keys(&caller.scope(), None).await?;
    Ok(Json(KeyList {
        keys: keys.into_iter().map(KeySummary::from).collect(),
    }))
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
    caller: AdminCaller,
    ApiJson(request): ApiJson<NewKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    caller.require("keys:write")?;
    let kind = match request.kind {
        AdminKeyKind::Secret => KeyKind::Secret,
        AdminKeyKind::Restricted => KeyKind::Restricted,
    };
    let listed = request.scopes.map(|scopes| scopes.join(" "));
    let scopes = scopes::for_new_key(kind, listed.as_deref())
        .map_err(|why| ApiError::bad_request("invalid_scopes", why))?;
    caller.may_grant(kind, &scopes)?;
    let requested_expiry = request
        .expires_in_days
        .map(|days| now_unix() + i64::from(days) * 86_400);
    let (id, key) = state
        .db
        .create_admin_key(NewAdminKey {
            tenant_id: &caller.tenant_id,
            kind,
            mode: if request.test_mode {
                KeyMode::Test
            } else {
                KeyMode::Live
            },
            scopes: &scopes,
            expires_at: earlier_expiry(requested_expiry, caller.expires_at),
            actor: &caller.actor(),
        })
        .await?;
    let created = CreatedKey {
        id,
        key: key.expose().to_owned(),
        scopes: scopes.split(' ').map(str::to_owned).collect(),
    };
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
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("keys:write")?;
    let target = unrevoked_key(&state, &caller, &id).await?;
    caller.may_revoke(kind_of(&target)?)?;
    if state
        .db
        .revoke_key(&caller.scope(), &id, &caller.actor())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        // Revoked by another request meanwhile.
        Err(revoked(&id))
    }
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
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<RotateKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    caller.require("keys:write")?;
    let grace = request.grace_seconds.unwrap_or(DEFAULT_ROTATION_GRACE_SECS);
    if grace > MAX_ROTATION_GRACE_SECS {
        return Err(ApiError::bad_request(
            "invalid_grace",
            format!("graceSeconds may be at most {MAX_ROTATION_GRACE_SECS} (30 days)"),
        ));
    }
    let target = unrevoked_key(&state, &caller, &id).await?;
    if !target.is_active(now_unix()) {
        return Err(ApiError::conflict(
            "key_expired",
            format!("key {id} has expired; a key that no longer works cannot be rotated"),
        ));
    }
    caller.may_grant(kind_of(&target)?, &target.scopes)?;
    let rotated = state
        .db
        .rotate_key(
            &caller.scope(),
            &id,
            grace,
            caller.expires_at,
            &caller.actor(),
        )
        .await?
        // Revoked or expired meanwhile.
        .ok_or_else(|| revoked(&id))?;
    let created = CreatedKey {
        id: rotated.id,
        key: rotated.key.expose().to_owned(),
        scopes: rotated.scopes.split(' ').map(str::to_owned).collect(),
    };
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
    caller: AdminCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<KeyEventList>, ApiError> {
    caller.require("keys:write")?;
    if !state.db.key_exists(&caller.scope(), &id).await? {
        return Err(ApiError::NotFound(format!("no key {id}")));
    }
    let events = state.db.key_events(&id).await?;
    Ok(Json(KeyEventList {
        key_id: id,
        events: events.into_iter().map(Into::into).collect(),
    }))
}

/// The caller's key `id`, which must not be revoked.
async fn unrevoked_key(
    state: &AppState,
    caller: &AdminCaller,
    id: &str,
) -> Result<KeyListing, ApiError> {
    let target = state
        .db
        .key(&caller.scope(), id)
        .await?
        .ok_or_else(|| no_key(id))?;
    if target.revoked {
        return Err(revoked(id));
    }
    Ok(target)
}

fn no_key(id: &str) -> ApiError {
    ApiError::NotFound(format!("no key {id}"))
}

/// A revoked key exists (its audit trail can be read) but cannot change.
fn revoked(id: &str) -> ApiError {
    ApiError::conflict("key_revoked", format!("key {id} has been revoked"))
}

fn kind_of(key: &KeyListing) -> Result<KeyKind, ApiError> {
    KeyKind::parse(&key.kind)
        .ok_or_else(|| ApiError::Internal(format!("key {} has an unknown kind", key.id)))
}
