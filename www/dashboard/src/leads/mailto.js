// A lead's e-mail address as a mailto: link. The address is a visitor's own
// text: only one of the shape the server lets through (`local@domain.tld`, no
// spaces, one `@`) becomes a link, each part percent-encoded, so nothing in it
// adds a recipient, a subject or a body (`?cc=`, `&body=`) or changes the
// scheme; any other is shown as text.
import { h } from '../dom.js';

const ADDRESS = /^([^\s@]+)@([^\s@]+\.[^\s@]+)$/u;

/**
 * `mailto:` and the address, its local part and domain each percent-encoded;
 * null for what is no address.
 * @param {string} email
 */
export function mailtoHref(email) {
  const match = ADDRESS.exec(email);
  if (!match) return null;
  return `mailto:${encodeURIComponent(match[1])}@${encodeURIComponent(match[2])}`;
}

/**
 * The address as a link to write to it, its text the address as given.
 * @param {string} email
 * @param {string} testid
 */
export function emailLink(email, testid) {
  const href = mailtoHref(email);
  return href ? h('a', { href, testid }, email) : h('span', { testid }, email);
}
