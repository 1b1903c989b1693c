// How a subscription and a published agent are named in the dashboard's words,
// the same in the widgets' agent choice, their list and the subscriptions tab.
// Every name is the API's text, shown as text.

/** @import { PublishedAgentStatus, Subscription, VersionPolicy } from '../api.js' */

/**
 * `FAQ agent by Agent Makers (subscription)`, with the agent's status when it
 * is not active: `(subscription, deprecated)`.
 * @param {Subscription} subscription
 */
export function subscriptionLabel(subscription) {
  const status = subscription.status === 'active' ? '' : `, ${subscription.status}`;
  return `${subscription.agentName} by ${subscription.sellerName} (subscription${status})`;
}

/**
 * `Follows the latest version` or `Pinned to version 2`.
 * @param {VersionPolicy} policy
 */
export function policyLabel(policy) {
  return policy === 'latest' ? 'Follows the latest version' : `Pinned to version ${policy}`;
}

/**
 * What a buyer should know of a published agent's status; empty while it is active.
 * @param {PublishedAgentStatus} status
 */
export function statusNote(status) {
  if (status === 'deprecated') return 'Deprecated: the seller asks you to move to a successor. It keeps working.';
  if (status === 'withdrawn') return 'Withdrawn: it takes no new subscriptions. Yours keeps working.';
  return '';
}

/**
 * A day in UTC (`2026-07-01`) from Unix seconds.
 * @param {number} seconds
 */
export function day(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}
