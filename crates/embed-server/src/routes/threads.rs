//! `GET /v1/threads/<id>`: a returning visitor's conversation, for the session of
//! that same visitor and widget only.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use sitekit_sdk::ErrorCode;
use sitekit_sdk::fields::ChatId;
use sitekit_sdk::wire::{ErrorBody, ThreadMessages};

use crate::chat::ThreadKey;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::{ApiPath, BearerToken};
use crate::keys::scopes::Scope;
use crate::routes::access::session_of;
use crate::state::AppState;

/// The newest messages of a thread a visitor gets back.
const MESSAGES_SHOWN: i64 = 200;
const MAX_THREAD_ID_CHARS: usize = ChatId::MAX_CHARS;

#[utoipa::path(
    get,
    path = "/v1/threads/{thread}",
    operation_id = "getThread",
    tag = "browser",
    summary = "The visitor's own conversation on this thread, oldest first",
    description = "Kept for the server's retention period. Another visitor's thread \
        (or one that does not exist) answers with no messages.",
    params(("thread" = ChatId, Path, description = "The threadId the visitor's runs used")),
    security(("session" = [])),
    responses(
        (status = 200, body = ThreadMessages),
        (status = 400, description = "A thread id that is empty, too long or has control characters", body = ErrorBody),
        (status = 401, description = "No session, or an invalid, expired or ended one", body = ErrorBody),
        (status = 403, description = "A session of another origin or without the chat scope", body = ErrorBody),
        (status = 404, description = "A thread id that is not UTF-8 text once percent-decoded", body = ErrorBody),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    BearerToken(token): BearerToken,
    headers: HeaderMap,
    ApiPath(thread_id): ApiPath<String>,
) -> Result<Json<ThreadMessages>, ApiError> {
    state.limits.request_from(client).await?;
    let claims = session_of(&state, &token, &headers, Scope::Chat)?;
    check_thread_id(&thread_id)?;
    // Keyed by the session's widget and visitor: a guessed id finds nothing.
    let thread = ThreadKey {
        widget_id: claims.widget_id,
        visitor_id: claims.visitor_id,
        thread_id,
    };
    let messages = state.db.thread_messages(&thread, MESSAGES_SHOWN).await?;
    Ok(Json(ThreadMessages {
        thread_id: thread.thread_id,
        messages,
    }))
}

/// A thread id as the chat route takes them: 1 to 128 characters, none a
/// control character (no thread has one, and PostgreSQL cannot even compare
/// a NUL).
pub fn check_thread_id(thread_id: &str) -> Result<(), ApiError> {
    if thread_id.is_empty() || thread_id.chars().count() > MAX_THREAD_ID_CHARS {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidThread,
            format!("a thread id has 1 to {MAX_THREAD_ID_CHARS} characters"),
        ));
    }
    if thread_id.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidThread,
            "a thread id has no control characters",
        ));
    }
    Ok(())
}
