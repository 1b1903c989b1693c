// The admin API, called as whoever signed in: a secret key in the Authorization
// header (never in a URL), or a person's session, whose cookie the browser sends
// and whose CSRF token goes with every write. Every failure becomes an ApiError
// with the server's own message (`{"error":{"code","message"}}`), which the
// views show as it is.
//
// The shapes below are those of crates/sdk/src/admin.rs (and seller.rs,
// subscriptions.rs, catalog.rs), as far as the views read them.

/**
 * A member's role.
 * @typedef {'owner' | 'admin' | 'viewer' | 'publisher'} Role
 */
/**
 * A member of the organisation (crates/embed-server/src/routes/members.rs).
 * @typedef {object} Member
 * @property {string} subject the identity provider's id for the person
 * @property {string} email
 * @property {string} name
 * @property {Role} role
 * @property {number} createdAt Unix seconds
 * @property {boolean} fromIdentityProvider the provider's claim gives the membership; it changes only there
 */
/**
 * An invitation not accepted yet.
 * @typedef {object} Invitation
 * @property {string} id
 * @property {string} email
 * @property {Role} role
 * @property {string} invitedBy
 * @property {number} expiresAt Unix seconds
 */
/**
 * One write to the admin API (routes/audit.rs).
 * @typedef {object} AuditEvent
 * @property {number} at Unix milliseconds
 * @property {string} actor `person:<sub>` or `key:<id>`
 * @property {string} method
 * @property {string} path
 * @property {number} status
 * @property {string} address
 */
/**
 * @typedef {object} Agent
 * @property {string} id
 * @property {string} name
 */
/**
 * A widget as the API lists it (WidgetSummary): it runs an agent of the
 * organisation's own (`agentId`) or a subscription (`subscriptionId`).
 * @typedef {object} Widget
 * @property {string} id
 * @property {string} [agentId]
 * @property {string} [subscriptionId]
 * @property {string} title
 * @property {string[]} allowedOrigins
 * @property {boolean} enabled
 * @property {import('./widgets/engagement.js').Engagement} [engagement] the CSAT question, contact form and "talk to a person" button
 */
/**
 * `active`, `deprecated` (look for a successor) or `withdrawn` (no new subscriptions).
 * @typedef {'active' | 'deprecated' | 'withdrawn'} PublishedAgentStatus
 */
/**
 * A subscription's version policy: a pinned version, or `latest`.
 * @typedef {number | 'latest'} VersionPolicy
 */
/**
 * A subscription to a published agent, as its buyer sees it (crates/sdk/src/subscriptions.rs).
 * @typedef {object} Subscription
 * @property {string} id
 * @property {string} publishedAgentId
 * @property {string} agentName
 * @property {string} sellerName
 * @property {PublishedAgentStatus} status
 * @property {VersionPolicy} versionPolicy
 * @property {number} version the version a chat starting now runs
 * @property {number} versionSince Unix seconds
 * @property {number} policyChangedAt Unix seconds
 * @property {number} createdAt Unix seconds
 */
/**
 * One version of a published agent (crates/sdk/src/catalog.rs: AgentVersion).
 * @typedef {object} AgentVersion
 * @property {number} version
 * @property {string} releaseNotes
 * @property {number} publishedAt Unix seconds
 */
/**
 * An agent of the catalog (PublishedAgent); versions oldest first.
 * @typedef {object} PublishedAgent
 * @property {string} id
 * @property {string} sellerId
 * @property {string} sellerName
 * @property {string} name
 * @property {string} description
 * @property {PublishedAgentStatus} status
 * @property {AgentVersion[]} versions
 */
/**
 * @typedef {object} Key
 * @property {string} id
 * @property {string} kind `sec`, `rst` or `pub`
 * @property {string} mode
 * @property {string} display `skt_sec_live_…abcd`
 * @property {string | null} [widgetId]
 * @property {boolean} revoked
 */
/**
 * A key as the API shows it once (CreatedKey).
 * @typedef {object} CreatedKey
 * @property {string} id
 * @property {string} key
 */
/**
 * @typedef {object} KeyRequest
 * @property {string} kind
 * @property {boolean} testMode
 * @property {string[]} [scopes]
 * @property {number} [expiresInDays]
 */
