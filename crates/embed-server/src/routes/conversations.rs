//! The inbox (`conversations:read`): `GET /v1/conversations` (a filtered page,
//! newest first), `GET /v1/conversations/{id}` (a transcript with its runs),
//! `GET /v1/conversations/export` (the filtered set as JSON Lines, streamed a
//! page at a time); and deleting (`widgets:write` too):
//! `DELETE /v1/conversations/{id}` and, for a data-subject request,
//! `DELETE /v1/visitors/{visitor}/conversations`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sitekit_sdk::conversations::{
    Conversation, ConversationPage, ConversationQuery, VisitorDeletion,
};
use sitekit_sdk::wire::ErrorBody;

use crate::conversations::{ConversationFilter, PageCursor, ops};
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::routes::export_body::{PagedExport, streamed};
use crate::state::AppState;
use crate::tenants::TenantScope;

/// Conversations an export reads per database round trip.
const EXPORT_PAGE: i64 = 100;

#[utoipa::path(
    get,
    path = "/v1/conversations",
    operation_id = "listConversations",
    tag = "conversations",
    summary = "The conversations visitors had with the organisation's widgets, newest first",
    description = "Needs the `conversations:read` scope. Each conversation is one visitor's \
        thread with one widget, while any of its messages is kept (the server's thread \
        retention): its first and latest message, messages, runs, outcome (`errored` when a \
        run ended in an error, `visitor_left` when the visitor left the latest answer, else \
        `answered`), the agent version of the latest run and the ratings of its answers. \
        Pages by `cursor` (a page's `nextCursor`), `limit` 1 to 200 (default 50).",
    params(ConversationQuery),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = ConversationPage),
        (status = 400, description = "A malformed day or cursor, `from` after `to`, `q` over 200 characters, a `limit` past 1 to 200, or an unknown parameter (`invalid_query`)", body = ErrorBody),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ConversationQuery>,
) -> Result<Json<ConversationPage>, ApiError> {
    Ok(Json(ops::list(&state.db, &caller, &query).await?))
}

#[utoipa::path(
    get,
    path = "/v1/conversations/{conversation}",
    operation_id = "getConversation",
    tag = "conversations",
    summary = "A conversation's transcript, with each run's outcome, tokens, times and rating",
    description = "Needs the `conversations:read` scope. The transcript is the text as the \
        visitor and the agent wrote it: the agent's Markdown is to be rendered as text, never \
        as HTML.",
    params(("conversation" = String, Path, description = "Conversation id (`cnv_…`)")),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = Conversation),
        (status = 404, description = "No such conversation of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Conversation>, ApiError> {
    Ok(Json(ops::get(&state.db, &caller, &id).await?))
}

#[utoipa::path(
    delete,
    path = "/v1/conversations/{conversation}",
    operation_id = "deleteConversation",
    tag = "conversations",
    summary = "Delete a conversation: its messages, ratings and lead",
    description = "Needs the `conversations:read` and `widgets:write` scopes. The run records \
        (what is billed) stay, without text. Recorded in the audit trail.",
    params(("conversation" = String, Path, description = "Conversation id (`cnv_…`)")),
    security(("admin_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such conversation of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    ops::delete(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/v1/visitors/{visitor}/conversations",
    operation_id = "deleteVisitorConversations",
    tag = "conversations",
    summary = "A data-subject request: delete everything a visitor left with the organisation",
    description = "Needs the `conversations:read` and `widgets:write` scopes. Deletes every \
        conversation of the visitor with the organisation's widgets (messages, ratings, leads) and \
        the usage events their pages reported (such as the name and email a site identified \
        them by). The run records (what is billed) stay, without text. Recorded in the audit \
        trail. A visitor with nothing left answers zeros.",
    params(("visitor" = String, Path, description = "Visitor id (`vis_…`), as a conversation names it")),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = VisitorDeletion),
        AdminErrors,
    )
)]
pub async fn delete_visitor(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(visitor): ApiPath<String>,
) -> Result<Json<VisitorDeletion>, ApiError> {
    Ok(Json(
        ops::delete_visitor(&state.db, &caller, &visitor).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/v1/conversations/export",
    operation_id = "exportConversations",
    tag = "conversations",
    summary = "The filtered conversations as JSON Lines, each with its transcript and runs",
    description = "Needs the `conversations:read` scope; takes the query of \
        `GET /v1/conversations`: every conversation its filters let through, from `cursor` on \
        (to go on with an export cut short, or from a page of the list) and at most `limit` \
        when given. One conversation a line, as `GET /v1/conversations/{conversation}` \
        answers it, newest first (`application/x-ndjson`).",
    params(ConversationQuery),
    security(("admin_key" = [])),
    responses(
        (status = 200, description = "The export, as an attachment",
            content((String = "application/x-ndjson")),
            headers(("content-disposition" = String, description = "attachment; filename=\"sitekit-conversations.ndjson\""))),
        (status = 400, description = "A malformed day or cursor, `from` after `to`, `q` over 200 characters, a `limit` past 1 to 200, or an unknown parameter (`invalid_query`)", body = ErrorBody),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ConversationQuery>,
) -> Result<Response, ApiError> {
    let (filter, cursor, _) = ops::checked(&state.db, &caller, &query).await?;
    let export = Export {
        db: state.db.clone(),
        scope: caller.scope().clone(),
        filter,
        after: cursor,
        left: query.limit.map(i64::from),
        done: false,
    };
    let body = streamed(export, "conversation");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"sitekit-conversations.ndjson\""),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}

/// Where an export has got to: after this conversation, with so many left to
/// hold when it was given a `limit`; done once a page came back empty.
struct Export {
    db: Db,
    scope: TenantScope,
    filter: ConversationFilter,
    after: Option<PageCursor>,
    left: Option<i64>,
    done: bool,
}

impl PagedExport for Export {
    /// The next page's conversations as JSON Lines; None once every one is out.
    async fn next_page(&mut self) -> Result<Option<String>, sqlx::Error> {
        let page = self.left.map_or(EXPORT_PAGE, |left| left.min(EXPORT_PAGE));
        if self.done || page == 0 {
            return Ok(None);
        }
        let rows = self
            .db
            .conversations(&self.scope, &self.filter, self.after.as_ref(), page)
            .await?;
        self.left = self.left.map(|left| left - rows.len() as i64);
        let Some(last) = rows.last() else {
            self.done = true;
            return Ok(None);
        };
        self.after = Some(PageCursor {
            last_message_at: last.last_message_at,
            id: last.id.clone(),
        });
        let mut chunk = String::new();
        for row in &rows {
            let conversation = ops::whole(&self.db, row).await?;
            // Serializing these plain structs cannot fail.
            chunk.push_str(&serde_json::to_string(&conversation).unwrap_or_default());
            chunk.push('\n');
        }
        Ok(Some(chunk))
    }
}
