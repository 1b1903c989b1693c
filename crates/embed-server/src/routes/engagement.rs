//! A visitor's answers to what the widget asks besides chat (session token):
//! `POST /v1/threads/{thread}/lead` (contact details, once a conversation)
//! and `POST /v1/threads/{thread}/handoff` (asking for a person). Each counts
//! against the visitor's message limit, so a page cannot flood the
//! organisation's help desk.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sitekit_sdk::engagement::{HandoffRequested, LeadCreated, NewLead};
use sitekit_sdk::fields::ChatId;
use sitekit_sdk::wire::ErrorBody;

use crate::chat::session::SessionClaims;
use crate::client_ip::ClientIp;
use crate::engagement::ops;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, BearerToken};
use crate::keys::scopes::Scope;
use crate::routes::access::session_of;
use crate::routes::threads::check_thread_id;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/v1/threads/{thread}/lead",
    operation_id = "leaveLead",
    tag = "browser",
    summary = "The visitor leaves contact details in this conversation",
    description = "For a widget whose owner turned the contact form on: the fields it asks \
        for, consent given. One lead per conversation; it is stored with the conversation and \
        sent to the organisation's `lead.created` webhooks.",
    params(("thread" = ChatId, Path, description = "The threadId of the visitor's conversation")),
    request_body = NewLead,
    security(("session" = [])),
    responses(
        (status = 201, body = LeadCreated),
        (status = 400, description = "Malformed JSON, unknown fields, a field the form does not ask for, one it needs missing, an address that is not one, text too long or with control characters, consent not given (`invalid_lead`); a bad thread id (`invalid_thread`)", body = ErrorBody),
        (status = 401, description = "No session, or an invalid, expired or ended one", body = ErrorBody),
        (status = 403, description = "A session of another origin or without the chat scope; a widget without a contact form (`lead_form_off`) or disabled", body = ErrorBody),
        (status = 409, description = "The visitor left contact details in this conversation already (`lead_exists`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 429, description = "Too many requests from this address or visitor; see Retry-After", body = ErrorBody),
    )
)]
pub async fn lead(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    BearerToken(token): BearerToken,
    headers: HeaderMap,
    ApiPath(thread_id): ApiPath<String>,
    ApiJson(lead): ApiJson<NewLead>,
) -> Result<(StatusCode, Json<LeadCreated>), ApiError> {
    let claims = visitor(&state, client, &token, &headers, &thread_id).await?;
    let created = ops::leave_lead(&state.db, &claims, thread_id, lead).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    post,
    path = "/v1/threads/{thread}/handoff",
    operation_id = "requestHandoff",
    tag = "browser",
    summary = "The visitor asks for a person",
    description = "For a widget whose owner turned the \"talk to a person\" button on: the \
        organisation's `handoff.requested` webhooks get the conversation's transcript, once per \
        conversation; asking again answers with the first time.",
    params(("thread" = ChatId, Path, description = "The threadId of the visitor's conversation")),
    security(("session" = [])),
    responses(
        (status = 202, body = HandoffRequested),
        (status = 400, description = "A bad thread id (`invalid_thread`)", body = ErrorBody),
        (status = 401, description = "No session, or an invalid, expired or ended one", body = ErrorBody),
        (status = 403, description = "A session of another origin or without the chat scope; a widget without the button (`handoff_off`) or disabled", body = ErrorBody),
        (status = 429, description = "Too many requests from this address or visitor; see Retry-After", body = ErrorBody),
    )
)]
pub async fn handoff(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    BearerToken(token): BearerToken,
    headers: HeaderMap,
    ApiPath(thread_id): ApiPath<String>,
) -> Result<(StatusCode, Json<HandoffRequested>), ApiError> {
    let claims = visitor(&state, client, &token, &headers, &thread_id).await?;
    let requested = ops::ask_for_person(&state.db, &claims, thread_id).await?;
    Ok((StatusCode::ACCEPTED, Json(requested)))
}

/// The visitor's session, within its limits, for a valid thread id.
async fn visitor(
    state: &AppState,
    client: std::net::IpAddr,
    token: &str,
    headers: &HeaderMap,
    thread_id: &str,
) -> Result<SessionClaims, ApiError> {
    state.limits.request_from(client).await?;
    let claims = session_of(state, token, headers, Scope::Chat)?;
    check_thread_id(thread_id)?;
    state
        .limits
        .message_from(&claims.widget_id, &claims.visitor_id, 0)
        .await?;
    Ok(claims)
}
