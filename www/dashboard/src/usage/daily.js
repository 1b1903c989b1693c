// `GET /v1/usage` rows — one per (date, agent, widget, key) — summed per date,
// and every date of a range, so a chart has a bar (maybe of 0) for each day.
// A counter a server does not report yet counts as 0.

export const COUNTERS = /** @type {const} */ ([
  'conversations',
  'runs',
  'messages',
  'inputChars',
  'outputChars',
  'inputTokens',
  'outputTokens',
  'feedbackUp',
  'feedbackDown',
  'loads',
  'opens',
]);
/** @typedef {typeof COUNTERS[number]} Counter */

const DAY_MS = 86_400_000;

/**
 * `YYYY-MM-DD` of a Date, in UTC (the API's days are UTC days).
 * @param {Date} date
 */
export function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

/**
 * Every `YYYY-MM-DD` from `from` to `to`, inclusive.
 * @param {string} from
 * @param {string} to
 */
export function datesBetween(from, to) {
  const dates = [];
  for (let at = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); at <= end; at += DAY_MS) {
    dates.push(isoDate(new Date(at)));
  }
  return dates;
}

/**
 * The sum of an `errors` object (`{code: n}`), or of nothing.
 * @param {Record<string, number> | undefined} errors
 */
function errorCount(errors) {
  return Object.values(errors ?? {}).reduce((sum, n) => sum + (Number(n) || 0), 0);
}

/**
 * One day's sums: `reported` (whether any row named that day), `errors`, and
 * each of COUNTERS.
 * @typedef {{ date: string, reported: boolean, errors: number } & Record<Counter, number>} Day
 */
/**
 * @typedef {object} Totals
 * @property {string[]} dates
 * @property {Map<string, Day>} byDate
 */

/**
 * `{ dates, byDate }`: the report's dates in order, and per date the sums of
 * every counter (plus `errors`) and whether any row named that date.
 * @param {import('../api.js').UsageReport} report
 * @returns {Totals}
 */
export function dailyTotals(report) {
  /** @type {Map<string, Day>} */
  const byDate = new Map();
  for (const date of datesBetween(report.from, report.to)) {
    byDate.set(
      date,
      /** @type {Day} */ ({
        date,
        reported: false,
        errors: 0,
        ...Object.fromEntries(COUNTERS.map((name) => [name, 0])),
      }),
    );
  }
  for (const row of report.days ?? []) {
    const day = byDate.get(row.date);
    if (!day) continue;
    day.reported = true;
    for (const name of COUNTERS) day[name] += Number(row[name]) || 0;
    day.errors += errorCount(row.errors);
  }
  return { dates: [...byDate.keys()], byDate };
}
