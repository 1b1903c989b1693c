// The seller tab: how buyers use the agents the organisation publishes, over a
// range of UTC days. Per published agent: its versions side by side (runs,
// ratings, speed, tokens, failures, the subscriptions running each now), its
// runs per day by version (the usage tab's chart, with a table of the same
// numbers) and its buyers. Counts and times only: the API gives no visitor,
// conversation or text. Every organisation has the tab; one that does not sell
// (403 `not_a_seller`), or a key without `seller:read`, is told so in words.
import { ApiError } from '../api.js';
import { errorBox, h, replace, uniqueId } from '../dom.js';
import { dailyChart } from '../usage/chart.js';
import { isoDate } from '../usage/daily.js';
import { usageTable } from '../usage/table.js';
import { agentsOf, versionKey } from './report.js';
import { buyersTable, versionLabel, versionsTable } from './tables.js';

/** @import { AgentUsage, VersionKey } from './report.js' */

/** The days shown at first: the last 30, today included (as the usage tab). */
const DEFAULT_DAYS = 30;
/** The scope `GET /v1/seller/usage` takes. */
const SCOPE = 'seller:read';

/** @param {import('../app.js').Context} context */
export function sellerView({ api }) {
  const today = new Date();
  const from = h('input', {
    type: 'date',
    required: true,
    id: uniqueId('seller-from'),
    testid: 'seller-from',
    value: isoDate(new Date(today.getTime() - (DEFAULT_DAYS - 1) * 86_400_000)),
  });
  const to = h('input', {
    type: 'date',
    required: true,
    id: uniqueId('seller-to'),
    testid: 'seller-to',
    value: isoDate(today),
  });
  const error = errorBox('seller-error');
  const updated = h('p', { class: 'hint', testid: 'seller-updated' });
  /** Why there is nothing to show (not a seller, a missing scope), or nothing. */
  const refusal = h('div', {});
  /** The "no usage yet" notice, or nothing. */
  const empty = h('div', {});
  const agents = h('div', { class: 'seller-agents' });
  /** Each agent's chart, kept from one load to the next (uPlot draws into it). */
  /** @type {Map<string, ReturnType<typeof dailyChart>>} */
  const charts = new Map();
  let loads = 0;

  const form = h(
    'form',
    {
      class: 'filters card',
      method: 'post',
      action: '#',
      testid: 'seller-filters',
      /** @param {SubmitEvent} event */
      onsubmit: (event) => {
        event.preventDefault();
        load();
      },
    },
    h('div', { class: 'field' }, h('label', { for: from.id }, 'From'), from),
    h('div', { class: 'field' }, h('label', { for: to.id }, 'To'), to),
    h('button', { type: 'submit', testid: 'seller-show' }, 'Show'),
  );
  const intro = h(
    'p',
    { class: 'hint' },
    'How buyers use the agents you publish, version by version, per UTC day. Counts and times only: never a visitor, a conversation or its text.',
  );

  const controls = h('div', {}, intro, form);

  /**
   * Hides the range and the numbers, and says why in place of them.
   * @param {HTMLElement | null} why
   */
  function refuse(why) {
    replace(refusal, why);
    const refused = why !== null;
    // On a plain wrapper: the form's own `display` would outdo its `hidden`.
    controls.hidden = refused;
    if (refused) {
      replace(empty);
      replace(agents);
      updated.textContent = '';
    }
  }

  async function load() {
    error.clear();
    if (from.value > to.value) {
      error.show('The first day must not come after the last.');
      return;
    }
    const mine = ++loads;
    updated.textContent = 'Loading…';
    try {
      const report = await api.sellerUsage({ from: from.value, to: to.value });
      if (mine !== loads) return;
      refuse(null);
      show(report);
      updated.textContent = `Updated at ${new Date().toLocaleTimeString()}.`;
    } catch (failure) {
      if (mine !== loads) return;
      updated.textContent = '';
      const why = failure instanceof ApiError ? explanation(failure) : null;
      if (why) refuse(why);
      else error.show(/** @type {Error} */ (failure).message);
    }
  }

  /** @param {import('../api.js').SellerUsageReport} report */
  function show(report) {
    const range = { from: report.from, to: report.to };
    const list = agentsOf(report);
    if (list.length === 0) {
      replace(
        empty,
        h(
          'p',
          { class: 'notice', testid: 'seller-empty' },
          'No usage yet: you have not published a version of any agent. Once you publish one and buyers run it, how they use it shows here.',
        ),
      );
    } else if (report.days.length === 0) {
      replace(
        empty,
        h(
          'p',
          { class: 'notice', testid: 'seller-empty' },
          `No usage yet between ${report.from} and ${report.to}: no buyer's visitor ran or rated your agents on those days.`,
        ),
      );
    } else {
      replace(empty);
    }
    const sections = list.map((agent) => agentSection(agent, range));
    replace(
      agents,
      sections.map((section) => section.element),
    );
    // Drawn once in the page, where the charts have a width and a colour.
    for (const section of sections) section.draw();
  }

  /**
   * One published agent's card.
   * @param {AgentUsage} agent
   * @param {{ from: string, to: string }} range
   */
  function agentSection(agent, range) {
    const titleId = uniqueId('seller-agent');
    const chart = charts.get(agent.id) ?? dailyChart([]);
    charts.set(agent.id, chart);
    const columns = agent.versionsRun.map((version) => ({
      counter: /** @type {VersionKey} */ (versionKey(version)),
      label: versionLabel(agent, version),
    }));
    const ran = columns.length > 0;
    const element = h(
      'section',
      {
        class: 'card seller-agent',
        'aria-labelledby': titleId,
        testid: 'seller-agent',
        'data-published-agent-id': agent.id,
      },
      h('h3', { id: titleId }, agent.name),
      versionsTable(agent, range),
      h('p', { class: 'hint' }, `${NONE_MEANS} Times run from a run's start to its first event, and to its end.`),
      h(
        'figure',
        { class: 'usage-figure', testid: 'seller-runs-figure' },
        h('figcaption', {}, 'Runs per day by version'),
        ran
          ? h(
              'div',
              { class: 'figure-body' },
              chart.element,
              h(
                'div',
                { class: 'table-wrap' },
                usageTable({
                  caption: `Runs of ${agent.name} per day by version, as numbers`,
                  columns,
                  totals: agent.runsPerDay,
                  testid: 'seller-runs-table',
                }),
              ),
            )
          : h('p', { class: 'hint', testid: 'seller-no-runs' }, `No runs of ${agent.name} in this range.`),
      ),
      h('h4', {}, 'Buyers'),
      buyersTable(agent),
    );
    return {
      element,
      draw() {
        if (!ran) return;
        const { dates, byDate } = agent.runsPerDay;
        chart.update(
          dates,
          columns.map(({ counter }) => dates.map((date) => byDate.get(date)?.[counter] ?? 0)),
          columns.map(({ label }) => label),
        );
      },
    };
  }

  const element = h(
    'div',
    { class: 'seller-view' },
    h('h2', {}, 'Seller'),
    controls,
    error.element,
    refusal,
    updated,
    empty,
    agents,
  );

  load();
  return { element, shown: load };
}

