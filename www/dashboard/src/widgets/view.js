// The widgets tab: the tenant's widgets in a table, and the editor for a new or
// an existing one in its place. A widget runs an agent of the tenant's own or
// one of its subscriptions; the list names either.
import { errorBox, h, replace } from '../dom.js';
import { subscriptionLabel } from '../subscriptions/describe.js';
import { widgetEditor } from './editor.js';

/** @import { Agent, Subscription, Widget } from '../api.js' */

/** @param {import('../app.js').Context} context */
export function widgetsView({ api, can }) {
  const element = h('div', { class: 'widgets-view' });
  /** @type {Agent[]} */
  let agents = [];
  /** @type {Subscription[]} */
  let subscriptions = [];
  // Whether the list is shown (not the editor), so that coming back to the tab
  // reloads it (a subscription made meanwhile is then a choice) but never
  // throws away a half-edited widget.
  let listing = false;

  async function showList() {
    listing = true;
    const error = errorBox('widgets-error');
    const body = h('div', {}, h('p', { class: 'hint' }, 'Loading widgets…'));
    const heading = h('h2', { tabindex: '-1' }, 'Widgets');
    // Left out for a role that may not make widgets (the server would refuse).
    const create = can('widgets:write')
      ? h('button', { type: 'button', onclick: () => showEditor(null), testid: 'new-widget' }, 'New widget')
      : null;
    // A new widget needs an agent or a subscription to choose: wait for the lists of them.
    if (create) create.disabled = true;
    replace(element, h('div', { class: 'section-head' }, heading, create), error.element, body);
    try {
      const [agentList, subscriptionList, widgets] = await Promise.all([
        api.agents(),
        api.subscriptions(),
        api.widgets(),
      ]);
      agents = agentList;
      subscriptions = subscriptionList;
      if (create) create.disabled = false;
      // Editing, too, is left out for a role that may only read widgets.
      const edit = can('widgets:write') ? showEditor : null;
      replace(body, widgetTable(widgets, { agents, subscriptions, edit }));
    } catch (failure) {
      replace(body);
      error.show(/** @type {Error} */ (failure).message);
    }
    return heading;
  }

  /** @param {Widget | null} widget */
  function showEditor(widget) {
    listing = false;
    const editor = widgetEditor({
      api,
      agents,
      subscriptions,
      widget,
      onClose: async () => (await showList()).focus(),
    });
    replace(element, editor.element);
  }

  showList();
  return {
    element,
    shown: () => {
      if (listing) showList();
    },
  };
}

/**
 * What the list says a widget runs: its agent's name, or its subscription's
 * (`FAQ agent by Agent Makers (subscription)`); the bare id of one neither list has.
 * @param {Widget} widget
 * @param {{ agents: Agent[], subscriptions: Subscription[] }} lists
 */
function runsLabel(widget, { agents, subscriptions }) {
  if (widget.subscriptionId) {
    const subscription = subscriptions.find((candidate) => candidate.id === widget.subscriptionId);
    return subscription ? subscriptionLabel(subscription) : widget.subscriptionId;
  }
  return agents.find((agent) => agent.id === widget.agentId)?.name ?? widget.agentId ?? '';
}

/**
 * @param {Widget[]} widgets
 * @param {{ agents: Agent[], subscriptions: Subscription[], edit: ((widget: Widget) => void) | null }} options
 */
function widgetTable(widgets, { agents, subscriptions, edit }) {
  if (widgets.length === 0)
    return h('p', { testid: 'no-widgets' }, 'No widgets yet. Create one to put an agent on your site.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { testid: 'widgets-table' },
      h('caption', { class: 'sr-only' }, 'Your widgets'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Title', 'Agent', 'Allowed origins', 'Status', 'Actions'].map((label) => h('th', { scope: 'col' }, label)),
        ),
      ),
      h(
        'tbody',
        {},
        widgets.map((widget) =>
          h(
            'tr',
            { testid: 'widget-row', 'data-widget-id': widget.id },
            h('th', { scope: 'row' }, widget.title),
            h('td', { testid: 'widget-runs' }, runsLabel(widget, { agents, subscriptions })),
            h('td', { class: 'origins' }, widget.allowedOrigins.join(', ')),
            h('td', {}, widget.enabled ? 'Enabled' : 'Disabled'),
            h(
              'td',
              {},
              edit
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary',
                      onclick: () => edit(widget),
                      'aria-label': `Edit ${widget.title}`,
                    },
                    'Edit',
                  )
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}
