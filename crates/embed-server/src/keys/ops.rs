//! The key operations, once for every caller (`routes/keys.rs` and the local
//! command line): list, create, rotate, revoke, read the audit trail. Each
//! takes the caller's scope and grants; a key of another tenant answers
//! exactly like one that does not exist.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::admin::{
    AdminKeyKind, CreatedKey, KeyEventList, KeySummary, NewKeyRequest, RotateKeyRequest,
};
use sitekit_sdk::fields::KeyName;

use crate::db::{DAY_SECS, Db, now_unix};
use crate::error::ApiError;
use crate::keys::caller::Caller;
use crate::keys::scopes::{self, Scope};
use crate::keys::{
    DEFAULT_ROTATION_GRACE_SECS, KeyKind, KeyListing, KeyMode, MAX_ROTATION_GRACE_SECS,
    NewAdminKey, earlier_expiry,
};
use crate::setting_rules::one_line_text;

/// The caller's keys, optionally one widget's only.
pub async fn list(
    db: &Db,
    caller: &Caller,
    widget: Option<&str>,
) -> Result<Vec<KeySummary>, ApiError> {
    caller.require(Scope::KeysWrite)?;
    let keys = db.list_keys(caller.scope(), widget).await?;
    Ok(keys.into_iter().map(KeySummary::from).collect())
}

/// A new secret or restricted key of the caller's tenant, shown only here. A
/// caller grants only scopes it holds, and a key made by a key that expires
/// expires no later than it.
pub async fn create(
    db: &Db,
    caller: &Caller,
    request: NewKeyRequest,
) -> Result<CreatedKey, ApiError> {
    caller.require(Scope::KeysWrite)?;
    let kind = match request.kind {
        AdminKeyKind::Secret => KeyKind::Secret,
        AdminKeyKind::Restricted => KeyKind::Restricted,
    };
    let listed = request.scopes.map(|scopes| scopes.join(" "));
    let scopes = scopes::for_new_key(kind, listed.as_deref())
        .map_err(|why| ApiError::bad_request(ErrorCode::InvalidScopes, why))?;
    caller.may_grant(kind, scopes)?;
    let requested_expiry = request
        .expires_in_days
        .map(|days| now_unix() + i64::from(days) * DAY_SECS);
    let name = request
        .name
        .as_deref()
        .map(|name| one_line_text("a key's name", name, KeyName::MAX_CHARS))
        .transpose()
        .map_err(|error| ApiError::bad_request(ErrorCode::InvalidSetting, error.0))?;
    let (id, key) = db
        .create_admin_key(NewAdminKey {
            tenant_id: caller.tenant()?.as_str(),
            kind,
            mode: KeyMode::of_test_mode(request.test_mode),
            scopes,
            expires_at: earlier_expiry(requested_expiry, caller.expires_at()),
            actor: &caller.actor(),
            name: name.as_deref(),
        })
        .await?;
    Ok(CreatedKey {
        id,
        key: key.expose().to_owned(),
        scopes: scopes.names(),
    })
}

/// Replaces a key; the old one works for the grace period (at most 30 days).
/// The new key is shown only here and expires no later than the caller's own.
pub async fn rotate(
    db: &Db,
    caller: &Caller,
    id: &str,
    request: RotateKeyRequest,
) -> Result<CreatedKey, ApiError> {
    caller.require(Scope::KeysWrite)?;
    let grace = request.grace_seconds.unwrap_or(DEFAULT_ROTATION_GRACE_SECS);
    if grace > MAX_ROTATION_GRACE_SECS {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidGrace,
            format!("graceSeconds may be at most {MAX_ROTATION_GRACE_SECS} (30 days)"),
        ));
    }
    let target = unrevoked(db, caller, id).await?;
    if !target.is_active(now_unix()) {
        return Err(ApiError::conflict(
            ErrorCode::KeyExpired,
            format!("key {id} has expired; a key that no longer works cannot be rotated"),
        ));
    }
    caller.may_grant(target.kind, target.scopes)?;
    let rotated = db
        .rotate_key(
            caller.scope(),
            id,
            grace,
            caller.expires_at(),
            &caller.actor(),
        )
        .await?
        // Revoked or expired meanwhile.
        .ok_or_else(|| revoked(id))?;
    Ok(CreatedKey {
        id: rotated.id,
        key: rotated.key.expose().to_owned(),
        scopes: rotated.scopes.names(),
    })
}

/// Revokes a key; its sessions end. Only a secret key revokes a secret key.
pub async fn revoke(db: &Db, caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.require(Scope::KeysWrite)?;
    let target = unrevoked(db, caller, id).await?;
    caller.may_revoke(target.kind)?;
    if db.revoke_key(caller.scope(), id, &caller.actor()).await? {
        Ok(())
    } else {
        // Revoked by another request meanwhile.
        Err(revoked(id))
    }
}

/// A key's audit trail. Revoked and expired keys keep theirs.
pub async fn events(db: &Db, caller: &Caller, id: &str) -> Result<KeyEventList, ApiError> {
    caller.require(Scope::KeysWrite)?;
    if !db.key_exists(caller.scope(), id).await? {
        return Err(ApiError::NotFound(format!("no key with id {id}")));
    }
    let events = db.key_events(id).await?;
    Ok(KeyEventList {
        key_id: id.to_owned(),
        events: events.into_iter().map(Into::into).collect(),
    })
}

/// The caller's key `id`, which must not be revoked.
async fn unrevoked(db: &Db, caller: &Caller, id: &str) -> Result<KeyListing, ApiError> {
    let target = db
        .key(caller.scope(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no active key with id {id}")))?;
    if target.revoked {
        return Err(revoked(id));
    }
    Ok(target)
}

/// A revoked key exists (its audit trail can be read) but cannot change.
fn revoked(id: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::KeyRevoked,
        format!("no active key with id {id}: it has been revoked"),
    )
}
