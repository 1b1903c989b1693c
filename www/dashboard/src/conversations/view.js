// The conversations tab (`conversations:read`): what visitors asked the
// organisation's widgets, newest first, found by widget, days, rating,
// outcome, contact details left (a lead) and the words in them, a page at a
// time, each row with badges for its CSAT answer, lead and request for a
// person; each conversation opens as its transcript (from here, or from
// another view by `open`). The filtered set downloads as JSON Lines.
import { announce, errorBox, h, replace, uniqueId } from '../dom.js';
import { fileNameFrom, saveBlob } from '../download.js';
import { loadWidgetChoice } from '../widgets/choice.js';
import { transcriptView } from './transcript.js';

/** @import { ConversationFilters, ConversationSummary } from '../api.js' */

const PAGE = 50;

const OUTCOMES = { answered: 'Answered', errored: 'Errored', visitor_left: 'Visitor left' };

/** @param {import('../app.js').Context} context */
export function conversationsView(context) {
  const { api } = context;
  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Record<string, any>} props
   */
  const control = (tag, props) => h(tag, { id: uniqueId('conversations'), ...props });
  const search = control('input', { type: 'search', testid: 'conversations-search', maxlength: 200 });
  const widget = control('select', { testid: 'conversations-widget' });
  widget.append(h('option', { value: '' }, 'All widgets'));
  const from = control('input', { type: 'date', testid: 'conversations-from' });
  const to = control('input', { type: 'date', testid: 'conversations-to' });
  const ratedDown = control('input', { type: 'checkbox', testid: 'conversations-rated-down' });
  const errored = control('input', { type: 'checkbox', testid: 'conversations-errored' });
  const hasLead = control('input', { type: 'checkbox', testid: 'conversations-has-lead' });
  const error = errorBox('conversations-error');
  const exportError = errorBox('conversations-export-error');
  const status = h('p', { class: 'hint', testid: 'conversations-status', 'aria-live': 'polite' });
  const list = h('div', {});
  const more = h(
    'button',
    { type: 'button', class: 'secondary', testid: 'conversations-more', hidden: true },
    'More conversations',
  );
  /** @type {ConversationSummary[]} */
  let shown = [];
  /** @type {string | null} */
  let nextCursor = null;

  /** @returns {ConversationFilters} */
  const filters = () => ({
    q: search.value.trim(),
    widgetId: widget.value,
    from: from.value,
    to: to.value,
    ratedDown: ratedDown.checked ? 'true' : '',
    errored: errored.checked ? 'true' : '',
    hasLead: hasLead.checked ? 'true' : '',
  });

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
      const page = await api.conversations({ ...filters(), limit: String(PAGE), cursor });
      shown = next ? [...shown, ...page.conversations] : page.conversations;
      nextCursor = page.nextCursor;
      more.hidden = nextCursor === null;
      replace(list, conversationTable(shown, open));
      status.textContent =
        shown.length === 0
          ? 'No conversation matches.'
          : `${shown.length} conversation${shown.length === 1 ? '' : 's'}${nextCursor ? ', more below' : ''}.`;
    } catch (failure) {
      status.textContent = '';
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  const loadWidgets = () => loadWidgetChoice(api, widget);

  /** @param {HTMLButtonElement} button */
  async function download(button) {
    exportError.clear();
    button.disabled = true;
    try {
      const { blob, disposition } = await api.exportConversations(filters());
      const name = fileNameFrom(disposition, 'sitekit-conversations.ndjson');
      saveBlob(blob, name);
      announce(`Downloading ${name}.`);
    } catch (failure) {
      exportError.show(/** @type {Error} */ (failure).message);
    } finally {
      button.disabled = false;
    }
  }

  const inbox = h('div', {});
  const element = h('div', { class: 'conversations-view' }, inbox);

  /** @param {string} id */
  function open(id) {
    const transcript = transcriptView(context, id, {
      onBack: () => {
        replace(element, inbox);
        load(false);
        /** @type {HTMLElement | null} */ (inbox.querySelector('h2'))?.focus();
      },
    });
    replace(element, transcript);
  }

  const exportButton = h(
    'button',
    { type: 'button', class: 'secondary', testid: 'conversations-export' },
    'Download JSON Lines',
  );
  exportButton.addEventListener('click', () => download(exportButton));
  more.addEventListener('click', () => load(true));

  const form = h(
    'form',
    {
      class: 'filters card',
      method: 'post',
      action: '#',
      role: 'search',
      testid: 'conversations-filters',
      /** @param {SubmitEvent} event */
      onsubmit: (event) => {
        event.preventDefault();
        load(false);
      },
    },
    h('div', { class: 'field' }, h('label', { for: search.id }, 'Words'), search),
    h('div', { class: 'field' }, h('label', { for: widget.id }, 'Widget'), widget),
    h('div', { class: 'field' }, h('label', { for: from.id }, 'From'), from),
    h('div', { class: 'field' }, h('label', { for: to.id }, 'To'), to),
    h('div', { class: 'field check' }, ratedDown, h('label', { for: ratedDown.id }, 'Rated down')),
    h('div', { class: 'field check' }, errored, h('label', { for: errored.id }, 'Errored')),
    h('div', { class: 'field check' }, hasLead, h('label', { for: hasLead.id }, 'Has lead')),
    h('button', { type: 'submit', testid: 'conversations-show' }, 'Search'),
  );

  replace(
    inbox,
    h('h2', { tabindex: '-1' }, 'Conversations'),
    h(
      'p',
      { class: 'hint' },
      'What visitors asked your widgets, newest first, kept as long as the server keeps threads.',
    ),
    form,
    error.element,
    status,
    list,
    more,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'conversations-export-title' },
      h('h3', { id: 'conversations-export-title' }, 'Export'),
      h('p', { class: 'hint' }, 'Every conversation the filters let through, each with its transcript.'),
      h('div', { class: 'actions' }, exportButton),
      exportError.element,
    ),
  );

  loadWidgets();
  load(false);
  return {
    element,
    shown: () => {
      if (!inbox.isConnected) return;
      loadWidgets();
      load(false);
    },
    open,
  };
}

