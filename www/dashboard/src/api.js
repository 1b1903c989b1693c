// The admin API, called with the signed-in key in the Authorization header (never
// in a URL). Every failure becomes an ApiError with the server's own message
// (`{"error":{"code","message"}}`), which the views show as it is.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

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
   */
  constructor(key, { onUnauthorized = () => {} } = {}) {
    this.key = key;
    this.onUnauthorized = onUnauthorized;
    // The API is on the dashboard's own server, beside `/dashboard`.
    this.base = new URL('.', location.href);
  }

  /** The response to `method path`; `query` values that are empty are left out. */
  async request(method, path, { body, query = {} } = {}) {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
    }
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
      throw new ApiError(0, 'network', `Could not reach the server (${error.message}).`);
    }
    if (!response.ok) {
      const error = await ApiError.from(response);
      if (response.status === 401) this.onUnauthorized(error);
      throw error;
    }
    return response;
  }

  async json(method, path, options) {
    const response = await this.request(method, path, options);
    return response.status === 204 ? null : response.json();
  }

  agents() {
    return this.json('GET', 'v1/agents').then((body) => body.agents);
  }

  widgets() {
    return this.json('GET', 'v1/widgets').then((body) => body.widgets);
  }

  createWidget(request) {
    return this.json('POST', 'v1/widgets', { body: request });
  }

  updateWidget(id, update) {
    return this.json('PATCH', `v1/widgets/${encodeURIComponent(id)}`, { body: update });
  }

  snippet(id) {
    return this.json('GET', `v1/widgets/${encodeURIComponent(id)}/snippet`);
  }

  keys() {
    return this.json('GET', 'v1/keys').then((body) => body.keys);
  }

  createKey(request) {
    return this.json('POST', 'v1/keys', { body: request });
  }

  revokeKey(id) {
    return this.json('POST', `v1/keys/${encodeURIComponent(id)}/revoke`);
  }

  rotateKey(id, graceSeconds) {
    return this.json('POST', `v1/keys/${encodeURIComponent(id)}/rotate`, { body: { graceSeconds } });
  }

  /** `GET /v1/usage` for `{ from, to, widgetId }`. */
  usage(filters) {
    return this.json('GET', 'v1/usage', { query: filters });
  }

  /** The export in `format` (`csv`, `cloudevents`, `stripe`) as a Blob, with the server's file name. */
  async exportUsage(format, filters) {
    const response = await this.request('GET', 'v1/usage/export', { query: { format, ...filters } });
    return { blob: await response.blob(), disposition: response.headers.get('content-disposition') };
  }
}
