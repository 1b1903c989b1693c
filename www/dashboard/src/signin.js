// The sign-in page: single sign-on with the install's identity provider (a
// link to the server, which sends the browser there), and, where the server
// offers it, a secret key (`skt_sec_…`) checked against the API before it is
// kept; a refused key shows the server's reason.
import { AdminApi } from './api.js';
import { errorBox, h } from './dom.js';

/**
 * @param {{
 *   notice?: string,
 *   methods: { singleSignOn: boolean, secretKey: boolean },
 *   onSignedIn: (key: string) => void,
 * }} options
 */
export function signInView({ notice, methods, onSignedIn }) {
  const reason = errorBox('sign-in-reason');
  if (notice) reason.show(notice);
  return h(
    'section',
    { class: 'sign-in card', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    reason.element,
    methods.singleSignOn
      ? h(
          'p',
          {},
          h('a', { class: 'button', href: 'v1/auth/login', testid: 'sign-in-sso' }, 'Sign in with single sign-on'),
        )
      : null,
    methods.singleSignOn && methods.secretKey ? h('p', { class: 'hint' }, 'Or, for this install:') : null,
    methods.secretKey ? keyForm(onSignedIn) : null,
  );
}

/** @param {(key: string) => void} onSignedIn */
function keyForm(onSignedIn) {
  const input = h('input', {
    id: 'sign-in-key',
    name: 'key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'skt_sec_live_…',
    'aria-describedby': 'sign-in-help',
    testid: 'sign-in-key',
  });
  const error = errorBox('sign-in-error');
  const submit = h('button', { type: 'submit', testid: 'sign-in-submit' }, 'Sign in');

  /** @param {SubmitEvent} event */
  const onsubmit = async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    error.clear();
    submit.disabled = true;
    try {
      // Any admin call tells a good key from a bad one; a key that lacks this
      // scope (a restricted key) is still a key, and each view says what it lacks.
      await new AdminApi(key).widgets().catch((failure) => {
        if (failure.status !== 403) throw failure;
      });
      input.value = '';
      onSignedIn(key);
    } catch (failure) {
      error.show(/** @type {Error} */ (failure).message);
      input.focus();
    } finally {
      submit.disabled = false;
    }
  };

  return h(
    'form',
    { method: 'post', action: '#', onsubmit, testid: 'sign-in-form' },
    h('label', { for: 'sign-in-key' }, 'Secret key'),
    input,
    h(
      'p',
      { id: 'sign-in-help', class: 'hint' },
      'A secret key of your tenant (',
      h('code', {}, 'sitekit keys create --kind secret'),
      '). It stays in this tab only and is forgotten when you sign out or close the tab.',
    ),
    error.element,
    submit,
  );
}
