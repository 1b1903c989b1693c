// The keys tab: the tenant's keys (display form only), creating a secret or
// restricted key, rotating one with a grace period, and revoking one.
import { confirmDialog } from '../dialog.js';
import { announce, errorBox, h, replace, uniqueId } from '../dom.js';
import { secretPanel } from './secret.js';

/** @import { AdminApi, CreatedKey, Key, KeyRequest } from '../api.js' */

/** @type {Record<string, string>} */
const KINDS = { sec: 'Secret', rst: 'Restricted', pub: 'Publishable' };
/**
 * The scopes a restricted key made here may carry: every key's scope
 * (crates/sdk/src/fields.rs, `Scope::NAMES`) but `chat`, which only publishable
 * keys hold (no secret key has it to grant).
 */
const SCOPES = [
  'usage:read',
  'usage:write',
  'widgets:read',
  'widgets:write',
  'keys:write',
  'agents:write',
  'catalog:write',
  'seller:read',
];
/** @type {[number, string][]} */
const GRACE = [
  [0, 'No time: it stops now'],
  [3600, 'One hour'],
  [86400, 'One day'],
  [604800, 'Seven days'],
  [2592000, 'Thirty days'],
];
const DEFAULT_GRACE = 86400;

/** @param {import('../app.js').Context} context */
export function keysView({ api, signedInKey, can }) {
  const error = errorBox('keys-error');
  const list = h('div', {}, h('p', { class: 'hint' }, 'Loading keys…'));
  const revealed = h('div', { class: 'revealed' });
  const element = h(
    'div',
    { class: 'keys-view' },
    h('h2', {}, 'Keys'),
    h(
      'p',
      { class: 'hint' },
      'Secret and restricted keys call the admin API from your servers. Publishable keys live in snippets and are managed with their widget.',
    ),
    error.element,
    revealed,
    list,
    // Left out for a role that may not make keys (the server would refuse).
    can('keys:write') ? createKeyForm({ api, onCreated: (created) => reveal('New key', created.key, null) }) : null,
  );

  /**
   * Shows a key the API will never show again, then reloads the list.
   * @param {string} title
   * @param {string} key
   * @param {string | null} note
   */
  function reveal(title, key, note) {
    const panel = secretPanel({
      title,
      key,
      note,
      onDone: () => /** @type {HTMLElement | null} */ (list.querySelector('button, [tabindex]'))?.focus(),
    });
    replace(revealed, panel.element);
    panel.focus();
    announce(`${title} created. Copy it now: it will not be shown again.`);
    load();
  }

  async function load() {
    try {
      const keys = await api.keys();
      error.clear();
      replace(list, keyTable(keys, { signedInKey, onRotate: rotate, onRevoke: revoke }));
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  /** @param {Key} key */
  async function rotate(key) {
    const grace = h(
      'select',
      { id: uniqueId('grace'), testid: 'rotate-grace' },
      GRACE.map(([seconds, label]) =>
        h('option', { value: String(seconds), selected: seconds === DEFAULT_GRACE }, label),
      ),
    );
    const confirmed = await confirmDialog({
      title: 'Rotate key',
      question: `A new key replaces ${key.display}. The old one keeps working for the grace period, so your servers can switch over.`,
      fields: h('div', { class: 'field' }, h('label', { for: grace.id }, 'The old key keeps working for'), grace),
      confirmLabel: 'Rotate',
      testid: 'rotate-dialog',
    });
    if (!confirmed) return;
    const seconds = Number(grace.value);
    try {
      const created = await api.rotateKey(key.id, seconds);
      // The select offers only GRACE's values.
      const label = /** @type {[number, string]} */ (GRACE.find(([value]) => value === seconds))[1].toLowerCase();
      reveal(
        'Replacement key',
        created.key,
        seconds === 0 ? `${key.display} has stopped working.` : `${key.display} keeps working for ${label}.`,
      );
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  /** @param {Key} key */
  async function revoke(key) {
    const own = isSignedInKey(key, signedInKey);
    const confirmed = await confirmDialog({
      title: 'Revoke key',
      question: `${key.display} stops working within seconds, everywhere it is used.${own ? ' It is the key you are signed in with: you will be signed out.' : ''}`,
      confirmLabel: 'Revoke',
      danger: true,
      testid: 'revoke-dialog',
    });
    if (!confirmed) return;
    try {
      await api.revokeKey(key.id);
      announce(`${key.display} revoked.`);
      await load();
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
    }
  }

  load();
  return { element, shown: load };
}

/**
 * `skt_sec_live_…abcd` names the key that starts and ends so.
 * @param {Key} key
 * @param {string} signedInKey
 */
function isSignedInKey(key, signedInKey) {
  const [prefix, last4] = key.display.split('…');
  return last4 !== undefined && signedInKey.startsWith(prefix) && signedInKey.endsWith(last4);
}

/**
 * @param {Key[]} keys
 * @param {{ signedInKey: string, onRotate: (key: Key) => void, onRevoke: (key: Key) => void }} options
 */
function keyTable(keys, { signedInKey, onRotate, onRevoke }) {
  if (keys.length === 0) return h('p', {}, 'No keys yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { testid: 'keys-table' },
      h('caption', { class: 'sr-only' }, 'Your keys'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Key', 'Kind', 'Mode', 'Widget', 'Status', 'Actions'].map((label) => h('th', { scope: 'col' }, label)),
        ),
      ),
      h(
        'tbody',
        {},
        keys.map((key) => {
          const manageable = key.kind !== 'pub' && !key.revoked;
          const own = isSignedInKey(key, signedInKey);
          return h(
            'tr',
            { testid: 'key-row', 'data-key-id': key.id, 'data-display': key.display },
            h(
              'th',
              { scope: 'row' },
              h('code', {}, key.display),
              own ? h('span', { class: 'tag' }, 'signed in') : null,
            ),
            h('td', {}, KINDS[key.kind] ?? key.kind),
            h('td', {}, key.mode),
            h('td', {}, key.widgetId ?? '—'),
            h('td', { testid: 'key-status' }, key.revoked ? 'Revoked' : 'Active'),
            h(
              'td',
              { class: 'actions' },
              manageable
                ? [
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'secondary',
                        onclick: () => onRotate(key),
                        'aria-label': `Rotate ${key.display}`,
                        testid: 'rotate-key',
                      },
                      'Rotate',
                    ),
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'danger',
                        onclick: () => onRevoke(key),
                        'aria-label': `Revoke ${key.display}`,
                        testid: 'revoke-key',
                      },
                      'Revoke',
                    ),
                  ]
                : h('span', { class: 'hint' }, key.revoked ? '' : 'With its widget'),
            ),
          );
        }),
      ),
    ),
  );
}

