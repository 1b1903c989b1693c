//! Usage reports from the daily roll-ups: the range and filters a request
//! names and the report they make, shared by `GET /v1/usage`, its exports and
//! `sitekit usage` so all of them read dates, ranges and filters alike; and the
//! operator's usage per agent (`sitekit usage by-agent`).

use serde::Serialize;
use sitekit_sdk::admin::{DailySatisfaction, DailyUsage, UsageCounts, UsageQuery, UsageReport};
use time::{Date, Month};

use crate::db::DAY_SECS;
use crate::db::now_unix;
use crate::setting_rules::SettingsError;
use crate::tenants::TenantScope;
use crate::usage::month::{date_of, epoch_day};
use crate::usage::{AgentUsageRow, DailyRow, UsageFilter, UsageSubject};

/// Without `from`, a report covers this many days up to `to`.
const DEFAULT_DAYS: i64 = 30;
/// A report is a summary, not an export: ranges stay short enough to answer fast.
const MAX_DAYS: i64 = 366;

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

    /// The roll-up rows of this range that `query` selects, in `scope`.
    pub fn filter(self, scope: TenantScope, query: &UsageQuery) -> UsageFilter {
        UsageFilter {
            scope,
            agent_id: query.agent_id.clone(),
            widget_id: query.widget_id.clone(),
            key_id: query.key_id.clone(),
            from_day: self.from,
            to_day: self.to,
        }
    }

    /// The report of the roll-up rows found for this range.
    pub fn report(self, rows: Vec<DailyRow>) -> UsageReport {
        let mut totals = UsageCounts::default();
        // Rows come oldest first: a day's rows are next to each other.
        let mut per_day: Vec<(i64, UsageCounts)> = Vec::new();
        for row in &rows {
            totals.add(&row.counts);
            match per_day.last_mut() {
                Some((day, counts)) if *day == row.day => counts.add(&row.counts),
                _ => per_day.push((row.day, row.counts.clone())),
            }
        }
        let satisfaction = per_day
            .iter()
            .filter_map(|(day, counts)| DailySatisfaction::of(&format_day(*day), counts))
            .collect();
        UsageReport {
            from: format_day(self.from),
            to: format_day(self.to),
            total_messages: totals.messages,
            totals,
            days: rows
                .into_iter()
                .map(|row| DailyUsage {
                    date: format_day(row.day),
                    agent_id: row.agent_id,
                    agent_version: row.agent_version,
                    widget_id: row.widget_id,
                    key_id: row.key_id,
                    counts: row.counts,
                })
                .collect(),
            satisfaction,
        }
    }

    /// The operator's report of every agent's usage in this range.
    pub fn by_agent(self, rows: Vec<AgentUsageRow>) -> AgentUsageReport {
        AgentUsageReport {
            from: format_day(self.from),
            to: format_day(self.to),
            agents: rows
                .into_iter()
                .map(|row| AgentUsage {
                    agent_id: row.agent_id,
                    agent_name: row.agent_name,
                    tenant_id: row.tenant_id,
                    tenant_name: row.tenant_name,
                    deleted: row.deleted,
                    counts: row.counts,
                })
                .collect(),
        }
    }

    /// `from` and `to` as `YYYY-MM-DD`.
    pub fn dates(self) -> (String, String) {
        (format_day(self.from), format_day(self.to))
    }
}

/// The agent, widget and key a query names, each of which must be the caller's.
pub fn named_subjects(query: &UsageQuery) -> Vec<(UsageSubject, &str)> {
    [
        (UsageSubject::Agent, &query.agent_id),
        (UsageSubject::Widget, &query.widget_id),
        (UsageSubject::Key, &query.key_id),
    ]
    .into_iter()
    .filter_map(|(subject, id)| Some((subject, id.as_deref()?)))
    .collect()
}

/// How a person names a kind of subject: "no agent agt_…".
pub fn subject_name(subject: UsageSubject) -> &'static str {
    match subject {
        UsageSubject::Agent => "agent",
        UsageSubject::Widget => "widget",
        UsageSubject::Key => "key",
    }
}

/// `sitekit usage by-agent --json`: every agent's usage across all tenants, for
/// whoever runs the server. Never served over the network: a tenant's key sees
/// only its own tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentUsageReport {
    pub from: String,
    pub to: String,
    pub agents: Vec<AgentUsage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentUsage {
    pub agent_id: String,
    pub agent_name: String,
    pub tenant_id: String,
    pub tenant_name: String,
    /// Deleted since; listed because it was used in the range.
    pub deleted: bool,
    #[serde(flatten)]
    pub counts: UsageCounts,
}

/// `YYYY-MM-DD` to days since the epoch.
pub fn parse_day(name: &str, text: &str) -> Result<i64, SettingsError> {
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
    Ok(epoch_day(date))
}

/// Days since the epoch to `YYYY-MM-DD`.
pub fn format_day(day: i64) -> String {
    let date = date_of(day);
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
