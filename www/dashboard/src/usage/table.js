// The numbers of one chart as a table: a row per day that has usage, and the
// range's total. What screen readers (and tests) read instead of the canvas.
// The usage tab's columns are counters of the usage report; the seller tab's
// are versions (`v1`, `v2`, …): any key of the days' numbers.
import { h } from '../dom.js';

/**
 * Per date, the numbers of the columns named `C`, and whether any row named it.
 * @template {string} C
 * @typedef {{ dates: string[], byDate: Map<string, { date: string, reported: boolean } & Record<C, number>> }} DailyNumbers
 */

/**
 * `columns`: `[{ counter, label }]`; `totals.byDate` as daily.js's. Each row is
 * `tr[data-date]`, each number cell `td[data-counter]`.
 * @template {string} C
 * @param {object} options
 * @param {string} options.caption
 * @param {{ counter: C, label: string }[]} options.columns
 * @param {DailyNumbers<C>} options.totals
 * @param {string} options.testid
 */
export function usageTable({ caption, columns, totals, testid }) {
  // byDate has every one of `dates`.
  const days = totals.dates
    .map((date) => /** @type {{ date: string, reported: boolean } & Record<C, number>} */ (totals.byDate.get(date)))
    .filter((day) => day.reported);
  /** @param {C} counter */
  const sum = (counter) => days.reduce((total, day) => total + day[counter], 0);
  /** @param {number} value */
  const number = (value) => value.toLocaleString();
  return h(
    'table',
    { class: 'numbers', testid },
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Day (UTC)'),
        columns.map(({ label }) => h('th', { scope: 'col' }, label)),
      ),
    ),
    h(
      'tbody',
      {},
      days.length === 0
        ? h('tr', {}, h('td', { colspan: columns.length + 1 }, 'No usage in this range.'))
        : days.map((day) =>
            h(
              'tr',
              { 'data-date': day.date },
              h('th', { scope: 'row' }, day.date),
              columns.map(({ counter }) => h('td', { 'data-counter': counter }, number(day[counter]))),
            ),
          ),
    ),
    h(
      'tfoot',
      {},
      h(
        'tr',
        { 'data-total': '' },
        h('th', { scope: 'row' }, 'Total'),
        columns.map(({ counter }) => h('td', { 'data-counter': counter }, number(sum(counter)))),
      ),
    ),
  );
}
