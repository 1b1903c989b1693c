// The usage tab: per-day charts of conversations, messages, tokens and
// visitors' satisfaction (satisfaction.js), each with a table of the same
// numbers, for all widgets or one over a range of UTC days; and the exports
// (CSV, CloudEvents NDJSON, Stripe meter events NDJSON) for the same filters.
import { announce, errorBox, h, replace, uniqueId } from '../dom.js';
import { fileNameFrom, saveBlob } from '../download.js';
import { loadWidgetChoice } from '../widgets/choice.js';
import { dailyChart } from './chart.js';
import { dailyTotals, isoDate } from './daily.js';
import { satisfactionFigure } from './satisfaction.js';
import { usageTable } from './table.js';

/** @import { Counter, Day } from './daily.js' */

/** The days shown at first: the last 30, today included. */
const DEFAULT_DAYS = 30;

/** @type {{ id: string, title: string, columns: { counter: Counter, label: string }[] }[]} */
const FIGURES = [
  { id: 'conversations', title: 'Conversations', columns: [{ counter: 'conversations', label: 'Conversations' }] },
  { id: 'messages', title: 'Messages', columns: [{ counter: 'messages', label: 'Messages' }] },
  {
    id: 'tokens',
    title: 'Tokens',
    columns: [
      { counter: 'inputTokens', label: 'Input tokens' },
      { counter: 'outputTokens', label: 'Output tokens' },
    ],
  },
];

const EXPORTS = [
  { format: 'csv', label: 'CSV', extension: 'csv' },
  { format: 'cloudevents', label: 'CloudEvents (NDJSON)', extension: 'cloudevents.ndjson' },
  { format: 'stripe', label: 'Stripe meter events (NDJSON)', extension: 'stripe.ndjson' },
];

/** @param {import('../app.js').Context} context */
export function usageView({ api }) {
  const today = new Date();
  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Record<string, any>} props
   */
  const control = (tag, props) => h(tag, { id: uniqueId('usage'), ...props });
  const widget = control('select', { testid: 'usage-widget' });
  const from = control('input', {
    type: 'date',
    required: true,
    testid: 'usage-from',
    value: isoDate(new Date(today.getTime() - (DEFAULT_DAYS - 1) * 86_400_000)),
  });
  const to = control('input', { type: 'date', required: true, testid: 'usage-to', value: isoDate(today) });
  widget.append(h('option', { value: '' }, 'All widgets'));
  const error = errorBox('usage-error');
  const exportError = errorBox('usage-export-error');
  const updated = h('p', { class: 'hint', testid: 'usage-updated' });

  const figures = FIGURES.map((figure) => {
    const chart = dailyChart(figure.columns.map(({ label }) => label));
    const table = h('div', { class: 'table-wrap' });
    const element = h(
      'figure',
      {
        class: 'usage-figure card',
        'aria-labelledby': `usage-${figure.id}-title`,
        testid: `usage-figure-${figure.id}`,
      },
      h('figcaption', { id: `usage-${figure.id}-title` }, `${figure.title} per day`),
      h('div', { class: 'figure-body' }, chart.element, table),
    );
    return { ...figure, chart, table, element };
  });

  const satisfaction = satisfactionFigure();

  const filters = () => ({ from: from.value, to: to.value, widgetId: widget.value });

  async function load() {
    error.clear();
    if (from.value > to.value) {
      error.show('The first day must not come after the last.');
      return;
    }
    updated.textContent = 'Loading…';
    try {
      const report = await api.usage(filters());
      const totals = dailyTotals(report);
      for (const figure of figures) {
        figure.chart.update(
          totals.dates,
          figure.columns.map(({ counter }) =>
            totals.dates.map((date) => /** @type {Day} */ (totals.byDate.get(date))[counter]),
          ),
        );
        replace(
          figure.table,
          usageTable({
            caption: `${figure.title} per day, as numbers`,
            columns: figure.columns,
            totals,
            testid: `usage-table-${figure.id}`,
          }),
        );
      }
      satisfaction.update(totals.dates, report.satisfaction ?? []);
      updated.textContent = `Updated at ${new Date().toLocaleTimeString()}.`;
    } catch (failure) {
      updated.textContent = '';
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  const loadWidgets = () => loadWidgetChoice(api, widget);

  /**
   * @param {string} format
   * @param {string} extension
   * @param {HTMLButtonElement} button
   */
  async function download(format, extension, button) {
    exportError.clear();
    button.disabled = true;
    try {
      const { blob, disposition } = await api.exportUsage(format, filters());
      const name = fileNameFrom(disposition, `sitekit-usage-${from.value}-${to.value}.${extension}`);
      saveBlob(blob, name);
      announce(`Downloading ${name}.`);
    } catch (failure) {
      exportError.show(/** @type {Error} */ (failure).message);
    } finally {
      button.disabled = false;
    }
  }

  const form = h(
    'form',
    {
      class: 'filters card',
      method: 'post',
      action: '#',
      testid: 'usage-filters',
      /** @param {SubmitEvent} event */
      onsubmit: (event) => {
        event.preventDefault();
        load();
      },
    },
    h('div', { class: 'field' }, h('label', { for: widget.id }, 'Widget'), widget),
    h('div', { class: 'field' }, h('label', { for: from.id }, 'From'), from),
    h('div', { class: 'field' }, h('label', { for: to.id }, 'To'), to),
    h('button', { type: 'submit', testid: 'usage-show' }, 'Show'),
  );

  const element = h(
    'div',
    { class: 'usage-view' },
    h('h2', {}, 'Usage'),
    h('p', { class: 'hint' }, 'Counted by the server, per UTC day.'),
    form,
    error.element,
    updated,
    h(
      'div',
      { class: 'figures' },
      figures.map((figure) => figure.element),
      satisfaction.element,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'usage-export-title' },
      h('h3', { id: 'usage-export-title' }, 'Export'),
      h('p', { class: 'hint' }, 'Every event of the chosen widget and days, for your own analysis or your billing.'),
      h(
        'div',
        { class: 'actions' },
        EXPORTS.map(({ format, label, extension }) => {
          const button = h(
            'button',
            { type: 'button', class: 'secondary', testid: `usage-export-${format}` },
            `Download ${label}`,
          );
          button.addEventListener('click', () => download(format, extension, button));
          return button;
        }),
      ),
      exportError.element,
    ),
  );

  loadWidgets();
  load();
  return {
    element,
    shown: () => {
      loadWidgets();
      load();
    },
  };
}
