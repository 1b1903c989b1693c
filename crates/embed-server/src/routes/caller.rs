//! Who is calling the admin API: a secret or restricted key in
//! `Authorization: Bearer`, resolved to a [`Caller`] (its tenant and scopes)
//! after a per-address limit and before any operation.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use sitekit_sdk::ErrorCode;

use crate::client_ip::ClientIp;
use crate::db::now_unix;
use crate::error::ApiError;
use crate::extract::BearerToken;
use crate::keys::{Caller, KeyKind, ParsedKey};
use crate::state::AppState;

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
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
        if key.kind == KeyKind::Publishable {
            return Err(ApiError::unauthorized(
                ErrorCode::InvalidKey,
                "the admin API takes secret (skt_sec_…) or restricted (skt_rst_…) keys",
            ));
        }
        let record = state
            .db
            .admin_key(&key)
            .await?
            .ok_or_else(|| ApiError::unauthorized(ErrorCode::InvalidKey, "no such key"))?;
        if record.revoked {
            return Err(ApiError::unauthorized(
                ErrorCode::KeyRevoked,
                "this key has been revoked",
            ));
        }
        if record.expires_at.is_some_and(|at| at <= now_unix()) {
            return Err(ApiError::unauthorized(
                ErrorCode::KeyExpired,
                "this key has expired",
            ));
        }
        state.limits.admin_request(&record.id)?;
        Ok(Caller::key(record, key.kind))
    }
}
