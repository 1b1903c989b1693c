//! Admin keys (`keys:write`): list the tenant's keys, create secret and
//! restricted keys (shown once), rotate, revoke, read a key's audit trail.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use sitekit_sdk::admin::{
    AdminKeyKind, CreatedKey, KeyEventList, KeyList, KeySummary, NewKeyRequest, RotateKeyRequest,
};

use crate::admin_auth::AdminCaller;
use crate::db::{DEFAULT_ROTATION_GRACE_SECS, MAX_ROTATION_GRACE_SECS, NewAdminKey, now_unix};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::keys::{KeyKind, KeyMode};
use crate::scopes;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Json<KeyList>, ApiError> {
    caller.require("keys:write")?;
    let keys = state.db.list_keys(Some(&caller.tenant_id), None).await?;
    Ok(Json(KeyList {
        keys: keys.into_iter().map(KeySummary::from).collect(),
    }))
}

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
            expires_at: request
                .expires_in_days
                .map(|days| now_unix() + i64::from(days) * 86_400),
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

pub async fn revoke(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("keys:write")?;
    if state
        .db
        .revoke_key(Some(&caller.tenant_id), &id, &caller.actor())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no active key {id}")))
    }
}

pub async fn rotate(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
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
    let rotated = state
        .db
        .rotate_key(Some(&caller.tenant_id), &id, grace, &caller.actor())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no active key {id}")))?;
    let created = CreatedKey {
        id: rotated.id,
        key: rotated.key.expose().to_owned(),
        scopes: rotated.scopes.split(' ').map(str::to_owned).collect(),
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// A key's audit trail. Revoked and expired keys keep theirs; another tenant's
/// key is indistinguishable from one that does not exist.
pub async fn events(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
) -> Result<Json<KeyEventList>, ApiError> {
    caller.require("keys:write")?;
    if !state.db.key_exists(Some(&caller.tenant_id), &id).await? {
        return Err(ApiError::NotFound(format!("no key {id}")));
    }
    let events = state.db.key_events(&id).await?;
    Ok(Json(KeyEventList {
        key_id: id,
        events: events.into_iter().map(Into::into).collect(),
    }))
}
