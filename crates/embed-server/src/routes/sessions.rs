//! `POST /v1/sessions`: a publishable key plus the page's origin buy a short-lived,
//! signed session token for the chat routes.

use axum::Json;
use axum::extract::State;
use sitekit_sdk::fields::VisitorId;
use sitekit_sdk::wire::{SessionRequest, SessionResponse};
use time::format_description::well_known::Rfc3339;

use crate::access::widget_for_page;
use crate::client_ip::ClientIp;
use crate::db::now_unix;
use crate::error::ApiError;
use crate::extract::{ApiJson, RequestOrigin};
use crate::keys::random_base62;
use crate::session::SessionClaims;
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

#[utoipa::path(
    post,
    path = "/v1/sessions",
    operation_id = "createSession",
    tag = "browser",
    summary = "A short-lived session token for a page on an allowed origin",
    request_body = SessionRequest,
    responses(
        (status = 200, body = SessionResponse),
        (status = 400, description = "Malformed body or visitor id", body = ErrorBody),
        (status = 401, description = "Malformed, unknown, revoked or expired publishable key", body = ErrorBody),
        (status = 403, description = "No Origin, an origin not allowed, or the widget is disabled", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 429, description = "Too many requests from this address or new sessions for this widget; see Retry-After", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    RequestOrigin(origin): RequestOrigin,
    ApiJson(request): ApiJson<SessionRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    state.limits.request_from(client)?;
    let visitor_id = match request.visitor_id {
        Some(id) if VisitorId::is_valid(&id) => id,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_visitor_id",
                "visitorId must be 1 to 64 letters, digits, '-' or '_'",
            ));
        }
        None => format!("vis_{}", random_base62(22)),
    };
    let (widget, key) = widget_for_page(&state, &request.publishable_key, &origin).await?;
    state.limits.session_for_key(&key.id)?;
    let expires = now_unix() + state.session_ttl.as_secs() as i64;
    let claims = SessionClaims {
        tn: widget.tenant_id,
        wg: widget.id,
        ky: key.id,
        kg: key.generation,
        vi: visitor_id.clone(),
        or: origin.to_string(),
        sc: key.scopes,
        ex: expires,
    };
    let expires_at = time::OffsetDateTime::from_unix_timestamp(expires)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| ApiError::Internal("session expiry out of range".into()))?;
    Ok(Json(SessionResponse {
        token: state.signer.get().sign(&claims),
        expires_at,
        visitor_id,
    }))
}
