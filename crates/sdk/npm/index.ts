/**
 * `@sitekit/sdk`: chat with a Site Kit agent from a web page or Node ≥ 20.
 *
 * ```js
 * import { SiteKit } from '@sitekit/sdk';
 * const kit = await SiteKit.connect({ endpoint: 'https://embed.example.com', publishableKey: 'skt_pub_live_…' });
 * for await (const delta of kit.text({ message: 'How do I install the widget?' })) {
 *   document.querySelector('#answer').append(delta);
 * }
 * ```
 *
 * The client itself is the Rust crate `sitekit-sdk` compiled to WebAssembly; this
 * module gives it JS manners: promises, async iterators, `AbortSignal`, and
 * `Error` subclasses with a stable `code`.
 * @module
 */
import initWasm, { Connection, type Run } from './wasm/sitekit_sdk.js';
import type {
  Event, FlushSummary, Message, Position, Role, ThreadMessages, WidgetConfig,
} from './wasm/sitekit_sdk.js';

/** One AG-UI event of a run (https://docs.ag-ui.com): lifecycle, text, tool calls. */
export type AgUiEvent = Exclude<Event, { type: 'OTHER' }>;
export type { FlushSummary, Message, Position, Role, ThreadMessages, WidgetConfig };

export interface ConnectOptions {
  /** The embed server's base URL, e.g. `https://embed.example.com`. */
  endpoint: string;
  /** The widget's publishable key (`skt_pub_…`); the page's origin must be allowed for it. */
  publishableKey: string;
  /**
   * Continue as a returning visitor: a {@link SiteKit.visitorId} this widget's
   * server gave an earlier connection. One it did not issue gets a new visitor.
   */
  visitorId?: string;
  /** Node only: the site origin to present. Browsers send the page's own. */
  origin?: string;
}

export interface ChatOptions {
  /** What the visitor says. */
  message: string;
  /** The conversation to continue; {@link SiteKit.threadId} when left out. */
  threadId?: string;
  /** Aborting it stops the answer (the iterator then throws the signal's reason). */
  signal?: AbortSignal;
}

export type Rating = 'up' | 'down';

/** Every error this package throws; `code` is stable and machine-readable. */
export class SiteKitError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The server could not be reached (offline, DNS, connection refused). */
export class NetworkError extends SiteKitError {}

/** The server refused the request; `code` says why (e.g. `origin_not_allowed`). */
export class ApiError extends SiteKitError {
  readonly status: number;
  constructor(message: string, code: string, status: number) {
    super(message, code);
    this.status = status;
  }
}

/** Too many requests, or the widget's budget is spent: wait `retryAfter` seconds. */
export class RateLimitedError extends ApiError {
  readonly retryAfter?: number;
  constructor(message: string, code: string, status: number, retryAfter?: number) {
    super(message, code, status);
    this.retryAfter = retryAfter;
  }
}

/** The server's answer did not follow the protocol. */
export class ProtocolError extends SiteKitError {}

/** The agent's run failed (a `RUN_ERROR` event); thrown by {@link SiteKit.text}. */
export class RunError extends SiteKitError {}

/** An argument the SDK refuses before sending anything. */
export class InvalidArgumentError extends SiteKitError {}

/** What the Wasm client throws: a plain object, turned into a class here. */
interface WasmError {
  kind: 'network' | 'api' | 'protocol' | 'invalid' | 'run';
  code: string;
  message: string;
  status?: number;
  retryAfter?: number;
}

function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const error = thrown as WasmError;
  switch (error?.kind) {
    case 'network': return new NetworkError(error.message, error.code);
    case 'protocol': return new ProtocolError(error.message, error.code);
    case 'invalid': return new InvalidArgumentError(error.message, error.code);
    case 'run': return new RunError(error.message, error.code);
    case 'api':
      return error.status === 429
        ? new RateLimitedError(error.message, error.code, error.status, error.retryAfter)
        : new ApiError(error.message, error.code, error.status ?? 0);
    default: return new SiteKitError(String(thrown), 'unknown');
  }
}

async function wasm<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (thrown) {
    throw toError(thrown);
  }
}

let loading: Promise<unknown> | undefined;