/**
 * @param {ConversationSummary[]} conversations
 * @param {(id: string) => void} open
 */
function conversationTable(conversations, open) {
  if (conversations.length === 0) return h('p', { testid: 'no-conversations' }, 'No conversation matches.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { testid: 'conversations-table' },
      h('caption', { class: 'sr-only' }, 'Conversations, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Latest message', 'Widget', 'Messages', 'Outcome', 'Rating', 'Follow-up', 'Visitor'].map((label) =>
            h('th', { scope: 'col' }, label),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        conversations.map((conversation) =>
          h(
            'tr',
            { testid: 'conversation-row', 'data-thread': conversation.threadId },
            h(
              'th',
              { scope: 'row' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  testid: 'conversation-open',
                  onclick: () => open(conversation.id),
                },
                new Date(conversation.lastMessageAt).toLocaleString(),
              ),
            ),
            h('td', {}, conversation.widgetName),
            h('td', {}, String(conversation.messages)),
            h('td', { testid: 'conversation-outcome' }, OUTCOMES[conversation.outcome]),
            h('td', { testid: 'conversation-rating' }, rating(conversation)),
            h('td', { testid: 'conversation-follow-up' }, followUp(conversation)),
            h('td', {}, h('code', {}, conversation.visitorId)),
          ),
        ),
      ),
    ),
  );
}

/**
 * A small label beside a row's text (`CSAT 4/5`).
 * @param {string} text
 * @param {string} testid
 */
function badge(text, testid) {
  return h('span', { class: 'tag', testid }, text);
}

/**
 * The answers rated up and down, and the CSAT answer as a badge.
 * @param {ConversationSummary} conversation
 */
function rating({ ratedUp, ratedDown, csat }) {
  const thumbs = ratedUp > 0 || ratedDown > 0 ? `${ratedUp} up, ${ratedDown} down` : null;
  if (!thumbs && !csat) return '—';
  return h('span', { class: 'badges' }, thumbs, csat ? badge(`CSAT ${csat}/5`, 'conversation-badge-csat') : null);
}

/**
 * Badges for what the visitor asked of the organisation: a lead, a person.
 * @param {ConversationSummary} conversation
 */
function followUp({ hasLead, handoffRequested }) {
  if (!hasLead && !handoffRequested) return '—';
  return h(
    'span',
    { class: 'badges' },
    hasLead ? badge('Left contact details', 'conversation-badge-lead') : null,
    handoffRequested ? badge('Asked for a person', 'conversation-badge-handoff') : null,
  );
}
