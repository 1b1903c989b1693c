//! `GET /v1/usage` (`usage:read`): the messages the tenant's widgets answered per
//! UTC day, over a range of days and optionally for one widget.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use sitekit_sdk::admin::{DailyUsage, UsageReport};
use time::{Date, Month};
use utoipa::IntoParams;

use crate::admin_auth::AdminCaller;
use crate::db::{DAY_SECS, now_unix};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

/// Without `from`, a report covers this many days up to `to`.
const DEFAULT_DAYS: i64 = 30;
/// A report is a summary, not an export: ranges stay short enough to answer fast.
const MAX_DAYS: i64 = 366;
/// 1970-01-01 as a Julian day, to turn days since the epoch into dates.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today, UTC).
    to: Option<String>,
    /// Only this widget (`wgt_…`).
    widget_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/usage",
    tag = "usage",
    summary = "Messages per widget and UTC day",
    description = "Needs the `usage:read` scope.",
    params(UsageParams),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = UsageReport),
        (status = 400, description = "A malformed date, a range over 366 days, or an unknown parameter", body = ErrorBody),
        (status = 404, description = "No such widget of the caller's tenant", body = ErrorBody),
        (status = 401, description = "No key, or a malformed, unknown, revoked or expired one", body = ErrorBody),
        (status = 403, description = "The key lacks the `usage:read` scope", body = ErrorBody),
        (status = 429, description = "Too many admin requests with this key; see Retry-After", body = ErrorBody),
    )
)]
pub async fn summary(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiQuery(params): ApiQuery<UsageParams>,
) -> Result<Json<UsageReport>, ApiError> {
    caller.require("usage:read")?;
    let to = match &params.to {
        Some(text) => parse_day("to", text)?,
        None => now_unix().div_euclid(DAY_SECS),
    };
    let from = match &params.from {
        Some(text) => parse_day("from", text)?,
        None => to - (DEFAULT_DAYS - 1),
    };
    if from > to || to - from >= MAX_DAYS {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("`from` must not be after `to`, and a report covers at most {MAX_DAYS} days"),
        ));
    }
    if let Some(widget) = &params.widget_id
        && state
            .db
            .widget_of_tenant(&caller.tenant_id, widget)
            .await?
            .is_none()
    {
        return Err(ApiError::NotFound(format!("no widget {widget}")));
    }
    let counts = state
        .db
        .daily_messages(&caller.tenant_id, params.widget_id.as_deref(), from, to)
        .await?;
    Ok(Json(UsageReport {
        from: format_day(from),
        to: format_day(to),
        total_messages: counts.iter().map(|count| count.messages).sum(),
        days: counts
            .into_iter()
            .map(|count| DailyUsage {
                date: format_day(count.day),
                widget_id: count.widget_id,
                messages: count.messages,
            })
            .collect(),
    }))
}

/// `YYYY-MM-DD` to days since the epoch.
fn parse_day(name: &str, text: &str) -> Result<i64, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "invalid_query",
            format!("`{name}` must be a date as YYYY-MM-DD, not `{text}`"),
        )
    };
    let mut parts = text.splitn(3, '-');
    let mut number = || parts.next().and_then(|part| part.parse::<u16>().ok());
    let (Some(year), Some(month), Some(day)) = (number(), number(), number()) else {
        return Err(invalid());
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|month| Month::try_from(month).ok())
        .ok_or_else(invalid)?;
    let day = u8::try_from(day).map_err(|_| invalid())?;
    let date = Date::from_calendar_date(i32::from(year), month, day).map_err(|_| invalid())?;
    Ok(i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY)
}

fn format_day(day: i64) -> String {
    let date = i32::try_from(day + UNIX_EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|julian| Date::from_julian_day(julian).ok())
        .unwrap_or(Date::MIN);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_dates() {
        assert_eq!(parse_day("from", "1970-01-01").ok(), Some(0));
        assert_eq!(parse_day("from", "2026-11-27").ok(), Some(20_784));
        assert_eq!(format_day(20_784), "2026-11-27");
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "yesterday",
            "2026-11",
            "2026-11-27x",
        ] {
            assert!(parse_day("from", bad).is_err(), "{bad}");
        }
    }
}
