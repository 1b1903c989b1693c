//! The usage summary (messages answered per widget and UTC day), shared by
//! `GET /v1/usage` and `sitekit usage` so both read dates and ranges alike.

use sitekit_sdk::admin::{DailyUsage, UsageReport};
use time::{Date, Month};

use crate::db::{DAY_SECS, DailyMessages, now_unix};
use crate::widget_settings::SettingsError;

/// Without `from`, a report covers this many days up to `to`.
const DEFAULT_DAYS: i64 = 30;
/// A report is a summary, not an export: ranges stay short enough to answer fast.
const MAX_DAYS: i64 = 366;
/// 1970-01-01 as a Julian day, to turn days since the epoch into dates.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The days a report covers, `from..=to`, in days since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageRange {
    pub from: i64,
    pub to: i64,
}

impl UsageRange {
    /// Reads `YYYY-MM-DD` bounds; `to` defaults to today (UTC) and `from` to
    /// [`DEFAULT_DAYS`] days up to `to`.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, SettingsError> {
        let to = match to {
            Some(text) => parse_day("to", text)?,
            None => now_unix().div_euclid(DAY_SECS),
        };
        let from = match from {
            Some(text) => parse_day("from", text)?,
            None => to - (DEFAULT_DAYS - 1),
        };
        if from > to || to - from >= MAX_DAYS {
            return Err(SettingsError(format!(
                "`from` must not be after `to`, and a report covers at most {MAX_DAYS} days"
            )));
        }
        Ok(UsageRange { from, to })
    }

    /// The report of the counts found for this range.
    pub fn report(self, counts: Vec<DailyMessages>) -> UsageReport {
        UsageReport {
            from: format_day(self.from),
            to: format_day(self.to),
            total_messages: counts.iter().map(|count| count.messages).sum(),
            days: counts
                .into_iter()
                .map(|count| DailyUsage {
                    date: format_day(count.day),
                    widget_id: count.widget_id,
                    messages: count.messages,
                })
                .collect(),
        }
    }
}

/// `YYYY-MM-DD` to days since the epoch.
fn parse_day(name: &str, text: &str) -> Result<i64, SettingsError> {
    let invalid = || {
        SettingsError(format!(
            "`{name}` must be a date as YYYY-MM-DD, not `{text}`"
        ))
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

    #[test]
    fn ranges_default_to_thirty_days_and_stay_in_order() {
        let range = UsageRange::parse(None, Some("2026-11-30")).unwrap();
        assert_eq!(range.to - range.from, DEFAULT_DAYS - 1);
        assert!(UsageRange::parse(Some("2026-12-01"), Some("2026-11-30")).is_err());
        assert!(UsageRange::parse(Some("2024-01-01"), Some("2026-01-01")).is_err());
    }
}