/** What a dash in the comparison means. */
const NONE_MEANS = '— means nothing to measure in the range: no runs, or no ratings.';

/**
 * The words for a refusal that is not an error to fix here: an organisation
 * that does not sell, or a key without the scope. Null for any other failure.
 * @param {ApiError} failure
 */
function explanation(failure) {
  if (failure.code === 'not_a_seller')
    return h(
      'div',
      { class: 'notice', testid: 'seller-not-a-seller' },
      h('p', {}, 'Your organisation does not sell agents, so there is nothing to show here.'),
      h(
        'p',
        { class: 'hint' },
        'An organisation that publishes agents to the catalog sees here how buyers use them, version by version. The server’s operator decides which organisations sell.',
      ),
    );
  if (failure.code === 'missing_scope') {
    // The server names the scope in its message (`this key lacks the `seller:read` scope`).
    const scope = /`([^`]+)`/.exec(failure.message)?.[1] ?? SCOPE;
    return h(
      'div',
      { class: 'notice', testid: 'seller-missing-scope' },
      h('p', {}, 'The key you signed in with lacks the ', h('code', {}, scope), ' scope, which this tab needs.'),
      h(
        'p',
        { class: 'hint' },
        'Sign in with a secret key, or with a restricted key that has ',
        h('code', {}, scope),
        ' (the Keys tab makes one).',
      ),
    );
  }
  return null;
}
