// The dashboard's shell: sign-in (single sign-on with the identity provider, or a
// secret key where the server offers it), then the widgets, subscriptions, keys,
// usage, conversations, leads, seller and webhooks views behind a tab bar, and
// for those who manage members (owners, secret keys) the members and audit
// views; a view may open a conversation in the conversations tab. A person
// sees what their role may do: controls for writes their role lacks are left
// out, and the server refuses them anyway. A 401 from any call (a revoked or
// expired key, an ended session) signs out and says why, in the server's words.
import { AdminApi } from './api.js';
import {
  forgetKey,
  rememberKey,
  signedInPerson,
  signInMethods,
  signOutPerson,
  storedKey,
  switchOrganisation,
} from './auth.js';
import { auditView } from './audit/view.js';
import { conversationsView } from './conversations/view.js';
import { announce, h, replace } from './dom.js';
import { keysView } from './keys/view.js';
import { leadsView } from './leads/view.js';
import { membersView } from './members/view.js';
import { sellerView } from './seller/view.js';
import { signInView } from './signin.js';
import { subscriptionsView } from './subscriptions/view.js';
import { tabs } from './tabs.js';
import { usageView } from './usage/view.js';
import { webhooksView } from './webhooks/view.js';
import { widgetsView } from './widgets/view.js';

/** @import { Person } from './auth.js' */

/**
 * What every tab's view is given. `can(scope)`: whether the signed-in person's
 * role holds the scope (a key's scopes are not known here: a key is told by the
 * server what it lacks).
 * @typedef {object} Context
 * @property {AdminApi} api
 * @property {string} signedInKey the secret key signed in with; empty for a person
 * @property {(scope: string) => boolean} can
 * @property {(id: string) => void} openConversation shows conversation `id`
 *   in the conversations tab (there for those who hold `conversations:read`)
 */

/**
 * Who is signed in: a secret key, or a person.
 * @typedef {{ key: string } | { person: Person }} SignedIn
 */

