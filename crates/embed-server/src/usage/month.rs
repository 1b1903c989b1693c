//! Days since the epoch (how usage and budgets count days) and UTC calendar
//! months of them: what a marketplace bills by (a widget's monthly usage) and
//! what a monthly message budget renews on.

use time::{Date, Month};

use crate::setting_rules::SettingsError;

/// One UTC calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcMonth {
    year: i32,
    month: Month,
}

/// 1970-01-01 as a Julian day, to turn days since the epoch into dates.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Days since the epoch of a date.
pub fn epoch_day(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

/// The date of a day since the epoch (the earliest date for one out of range).
pub fn date_of(day: i64) -> Date {
    i32::try_from(day + UNIX_EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|julian| Date::from_julian_day(julian).ok())
        .unwrap_or(Date::MIN)
}

impl UtcMonth {
    /// `YYYY-MM`.
    pub fn parse(text: &str) -> Result<UtcMonth, SettingsError> {
        let invalid = || SettingsError(format!("`month` must be YYYY-MM, not `{text}`"));
        let (year, month) = text.split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month = month
            .parse::<u8>()
            .ok()
            .and_then(|month| Month::try_from(month).ok())
            .ok_or_else(invalid)?;
        Ok(UtcMonth { year, month })
    }

    /// The month of a day (days since the epoch).
    pub fn of_day(day: i64) -> UtcMonth {
        let date = date_of(day);
        UtcMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Its first day, in days since the epoch.
    pub fn first_day(self) -> i64 {
        epoch_day(Date::from_calendar_date(self.year, self.month, 1).expect("the 1st exists"))
    }

    /// The first day of the month after it.
    pub fn next_first_day(self) -> i64 {
        self.first_day() + i64::from(self.month.length(self.year))
    }
}

impl std::fmt::Display for UtcMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, u8::from(self.month))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_spans_its_days() {
        let december = UtcMonth::parse("2026-12").unwrap();
        assert_eq!(december.to_string(), "2026-12");
        // 2026-12-01 is day 20,788; December has 31 days.
        assert_eq!(december.first_day(), 20_788);
        assert_eq!(december.next_first_day(), 20_819);
        assert_eq!(UtcMonth::of_day(20_818), december);
        assert_eq!(UtcMonth::of_day(20_819).to_string(), "2027-01");
        let february = UtcMonth::parse("2028-02").unwrap();
        assert_eq!(february.next_first_day() - february.first_day(), 29);
    }

    #[test]
    fn only_a_month_as_yyyy_mm_is_one() {
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-12",
            "2026/12",
            "2026-12-01",
            "",
            "-",
        ] {
            assert!(UtcMonth::parse(bad).is_err(), "{bad}");
        }
    }
}
