// Creating or editing one widget: the settings form beside the live preview,
// and, once the widget exists, its snippet.
import { announce, errorBox, h, replace } from '../dom.js';
import { widgetForm } from './form.js';
import { widgetPreview } from './preview.js';
import { DEFAULTS, createRequest, fromWidget, previewConfig, updateRequest } from './settings.js';
import { snippetView } from './snippet.js';

/**
 * `widget` is a WidgetSummary, or null for a new widget, which runs one of
 * `agents` (the tenant's own) or of `subscriptions`; `onClose(changed)`
 * returns to the list.
 * @param {object} options
 * @param {import('../api.js').AdminApi} options.api
 * @param {import('../api.js').Agent[]} options.agents
 * @param {import('../api.js').Subscription[]} options.subscriptions
 * @param {import('../api.js').Widget | null} options.widget
 * @param {() => void} options.onClose
 */
export function widgetEditor({ api, agents, subscriptions, widget, onClose }) {
  const element = h('div', { class: 'editor' });
  /** @type {ReturnType<typeof widgetPreview> | null} */
  let preview = null;

  const close = () => {
    preview?.dispose();
    onClose();
  };

  /**
   * @param {import('../api.js').Widget | null} current
   * @param {string} [notice]
   */
  function render(current, notice) {
    preview?.dispose();
    preview = widgetPreview();
    const isNew = current === null;
    const settings = isNew ? { ...DEFAULTS, ...firstChoice(agents, subscriptions) } : fromWidget(current);
    const error = errorBox('widget-error');
    const form = widgetForm({
      settings,
      agents,
      subscriptions,
      isNew,
      submitLabel: isNew ? 'Create widget' : 'Save changes',
      // This render's preview, made above.
      onChange: (next) => /** @type {NonNullable<typeof preview>} */ (preview).show(previewConfig(next)),
      onSubmit: async (next, button) => {
        error.clear();
        button.disabled = true;
        try {
          if (isNew) {
            const created = await api.createWidget(createRequest(next));
            render(created.widget, 'Widget created. Paste its snippet into your pages.');
          } else {
            const saved = await api.updateWidget(current.id, updateRequest(next));
            render(saved, 'Changes saved.');
          }
        } catch (failure) {
          error.show(/** @type {Error} */ (failure).message);
        } finally {
          button.disabled = false;
        }
      },
    });
    const heading = h(
      'h2',
      { tabindex: '-1', testid: 'editor-title' },
      isNew ? 'New widget' : `Widget “${current.title}”`,
    );
    replace(
      element,
      h('button', { type: 'button', class: 'link', onclick: close, testid: 'editor-back' }, '← All widgets'),
      heading,
      isNew ? null : h('p', { class: 'hint' }, 'Widget id ', h('code', { testid: 'widget-id' }, current.id)),
      notice ? h('p', { class: 'notice', testid: 'editor-notice' }, notice) : null,
      h('div', { class: 'editor-grid' }, h('div', { class: 'card' }, error.element, form.element), preview.element),
      isNew ? null : snippetView({ api, widgetId: current.id }),
    );
    preview.show(previewConfig(form.read()));
    if (notice) announce(notice);
    heading.focus();
  }

  if (widget === null && agents.length === 0 && subscriptions.length === 0) {
    replace(
      element,
      h('button', { type: 'button', class: 'link', onclick: close }, '← All widgets'),
      h(
        'p',
        { class: 'notice', testid: 'no-agents' },
        'A widget needs an agent first: bind one of your own with ',
        h('code', {}, 'sitekit agents create'),
        ' or ',
        h('code', {}, 'POST /v1/agents'),
        ', or subscribe to a published agent under Subscriptions.',
      ),
    );
  } else {
    render(widget);
  }
  return { element };
}

/**
 * What a new widget runs unless the owner chooses otherwise: the first agent of
 * the tenant's own, else its first subscription.
 * @param {import('../api.js').Agent[]} agents
 * @param {import('../api.js').Subscription[]} subscriptions
 */
function firstChoice(agents, subscriptions) {
  if (agents.length > 0) return { agentId: agents[0].id, subscriptionId: '' };
  return { agentId: '', subscriptionId: subscriptions[0]?.id ?? '' };
}
