// The subscriptions tab: the organisation's subscriptions to agents other
// organisations publish (the version each runs, its policy, the agent's status),
// moving one to another version or to the latest in one action, and subscribing
// to an agent of the catalog. Names, descriptions and release notes are the
// sellers' text and are shown as text.
import { announce, errorBox, h, replace, uniqueId } from '../dom.js';
import { day, policyLabel, statusNote } from './describe.js';

/** @import { AdminApi, PublishedAgent, Subscription, VersionPolicy } from '../api.js' */

/** The longest release note an option shows; the rest is cut with an ellipsis. */
const NOTES_IN_OPTION = 60;

/** @param {import('../app.js').Context} context */
export function subscriptionsView({ api }) {
  const error = errorBox('subscriptions-error');
  const notice = h('div', {});
  const list = h('div', {}, h('p', { class: 'hint' }, 'Loading subscriptions…'));
  const form = subscribeForm({
    api,
    onSubscribed: (subscription) => {
      say(
        `Subscribed to ${subscription.agentName} by ${subscription.sellerName}: it runs version ${subscription.version}.`,
      );
      load();
    },
  });
  const element = h(
    'div',
    { class: 'subscriptions-view' },
    h('h2', {}, 'Subscriptions'),
    h(
      'p',
      { class: 'hint' },
      'Agents other organisations publish, which your widgets may run. Each subscription runs one version: one you pin, or the latest its seller publishes. Choose the agent of a new widget under Widgets.',
    ),
    error.element,
    notice,
    list,
    form.element,
  );

  /**
   * Shows and announces what just changed.
   * @param {string} message
   */
  function say(message) {
    replace(notice, h('p', { class: 'notice', testid: 'subscriptions-notice' }, message));
    announce(message);
  }

  async function load() {
    try {
      const [subscriptions, catalog] = await Promise.all([api.subscriptions(), api.catalog()]);
      error.clear();
      replace(list, subscriptionTable(subscriptions, { catalog, onChange: changeVersion }));
      form.setCatalog(catalog);
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  /**
   * @param {Subscription} subscription
   * @param {VersionPolicy} version
   * @param {HTMLButtonElement} button
   */
  async function changeVersion(subscription, version, button) {
    error.clear();
    button.disabled = true;
    try {
      const changed = await api.updateSubscription(subscription.id, version);
      say(
        `${changed.agentName} runs version ${changed.version} from its next chat (${policyLabel(changed.versionPolicy).toLowerCase()}).`,
      );
      await load();
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
      button.disabled = false;
    }
  }

  load();
  return { element, shown: load };
}

/**
 * The version numbers a subscription may pin: its agent's, as the catalog lists
 * them. A withdrawn agent is no longer in the catalog, but its versions are
 * numbered from 1 and the one it runs is among them.
 * @param {Subscription} subscription
 * @param {PublishedAgent | undefined} entry
 */
function versionsOf(subscription, entry) {
  if (entry && entry.versions.length > 0) return entry.versions.map((version) => version.version);
  const highest = Math.max(
    subscription.version,
    subscription.versionPolicy === 'latest' ? 1 : subscription.versionPolicy,
  );
  return Array.from({ length: highest }, (_, index) => index + 1);
}

/**
 * @param {Subscription[]} subscriptions
 * @param {{ catalog: PublishedAgent[], onChange: (subscription: Subscription, version: VersionPolicy, button: HTMLButtonElement) => void }} options
 */
function subscriptionTable(subscriptions, { catalog, onChange }) {
  if (subscriptions.length === 0)
    return h(
      'p',
      { testid: 'no-subscriptions' },
      'No subscriptions yet. Subscribe to a published agent below to run it in your widgets.',
    );
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { testid: 'subscriptions-table' },
      h('caption', { class: 'sr-only' }, 'Your subscriptions'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Agent', 'Seller', 'Runs', 'Policy', 'Status', 'Change version'].map((label) =>
            h('th', { scope: 'col' }, label),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        subscriptions.map((subscription) => {
          const entry = catalog.find((agent) => agent.id === subscription.publishedAgentId);
          return h(
            'tr',
            {
              testid: 'subscription-row',
              'data-subscription-id': subscription.id,
              'data-published-agent-id': subscription.publishedAgentId,
            },
            h('th', { scope: 'row', testid: 'subscription-agent' }, subscription.agentName),
            h('td', {}, subscription.sellerName),
            h(
              'td',
              {},
              h('span', { testid: 'subscription-version' }, `Version ${subscription.version}`),
              h('span', { class: 'hint' }, ` since ${day(subscription.versionSince)}`),
            ),
            h('td', { testid: 'subscription-policy' }, policyLabel(subscription.versionPolicy)),
            h(
              'td',
              { testid: 'subscription-status' },
              subscription.status === 'active' ? 'Active' : statusNote(subscription.status),
            ),
            h(
              'td',
              {},
              h(
                'div',
                { class: 'version-change' },
                versionChanger(subscription, versionsOf(subscription, entry), onChange),
              ),
            ),
          );
        }),
      ),
    ),
  );
}

/**
 * A choice of the subscription's versions and "the latest", and the button that
 * moves it there in one call; the button waits for a choice other than the
 * current one.
 * @param {Subscription} subscription
 * @param {number[]} versions
 * @param {(subscription: Subscription, version: VersionPolicy, button: HTMLButtonElement) => void} onChange
 */
