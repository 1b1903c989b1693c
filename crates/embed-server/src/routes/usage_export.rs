//! `GET /v1/usage/export` (`usage:read`): the tenant's usage as a file, with
//! the filters of `GET /v1/usage`: CSV of the daily rows, or NDJSON of the raw
//! records (CloudEvents, or Stripe meter events of the runs), streamed a page
//! of records at a time so an export of any size stays within bounded memory.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sitekit_sdk::admin::{UsageExportFormat, UsageExportQuery};
use sitekit_sdk::wire::ErrorBody;

use crate::db::Db;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::routes::export_body::{PagedExport, streamed};
use crate::state::AppState;
use crate::usage::export as usage_export;
use crate::usage::ops::checked_filter;
use crate::usage::{EventCursor, UsageFilter};

/// Records read per database round trip.
const PAGE_ROWS: i64 = 1_000;

#[utoipa::path(
    get,
    path = "/v1/usage/export",
    operation_id = "exportUsage",
    tag = "usage",
    summary = "Usage as CSV, CloudEvents NDJSON or Stripe meter events NDJSON",
    description = "Needs the `usage:read` scope; takes the filters of `GET /v1/usage`. \
        `format=csv`: the daily rows of `GET /v1/usage` (`text/csv`, a header line, errors as \
        `code:count;…`). `format=cloudevents`: every run record (type \
        `dev.sitekit.run.completed`, id the record's, source `/tenants/<id>/widgets/<id>`) and \
        every stored usage event (its own id, source, type, time and data) in the range, one \
        CloudEvents 1.0 JSON event a line (`application/x-ndjson`). `format=stripe`: for every \
        run record a Stripe meter event `sitekit_messages` (value 1, identifier the record id) \
        and, when the runtime reported tokens, `sitekit_tokens` (input plus output tokens, \
        identifier `<record id>:tokens`), `stripe_customer_id` the tenant id.",
    params(UsageExportQuery),
    security(("admin_key" = [])),
    responses(
        (status = 200, description = "The export, as an attachment",
            content((String = "text/csv"), (String = "application/x-ndjson")),
            headers(("content-disposition" = String, description = "attachment; filename=\"sitekit-usage-<from>-<to>.<csv|ndjson>\""))),
        (status = 400, description = "No or an unknown `format`, a malformed date, a range over 366 days, a granularity other than `day`, or an unknown parameter (`invalid_query`)", body = ErrorBody),
        (status = 404, description = "No such agent, widget or key of the caller's tenant", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<UsageExportQuery>,
) -> Result<Response, ApiError> {
    let (range, filter) = checked_filter(&state.db, &caller, &query.filters()).await?;
    let (from, to) = range.dates();
    let (body, content_type, file_name) = match query.format {
        UsageExportFormat::Csv => {
            // As many rows as the report has: bounded by the range's days.
            let rows = state.db.daily_usage(&filter).await?;
            let csv = usage_export::csv(&range.report(rows));
            (
                Body::from(csv),
                "text/csv; charset=utf-8",
                format!("sitekit-usage-{from}-{to}.csv"),
            )
        }
        UsageExportFormat::Cloudevents => (
            streamed(Pages::new(state.db.clone(), filter, query.format), "usage"),
            "application/x-ndjson",
            format!("sitekit-usage-{from}-{to}.ndjson"),
        ),
        UsageExportFormat::Stripe => (
            streamed(Pages::new(state.db.clone(), filter, query.format), "usage"),
            "application/x-ndjson",
            format!("sitekit-usage-{from}-{to}-stripe.ndjson"),
        ),
    };
    let disposition = format!("attachment; filename=\"{file_name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::try_from(disposition)
                    .map_err(|error| ApiError::Internal(error.to_string()))?,
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}

/// Where an NDJSON export has got to.
enum Position {
    /// Run records after this (start time, id); None before the first page.
    Runs(Option<(i64, String)>),
    /// Stored usage events after this one (CloudEvents only, after every run).
    Events(Option<EventCursor>),
    Done,
}

struct Pages {
    db: Db,
    filter: UsageFilter,
    format: UsageExportFormat,
    position: Position,
}

impl Pages {
    fn new(db: Db, filter: UsageFilter, format: UsageExportFormat) -> Pages {
        Pages {
            db,
            filter,
            format,
            position: Position::Runs(None),
        }
    }
}

impl PagedExport for Pages {
    /// The next page as NDJSON text; None once every record is out.
    async fn next_page(&mut self) -> Result<Option<String>, sqlx::Error> {
        loop {
            match &self.position {
                Position::Runs(after) => {
                    let runs = self
                        .db
                        .runs_page(&self.filter, after.clone(), PAGE_ROWS)
                        .await?;
                    let Some(last) = runs.last() else {
                        self.position = match self.format {
                            UsageExportFormat::Cloudevents => Position::Events(None),
                            _ => Position::Done,
                        };
                        continue;
                    };
                    self.position = Position::Runs(Some((last.started_at_ms, last.id.clone())));
                    let line = match self.format {
                        UsageExportFormat::Stripe => usage_export::stripe_events,
                        _ => usage_export::run_cloudevent,
                    };
                    return Ok(Some(runs.iter().map(line).collect()));
                }
                Position::Events(after) => {
                    let events = self
                        .db
                        .events_page(&self.filter, after.as_ref(), PAGE_ROWS)
                        .await?;
                    let Some(last) = events.last() else {
                        self.position = Position::Done;
                        continue;
                    };
                    self.position = Position::Events(Some(last.cursor()));
                    return Ok(Some(
                        events.iter().map(usage_export::stored_cloudevent).collect(),
                    ));
                }
                Position::Done => return Ok(None),
            }
        }
    }
}
