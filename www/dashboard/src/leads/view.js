// The leads tab (`conversations:read`): the contact details visitors left in
// the organisation's widgets, newest first, by widget and days, a page at a
// time, each with the consent the visitor gave, its address as a mailto: link
// and its conversation opening in the conversations tab; the filtered set
// downloads as CSV. Everything a visitor wrote is shown as text.
import { announce, errorBox, h, replace, uniqueId } from '../dom.js';
import { fileNameFrom, saveBlob } from '../download.js';
import { loadWidgetChoice } from '../widgets/choice.js';
import { emailLink } from './mailto.js';

/** @import { Lead, LeadFilters } from '../api.js' */

const PAGE = 50;

/** @param {import('../app.js').Context} context */
export function leadsView({ api, openConversation }) {
  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Record<string, any>} props
   */
  const control = (tag, props) => h(tag, { id: uniqueId('leads'), ...props });
  const widget = control('select', { testid: 'leads-widget' });
  widget.append(h('option', { value: '' }, 'All widgets'));
  const from = control('input', { type: 'date', testid: 'leads-from' });
  const to = control('input', { type: 'date', testid: 'leads-to' });
  const error = errorBox('leads-error');
  const exportError = errorBox('leads-export-error');
  const status = h('p', { class: 'hint', testid: 'leads-status', 'aria-live': 'polite' });
  const list = h('div', {});
  const more = h('button', { type: 'button', class: 'secondary', testid: 'leads-more', hidden: true }, 'More leads');
  /** @type {Lead[]} */
  let shown = [];
  /** @type {string | null} */
  let nextCursor = null;
  /**
   * The widgets' titles by id, for naming each lead's widget (empty without
   * `widgets:read`: the id stands in).
   * @type {Promise<Map<string, string>>}
   */
  let widgetNames = Promise.resolve(new Map());

  /** @returns {LeadFilters} */
  const filters = () => ({ widgetId: widget.value, from: from.value, to: to.value });

  /** @param {boolean} next the page after those shown */
  async function load(next) {
    error.clear();
    if (from.value && to.value && from.value > to.value) {
      error.show('The first day must not come after the last.');
      return;
    }
    status.textContent = 'Loading…';
    try {
      const cursor = next && nextCursor ? nextCursor : undefined;
      const [page, names] = await Promise.all([api.leads({ ...filters(), limit: String(PAGE), cursor }), widgetNames]);
      shown = next ? [...shown, ...page.leads] : page.leads;
      nextCursor = page.nextCursor;
      more.hidden = nextCursor === null;
      replace(list, leadTable(shown, { names, open: openConversation }));
      status.textContent =
        shown.length === 0
          ? 'No lead matches.'
          : `${shown.length} lead${shown.length === 1 ? '' : 's'}${nextCursor ? ', more below' : ''}.`;
    } catch (failure) {
      status.textContent = '';
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  /** @param {HTMLButtonElement} button */
  async function download(button) {
    exportError.clear();
    button.disabled = true;
    try {
      const { blob, disposition } = await api.exportLeads(filters());
      const name = fileNameFrom(disposition, 'sitekit-leads.csv');
      saveBlob(blob, name);
      announce(`Downloading ${name}.`);
    } catch (failure) {
      exportError.show(/** @type {Error} */ (failure).message);
    } finally {
      button.disabled = false;
    }
  }

  const exportButton = h('button', { type: 'button', class: 'secondary', testid: 'leads-export' }, 'Download CSV');
  exportButton.addEventListener('click', () => download(exportButton));
  more.addEventListener('click', () => load(true));

  const form = h(
    'form',
    {
      class: 'filters card',
      method: 'post',
      action: '#',
      role: 'search',
      testid: 'leads-filters',
      /** @param {SubmitEvent} event */
      onsubmit: (event) => {
        event.preventDefault();
        load(false);
      },
    },
    h('div', { class: 'field' }, h('label', { for: widget.id }, 'Widget'), widget),
    h('div', { class: 'field' }, h('label', { for: from.id }, 'From'), from),
    h('div', { class: 'field' }, h('label', { for: to.id }, 'To'), to),
    h('button', { type: 'submit', testid: 'leads-show' }, 'Show'),
  );

  const element = h(
    'div',
    { class: 'leads-view' },
    h('h2', { tabindex: '-1' }, 'Leads'),
    h(
      'p',
      { class: 'hint' },
      'Contact details visitors left in widgets that ask for them, newest first, with the consent each visitor gave.',
    ),
    form,
    error.element,
    status,
    list,
    more,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'leads-export-title' },
      h('h3', { id: 'leads-export-title' }, 'Export'),
      h('p', { class: 'hint' }, 'Every lead the filters let through, as CSV.'),
      h('div', { class: 'actions' }, exportButton),
      exportError.element,
    ),
  );

  const refresh = () => {
    widgetNames = loadWidgetChoice(api, widget).then(
      (widgets) => new Map(widgets.map((choice) => [choice.id, choice.title])),
    );
    load(false);
  };
  refresh();
  return { element, shown: refresh };
}

/**
 * @param {Lead[]} leads
 * @param {{ names: Map<string, string>, open: (conversationId: string) => void }} options
 */
function leadTable(leads, { names, open }) {
  if (leads.length === 0) return h('p', { testid: 'no-leads' }, 'No lead matches.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { testid: 'leads-table' },
      h('caption', { class: 'sr-only' }, 'Leads, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Left', 'Widget', 'Name', 'Email', 'Message', 'Consent given to', 'Conversation'].map((label) =>
            h('th', { scope: 'col' }, label),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        leads.map((lead) =>
          h(
            'tr',
            { testid: 'lead-row', 'data-lead-id': lead.id },
            h(
              'th',
              { scope: 'row' },
              h('time', { datetime: lead.createdAt }, new Date(lead.createdAt).toLocaleString()),
            ),
            h('td', { testid: 'lead-widget' }, names.get(lead.widgetId) ?? h('code', {}, lead.widgetId)),
            h('td', { testid: 'lead-name' }, lead.name ?? '—'),
            h('td', {}, emailLink(lead.email, 'lead-email')),
            h(
              'td',
              { testid: 'lead-message' },
              lead.message ? h('span', { class: 'lead-message' }, lead.message) : '—',
            ),
            h('td', {}, lead.consentText),
            h('td', {}, conversationLink(lead, open)),
          ),
        ),
      ),
    ),
  );
}

/**
 * A button to the lead's conversation; a dash for a lead left before the
 * visitor wrote anything (a form shown before the chat).
 * @param {Lead} lead
 * @param {(conversationId: string) => void} open
 */
function conversationLink(lead, open) {
  const { conversationId } = lead;
  if (conversationId === null) return '—';
  return h(
    'button',
    {
      type: 'button',
      class: 'link',
      testid: 'lead-open-conversation',
      'aria-label': `Open conversation with ${lead.name ?? lead.email}`,
      onclick: () => open(conversationId),
    },
    'Open conversation',
  );
}