function versionChanger(subscription, versions, onChange) {
  const current = String(subscription.versionPolicy);
  const newest = versions[versions.length - 1];
  const choice = h(
    'select',
    {
      testid: 'subscription-version-choice',
      'aria-label': `Version of ${subscription.agentName} by ${subscription.sellerName}`,
      onchange: () => {
        button.disabled = choice.value === current;
      },
    },
    h('option', { value: 'latest', selected: current === 'latest' }, `Follow the latest (version ${newest})`),
    [...versions]
      .reverse()
      .map((version) =>
        h('option', { value: String(version), selected: current === String(version) }, `Pin version ${version}`),
      ),
  );
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      testid: 'subscription-change-version',
      'aria-label': `Change the version of ${subscription.agentName} by ${subscription.sellerName}`,
      onclick: () => onChange(subscription, choice.value === 'latest' ? 'latest' : Number(choice.value), button),
    },
    'Change',
  );
  button.disabled = true;
  return [choice, button];
}

/**
 * `Version 2 — Faster answers…`
 * @param {import('../api.js').AgentVersion} version
 */
function versionOption(version) {
  const notes = version.releaseNotes.trim();
  const cut = notes.length > NOTES_IN_OPTION ? `${notes.slice(0, NOTES_IN_OPTION - 1)}…` : notes;
  return h('option', { value: String(version.version) }, `Pin version ${version.version}${cut ? ` — ${cut}` : ''}`);
}

/**
 * Subscribing to an agent of the catalog: one that has a version and takes
 * subscriptions, following its latest version or pinned to one.
 * `setCatalog(agents)` fills (and refills) the choices, keeping the one made
 * while it is still offered.
 * @param {{ api: AdminApi, onSubscribed: (subscription: Subscription) => void }} options
 */
function subscribeForm({ api, onSubscribed }) {
  const error = errorBox('subscribe-error');
  /** @type {PublishedAgent[]} */
  let offered = [];
  const agent = h('select', { id: uniqueId('subscribe-agent'), testid: 'subscribe-agent', required: true });
  const about = h('p', { class: 'hint', id: `${agent.id}-hint`, testid: 'subscribe-agent-about' });
  agent.setAttribute('aria-describedby', about.id);
  const version = h('select', { id: uniqueId('subscribe-version'), testid: 'subscribe-version' });
  const submit = h('button', { type: 'submit', testid: 'subscribe-submit' }, 'Subscribe');
  const empty = h(
    'p',
    { testid: 'no-catalog', hidden: true },
    'No published agents to subscribe to yet: they appear here once a seller publishes a version.',
  );
  const fields = h(
    'div',
    {},
    h('div', { class: 'field' }, h('label', { for: agent.id }, 'Agent'), agent, about),
    h(
      'div',
      { class: 'field' },
      h('label', { for: version.id }, 'Version'),
      version,
      h('p', { class: 'hint' }, 'Follow the latest to move with each version its seller publishes.'),
    ),
    submit,
  );

  /** The agent chosen, if any. */
  const chosen = () => offered.find((entry) => entry.id === agent.value);

  function showVersions() {
    const entry = chosen();
    about.textContent = entry?.description ?? '';
    if (!entry) {
      replace(version);
      return;
    }
    const newest = entry.versions[entry.versions.length - 1];
    replace(
      version,
      h('option', { value: 'latest' }, `Follow the latest (version ${newest.version})`),
      [...entry.versions].reverse().map(versionOption),
    );
  }

  const form = h(
    'form',
    {
      class: 'card',
      method: 'post',
      action: '#',
      testid: 'subscribe-form',
      /** @param {SubmitEvent} event */
      onsubmit: async (event) => {
        event.preventDefault();
        error.clear();
        const entry = chosen();
        if (!entry) return;
        submit.disabled = true;
        try {
          onSubscribed(await api.subscribe(entry.id, version.value === 'latest' ? 'latest' : Number(version.value)));
        } catch (failure) {
          error.show(/** @type {Error} */ (failure).message);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', {}, 'Subscribe to an agent'),
    empty,
    fields,
    error.element,
  );
  agent.addEventListener('change', showVersions);

  return {
    element: form,
    /** @param {PublishedAgent[]} catalog */
    setCatalog(catalog) {
      const before = agent.value;
      offered = catalog.filter((entry) => entry.versions.length > 0 && entry.status !== 'withdrawn');
      replace(
        agent,
        offered.map((entry) =>
          h(
            'option',
            { value: entry.id, selected: entry.id === before },
            `${entry.name} by ${entry.sellerName}${entry.status === 'deprecated' ? ' (deprecated)' : ''}`,
          ),
        ),
      );
      // A refusal about an agent no longer offered (withdrawn meanwhile) has said its piece.
      if (before && agent.value !== before) error.clear();
      empty.hidden = offered.length > 0;
      fields.hidden = offered.length === 0;
      const keepVersion = agent.value === before ? version.value : null;
      showVersions();
      if (keepVersion !== null && [...version.options].some((option) => option.value === keepVersion))
        version.value = keepVersion;
    },
  };
}
