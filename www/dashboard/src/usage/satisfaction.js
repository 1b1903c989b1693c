// The usage tab's satisfaction figure, from the usage report's `satisfaction`
// (the server computes both numbers): per day, the share of answers rated up
// (per cent, on the left axis) and the mean CSAT answer (1 to 5, on the
// right), with a table of the same numbers under the chart, hidden while the
// range has no rating. A day without a rating of a kind has no bar of it.
import { h, replace } from '../dom.js';
import { dailyChart } from './chart.js';

/** @import { DailySatisfaction } from '../api.js' */

/** A figure to fill with each report. */
export function satisfactionFigure() {
  const chart = dailyChart(['Answers rated up (%)', 'CSAT mean (1–5)'], {
    scales: [
      { key: 'percent', label: '% rated up', min: 0, max: 100, steps: [10, 20, 25, 50], format: (n) => `${n} %` },
      { key: 'csat', label: 'CSAT mean', min: 0, max: 5, steps: [1], format: (n) => String(n) },
    ],
  });
  const table = h('div', { class: 'table-wrap', hidden: true });
  const empty = h('p', { class: 'hint', testid: 'usage-satisfaction-empty' }, 'No ratings in this range.');
  const element = h(
    'figure',
    { class: 'usage-figure card', 'aria-labelledby': 'usage-satisfaction-title', testid: 'usage-figure-satisfaction' },
    h('figcaption', { id: 'usage-satisfaction-title' }, 'Satisfaction per day'),
    h('div', { class: 'figure-body stacked' }, chart.element, empty, table),
  );
  /**
   * @param {string[]} dates every day of the report
   * @param {DailySatisfaction[]} days the days with any rating
   */
  const update = (dates, days) => {
    const byDate = new Map(days.map((day) => [day.date, day]));
    chart.update(dates, [
      dates.map((date) => {
        const ratio = byDate.get(date)?.thumbsUpRatio;
        return ratio === null || ratio === undefined ? null : Math.round(ratio * 1000) / 10;
      }),
      dates.map((date) => byDate.get(date)?.csatAverage ?? null),
    ]);
    empty.hidden = days.length > 0;
    table.hidden = days.length === 0;
    replace(table, days.length === 0 ? null : satisfactionTable(days));
  };
  return { element, update };
}

/** @param {number | null} value 0 to 1 */
function percent(value) {
  return value === null ? '—' : `${Math.round(value * 100)} %`;
}

/** @param {number | null} value 1 to 5 */
function mean(value) {
  return value === null ? '—' : value.toFixed(1);
}

/**
 * A row per day with any rating; each row `tr[data-date]`, each number `td[data-counter]`.
 * @param {DailySatisfaction[]} days
 */
function satisfactionTable(days) {
  /** @type {[string, (day: DailySatisfaction) => string][]} */
  const columns = [
    ['thumbsUp', (day) => day.thumbsUp.toLocaleString()],
    ['thumbsDown', (day) => day.thumbsDown.toLocaleString()],
    ['thumbsUpRatio', (day) => percent(day.thumbsUpRatio)],
    ['csatResponses', (day) => day.csatResponses.toLocaleString()],
    ['csatAverage', (day) => mean(day.csatAverage)],
  ];
  return h(
    'table',
    { class: 'numbers', testid: 'usage-table-satisfaction' },
    h('caption', {}, 'Satisfaction per day, as numbers'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Day (UTC)', 'Rated up', 'Rated down', 'Rated up (%)', 'CSAT answers', 'CSAT mean (1–5)'].map((label) =>
          h('th', { scope: 'col' }, label),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      days.map((day) =>
        h(
          'tr',
          { 'data-date': day.date },
          h('th', { scope: 'row' }, day.date),
          columns.map(([counter, text]) => h('td', { 'data-counter': counter }, text(day))),
        ),
      ),
    ),
  );
}
