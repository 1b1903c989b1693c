//! The organisation's audit trail: `GET /v1/audit` for owners, and the layer
//! that records every write to the admin API (`record_writes`) as its
//! caller's doing.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sitekit_sdk::ErrorCode;
use sitekit_sdk::wire::ErrorBody;
use utoipa::{IntoParams, ToSchema};

use crate::audit::{self, AuditEvent, MAX_PAGE, Pending};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::state::AppState;

/// The longest path recorded; longer ones are cut (a path names a resource
/// at most a few ids deep).
const PATH_MAX: usize = 512;

/// Records each write (any method but GET, HEAD, OPTIONS) whose caller the
/// caller extractor identified, with the status it was answered with: refused
/// attempts are in the trail too.
pub async fn record_writes(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let pending = Pending::default();
    request.extensions_mut().insert(pending.clone());
    let method = request.method().as_str().to_owned();
    let path: String = request.uri().path().chars().take(PATH_MAX).collect();
    let response = next.run(request).await;
    pending
        .record(&state.db, &method, &path, response.status().as_u16())
        .await;
    response
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// How many events, newest first (default 100, at most 500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// Only events before this time (Unix milliseconds): the `at` of the
    /// last event of the page before, for the next page.
    #[param(minimum = 0)]
    before: Option<i64>,
}

/// One write to the admin API.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// When (Unix milliseconds).
    at: i64,
    /// `person:<sub>` (a signed-in member) or `key:<id>`.
    actor: String,
    method: String,
    /// What was written to (the path, without the query).
    path: String,
    /// What the server answered: 2xx done, 4xx refused.
    status: u16,
    /// The client's address.
    address: String,
}

impl From<AuditEvent> for AuditEntry {
    fn from(event: AuditEvent) -> Self {
        AuditEntry {
            at: event.at,
            actor: event.actor,
            method: event.method,
            path: event.path,
            status: event.status,
            address: event.address,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditTrail {
    events: Vec<AuditEntry>,
}

#[utoipa::path(
    get,
    path = "/v1/audit",
    operation_id = "auditTrail",
    tag = "members",
    summary = "Who wrote what through the admin API, when, from where: newest first",
    description = "Every write (POST, PATCH, DELETE) of the organisation's people and keys, \
        with the status it was answered with. Needs the `members:write` scope (owners, secret \
        keys).",
    params(AuditQuery),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = AuditTrail),
        (status = 400, description = "A malformed query, a `limit` past 1 to 500, or a negative `before`", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn trail(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditTrail>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) || query.before.is_some_and(|before| before < 0) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            format!("`limit` is 1 to {MAX_PAGE}, and `before` a time in Unix milliseconds"),
        ));
    }
    let events = audit::trail(&state.db, &caller, limit, query.before).await?;
    Ok(Json(AuditTrail {
        events: events.into_iter().map(AuditEntry::from).collect(),
    }))
}
