// The widgets tab: the tenant's widgets in a table, and the editor for a new or
// an existing one in its place.
import { errorBox, h, replace } from '../dom.js';
import { widgetEditor } from './editor.js';

/** @import { Agent, Widget } from '../api.js' */

/** @param {import('../app.js').Context} context */
export function widgetsView({ api }) {
  const element = h('div', { class: 'widgets-view' });
  /** @type {Agent[]} */
  let agents = [];

  async function showList() {
    const error = errorBox('widgets-error');
    const body = h('div', {}, h('p', { class: 'hint' }, 'Loading widgets…'));
    const heading = h('h2', { tabindex: '-1' }, 'Widgets');
    const create = h('button', { type: 'button', onclick: () => showEditor(null), testid: 'new-widget' }, 'New widget');
    // A new widget needs an agent to choose: wait for the list of them.
    create.disabled = true;
    replace(element, h('div', { class: 'section-head' }, heading, create), error.element, body);
    try {
      const [agentList, widgets] = await Promise.all([api.agents(), api.widgets()]);
      agents = agentList;
      create.disabled = false;
      replace(body, widgetTable(widgets, agents, showEditor));
    } catch (failure) {
      replace(body);
      error.show(/** @type {Error} */ (failure).message);
    }
    return heading;
  }

  /** @param {Widget | null} widget */
  function showEditor(widget) {
    const editor = widgetEditor({
      api,
      agents,
      widget,
      onClose: async () => (await showList()).focus(),
    });
    replace(element, editor.element);
  }

  showList();
  return { element };
}

/**
 * @param {Widget[]} widgets
 * @param {Agent[]} agents
 * @param {(widget: Widget) => void} edit
 */
function widgetTable(widgets, agents, edit) {
  if (widgets.length === 0)
    return h('p', { testid: 'no-widgets' }, 'No widgets yet. Create one to put an agent on your site.');
  /** @param {string} id */
  const agentName = (id) => agents.find((agent) => agent.id === id)?.name ?? id;
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
            h('td', {}, agentName(widget.agentId)),
            h('td', { class: 'origins' }, widget.allowedOrigins.join(', ')),
            h('td', {}, widget.enabled ? 'Enabled' : 'Disabled'),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  onclick: () => edit(widget),
                  'aria-label': `Edit ${widget.title}`,
                },
                'Edit',
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
