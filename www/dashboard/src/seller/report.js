// `GET /v1/seller/usage` shaped for the seller tab: per published agent, its
// versions side by side, its runs per day by version (every day of the range,
// so the chart has a bar, maybe of 0, for each) and its buyers.

import { datesBetween } from '../usage/daily.js';

/** @import { SellerDailyUsage, SellerUsageReport, SellerVersionUsage } from '../api.js' */

/**
 * A version's column in the per-day numbers: `v1`, `v2`, …
 * @typedef {`v${number}`} VersionKey
 */
/**
 * One published agent: its versions oldest first, and the numbers of the range.
 * @typedef {object} AgentUsage
 * @property {string} id
 * @property {string} name
 * @property {SellerVersionUsage[]} versions
 * @property {number} latest the highest version number
 * @property {number[]} versionsRun the versions that ran in the range, oldest first
 * @property {import('../usage/table.js').DailyNumbers<VersionKey>} runsPerDay
 * @property {Buyer[]} buyers
 */
/**
 * An organisation that subscribes to the agent, or whose visitors ran it in
 * the range (maybe no longer subscribed).
 * @typedef {object} Buyer
 * @property {string} id
 * @property {string} name
 * @property {number} subscriptions now
 * @property {number} followingLatest now
 * @property {number} runs in the range
 * @property {Map<number, number>} runsByVersion in the range
 */

/** @param {number} version */
export function versionKey(version) {
  return /** @type {VersionKey} */ (`v${version}`);
}

/**
 * The sum of an `errors` object (`{code: n}`).
 * @param {Record<string, number> | undefined} errors
 */
export function errorTotal(errors) {
  return Object.values(errors ?? {}).reduce((sum, n) => sum + (Number(n) || 0), 0);
}

/**
 * The report's published agents, by name.
 * @param {SellerUsageReport} report
 * @returns {AgentUsage[]}
 */
export function agentsOf(report) {
  /** @type {Map<string, SellerVersionUsage[]>} */
  const versionsOf = new Map();
  for (const version of report.versions) {
    const list = versionsOf.get(version.publishedAgentId) ?? [];
    list.push(version);
    versionsOf.set(version.publishedAgentId, list);
  }
  return [...versionsOf.entries()]
    .map(([id, versions]) => {
      versions.sort((a, b) => a.version - b.version);
      const days = report.days.filter((row) => row.publishedAgentId === id);
      const versionsRun = versions
        .map((v) => v.version)
        .filter((n) => days.some((row) => row.version === n && row.runs > 0));
      return {
        id,
        name: versions[0].agentName,
        versions,
        latest: versions[versions.length - 1].version,
        versionsRun,
        runsPerDay: runsPerDay(report, days, versionsRun),
        buyers: buyersOf(report, id, days),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/**
 * Every date of the range with each version's runs that day (each version of
 * `versions` a column, `v1`, `v2`, …).
 * @param {SellerUsageReport} report
 * @param {SellerDailyUsage[]} days the agent's rows
 * @param {number[]} versions
 * @returns {import('../usage/table.js').DailyNumbers<VersionKey>}
 */
function runsPerDay(report, days, versions) {
  /** @typedef {{ date: string, reported: boolean } & Record<VersionKey, number>} Day */
  /** @type {Map<string, Day>} */
  const byDate = new Map();
  for (const date of datesBetween(report.from, report.to)) {
    byDate.set(
      date,
      /** @type {Day} */ ({ date, reported: false, ...Object.fromEntries(versions.map((n) => [versionKey(n), 0])) }),
    );
  }
  for (const row of days) {
    const day = byDate.get(row.date);
    if (!day || !versions.includes(row.version)) continue;
    day.reported = true;
    day[versionKey(row.version)] += row.runs;
  }
  return { dates: [...byDate.keys()], byDate };
}

/**
 * The agent's buyers, by name: those who subscribe now and those whose
 * visitors ran it in the range.
 * @param {SellerUsageReport} report
 * @param {string} agentId
 * @param {SellerDailyUsage[]} days the agent's rows
 * @returns {Buyer[]}
 */
function buyersOf(report, agentId, days) {
  /** @type {Map<string, Buyer>} */
  const buyers = new Map();
  /**
   * @param {string} id
   * @param {string} name
   */
  const buyer = (id, name) => {
    let entry = buyers.get(id);
    if (!entry) {
      entry = { id, name, subscriptions: 0, followingLatest: 0, runs: 0, runsByVersion: new Map() };
      buyers.set(id, entry);
    }
    return entry;
  };
  for (const row of report.subscriptions) {
    if (row.publishedAgentId !== agentId) continue;
    const entry = buyer(row.buyerId, row.buyerName);
    entry.subscriptions += row.subscriptions;
    entry.followingLatest += row.followingLatest;
  }
  for (const row of days) {
    if (row.runs === 0) continue;
    const entry = buyer(row.buyerId, row.buyerName);
    entry.runs += row.runs;
    entry.runsByVersion.set(row.version, (entry.runsByVersion.get(row.version) ?? 0) + row.runs);
  }
  return [...buyers.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}
