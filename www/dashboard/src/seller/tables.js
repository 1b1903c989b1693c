// The seller tab's tables: one published agent's versions side by side (is
// version 3 better rated, faster, cheaper than 2?), and its buyers. Names and
// error codes are the API's text, shown as text.
import { h } from '../dom.js';
import { errorTotal } from './report.js';

/** @import { SellerVersionUsage } from '../api.js' */
/** @import { AgentUsage } from './report.js' */

/** What a cell shows when there is nothing to measure (no runs, no ratings). */
const NONE = '—';

/** @param {number} n */
const count = (n) => n.toLocaleString();
/** @param {number | undefined} ms */
const duration = (ms) => (ms === undefined ? NONE : `${ms.toLocaleString()} ms`);
const PERCENT = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 });
const PERCENT_FINE = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/**
 * A version's failed runs, and under them how each failed.
 * @param {SellerVersionUsage} v
 */
function failures(v) {
  const codes = Object.entries(v.errors ?? {}).filter(([, n]) => n > 0);
  return [
    count(errorTotal(v.errors)),
    codes.length > 0 &&
      h(
        'span',
        { class: 'hint codes' },
        codes.map(([code, n]) => h('span', {}, h('code', {}, code), ` ${count(n)}`)),
      ),
  ];
}

/**
 * The comparison's rows, in groups: a row's `cell` is what one version shows.
 * @type {{ title: string, rows: { id: string, label: string, cell: (v: SellerVersionUsage) => import('../dom.js').Child }[] }[]}
 */
const GROUPS = [
  {
    title: 'Adoption',
    rows: [
      { id: 'subscriptions', label: 'Subscriptions running it now', cell: (v) => count(v.subscriptions) },
      { id: 'runs', label: 'Runs', cell: (v) => count(v.runs) },
      { id: 'conversations', label: 'Conversations started', cell: (v) => count(v.conversations) },
    ],
  },
  {
    title: 'Quality',
    rows: [
      {
        id: 'upRatio',
        label: 'Rated helpful',
        cell: (v) => (v.feedbackUpRatio === undefined ? NONE : PERCENT.format(v.feedbackUpRatio)),
      },
      {
        id: 'ratings',
        label: 'Ratings (helpful / not helpful)',
        cell: (v) => `${count(v.feedbackUp)} / ${count(v.feedbackDown)}`,
      },
      { id: 'errors', label: 'Failed runs', cell: failures },
      {
        id: 'errorRate',
        label: 'Failure rate',
        cell: (v) => (v.runs === 0 ? NONE : PERCENT_FINE.format(errorTotal(v.errors) / v.runs)),
      },
    ],
  },
  {
    title: 'Speed',
    rows: [
      { id: 'firstEventMsP50', label: 'Time to first event, median', cell: (v) => duration(v.firstEventMsP50) },
      {
        id: 'firstEventMsP95',
        label: 'Time to first event, 95th percentile',
        cell: (v) => duration(v.firstEventMsP95),
      },
      { id: 'durationMsP50', label: 'Run duration, median', cell: (v) => duration(v.durationMsP50) },
      { id: 'durationMsP95', label: 'Run duration, 95th percentile', cell: (v) => duration(v.durationMsP95) },
    ],
  },
  {
    title: 'Cost',
    rows: [
      { id: 'inputTokens', label: 'Input tokens', cell: (v) => count(v.inputTokens) },
      { id: 'outputTokens', label: 'Output tokens', cell: (v) => count(v.outputTokens) },
      {
        id: 'tokensPerRun',
        label: 'Tokens per run (input and output)',
        cell: (v) =>
          v.runs === 0
            ? NONE
            : ((v.inputTokens + v.outputTokens) / v.runs).toLocaleString(undefined, { maximumFractionDigits: 1 }),
      },
    ],
  },
];

/**
 * `Version 2 (latest)`, or `Version 1`.
 * @param {AgentUsage} agent
 * @param {number} version
 */
export function versionLabel(agent, version) {
  return version === agent.latest ? `Version ${version} (latest)` : `Version ${version}`;
}

/**
 * The agent's versions side by side: a column per version (oldest first), a
 * row per measure. Each cell is `td[data-version][data-metric]`.
 * @param {AgentUsage} agent
 * @param {{ from: string, to: string }} range
 */
export function versionsTable(agent, { from, to }) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'numbers compare', testid: 'seller-versions' },
      h('caption', {}, `${agent.name}: its versions side by side, ${from} to ${to}`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Measure'),
          agent.versions.map((v) =>
            h('th', { scope: 'col', 'data-version': String(v.version) }, versionLabel(agent, v.version)),
          ),
        ),
      ),
      GROUPS.map((group) =>
        h(
          'tbody',
          {},
          h('tr', { class: 'group' }, h('th', { scope: 'rowgroup', colspan: agent.versions.length + 1 }, group.title)),
          group.rows.map((row) =>
            h(
              'tr',
              { 'data-metric': row.id },
              h('th', { scope: 'row' }, row.label),
              agent.versions.map((v) =>
                h('td', { 'data-version': String(v.version), 'data-metric': row.id }, row.cell(v)),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * The agent's buyers: who subscribes now (and how many of those subscriptions
 * follow the latest version), and their visitors' runs in the range, in all
 * and per version that ran. Each row is `tr[data-buyer-id]`, each number
 * `td[data-counter]` (`subscriptions`, `followingLatest`, `runs`, `v1`, …).
 * @param {AgentUsage} agent
 */
export function buyersTable(agent) {
  if (agent.buyers.length === 0)
    return h(
      'p',
      { testid: 'seller-no-buyers' },
      `Nobody subscribes to ${agent.name} yet, and no buyer's visitors ran it in this range.`,
    );
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'numbers', testid: 'seller-buyers' },
      h('caption', { class: 'sr-only' }, `Who buys ${agent.name}`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Buyer'),
          h('th', { scope: 'col' }, 'Subscriptions'),
          h('th', { scope: 'col' }, 'Following the latest'),
          h('th', { scope: 'col' }, 'Runs in range'),
          agent.versionsRun.map((version) => h('th', { scope: 'col' }, `Runs of version ${version}`)),
        ),
      ),
      h(
        'tbody',
        {},
        agent.buyers.map((buyer) =>
          h(
            'tr',
            { testid: 'seller-buyer-row', 'data-buyer-id': buyer.id },
            h('th', { scope: 'row', testid: 'seller-buyer-name' }, buyer.name),
            h('td', { 'data-counter': 'subscriptions' }, count(buyer.subscriptions)),
            h('td', { 'data-counter': 'followingLatest' }, count(buyer.followingLatest)),
            h('td', { 'data-counter': 'runs' }, count(buyer.runs)),
            agent.versionsRun.map((version) =>
              h('td', { 'data-counter': `v${version}` }, count(buyer.runsByVersion.get(version) ?? 0)),
            ),
          ),
        ),
      ),
    ),
  );
}
