//! `POST /v1/sessions`: a publishable key plus the page's origin buy a short-lived,
//! signed session token for the chat routes, a usage token for beacons, and the
//! visitor's id: the one presented if the server issued it, else a new one.

use axum::Json;
use axum::extract::State;
use sitekit_sdk::ErrorCode;
use sitekit_sdk::fields::VisitorId;
use sitekit_sdk::wire::{SessionRequest, SessionResponse};
use time::format_description::well_known::Rfc3339;

use crate::chat::session::SessionClaims;
use crate::client_ip::ClientIp;
use crate::db::now_unix;
use crate::error::ApiError;
use crate::extract::{ApiJson, RequestOrigin};
use crate::keys::scopes::{Scope, Scopes};
use crate::routes::access::widget_for_page;
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

#[utoipa::path(
    post,
    path = "/v1/sessions",
    operation_id = "createSession",
    tag = "browser",
    summary = "A short-lived session token for a page on an allowed origin",
    description = "The answer's `visitorId` is a credential the page keeps and sends again \
        for its next session, to stay the same visitor (its threads, its rate allowance). \
        A `visitorId` the server did not issue for this widget gets a new visitor id, not an \
        error. `usageToken` may only write usage events and is the one token accepted in a \
        URL (`POST /v1/usage/events?access_token=…`, for beacons).",
    request_body = SessionRequest,
    responses(
        (status = 200, body = SessionResponse),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Malformed, unknown, revoked or expired publishable key", body = ErrorBody),
        (status = 403, description = "No Origin, an origin not allowed, or the widget is disabled", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 429, description = "Too many requests or new sessions from this address, or new sessions for this widget; see Retry-After", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    RequestOrigin(origin): RequestOrigin,
    ApiJson(request): ApiJson<SessionRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    state.limits.request_from(client).await?;
    // Before any lookup: every new session may be a new visitor with a fresh
    // per-visitor allowance, so one address may start only so many.
    state.limits.session_from(client).await?;
    if let Some(id) = &request.visitor_id
        && !VisitorId::is_valid(id)
    {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidVisitorId,
            "visitorId may have at most 128 characters",
        ));
    }
    let (widget, key) = widget_for_page(&state, &request.publishable_key, &origin).await?;
    state.limits.session_for_key(&key.id).await?;
    let visitor = state
        .visitors
        .recognise(&widget.id, request.visitor_id.as_deref());
    let expires = now_unix() + state.session_ttl.as_secs() as i64;
    let claims = SessionClaims {
        tenant_id: widget.tenant_id,
        widget_id: widget.id,
        key_id: key.id,
        key_generation: key.generation,
        visitor_id: visitor.public_id,
        origin: origin.to_string(),
        scopes: key.scopes,
        expires_at: expires,
    };
    // The same session, able to do one thing: what a beacon's URL may carry.
    let usage_claims = SessionClaims {
        scopes: Scopes::of(&[Scope::UsageBeacon]),
        ..claims.clone()
    };
    let expires_at = time::OffsetDateTime::from_unix_timestamp(expires)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| ApiError::Internal("session expiry out of range".into()))?;
    let signer = state.signer.get();
    Ok(Json(SessionResponse {
        token: signer.sign(&claims),
        expires_at,
        visitor_id: visitor.credential,
        usage_token: signer.sign(&usage_claims),
    }))
}
