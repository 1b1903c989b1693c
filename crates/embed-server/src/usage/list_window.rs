//! What a list of an organisation's records (the inbox's conversations, its
//! leads) takes besides its own filters: a page size, a range of UTC days,
//! and a widget, which must be the caller's. Checked once here for each.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::fields::PageLimit;

use crate::db::{DAY_MS, Db};
use crate::error::ApiError;
use crate::keys::Caller;
use crate::usage::UsageSubject;
use crate::usage::report::parse_day;

/// A list's page size and days, once valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListWindow {
    pub limit: u32,
    /// Unix milliseconds: from the start of `from` to the end of `to`.
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

/// Checks `limit` (1 to 200, 50 when left out), the days `from` and `to`
/// (`YYYY-MM-DD`, not reversed) and that `widget` is the caller's.
pub async fn list_window(
    db: &Db,
    caller: &Caller,
    widget: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    limit: Option<u32>,
) -> Result<ListWindow, ApiError> {
    let limit = limit.unwrap_or(PageLimit::DEFAULT);
    if !(1..=PageLimit::MAX).contains(&limit) {
        return Err(invalid_query(format!("`limit` is 1 to {}", PageLimit::MAX)));
    }
    let day = |name, text: Option<&str>| {
        text.map(|text| parse_day(name, text))
            .transpose()
            .map_err(|error| invalid_query(error.0))
    };
    let (from, to) = (day("from", from)?, day("to", to)?);
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(invalid_query("`from` is after `to`".into()));
    }
    if let Some(widget) = widget
        && !db
            .usage_subject_exists(caller.scope(), UsageSubject::Widget, widget)
            .await?
    {
        return Err(ApiError::NotFound(format!("no widget with id {widget}")));
    }
    Ok(ListWindow {
        limit,
        from_ms: from.map(|day| day * DAY_MS),
        until_ms: to.map(|day| (day + 1) * DAY_MS),
    })
}

/// `400 invalid_query` with `message`.
pub fn invalid_query(message: String) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidQuery, message)
}

/// A `cursor` a list did not give.
pub fn unknown_cursor() -> ApiError {
    invalid_query("`cursor` is not one this server gave; pass a page's `nextCursor`".into())
}