export async function startDashboard() {
  // All are in the dashboard's page (index.html).
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  const signOutButton = /** @type {HTMLButtonElement} */ (document.getElementById('sign-out'));
  const signedInAs = /** @type {HTMLElement} */ (document.getElementById('signed-in-as'));
  const organisationSwitch = /** @type {HTMLElement} */ (document.getElementById('organisation-switch'));
  /** @type {AdminApi | null} */
  let current = null;
  /** @type {SignedIn | null} */
  let signedIn = null;
  const methods = await signInMethods();

  /** @param {string} [notice] why the sign-in page shows, if not for a first visit */
  function showSignIn(notice) {
    current = null;
    signedIn = null;
    signOutButton.hidden = true;
    signedInAs.textContent = '';
    replace(organisationSwitch);
    organisationSwitch.hidden = true;
    replace(main, signInView({ notice, methods, onSignedIn: (key) => showDashboard({ key }, { fromSignIn: true }) }));
    /** @type {HTMLElement | null} */ (main.querySelector('a, input'))?.focus();
  }

  /**
   * @param {SignedIn} who
   * @param {{ fromSignIn?: boolean }} [options]
   */
  function showDashboard(who, { fromSignIn = false } = {}) {
    signedIn = who;
    const person = 'person' in who ? who.person : null;
    if ('key' in who) rememberKey(who.key);
    const api = new AdminApi(person ? { csrfToken: person.csrfToken } : /** @type {{ key: string }} */ (who).key, {
      onUnauthorized: (error) => {
        // Several calls may fail at once; the first one signs out.
        if (current !== api) return;
        forgetKey();
        showSignIn(`You were signed out: ${error.message}`);
      },
    });
    current = api;
    signOutButton.hidden = false;
    signedInAs.textContent = person ? `${person.name || person.email} (${person.role})` : '';
    showOrganisations(person);
    /** @type {ReturnType<typeof conversationsView> | null} */
    let conversations = null;
    /** @type {Context} */
    const context = {
      api,
      signedInKey: 'key' in who ? who.key : '',
      can: (scope) => !person || person.scopes.includes(scope),
      openConversation: (id) => {
        bar.show('conversations');
        conversations?.open(id);
      },
    };
    const managesMembers = context.can('members:write');
    const bar = tabs(
      [
        { id: 'widgets', label: 'Widgets', view: () => widgetsView(context) },
        { id: 'subscriptions', label: 'Subscriptions', view: () => subscriptionsView(context) },
        // Listing keys needs `keys:write`: a role without it has no keys tab.
        context.can('keys:write') ? { id: 'keys', label: 'Keys', view: () => keysView(context) } : null,
        { id: 'usage', label: 'Usage', view: () => usageView(context) },
        // What visitors wrote is for roles that hold `conversations:read`.
        context.can('conversations:read')
          ? {
              id: 'conversations',
              label: 'Conversations',
              view: () => {
                conversations = conversationsView(context);
                return conversations;
              },
            }
          : null,
        // Leads are what visitors wrote, too.
        context.can('conversations:read') ? { id: 'leads', label: 'Leads', view: () => leadsView(context) } : null,
        { id: 'seller', label: 'Seller', view: () => sellerView(context) },
        context.can('webhooks:write') ? { id: 'webhooks', label: 'Webhooks', view: () => webhooksView(context) } : null,
        managesMembers ? { id: 'members', label: 'Members', view: () => membersView(context) } : null,
        managesMembers ? { id: 'audit', label: 'Audit', view: () => auditView(context) } : null,
      ].filter((tab) => tab !== null),
    );
    replace(main, h('h1', { class: 'sr-only' }, 'Site Kit dashboard'), bar.element);
    // The sign-in form that had the focus is gone: the keyboard goes on from the tabs.
    if (fromSignIn) /** @type {HTMLElement} */ (main.querySelector('[role="tab"][aria-selected="true"]')).focus();
  }

  /**
   * For a person of several organisations, a choice of the one to work in;
   * the dashboard starts again there, with their role there.
   * @param {Person | null} person
   */
  function showOrganisations(person) {
    const organisations = person?.organisations ?? [];
    organisationSwitch.hidden = organisations.length < 2;
    if (!person || organisations.length < 2) {
      replace(organisationSwitch);
      return;
    }
    const select = h(
      'select',
      {
        id: 'organisation',
        testid: 'organisation',
        onchange: async () => {
          try {
            const moved = await switchOrganisation(person.csrfToken, select.value);
            showDashboard({ person: moved });
            const name = organisations.find((org) => org.organisationId === moved.organisationId)?.name;
            announce(`Working in ${name} as ${moved.role}.`);
          } catch (failure) {
            select.value = person.organisationId;
            announce(/** @type {Error} */ (failure).message);
          }
        },
      },
      organisations.map((org) =>
        h(
          'option',
          { value: org.organisationId, selected: org.organisationId === person.organisationId },
          `${org.name} (${org.role})`,
        ),
      ),
    );
    replace(organisationSwitch, h('label', { for: 'organisation' }, 'Organisation'), select);
  }

  signOutButton.addEventListener('click', async () => {
    const who = signedIn;
    forgetKey();
    if (who && 'person' in who) {
      const endSession = await signOutPerson(who.person.csrfToken);
      // Signed out here; the identity provider's page ends the sign-in there too.
      if (endSession) {
        location.assign(endSession);
        return;
      }
    }
    showSignIn();
  });

  const failure = signInFailure();
  const person = await signedInPerson();
  const key = methods.secretKey ? storedKey() : null;
  if (person) showDashboard({ person });
  else if (key) showDashboard({ key });
  else showSignIn(failure);
}

/**
 * Why a sign-in with the identity provider just failed, when the server sent
 * the browser back with `#signInFailed=<code>`; the fragment is removed. Only
 * the code is read, so nobody's link can put words on this page.
 * @returns {string | undefined}
 */
function signInFailure() {
  const code = new URLSearchParams(location.hash.slice(1)).get('signInFailed');
  if (code === null) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  const reasons = new Map([
    [
      'not_a_member',
      'You signed in, but you are not a member of an organisation here. Ask an owner of yours to invite you.',
    ],
    [
      'sign_in_failed',
      'The sign-in did not complete: it took too long, was used already, or the identity provider refused it. An invitation link works once, for a week, and only for the address it was sent to. Try again.',
    ],
    ['unavailable', 'The identity provider cannot be reached. Try again in a moment.'],
    ['rate_limited', 'Too many sign-ins from your address. Try again in a minute.'],
  ]);
  return reasons.get(code) ?? 'Signing in did not work. Try again.';
}
