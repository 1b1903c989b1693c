//! The contact details visitors left (`conversations:read`): `GET /v1/leads`
//! (a filtered page, newest first) and `GET /v1/leads/export` (the filtered
//! set as CSV, streamed a page at a time).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sitekit_sdk::engagement::{LeadPage, LeadQuery};
use sitekit_sdk::wire::ErrorBody;

use crate::db::Db;
use crate::engagement::{LeadFilter, ops};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::routes::export_body::{PagedExport, streamed};
use crate::state::AppState;
use crate::tenants::TenantScope;

/// Leads an export reads per database round trip.
const EXPORT_PAGE: i64 = 500;

#[utoipa::path(
    get,
    path = "/v1/leads",
    operation_id = "listLeads",
    tag = "conversations",
    summary = "The contact details visitors left, newest first",
    description = "Needs the `conversations:read` scope. Each lead names the conversation it \
        was left in (none when the visitor left it before writing), the consent text the \
        visitor agreed to, and when.",
    params(LeadQuery),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = LeadPage),
        (status = 400, description = "A malformed day or cursor, `from` after `to`, a `limit` past 1 to 200, or an unknown parameter (`invalid_query`)", body = ErrorBody),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<LeadQuery>,
) -> Result<Json<LeadPage>, ApiError> {
    Ok(Json(ops::list(&state.db, &caller, &query).await?))
}

#[utoipa::path(
    get,
    path = "/v1/leads/export",
    operation_id = "exportLeads",
    tag = "conversations",
    summary = "The filtered leads as CSV",
    description = "Needs the `conversations:read` scope; takes the query of `GET /v1/leads`: \
        every lead its filters let through, from `cursor` on and at most `limit` when given, \
        newest first. RFC 4180 CSV with a header row; a cell that a spreadsheet would run as \
        a formula starts with `'`.",
    params(LeadQuery),
    security(("admin_key" = [])),
    responses(
        (status = 200, description = "The export, as an attachment",
            content((String = "text/csv")),
            headers(("content-disposition" = String, description = "attachment; filename=\"sitekit-leads.csv\""))),
        (status = 400, description = "A malformed day or cursor, `from` after `to`, a `limit` past 1 to 200, or an unknown parameter (`invalid_query`)", body = ErrorBody),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<LeadQuery>,
) -> Result<Response, ApiError> {
    let (filter, _) = ops::checked(&state.db, &caller, &query).await?;
    let export = Export {
        db: state.db.clone(),
        scope: caller.scope().clone(),
        filter,
        left: query.limit.map(i64::from),
        header_sent: false,
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"sitekit-leads.csv\""),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        streamed(export, "lead"),
    )
        .into_response())
}

/// Where a CSV export has got to: its filter's `after` moves on with each
/// page; `left` is what a `limit` still allows.
struct Export {
    db: Db,
    scope: TenantScope,
    filter: LeadFilter,
    left: Option<i64>,
    header_sent: bool,
}

impl PagedExport for Export {
    async fn next_page(&mut self) -> Result<Option<String>, sqlx::Error> {
        // The header comes first, on its own: an export with no lead is it alone.
        if !self.header_sent {
            self.header_sent = true;
            return Ok(Some(ops::CSV_HEADER.to_owned()));
        }
        let page = self.left.map_or(EXPORT_PAGE, |left| left.min(EXPORT_PAGE));
        if page == 0 {
            return Ok(None);
        }
        let rows = self.db.leads(&self.scope, &self.filter, page).await?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.left = self.left.map(|left| left - rows.len() as i64);
        self.filter.after = Some((last.created_at, last.id.clone()));
        Ok(Some(rows.iter().map(ops::csv_line).collect()))
    }
}
