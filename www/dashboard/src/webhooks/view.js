// The webhooks tab (`webhooks:write`): the organisation's endpoints, adding one
// for the events chosen (its signing secret shown once), rotating a secret,
// deleting an endpoint, and each endpoint's delivery log, newest first, with
// "Resend" (the same delivery id again, as Standard Webhooks' idempotency key).
import { confirmDialog } from '../dialog.js';
import { announce, errorBox, h, replace, uniqueId } from '../dom.js';
import { secretPanel } from '../keys/secret.js';

/** @import { Webhook, WebhookDelivery } from '../api.js' */

/** The events an endpoint may be sent, and what each means. */
const EVENTS = [
  ['conversation.started', "A visitor's first message in a conversation"],
  ['conversation.rated', 'A visitor rated an answer'],
  ['run.failed', 'An answer ended in an error'],
  ['usage.daily', "A UTC day's totals, after the day"],
  ['lead.created', 'A visitor left their contact details'],
  ['handoff.requested', 'A visitor asked for a person'],
];

/** @param {import('../app.js').Context} context */
export function webhooksView({ api }) {
  const error = errorBox('webhooks-error');
  const list = h('div', {}, h('p', { class: 'hint' }, 'Loading the endpoints…'));
  const revealed = h('div', {});
  const log = h('div', {});
  const url = h('input', {
    id: uniqueId('webhook'),
    type: 'url',
    required: true,
    placeholder: 'https://hooks.example.com/sitekit',
    testid: 'webhook-url',
  });
  const events = EVENTS.map(([name, meaning]) => {
    const input = h('input', { type: 'checkbox', id: uniqueId('event'), value: name, testid: `webhook-event-${name}` });
    return {
      input,
      element: h(
        'div',
        { class: 'field check' },
        input,
        h('label', { for: input.id }, h('code', {}, name), ` ${meaning}`),
      ),
    };
  });

  /** Shows the secret the API shows this once. */
  function reveal(/** @type {string} */ title, /** @type {string} */ secret) {
    const panel = secretPanel({
      title,
      key: secret,
      note: 'Verify each delivery with it, with any Standard Webhooks library.',
      noun: 'secret',
      kept: 'It is stored encrypted and never shown again; rotate it if it is lost.',
      testid: 'webhook-secret',
      onDone: () => url.focus(),
    });
    replace(revealed, panel.element);
    panel.focus();
    announce(`${title}. Copy it now: it will not be shown again.`);
  }

  async function load() {
    try {
      const webhooks = await api.webhooks();
      error.clear();
      replace(list, webhookTable(webhooks));
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  /** @param {Webhook[]} webhooks */
  function webhookTable(webhooks) {
    if (webhooks.length === 0) return h('p', { testid: 'no-webhooks' }, 'No endpoint yet.');
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { testid: 'webhooks-table' },
        h('caption', { class: 'sr-only' }, 'Webhook endpoints'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Endpoint', 'Events', 'Actions'].map((label) => h('th', { scope: 'col' }, label)),
          ),
        ),
        h(
          'tbody',
          {},
          webhooks.map((webhook) =>
            h(
              'tr',
              { testid: 'webhook-row' },
              h('th', { scope: 'row' }, h('code', {}, webhook.url)),
              h('td', {}, webhook.events.join(', ')),
              h(
                'td',
                { class: 'actions' },
                h(
                  'button',
                  { type: 'button', class: 'secondary', testid: 'webhook-deliveries', onclick: () => showLog(webhook) },
                  'Deliveries',
                ),
                h(
                  'button',
                  { type: 'button', class: 'secondary', testid: 'webhook-rotate', onclick: () => rotate(webhook) },
                  'Rotate secret',
                ),
                h(
                  'button',
                  { type: 'button', class: 'danger', testid: 'webhook-delete', onclick: () => remove(webhook) },
                  'Delete',
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  /** @param {Webhook} webhook */
  async function rotate(webhook) {
    const confirmed = await confirmDialog({
      title: 'Rotate the signing secret?',
      question: `Deliveries to ${webhook.url} carry signatures by both the new and the old secret for 24 hours.`,
      confirmLabel: 'Rotate',
      testid: 'rotate-webhook',
    });
    if (!confirmed) return;
    try {
      const rotated = await api.rotateWebhookSecret(webhook.id);
      reveal('New signing secret', rotated.secret);
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  /** @param {Webhook} webhook */
  async function remove(webhook) {
    const confirmed = await confirmDialog({
      title: 'Delete this endpoint?',
      question: `Nothing more is sent to ${webhook.url}; deliveries not sent yet end failed.`,
      confirmLabel: 'Delete',
      danger: true,
      testid: 'delete-webhook',
    });
    if (!confirmed) return;
    try {
      await api.deleteWebhook(webhook.id);
      replace(log);
      announce('The endpoint was deleted.');
      load();
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  /** @param {Webhook} webhook */
  function showLog(webhook) {
    const logError = errorBox('webhook-log-error');
    const rows = h('div', {});
    const heading = h('h3', { tabindex: '-1' }, `Deliveries to ${webhook.url}`);
    const refresh = h('button', { type: 'button', class: 'secondary', testid: 'webhook-log-refresh' }, 'Refresh');
    const older = h(
      'button',
      { type: 'button', class: 'secondary', testid: 'webhook-log-older', hidden: true },
      'Older',
    );
    /** @type {WebhookDelivery[]} */
    let shown = [];
    /** @type {string | null} */
    let nextBefore = null;
    /** @param {boolean} more */
    async function fetchPage(more) {
      try {
        const page = await api.webhookDeliveries(webhook.id, { before: more ? (nextBefore ?? undefined) : undefined });
        shown = more ? [...shown, ...page.deliveries] : page.deliveries;
        nextBefore = page.nextBefore;
        older.hidden = nextBefore === null;
        logError.clear();
        replace(rows, deliveryTable(shown));
      } catch (failure) {
        logError.show(/** @type {Error} */ (failure).message);
      }
    }
    /** @param {WebhookDelivery[]} deliveries */
    function deliveryTable(deliveries) {
      if (deliveries.length === 0) return h('p', { testid: 'no-deliveries' }, 'Nothing sent yet.');
      return h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { testid: 'webhook-log' },
          h('caption', { class: 'sr-only' }, 'Deliveries, newest first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Event', 'State', 'Attempts', 'Last answer', 'Created', ''].map((label) =>
                h('th', { scope: 'col' }, label || h('span', { class: 'sr-only' }, 'Actions')),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            deliveries.map((delivery) =>
              h(
                'tr',
                { testid: 'webhook-delivery', 'data-delivery': delivery.id },
                h('th', { scope: 'row' }, h('code', {}, delivery.type)),
                h('td', { testid: 'webhook-delivery-state' }, delivery.state),
                h('td', {}, String(delivery.attempts)),
                h('td', {}, delivery.lastError ?? (delivery.lastStatus === null ? '—' : `HTTP ${delivery.lastStatus}`)),
                h('td', {}, new Date(delivery.createdAt).toLocaleString()),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary',
                      testid: 'webhook-resend',
                      'aria-label': `Resend ${delivery.type} ${delivery.id}`,
                      onclick: async () => {
                        try {
                          await api.resendDelivery(webhook.id, delivery.id);
                          announce('Sent again, with the same id.');
                          fetchPage(false);
                        } catch (failure) {
                          logError.show(/** @type {Error} */ (failure).message);
                        }
                      },
                    },
                    'Resend',
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    }
    refresh.addEventListener('click', () => fetchPage(false));
    older.addEventListener('click', () => fetchPage(true));
    replace(
      log,
      h(
        'section',
        { class: 'card', 'aria-label': `Deliveries to ${webhook.url}`, testid: 'webhook-log-panel' },
        heading,
        h('div', { class: 'actions' }, refresh),
        logError.element,
        rows,
        older,
      ),
    );
    heading.focus();
    fetchPage(false);
  }

  const form = h(
    'form',
    {
      class: 'card',
      method: 'post',
      action: '#',
      testid: 'webhook-form',
      /** @param {SubmitEvent} event */
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = events.filter(({ input }) => input.checked).map(({ input }) => input.value);
        if (chosen.length === 0) {
          error.show('Choose at least one event.');
          return;
        }
        try {
          const created = await api.createWebhook({ url: url.value.trim(), events: chosen });
          error.clear();
          url.value = '';
          for (const { input } of events) input.checked = false;
          reveal('Signing secret of the new endpoint', created.secret);
          load();
        } catch (failure) {
          error.show(/** @type {Error} */ (failure).message);
        }
      },
    },
    h('h3', {}, 'Add an endpoint'),
    h('div', { class: 'field' }, h('label', { for: url.id }, 'URL (https)'), url),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Events'),
      events.map(({ element }) => element),
    ),
    h('button', { type: 'submit', testid: 'webhook-add' }, 'Add endpoint'),
  );

  const element = h(
    'div',
    { class: 'webhooks-view' },
    h('h2', {}, 'Webhooks'),
    h(
      'p',
      { class: 'hint' },
      'Your systems are told what happens, signed by the Standard Webhooks scheme and retried for a day.',
    ),
    error.element,
    revealed,
    list,
    log,
    form,
  );
  load();
  return { element, shown: load };
}
