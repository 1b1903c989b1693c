// The dashboard's shell: sign-in, then the widgets, subscriptions, keys, usage and seller
// views behind a tab bar (every organisation has the seller tab; one that does not sell is
// told so there). A 401 from any call (the key was revoked or has expired) signs out
// and says why, in the server's words.
import { AdminApi } from './api.js';
import { forgetKey, rememberKey, storedKey } from './auth.js';
import { h, replace } from './dom.js';
import { keysView } from './keys/view.js';
import { sellerView } from './seller/view.js';
import { signInView } from './signin.js';
import { subscriptionsView } from './subscriptions/view.js';
import { tabs } from './tabs.js';
import { usageView } from './usage/view.js';
import { widgetsView } from './widgets/view.js';

/**
 * What every tab's view is given.
 * @typedef {object} Context
 * @property {AdminApi} api
 * @property {string} signedInKey
 */

export function startDashboard() {
  // Both are in the dashboard's page (index.html).
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  const signOutButton = /** @type {HTMLButtonElement} */ (document.getElementById('sign-out'));
  /** @type {AdminApi | null} */
  let current = null;

  /** @param {string} [reason] */
  function showSignIn(reason) {
    current = null;
    signOutButton.hidden = true;
    replace(main, signInView({ reason, onSignedIn: (key) => showDashboard(key, { fromSignIn: true }) }));
    /** @type {HTMLInputElement} */ (main.querySelector('input')).focus();
  }

  /**
   * @param {string} key
   * @param {{ fromSignIn?: boolean }} [options]
   */
  function showDashboard(key, { fromSignIn = false } = {}) {
    rememberKey(key);
    const api = new AdminApi(key, {
      onUnauthorized: (error) => {
        // Several calls may fail at once; the first one signs out.
        if (current !== api) return;
        forgetKey();
        showSignIn(error.message);
      },
    });
    current = api;
    signOutButton.hidden = false;
    /** @type {Context} */
    const context = { api, signedInKey: key };
    replace(
      main,
      h('h1', { class: 'sr-only' }, 'Site Kit dashboard'),
      tabs([
        { id: 'widgets', label: 'Widgets', view: () => widgetsView(context) },
        { id: 'subscriptions', label: 'Subscriptions', view: () => subscriptionsView(context) },
        { id: 'keys', label: 'Keys', view: () => keysView(context) },
        { id: 'usage', label: 'Usage', view: () => usageView(context) },
        { id: 'seller', label: 'Seller', view: () => sellerView(context) },
      ]),
    );
    // The sign-in form that had the focus is gone: the keyboard goes on from the tabs.
    if (fromSignIn) /** @type {HTMLElement} */ (main.querySelector('[role="tab"][aria-selected="true"]')).focus();
  }

  signOutButton.addEventListener('click', () => {
    forgetKey();
    showSignIn();
  });

  const key = storedKey();
  if (key) showDashboard(key);
  else showSignIn();
}
