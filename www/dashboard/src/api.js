// The admin API, called with the signed-in key in the Authorization header (never
// in a URL). Every failure becomes an ApiError with the server's own message
// (`{"error":{"code","message"}}`), which the views show as it is.
//
// The shapes below are those of crates/sdk/src/admin.rs, as far as the views read them.

/**
 * @typedef {object} Agent
 * @property {string} id
 * @property {string} name
 */
/**
 * A widget as the API lists it (WidgetSummary).
 * @typedef {object} Widget
 * @property {string} id
 * @property {string} agentId
 * @property {string} title
 * @property {string[]} allowedOrigins
 * @property {boolean} enabled
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
 */
/**
 * @typedef {{ date: string, errors?: Record<string, number> } & Record<string, unknown>} UsageRow
 */
/**
 * @typedef {object} RequestOptions
 * @property {unknown} [body] sent as JSON
 * @property {Record<string, string | null | undefined>} [query]
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
   * `onUnauthorized(error)` hears every 401 (a revoked or expired key) before
   * the caller gets the error.
   * @param {string} key
   * @param {{ onUnauthorized?: (error: ApiError) => void }} [options]
   */
  constructor(key, { onUnauthorized = () => {} } = {}) {
    this.key = key;
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
    const headers = { authorization: `Bearer ${this.key}` };
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
   * The export in `format` (`csv`, `cloudevents`, `stripe`) as a Blob, with the server's file name.
   * @param {string} format
   * @param {UsageFilters} filters
   */
  async exportUsage(format, filters) {
    const response = await this.request('GET', 'v1/usage/export', { query: { format, ...filters } });
    return { blob: await response.blob(), disposition: response.headers.get('content-disposition') };
  }
}
