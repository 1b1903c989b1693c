// Starts what the end-to-end tests run against: a `sitekit serve` with a fresh
// SQLite database seeded through the real CLI, and host pages on other origins.
// (`startStaticDir` serves a folder as it is, for the npm package's example page.)
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { createInterface } from 'node:readline';

export function requireEnv(name, hint) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${hint}`);
  return value;
}

// Langflow listens on loopback, which the server's egress policy refuses
// unless allowed: the tests allow it, as an operator would a local runtime.
const LOCAL_RUNTIMES = '127.0.0.1';

/**
 * The environment of a `sitekit` on the SQLite database at `databaseUrl`: its
 * master key (which encrypts runtime keys and the server's secrets) is a file
 * beside the database, made on first use, so the server and every CLI run on
 * that database share it.
 */
function sitekitEnv(databaseUrl, env = {}) {
  const keyFile = join(dirname(databaseUrl.replace(/^sqlite:\/\//, '')), 'master.key');
  if (!existsSync(keyFile)) {
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  // A key of our own environment would conflict with the file.
  const { SITEKIT_MASTER_KEY: _ignored, ...inherited } = process.env;
  return { ...inherited, SITEKIT_LOG: 'warn', SITEKIT_MASTER_KEY_FILE: keyFile, ...env };
}

/** Runs a `sitekit` admin command and returns its `--json` output. */
export function sitekitJson(bin, databaseUrl, args, env = {}) {
  const global = ['--database-url', databaseUrl, '--runtime-allow', LOCAL_RUNTIMES];
  const out = execFileSync(bin, [...global, ...args, '--json'], {
    encoding: 'utf8',
    env: sitekitEnv(databaseUrl, env),
  });
  return JSON.parse(out);
}

/** The id of the flow in `file` (e.g. `sitekit_faq.py`) that the Langflow runtime serves. */
export async function langflowFlowId(langflowUrl, langflowKey, file) {
  const flows = await (await fetch(`${langflowUrl}/flows`, { headers: { 'x-api-key': langflowKey } })).json();
  const flow = flows.find((candidate) => candidate.relative_path.endsWith(file));
  if (!flow) throw new Error(`Langflow does not serve ${file}: ${JSON.stringify(flows)}`);
  return flow.id;
}

/**
 * An agent on a Langflow flow and a widget for it allowed on `origin`, made with
 * the real CLI; returns the CLI's widget output (`publishableKey`, `snippet`, …).
 * The runtime key goes in the environment, not the arguments.
 */
export function createLangflowWidget(
  bin,
  databaseUrl,
  { tenantId, name, langflowUrl, langflowKey, flowId, origin, title, publicUrl, locale = 'en', extra = [] },
) {
  const agent = sitekitJson(
    bin,
    databaseUrl,
    ['agents', 'create', '--tenant', tenantId, '--name', name, '--base-url', langflowUrl, '--flow-id', flowId],
    { SITEKIT_RUNTIME_KEY: langflowKey },
  );
  return sitekitJson(bin, databaseUrl, [
    'widgets',
    'create',
    '--agent',
    agent.id,
    '--origin',
    origin,
    '--title',
    title,
    '--public-url',
    publicUrl,
    '--locale',
    locale,
    ...extra,
  ]);
}

/**
 * Starts `sitekit serve` on a free port; resolves with its base URL and process.
 * `args` are further `serve` flags (e.g. a raised rate limit), `env` more of its
 * environment (e.g. a secret that must not be in its arguments).
 */
export function startServer(bin, databaseUrl, assetsDir, args = [], env = {}) {
  const child = spawn(
    bin,
    [
      'serve',
      '--bind',
      '127.0.0.1:0',
      '--database-url',
      databaseUrl,
      '--assets-dir',
      assetsDir,
      '--runtime-allow',
      LOCAL_RUNTIMES,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: sitekitEnv(databaseUrl, env) },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`sitekit serve exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      const prefix = 'sitekit listening on ';
      if (!line.startsWith(prefix)) reject(new Error(`unexpected first line: ${line}`));
      else resolve({ url: line.slice(prefix.length), child });
    });
  });
}

/**
 * A host site on a free port of its own (so its own origin), serving one page per
 * snippet, at `/` unless another path is given. The snippets are set once the
 * widget exists, which needs the origin first. A page may add markup to its
 * `<head>` (a hostile stylesheet, a stub that queues calls) and response headers
 * (a Content-Security-Policy).
 */
export async function startHostSite() {
  const pages = new Map([['/', { snippet: '' }]]);
  const template = readFileSync(new URL('./fixtures/host.html', import.meta.url), 'utf8');
  const server = createServer((request, response) => {
    const page = pages.get(request.url);
    if (page === undefined) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...page.headers })
      .end(template.replace('{{HEAD}}', page.head ?? '').replace('{{SNIPPET}}', page.snippet));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    origin: `http://127.0.0.1:${server.address().port}`,
    setSnippet: (snippet, path = '/', { head, headers } = {}) => {
      pages.set(path, { snippet, head, headers });
    },
  };
}

export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'sitekit-e2e-'));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** Serves the files under `root` on a free port (its own origin). */
export async function startStaticDir(root) {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname));
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/**
 * A `sitekit serve` on a fresh SQLite database (from the environment
 * `cargo xtask test` sets) with one tenant and a widget per `{ file, title }`
 * (a Langflow flow file, e.g. `sitekit_faq.py`), each allowed on `origin`.
 * Resolves with the server, each widget's publishable key by file, and `stop()`.
 */
export async function startServerWithWidgets({ tenant, origin, widgets, hint }) {
  const bin = requireEnv('SITEKIT_BIN', hint);
  const langflowUrl = requireEnv('SITEKIT_TEST_LANGFLOW_URL', hint);
  const langflowKey = requireEnv('SITEKIT_TEST_LANGFLOW_KEY', hint);
  const dir = tempDir();
  const databaseUrl = `sqlite://${dir.path}/sitekit.db`;
  const server = await startServer(bin, databaseUrl, requireEnv('SITEKIT_ASSETS_DIR', hint));
  const { id: tenantId } = sitekitJson(bin, databaseUrl, ['tenants', 'create', '--name', tenant]);
  const keys = {};
  for (const { file, title } of widgets) {
    keys[file] = createLangflowWidget(bin, databaseUrl, {
      tenantId,
      name: title,
      langflowUrl,
      langflowKey,
      flowId: await langflowFlowId(langflowUrl, langflowKey, file),
      origin,
      title,
      publicUrl: server.url,
    }).publishableKey;
  }
  return {
    url: server.url,
    keys,
    stop: () => {
      server.child.kill();
      dir.remove();
    },
  };
}

/**
 * A tenant's usage as `GET /v1/usage/export?format=cloudevents` gives it to the
 * holder of `secretKey`: one CloudEvent a line, parsed. `filters` are further
 * query parameters of the export (e.g. `{ widgetId }`).
 */
export async function usageCloudEvents(serverUrl, secretKey, filters = {}) {
  const query = new URLSearchParams({ format: 'cloudevents', ...filters });
  const response = await fetch(`${serverUrl}/v1/usage/export?${query}`, {
    headers: { authorization: `Bearer ${secretKey}` },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /v1/usage/export answered ${response.status}: ${text}`);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}
