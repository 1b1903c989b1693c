//! A seller's analytics from what `store::seller` reads: counters per day,
//! version and buyer, each version's totals to compare one with another, and
//! who subscribes. Times are nearest-rank percentiles of the runs themselves.

use std::collections::BTreeMap;

use sitekit_sdk::seller::{
    SellerCounts, SellerDailyUsage, SellerSubscriptions, SellerUsageReport, SellerVersionUsage,
    VersionRollout,
};
use sitekit_sdk::subscriptions::VersionPolicy;

use crate::subscriptions::SubscriptionRecord;
use crate::usage::report::{UsageRange, format_day};
use crate::usage::{RunTimes, SellerCell, SellerDayRow, SellerErrorRow};

/// A published agent's version, with the agent's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedVersion {
    pub published_agent_id: String,
    pub agent_name: String,
    pub version: u32,
    pub rollout: Option<VersionRollout>,
}

/// What the report is made of.
pub struct SellerData {
    pub versions: Vec<PublishedVersion>,
    pub days: Vec<SellerDayRow>,
    pub errors: Vec<SellerErrorRow>,
    pub run_times: Vec<RunTimes>,
    pub subscriptions: Vec<SubscriptionRecord>,
}

/// Counters being added up, and the times their percentiles come from.
#[derive(Default)]
struct Tally {
    counts: SellerCounts,
    first_event_ms: Vec<i64>,
    duration_ms: Vec<i64>,
}

impl Tally {
    fn add_day(&mut self, row: &SellerDayRow) {
        let counts = &mut self.counts;
        counts.conversations += row.conversations;
        counts.runs += row.runs;
        counts.input_tokens += row.input_tokens;
        counts.output_tokens += row.output_tokens;
        counts.feedback_up += row.feedback_up;
        counts.feedback_down += row.feedback_down;
    }

    fn add_error(&mut self, row: &SellerErrorRow) {
        *self.counts.errors.entry(row.code.clone()).or_default() += row.runs;
    }

    fn add_times(&mut self, run: &RunTimes) {
        self.first_event_ms.extend(run.first_event_ms);
        self.duration_ms.push(run.duration_ms);
    }

    fn finish(mut self) -> SellerCounts {
        let mut counts = self.counts;
        let ratings = counts.feedback_up + counts.feedback_down;
        counts.feedback_up_ratio =
            (ratings > 0).then(|| counts.feedback_up as f64 / ratings as f64);
        counts.first_event_ms_p50 = percentile(&mut self.first_event_ms, 50);
        counts.first_event_ms_p95 = percentile(&mut self.first_event_ms, 95);
        counts.duration_ms_p50 = percentile(&mut self.duration_ms, 50);
        counts.duration_ms_p95 = percentile(&mut self.duration_ms, 95);
        counts
    }
}

/// The nearest-rank `p`th percentile: the smallest value at least `p` % of
/// the values are at or below.
fn percentile(values: &mut [i64], p: usize) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = (values.len() * p).div_ceil(100).max(1);
    Some(values[rank - 1])
}

type VersionKey = (String, u32);

fn version_key(cell: &SellerCell) -> VersionKey {
    (cell.published_agent_id.clone(), cell.version)
}