/**
 * @typedef {object} Snippets
 * @property {string} autoUpdating
 * @property {string} pinned
 */
/**
 * @typedef {object} UsageFilters
 * @property {string} from
 * @property {string} to
 * @property {string} widgetId
 */
/**
 * `GET /v1/usage`: a row per (date, agent, widget, key), each with its counters.
 * @typedef {object} UsageReport
 * @property {string} from
 * @property {string} to
 * @property {UsageRow[]} [days]
 * @property {DailySatisfaction[]} [satisfaction] the days with any rating
 */
/**
 * One day's ratings over the report's rows (crates/sdk/src/admin.rs).
 * @typedef {object} DailySatisfaction
 * @property {string} date
 * @property {number} thumbsUp
 * @property {number} thumbsDown
 * @property {number | null} thumbsUpRatio 0 to 1
 * @property {number} csatResponses
 * @property {number | null} csatAverage 1 to 5
 */
/**
 * @typedef {{ date: string, errors?: Record<string, number> } & Record<string, unknown>} UsageRow
 */
/**
 * What buyers' visitors did with some runs of a seller's agent, and how fast it
 * answered them (crates/sdk/src/seller.rs: SellerCounts). The ratio and the
 * times are absent without ratings or runs.
 * @typedef {object} SellerCounts
 * @property {number} conversations threads whose first run it was
 * @property {number} runs
 * @property {number} inputTokens
 * @property {number} outputTokens
 * @property {Record<string, number>} errors runs that did not end `ok`, by code
 * @property {number} feedbackUp
 * @property {number} feedbackDown
 * @property {number} [feedbackUpRatio] from 0 to 1
 * @property {number} [firstEventMsP50]
 * @property {number} [firstEventMsP95]
 * @property {number} [durationMsP50]
 * @property {number} [durationMsP95]
 */
/**
 * One version of a published agent over the whole range, and the subscriptions
 * that run it now.
 * @typedef {SellerCounts & { publishedAgentId: string, agentName: string, version: number, subscriptions: number }} SellerVersionUsage
 */
/**
 * One day of one version at one buying organisation.
 * @typedef {SellerCounts & { date: string, publishedAgentId: string, version: number, buyerId: string, buyerName: string }} SellerDailyUsage
 */
/**
 * One buying organisation's subscriptions to one published agent, now.
 * @typedef {object} SellerSubscriptions
 * @property {string} publishedAgentId
 * @property {string} buyerId
 * @property {string} buyerName
 * @property {number} subscriptions
 * @property {number} followingLatest
 */
/**
 * `GET /v1/seller/usage`: counts and times only, never a visitor, a thread or a text.
 * @typedef {object} SellerUsageReport
 * @property {string} from
 * @property {string} to
 * @property {SellerVersionUsage[]} versions every version of the seller's published agents
 * @property {SellerSubscriptions[]} subscriptions
 * @property {SellerDailyUsage[]} days one row per day, version and buyer with any run or rating
 */
/**
 * @typedef {object} SellerUsageFilters
 * @property {string} from
 * @property {string} to
 * @property {string} [publishedAgentId]
 */
/**
 * @typedef {object} RequestOptions
 * @property {unknown} [body] sent as JSON
 * @property {Record<string, string | null | undefined>} [query]
 */

/**
 * The inbox's filters; empty ones are left out.
 * @typedef {object} ConversationFilters
 * @property {string} [widgetId]
 * @property {string} [visitorId]
 * @property {string} [from] `YYYY-MM-DD`
 * @property {string} [to] `YYYY-MM-DD`
 * @property {string} [ratedDown] `true`
 * @property {string} [errored] `true`
 * @property {string} [hasLead] `true`
 * @property {string} [q] words every one of which a message holds
 */
/**
 * One conversation as the inbox lists it.
 * @typedef {object} ConversationSummary
 * @property {string} id
 * @property {string} widgetId
 * @property {string} widgetName
 * @property {string} visitorId
 * @property {string} threadId
 * @property {string} startedAt RFC 3339
 * @property {string} lastMessageAt RFC 3339
 * @property {number} messages
 * @property {number} runs
 * @property {'answered' | 'errored' | 'visitor_left'} outcome
 * @property {number | null} agentVersion
 * @property {number} ratedUp
 * @property {number} ratedDown
 * @property {number | null} csat the visitor's answer to the CSAT question, 1 to 5
 * @property {boolean} hasLead
 * @property {boolean} handoffRequested
 */
