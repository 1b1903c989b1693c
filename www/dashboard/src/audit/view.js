// The audit tab (owners, secret keys): every write to the admin API, newest
// first — who (a person or a key), what, the server's answer, from where and
// when — a page at a time.
import { errorBox, h, replace } from '../dom.js';

/** @import { AuditEvent } from '../api.js' */

const PAGE = 50;

/** @param {import('../app.js').Context} context */
export function auditView({ api }) {
  const error = errorBox('audit-error');
  const body = h('div', {}, h('p', { class: 'hint' }, 'Loading the audit trail…'));
  const more = h('button', { type: 'button', class: 'secondary', testid: 'audit-more', hidden: true }, 'Older');
  /** @type {AuditEvent[]} */
  let events = [];
  const element = h(
    'div',
    { class: 'audit-view' },
    h('h2', {}, 'Audit'),
    h('p', { class: 'hint' }, 'Every change made through the admin API, refused attempts included.'),
    error.element,
    body,
    more,
  );

  /** @param {boolean} older */
  async function load(older) {
    try {
      const before = older && events.length > 0 ? events[events.length - 1].at : undefined;
      const page = await api.audit({ limit: PAGE, before });
      events = older ? [...events, ...page] : page;
      error.clear();
      more.hidden = page.length < PAGE;
      replace(body, auditTable(events));
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
  }
  more.addEventListener('click', () => load(true));

  load(false);
  return { element, shown: () => load(false) };
}

/** @param {AuditEvent[]} events */
function auditTable(events) {
  if (events.length === 0) return h('p', { testid: 'no-audit' }, 'Nothing changed yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { testid: 'audit-table' },
      h('caption', { class: 'sr-only' }, 'Audit trail, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['When', 'Who', 'What', 'Answer', 'From'].map((label) => h('th', { scope: 'col' }, label)),
        ),
      ),
      h(
        'tbody',
        {},
        events.map((event) =>
          h(
            'tr',
            { testid: 'audit-row' },
            h('td', {}, new Date(event.at).toLocaleString()),
            h('th', { scope: 'row' }, event.actor),
            h('td', {}, h('code', {}, `${event.method} ${event.path}`)),
            h('td', {}, String(event.status)),
            h('td', {}, event.address),
          ),
        ),
      ),
    ),
  );
}