pub fn report(range: UsageRange, data: SellerData) -> SellerUsageReport {
    let mut cells: BTreeMap<SellerCell, Tally> = BTreeMap::new();
    let mut versions: BTreeMap<VersionKey, Tally> = BTreeMap::new();
    let mut buyer_names: BTreeMap<String, String> = BTreeMap::new();
    for row in &data.days {
        buyer_names.insert(row.cell.buyer_id.clone(), row.buyer_name.clone());
        cells.entry(row.cell.clone()).or_default().add_day(row);
        versions
            .entry(version_key(&row.cell))
            .or_default()
            .add_day(row);
    }
    for row in &data.errors {
        cells.entry(row.cell.clone()).or_default().add_error(row);
        versions
            .entry(version_key(&row.cell))
            .or_default()
            .add_error(row);
    }
    for run in &data.run_times {
        // A run is in the roll-ups in the same transaction as its record.
        if let Some(tally) = cells.get_mut(&run.cell) {
            tally.add_times(run);
        }
        versions
            .entry(version_key(&run.cell))
            .or_default()
            .add_times(run);
    }
    let mut running_now: BTreeMap<VersionKey, i64> = BTreeMap::new();
    let mut by_buyer: BTreeMap<(String, String), SellerSubscriptions> = BTreeMap::new();
    for subscription in &data.subscriptions {
        let key = (
            subscription.published_agent_id.clone(),
            subscription.version,
        );
        *running_now.entry(key).or_default() += 1;
        let entry = by_buyer
            .entry((
                subscription.published_agent_id.clone(),
                subscription.buyer_id.clone(),
            ))
            .or_insert_with(|| SellerSubscriptions {
                published_agent_id: subscription.published_agent_id.clone(),
                buyer_id: subscription.buyer_id.clone(),
                buyer_name: subscription.buyer_name.clone(),
                subscriptions: 0,
                following_latest: 0,
            });
        entry.subscriptions += 1;
        entry.following_latest += i64::from(subscription.policy == VersionPolicy::Latest);
    }
    SellerUsageReport {
        from: format_day(range.from),
        to: format_day(range.to),
        versions: data
            .versions
            .into_iter()
            .map(|version| {
                let key = (version.published_agent_id.clone(), version.version);
                SellerVersionUsage {
                    subscriptions: running_now.get(&key).copied().unwrap_or(0),
                    counts: versions.remove(&key).unwrap_or_default().finish(),
                    published_agent_id: version.published_agent_id,
                    agent_name: version.agent_name,
                    version: version.version,
                    rollout: version.rollout,
                }
            })
            .collect(),
        subscriptions: by_buyer.into_values().collect(),
        days: cells
            .into_iter()
            .map(|(cell, tally)| SellerDailyUsage {
                date: format_day(cell.day),
                buyer_name: buyer_names.get(&cell.buyer_id).cloned().unwrap_or_default(),
                published_agent_id: cell.published_agent_id,
                version: cell.version,
                buyer_id: cell.buyer_id,
                counts: tally.finish(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut none: Vec<i64> = Vec::new();
        assert_eq!(percentile(&mut none, 50), None);
        assert_eq!(percentile(&mut [7], 95), Some(7));
        let mut hundred: Vec<i64> = (1..=100).rev().collect();
        assert_eq!(percentile(&mut hundred, 50), Some(50));
        assert_eq!(percentile(&mut hundred, 95), Some(95));
        assert_eq!(percentile(&mut [10, 20, 30], 50), Some(20));
        assert_eq!(percentile(&mut [10, 20, 30], 95), Some(30));
    }

    fn cell(day: i64, version: u32, buyer: &str) -> SellerCell {
        SellerCell {
            day,
            published_agent_id: "pag_1".into(),
            version,
            buyer_id: buyer.into(),
        }
    }

    fn day(cell: SellerCell, runs: i64, up: i64, down: i64) -> SellerDayRow {
        SellerDayRow {
            cell,
            buyer_name: "Shop".into(),
            conversations: runs,
            runs,
            input_tokens: 0,
            output_tokens: 0,
            feedback_up: up,
            feedback_down: down,
        }
    }

    #[test]
    fn versions_add_up_their_days_and_buyers_and_compare_by_their_own_runs() {
        let data = SellerData {
            versions: [1, 2]
                .map(|version| PublishedVersion {
                    published_agent_id: "pag_1".into(),
                    agent_name: "Helper".into(),
                    version,
                    rollout: None,
                })
                .into(),
            days: vec![
                day(cell(1, 1, "ten_a"), 2, 1, 1),
                day(cell(2, 1, "ten_b"), 1, 0, 0),
                day(cell(2, 2, "ten_b"), 1, 1, 0),
            ],
            errors: vec![SellerErrorRow {
                cell: cell(2, 1, "ten_b"),
                code: "runtime_timeout".into(),
                runs: 1,
            }],
            run_times: [(1, "ten_a", 100), (1, "ten_a", 300), (2, "ten_b", 900)]
                .into_iter()
                .map(|(day, buyer, ms)| RunTimes {
                    cell: cell(day, 1, buyer),
                    first_event_ms: Some(ms / 10),
                    duration_ms: ms,
                })
                .collect(),
            subscriptions: Vec::new(),
        };
        let report = report(UsageRange { from: 0, to: 2 }, data);
        let v1 = &report.versions[0].counts;
        assert_eq!((v1.runs, v1.feedback_up, v1.feedback_down), (3, 1, 1));
        assert_eq!(v1.feedback_up_ratio, Some(0.5));
        assert_eq!(v1.errors.get("runtime_timeout"), Some(&1));
        assert_eq!(
            (v1.duration_ms_p50, v1.duration_ms_p95),
            (Some(300), Some(900))
        );
        let v2 = &report.versions[1].counts;
        assert_eq!(
            (v2.runs, v2.feedback_up_ratio, v2.duration_ms_p50),
            (1, Some(1.0), None)
        );
        assert_eq!(report.days.len(), 3);
        assert_eq!(report.days[0].date, "1970-01-02");
        assert_eq!(report.days[0].counts.duration_ms_p50, Some(100));
    }
}