/**
 * Contact details a visitor left (crates/sdk/src/engagement.rs).
 * @typedef {object} Lead
 * @property {string} id
 * @property {string | null} conversationId
 * @property {string} widgetId
 * @property {string} visitorId
 * @property {string} threadId
 * @property {string | null} name
 * @property {string} email
 * @property {string | null} message
 * @property {string} consentText
 * @property {string} createdAt RFC 3339
 */
/**
 * The leads' filters; empty ones are left out.
 * @typedef {{ widgetId?: string, from?: string, to?: string }} LeadFilters
 */
/**
 * A conversation's transcript and runs, and what the visitor left besides.
 * @typedef {ConversationSummary & { transcript: TranscriptMessage[], runRecords: TranscriptRun[], lead: Lead | null, handoffRequestedAt: string | null }} Conversation
 * @typedef {{ id: string, role: string, content: string, at: string, runId: string }} TranscriptMessage
 * @typedef {object} TranscriptRun
 * @property {string} runId
 * @property {string} startedAt
 * @property {string} outcome
 * @property {number} agentVersion
 * @property {number | null} inputTokens
 * @property {number | null} outputTokens
 * @property {number | null} firstEventMs
 * @property {number} durationMs
 * @property {string | null} rating
 */

/**
 * A webhook endpoint (crates/sdk/src/webhooks.rs); its secret only in the answer that made it.
 * @typedef {object} Webhook
 * @property {string} id
 * @property {string} url
 * @property {string[]} events
 * @property {string} createdAt
 * @property {string | null} previousSecretExpiresAt
 */
/**
 * One event sent, or to be sent, to one endpoint.
 * @typedef {object} WebhookDelivery
 * @property {string} id the `webhook-id` of every attempt
 * @property {string} type
 * @property {'pending' | 'done' | 'failed'} state
 * @property {number} attempts
 * @property {number | null} lastStatus
 * @property {string | null} lastError
 * @property {string} createdAt
 * @property {string | null} nextAttemptAt
 * @property {string | null} doneAt
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** @param {Response} response */
  static async from(response) {
    const body = await response.json().catch(() => null);
    const error = body?.error;
    if (error && typeof error.message === 'string') return new ApiError(response.status, error.code, error.message);
    return new ApiError(response.status, 'http_error', `The server answered HTTP ${response.status}.`);
  }
}

export class AdminApi {
  /**
   * `credential`: a secret key, or a signed-in person's session (its CSRF
   * token). `onUnauthorized(error)` hears every 401 (a revoked or expired key,
   * an ended session) before the caller gets the error.
   * @param {string | { csrfToken: string }} credential
   * @param {{ onUnauthorized?: (error: ApiError) => void }} [options]
   */
  constructor(credential, { onUnauthorized = () => {} } = {}) {
    this.credential = credential;
    this.onUnauthorized = onUnauthorized;
    // The API is on the dashboard's own server, beside `/dashboard`.
    this.base = new URL('.', location.href);
  }