/**
 * @param {{ api: AdminApi, onCreated: (created: CreatedKey) => void }} options
 */
function createKeyForm({ api, onCreated }) {
  const error = errorBox('create-key-error');
  const kindName = uniqueId('kind');
  const kinds = [
    ['secret', 'Secret', 'Every admin scope of your tenant.'],
    ['restricted', 'Restricted', 'Only the scopes chosen below.'],
  ].map(([value, label, about], index) => {
    const input = h('input', {
      type: 'radio',
      name: kindName,
      value,
      checked: index === 0,
      id: uniqueId('kind'),
      testid: `key-kind-${value}`,
    });
    return h(
      'div',
      { class: 'choice' },
      input,
      h('label', { for: input.id }, label, h('span', { class: 'hint' }, ` — ${about}`)),
    );
  });
  const scopes = SCOPES.map((scope) => {
    const input = h('input', { type: 'checkbox', value: scope, id: uniqueId('scope') });
    return h('span', { class: 'choice' }, input, h('label', { for: input.id }, h('code', {}, scope)));
  });
  const scopeSet = h('fieldset', { class: 'choices', disabled: true }, h('legend', {}, 'Scopes'), scopes);
  const expires = h('input', {
    type: 'number',
    min: 1,
    max: 3650,
    step: 1,
    inputmode: 'numeric',
    id: uniqueId('expires'),
    testid: 'key-expires',
  });
  const testMode = h('input', { type: 'checkbox', id: uniqueId('test-mode'), testid: 'key-test-mode' });
  const submit = h('button', { type: 'submit', testid: 'create-key' }, 'Create key');
  const form = h(
    'form',
    {
      class: 'card',
      method: 'post',
      action: '#',
      testid: 'create-key-form',
      onchange: () => {
        // A kind is always checked: the first one at first, and again after a reset.
        scopeSet.disabled =
          /** @type {HTMLInputElement} */ (form.querySelector(`input[name="${kindName}"]:checked`)).value !==
          'restricted';
      },
      /** @param {SubmitEvent} event */
      onsubmit: async (event) => {
        event.preventDefault();
        error.clear();
        const kind = /** @type {HTMLInputElement} */ (form.querySelector(`input[name="${kindName}"]:checked`)).value;
        /** @type {KeyRequest} */
        const request = { kind, testMode: testMode.checked };
        if (kind === 'restricted')
          request.scopes = [
            .../** @type {NodeListOf<HTMLInputElement>} */ (scopeSet.querySelectorAll('input:checked')),
          ].map((input) => input.value);
        if (expires.value !== '') request.expiresInDays = Number(expires.value);
        submit.disabled = true;
        try {
          onCreated(await api.createKey(request));
          form.reset();
          scopeSet.disabled = true;
        } catch (failure) {
          error.show(/** @type {Error} */ (failure).message);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', {}, 'Create a key'),
    h('fieldset', { class: 'choices' }, h('legend', {}, 'Kind'), kinds),
    scopeSet,
    h(
      'div',
      { class: 'field-row' },
      h(
        'div',
        { class: 'field' },
        h('label', { for: expires.id }, 'Expires after (days)'),
        expires,
        h('p', { class: 'hint' }, 'Empty: never.'),
      ),
      h('div', { class: 'field check' }, testMode, h('label', { for: testMode.id }, 'Test mode (skt_…_test_…)')),
    ),
    error.element,
    submit,
  );
  return form;
}