/** Instantiates the Wasm client once: fetched next to this file in a browser, read from disk in Node. */
function loadWasm(): Promise<unknown> {
  loading ??= (async () => {
    const url = new URL('./wasm/sitekit_sdk_bg.wasm', import.meta.url);
    if (url.protocol !== 'file:') return initWasm({ module_or_path: url });
    // A variable specifier: bundlers for the browser must not try to include it.
    const fs = 'node:fs/promises';
    const { readFile } = await import(/* @vite-ignore */ fs);
    return initWasm({ module_or_path: await readFile(url) });
  })();
  return loading;
}

function newThreadId(): string {
  const random = globalThis.crypto?.randomUUID?.();
  return random ?? `thread-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** A connection to one widget's agent, as one visitor. */
export class SiteKit {
  readonly #connection: Connection;
  /** The conversation {@link SiteKit.chat} continues when given no `threadId`. */
  readonly threadId: string;

  private constructor(connection: Connection) {
    this.#connection = connection;
    this.threadId = newThreadId();
  }

  /** Checks the key and the origin with the server and starts a session. */
  static async connect(options: ConnectOptions): Promise<SiteKit> {
    await loadWasm();
    const connection = new Connection(
      options.endpoint, options.publishableKey, options.visitorId, options.origin,
    );
    try {
      await wasm(connection.session());
    } catch (error) {
      connection.free();
      throw error;
    }
    return new SiteKit(connection);
  }

  /**
   * The visitor id the server assigned; pass it to `connect` to continue as the
   * same visitor. It is a credential (it reads this visitor's threads): keep it
   * as you would a session cookie, never in analytics or URLs. Usage exports
   * name the visitor by the part before the `.` only.
   */
  get visitorId(): string {
    return this.#connection.visitorId ?? '';
  }

  /** Usage events not yet acknowledged by the server. */
  get pendingEvents(): number {
    return this.#connection.pendingEvents;
  }

  /** The widget's public settings: title, greeting, colours, starter prompts. */
  async config(): Promise<WidgetConfig> {
    return JSON.parse(await wasm<string>(this.#connection.config()));
  }

  /** This visitor's messages on a thread, oldest first. */
  async thread(threadId: string = this.threadId): Promise<ThreadMessages> {
    return JSON.parse(await wasm<string>(this.#connection.thread(threadId)));
  }

  /** Sends a message and yields the run's AG-UI events as they stream in. Breaking out of the loop stops the run. */
  async *chat({ message, threadId = this.threadId, signal }: ChatOptions): AsyncGenerator<AgUiEvent, void, undefined> {
    signal?.throwIfAborted();
    const run: Run = await wasm(this.#connection.chat(threadId, message));
    const stop = () => run.cancel();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const json: string | undefined = await wasm(run.next());
        if (json === undefined) break;
        yield JSON.parse(json) as AgUiEvent;
      }
      signal?.throwIfAborted();
    } finally {
      signal?.removeEventListener('abort', stop);
      run.cancel();
      run.free();
    }
  }

  /** Sends a message and yields the answer's text as it streams in; a failed run throws {@link RunError}. */
  async *text(options: ChatOptions): AsyncGenerator<string, void, undefined> {
    for await (const event of this.chat(options)) {
      if (event.type === 'TEXT_MESSAGE_CONTENT') yield event.delta;
      else if (event.type === 'RUN_ERROR') throw new RunError(event.message, event.code ?? 'run_error');
    }
  }

  /** Records a custom usage event for this visitor (sent in batches); returns its id. */
  track(name: string, properties?: Record<string, unknown>): string {
    const data = properties === undefined ? { name } : { name, properties };
    return this.#report('dev.sitekit.track', data);
  }

  /** Records the visitor's rating of an answer (the `runId` of its `RUN_STARTED`); returns the event id. */
  feedback(runId: string, rating: Rating): string {
    return this.#report('dev.sitekit.feedback', { runId, rating });
  }

  /** Sends the waiting usage events now. */
  async flush(): Promise<FlushSummary> {
    return JSON.parse(await wasm<string>(this.#connection.flush()));
  }

  /** Sends what waits and releases the connection; the object is unusable afterwards. */
  async close(): Promise<FlushSummary> {
    try {
      return await this.flush();
    } finally {
      this.#connection.free();
    }
  }

  #report(type: string, data: unknown): string {
    try {
      return this.#connection.track(type, JSON.stringify(data));
    } catch (thrown) {
      throw toError(thrown);
    }
  }
}
