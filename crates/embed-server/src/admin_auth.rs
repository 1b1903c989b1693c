//! Who is calling the admin API: a secret or restricted key in
//! `Authorization: Bearer`, resolved to its tenant and scopes.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::client_ip::ClientIp;
use crate::db::now_unix;
use crate::error::ApiError;
use crate::extract::BearerToken;
use crate::keys::scopes;
use crate::keys::{KeyKind, ParsedKey};
use crate::state::AppState;
use crate::tenants::TenantScope;

/// An authenticated admin caller. Every query it makes is scoped to `tenant_id`.
#[derive(Debug, Clone)]
pub struct AdminCaller {
    pub key_id: String,
    pub tenant_id: String,
    kind: KeyKind,
    scopes: String,
    /// When the calling key stops working, if it does.
    pub expires_at: Option<i64>,
}

impl AdminCaller {
    /// What the caller's queries reach: its own tenant's rows, never another's.
    pub fn scope(&self) -> TenantScope {
        TenantScope::Tenant(self.tenant_id.clone())
    }

    /// How the audit trail names this caller.
    pub fn actor(&self) -> String {
        format!("key:{}", self.key_id)
    }

    /// 403 `missing_scope` unless this key may create or rotate a key of
    /// `target` kind with `target_scopes` (see [`scopes::may_grant`]).
    pub fn may_grant(&self, target: KeyKind, target_scopes: &str) -> Result<(), ApiError> {
        scopes::may_grant((self.kind, &self.scopes), target, target_scopes).map_err(refused)
    }

    /// 403 `missing_scope` unless this key may revoke a key of `target` kind.
    pub fn may_revoke(&self, target: KeyKind) -> Result<(), ApiError> {
        scopes::may_revoke(self.kind, target).map_err(refused)
    }

    /// 403 naming the scope when the key lacks it.
    pub fn require(&self, scope: &'static str) -> Result<(), ApiError> {
        if scopes::includes(&self.scopes, scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "missing_scope",
                format!("this key lacks the `{scope}` scope"),
            ))
        }
    }
}

impl<S> FromRequestParts<S> for AdminCaller
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
            ApiError::unauthorized("invalid_key", format!("the key is not valid: {error}"))
        })?;
        if key.kind == KeyKind::Publishable {
            return Err(ApiError::unauthorized(
                "invalid_key",
                "the admin API takes secret (skt_sec_…) or restricted (skt_rst_…) keys",
            ));
        }
        let record = state
            .db
            .admin_key(&key)
            .await?
            .ok_or_else(|| ApiError::unauthorized("invalid_key", "no such key"))?;
        if record.revoked {
            return Err(ApiError::unauthorized(
                "key_revoked",
                "this key has been revoked",
            ));
        }
        if record.expires_at.is_some_and(|at| at <= now_unix()) {
            return Err(ApiError::unauthorized(
                "key_expired",
                "this key has expired",
            ));
        }
        state.limits.admin_request(&record.id)?;
        Ok(AdminCaller {
            key_id: record.id,
            tenant_id: record.tenant_id,
            kind: key.kind,
            scopes: record.scopes,
            expires_at: record.expires_at,
        })
    }
}

fn refused(error: scopes::GrantError) -> ApiError {
    ApiError::forbidden("missing_scope", error.to_string())
}
