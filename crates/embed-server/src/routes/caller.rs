//! Who is calling the admin API or the operator's API: a key in
//! `Authorization: Bearer`, checked after a per-address limit and before any
//! operation. An organisation's secret or restricted key becomes a
//! [`Caller`] (its tenant and scopes); an operator key an [`OperatorCaller`].
//! Neither kind opens the other's routes.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use sitekit_sdk::ErrorCode;

use crate::client_ip::ClientIp;
use crate::db::now_unix;
use crate::error::ApiError;
use crate::extract::BearerToken;
use crate::keys::{Caller, KeyKind, ParsedKey};
use crate::operator::OperatorCaller;
use crate::state::AppState;

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (state, key) = presented_key(parts, state).await?;
        match key.kind {
            KeyKind::Secret | KeyKind::Restricted => {}
            KeyKind::Publishable => {
                return Err(wrong_kind(
                    "the admin API takes secret (skt_sec_…) or restricted (skt_rst_…) keys",
                ));
            }
            KeyKind::Operator => {
                return Err(wrong_kind(
                    "an operator key (skt_op_…) opens only the operator's API, /v1/operator/…; \
                     make the organisation a key of its own there",
                ));
            }
        }
        let record = state.db.admin_key(&key).await?.ok_or_else(no_such_key)?;
        usable(record.revoked, record.expires_at)?;
        state.limits.admin_request(&record.id)?;
        Ok(Caller::key(record, key.kind))
    }
}

impl<S> FromRequestParts<S> for OperatorCaller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (state, key) = presented_key(parts, state).await?;
        if key.kind != KeyKind::Operator {
            return Err(wrong_kind(
                "the operator's API takes operator keys (skt_op_…), which `sitekit operator-keys \
                 create` makes on the server's machine",
            ));
        }
        let record = state.db.operator_key(&key).await?.ok_or_else(no_such_key)?;
        usable(record.revoked, record.expires_at)?;
        state.limits.admin_request(&record.id)?;
        Ok(OperatorCaller::key(record))
    }
}

/// The key in the request, well formed, once the address is within its limit.
async fn presented_key<S>(parts: &mut Parts, state: &S) -> Result<(AppState, ParsedKey), ApiError>
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    let ClientIp(client) = ClientIp::from_request_parts(parts, state).await?;
    let state = AppState::from_ref(state);
    state.limits.admin_request_from(client)?;
    let BearerToken(token) = BearerToken::from_request_parts(parts, &state).await?;
    let key = ParsedKey::parse(&token).map_err(|error| {
        ApiError::unauthorized(
            ErrorCode::InvalidKey,
            format!("the key is not valid: {error}"),
        )
    })?;
    Ok((state, key))
}

fn wrong_kind(message: &str) -> ApiError {
    ApiError::unauthorized(ErrorCode::InvalidKey, message)
}

fn no_such_key() -> ApiError {
    ApiError::unauthorized(ErrorCode::InvalidKey, "no such key")
}

/// 401 unless a key found is neither revoked nor expired.
fn usable(revoked: bool, expires_at: Option<i64>) -> Result<(), ApiError> {
    if revoked {
        return Err(ApiError::unauthorized(
            ErrorCode::KeyRevoked,
            "this key has been revoked",
        ));
    }
    if expires_at.is_some_and(|at| at <= now_unix()) {
        return Err(ApiError::unauthorized(
            ErrorCode::KeyExpired,
            "this key has expired",
        ));
    }
    Ok(())
}