  /**
   * The response to `method path`; `query` values that are empty are left out.
   * @param {string} method
   * @param {string} path
   * @param {RequestOptions} [options]
   */
  async request(method, path, { body, query = {} } = {}) {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
    }
    /** @type {Record<string, string>} */
    const headers = {};
    if (typeof this.credential === 'string') headers.authorization = `Bearer ${this.credential}`;
    else if (method !== 'GET') headers['x-csrf-token'] = this.credential.csrfToken;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, 'network', `Could not reach the server (${/** @type {Error} */ (error).message}).`);
    }
    if (!response.ok) {
      const error = await ApiError.from(response);
      if (response.status === 401) this.onUnauthorized(error);
      throw error;
    }
    return response;
  }

  /**
   * The response's JSON body; null for 204 No Content.
   * @param {string} method
   * @param {string} path
   * @param {RequestOptions} [options]
   * @returns {Promise<any>}
   */
  async json(method, path, options) {
    const response = await this.request(method, path, options);
    return response.status === 204 ? null : response.json();
  }

  /** @returns {Promise<Agent[]>} */
  agents() {
    return this.json('GET', 'v1/agents').then((body) => body.agents);
  }

  /** @returns {Promise<Widget[]>} */
  widgets() {
    return this.json('GET', 'v1/widgets').then((body) => body.widgets);
  }

  /**
   * @param {object} request
   * @returns {Promise<{ widget: Widget }>}
   */
  createWidget(request) {
    return this.json('POST', 'v1/widgets', { body: request });
  }

  /**
   * @param {string} id
   * @param {object} update
   * @returns {Promise<Widget>}
   */
  updateWidget(id, update) {
    return this.json('PATCH', `v1/widgets/${encodeURIComponent(id)}`, { body: update });
  }

  /**
   * @param {string} id
   * @returns {Promise<Snippets>}
   */
  snippet(id) {
    return this.json('GET', `v1/widgets/${encodeURIComponent(id)}/snippet`);
  }

  /** @returns {Promise<Subscription[]>} */
  subscriptions() {
    return this.json('GET', 'v1/subscriptions').then((body) => body.subscriptions);
  }

  /**
   * Subscribes to a published agent, following its latest version or pinned to one.
   * @param {string} publishedAgentId
   * @param {VersionPolicy} version
   * @returns {Promise<Subscription>}
   */
  subscribe(publishedAgentId, version) {
    return this.json('POST', 'v1/subscriptions', { body: { publishedAgentId, version } });
  }

  /**
   * Pins a version (an upgrade or a rollback) or follows the latest, in one call.
   * @param {string} id
   * @param {VersionPolicy} version
   * @returns {Promise<Subscription>}
   */
  updateSubscription(id, version) {
    return this.json('PATCH', `v1/subscriptions/${encodeURIComponent(id)}`, { body: { version } });
  }

  /** @returns {Promise<PublishedAgent[]>} */
  catalog() {
    return this.json('GET', 'v1/catalog/agents').then((body) => body.agents);
  }

  /** @returns {Promise<Key[]>} */
  keys() {
    return this.json('GET', 'v1/keys').then((body) => body.keys);
  }

  /**
   * @param {KeyRequest} request
   * @returns {Promise<CreatedKey>}
   */
  createKey(request) {
    return this.json('POST', 'v1/keys', { body: request });
  }

  /** @param {string} id */
  revokeKey(id) {
    return this.json('POST', `v1/keys/${encodeURIComponent(id)}/revoke`);
  }

  /**
   * @param {string} id
   * @param {number} graceSeconds
   * @returns {Promise<CreatedKey>}
   */
  rotateKey(id, graceSeconds) {
    return this.json('POST', `v1/keys/${encodeURIComponent(id)}/rotate`, { body: { graceSeconds } });
  }

  /**
   * `GET /v1/usage` for `{ from, to, widgetId }`.
   * @param {UsageFilters} filters
   * @returns {Promise<UsageReport>}
   */
  usage(filters) {
    return this.json('GET', 'v1/usage', { query: filters });
  }

  /**
   * `GET /v1/seller/usage`: how buyers use the agents the organisation publishes.
   * A 403 `not_a_seller` for an organisation that does not sell.
   * @param {SellerUsageFilters} filters
   * @returns {Promise<SellerUsageReport>}
   */
  sellerUsage(filters) {
    return this.json('GET', 'v1/seller/usage', { query: { ...filters } });
  }

  /**
   * The export in `format` (`csv`, `cloudevents`, `stripe`) as a Blob, with the server's file name.
   * @param {string} format
   * @param {UsageFilters} filters
   */
  async exportUsage(format, filters) {
    const response = await this.request('GET', 'v1/usage/export', { query: { format, ...filters } });
    return { blob: await response.blob(), disposition: response.headers.get('content-disposition') };
  }

  /**
   * A page of conversations, newest first (crates/sdk/src/conversations.rs).
   * @param {ConversationFilters & { cursor?: string, limit?: string }} query
   * @returns {Promise<{ conversations: ConversationSummary[], nextCursor: string | null }>}
   */
  conversations(query) {
    return this.json('GET', 'v1/conversations', { query });
  }

  /**
   * @param {string} id
   * @returns {Promise<Conversation>}
   */
  conversation(id) {
    return this.json('GET', `v1/conversations/${encodeURIComponent(id)}`);
  }

  /** @param {ConversationFilters} filters */
  async exportConversations(filters) {
    const response = await this.request('GET', 'v1/conversations/export', { query: filters });
    return { blob: await response.blob(), disposition: response.headers.get('content-disposition') };
  }

  /**
   * A page of leads, newest first.
   * @param {LeadFilters & { cursor?: string, limit?: string }} query
   * @returns {Promise<{ leads: Lead[], nextCursor: string | null }>}
   */
  leads(query) {
    return this.json('GET', 'v1/leads', { query });
  }

  /** @param {LeadFilters} filters */
  async exportLeads(filters) {
    const response = await this.request('GET', 'v1/leads/export', { query: filters });
    return { blob: await response.blob(), disposition: response.headers.get('content-disposition') };
  }

  /** @param {string} id */
  deleteConversation(id) {
    return this.json('DELETE', `v1/conversations/${encodeURIComponent(id)}`);
  }

  /**
   * @param {string} visitorId
   * @returns {Promise<{ conversations: number, usageEvents: number }>}
   */
  deleteVisitor(visitorId) {
    return this.json('DELETE', `v1/visitors/${encodeURIComponent(visitorId)}/conversations`);
  }

  /** @returns {Promise<Webhook[]>} */
  webhooks() {
    return this.json('GET', 'v1/webhooks').then((body) => body.webhooks);
  }

  /**
   * @param {{ url: string, events: string[] }} request
   * @returns {Promise<Webhook & { secret: string }>}
   */
  createWebhook(request) {
    return this.json('POST', 'v1/webhooks', { body: request });
  }

  /**
   * @param {string} id
   * @returns {Promise<Webhook & { secret: string }>}
   */
  rotateWebhookSecret(id) {
    return this.json('POST', `v1/webhooks/${encodeURIComponent(id)}/rotate-secret`);
  }

  /** @param {string} id */
  deleteWebhook(id) {
    return this.json('DELETE', `v1/webhooks/${encodeURIComponent(id)}`);
  }

  /**
   * @param {string} id
   * @param {{ before?: string }} query
   * @returns {Promise<{ deliveries: WebhookDelivery[], nextBefore: string | null }>}
   */
  webhookDeliveries(id, query) {
    return this.json('GET', `v1/webhooks/${encodeURIComponent(id)}/deliveries`, { query });
  }

  /**
   * @param {string} id
   * @param {string} delivery
   */
  async resendDelivery(id, delivery) {
    // 202 Accepted, with no body.
    await this.request(
      'POST',
      `v1/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(delivery)}/resend`,
    );
  }

  /** @returns {Promise<{ members: Member[], invitations: Invitation[] }>} */
  members() {
    return this.json('GET', 'v1/members');
  }

  /**
   * An invitation and its link, shown this once.
   * @param {string} email
   * @param {Role} role
   * @returns {Promise<Invitation & { link: string }>}
   */
  invite(email, role) {
    return this.json('POST', 'v1/invitations', { body: { email, role } });
  }

  /** @param {string} id */
  withdrawInvitation(id) {
    return this.json('DELETE', `v1/invitations/${encodeURIComponent(id)}`);
  }

  /**
   * @param {string} subject
   * @param {Role} role
   * @returns {Promise<Member>}
   */
  updateMember(subject, role) {
    return this.json('PATCH', `v1/members/${encodeURIComponent(subject)}`, { body: { role } });
  }

  /** @param {string} subject */
  removeMember(subject) {
    return this.json('DELETE', `v1/members/${encodeURIComponent(subject)}`);
  }

  /**
   * The organisation's audit trail, newest first.
   * @param {{ limit?: number, before?: number }} [query]
   * @returns {Promise<AuditEvent[]>}
   */
  audit(query = {}) {
    return this.json('GET', 'v1/audit', { query: /** @type {any} */ (query) }).then((body) => body.events);
  }
}
