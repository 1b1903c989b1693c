// Who is signed in. A secret key is kept in this tab's sessionStorage, so it is
// gone when the tab closes and never reaches localStorage, a cookie or a URL. A
// person signed in with the identity provider has a server-side session whose
// HttpOnly cookie no script can read: nothing of it is stored here.
const STORAGE_KEY = 'sitekit.dashboard.key';

export function storedKey() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** @param {string} key */
export function rememberKey(key) {
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage refused (a privacy setting): the key lives in memory until a reload.
  }
}

export function forgetKey() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {}
}

/**
 * A person signed in with the identity provider, as `GET /v1/auth/me` says.
 * @typedef {object} Person
 * @property {string} subject
 * @property {string} email
 * @property {string} name
 * @property {string} organisationId
 * @property {import('./api.js').Role} role
 * @property {string[]} scopes
 * @property {string} csrfToken sent with every write of the session
 * @property {{ organisationId: string, name: string, role: import('./api.js').Role }[]} organisations
 *   every organisation the person belongs to, which the session can move to
 */

/**
 * The person this browser's session cookie belongs to (the cookie itself is
 * out of the page's reach), or null when nobody is signed in.
 * @returns {Promise<Person | null>}
 */
export async function signedInPerson() {
  try {
    const response = await fetch('v1/auth/me', { cache: 'no-store' });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

/**
 * The ways in this server offers; keys only when it cannot say.
 * @returns {Promise<{ singleSignOn: boolean, secretKey: boolean }>}
 */
export async function signInMethods() {
  try {
    const response = await fetch('v1/auth/methods', { cache: 'no-store' });
    if (response.ok) return await response.json();
  } catch {}
  return { singleSignOn: false, secretKey: true };
}

/**
 * Moves the session to another organisation of the person's; resolves with
 * the person as they are there (their role there), or rejects with the
 * server's reason.
 * @param {string} csrfToken
 * @param {string} organisationId
 * @returns {Promise<Person>}
 */
export async function switchOrganisation(csrfToken, organisationId) {
  const response = await fetch('v1/auth/organisation', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
    body: JSON.stringify({ organisationId }),
    cache: 'no-store',
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.error?.message ?? `switching failed (HTTP ${response.status})`);
  return body;
}

/**
 * Ends the session on the server; resolves with the identity provider's
 * sign-out page, when it has one, to end the sign-in there too.
 * @param {string} csrfToken
 * @returns {Promise<string | null>}
 */
export async function signOutPerson(csrfToken) {
  try {
    const response = await fetch('v1/auth/logout', {
      method: 'POST',
      headers: { 'x-csrf-token': csrfToken },
      cache: 'no-store',
    });
    if (!response.ok) return null;
    const body = await response.json();
    return typeof body.endSessionUrl === 'string' ? body.endSessionUrl : null;
  } catch {
    return null;
  }
}
