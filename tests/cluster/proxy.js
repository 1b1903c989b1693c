// A small round-robin HTTP proxy in front of several `sitekit serve` nodes, as
// a load balancer would be in front of an install: `cargo xtask cluster` runs
// it so that anyone can try multi-node serving on one machine.
//
//   node cluster/proxy.js --port 8797 [--ready-path /readyz] <node URL>…
//   (or PROXY_PORT=8797 in the environment instead of --port)
//
// Each request goes to the next node in rotation; bodies stream both ways, so
// a chat's server-sent events reach the browser as the node sends them. The
// client's address is appended to X-Forwarded-For (the nodes read it with
// --trusted-proxies). Every second each node is asked GET /readyz, and only
// nodes answering 200 get new requests: a draining node, or one whose database
// is down, answers 503 there. One line is logged whenever a node leaves or
// rejoins the rotation. A node that fails before answering gets the client a
// 502 in the server's own error shape.
//
// Only Node's built-in modules, so nothing needs installing.

import http from 'node:http';
import { pipeline } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** Headers of one connection rather than of the message: never passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** `headers` without the hop-by-hop ones, those its Connection header names included. */
export function endToEnd(headers) {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !named.includes(name)));
}

/** X-Forwarded-For with `client` appended, as each proxy on the way does. */
export function forwardedFor(previous, client) {
  return previous ? `${previous}, ${client}` : client;
}

/** The nodes and whose turn it is. `ready` is undefined until a node's first check. */
export class Rotation {
  constructor(urls) {
    this.nodes = urls.map((url) => ({ url, ready: undefined }));
    this.turn = 0;
  }

  /** The next ready node after the one chosen last, or undefined when none is ready. */
  pick() {
    const count = this.nodes.length;
    for (let step = 0; step < count; step++) {
      const at = (this.turn + step) % count;
      if (this.nodes[at].ready === true) {
        this.turn = (at + 1) % count;
        return this.nodes[at];
      }
    }
    return undefined;
  }

  readyCount() {
    return this.nodes.filter((node) => node.ready === true).length;
  }
}

/**
 * Starts the proxy on `host:port` (0: any free port) in front of `nodes`
 * (URLs like http://127.0.0.1:8801). Resolves once it listens, every node
 * checked once, to `{ url, rotation, close }`.
 */
export async function startProxy({
  nodes,
  port,
  host = '127.0.0.1',
  readyPath = '/readyz',
  checkEveryMs = 1000,
  log = console.log,
}) {
  const rotation = new Rotation(nodes);
  // Connections to the nodes are kept open between requests, as a load
  // balancer's are.
  const agent = new http.Agent({ keepAlive: true });

  const setReady = (node, reason) => {
    const ready = reason === undefined;
    if (node.ready === ready) {
      return;
    }
    const first = node.ready === undefined;
    node.ready = ready;
    const count = `${rotation.readyCount()} of ${rotation.nodes.length} nodes ready`;
    if (ready) {
      log(`${node.url} ${first ? 'is in' : 'rejoined'} the rotation (${count})`);
    } else {
      log(`${node.url} ${first ? 'is not in' : 'left'} the rotation: ${reason} (${count})`);
    }
  };

  const checkAll = () =>
    Promise.all(
      rotation.nodes.map(async (node) => {
        // A node slower than the interval is not asked twice at once.
        if (node.checking) {
          return;
        }
        node.checking = true;
        // At least a second to answer, however often the checks run.
        setReady(node, await askReady(node.url, readyPath, Math.max(checkEveryMs, 1000)));
        node.checking = false;
      }),
    );

  const server = http.createServer((request, response) => {
    forward(rotation, agent, request, response, (node, reason) => setReady(node, reason));
  });
  await checkAll();
  const timer = setInterval(checkAll, checkEveryMs);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return {
    url: `http://${address.address}:${address.port}`,
    rotation,
    close: () =>
      new Promise((resolve) => {
        clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

/** Undefined when `GET <url><path>` answers 200 in time, else why not. */
function askReady(url, path, timeoutMs) {
  return new Promise((resolve) => {
    const request = http.get(new URL(path, url), { agent: false, timeout: timeoutMs }, (answer) => {
      answer.resume();
      resolve(answer.statusCode === 200 ? undefined : `${path} answered ${answer.statusCode}`);
    });
    request.on('timeout', () => request.destroy(new Error(`${path} gave no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve(error.message));
  });
}

/** One request to the next ready node, both bodies streamed. */
function forward(rotation, agent, request, response, nodeFailed) {
  const node = rotation.pick();
  if (!node) {
    fail(response, 503, 'unavailable', 'No node is ready to answer. Please try again shortly.');
    return;
  }
  const target = new URL(node.url);
  const headers = endToEnd(request.headers);
  headers['x-forwarded-for'] = forwardedFor(request.headers['x-forwarded-for'], clientAddress(request));
  // The path as given, never resolved against the node's URL: `//elsewhere/`
  // must not send the request to another host.
  const upstream = http.request({
    host: target.hostname,
    port: target.port,
    method: request.method,
    path: request.url,
    headers,
    agent,
  });
  let clientLeft = false;
  upstream.on('response', (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
    // Headers now, not with the first chunk: an event stream may wait a while
    // before its first event.
    response.flushHeaders();
    // Either side closing early closes the other: a node that dies mid-answer
    // cuts the client's answer short, and a visitor who leaves ends the
    // node's stream.
    pipeline(answer, response, () => {});
  });
  upstream.on('error', (error) => {
    if (clientLeft) {
      return;
    }
    if (response.headersSent) {
      response.destroy(error);
      return;
    }
    // Out of the rotation until its next check says otherwise.
    nodeFailed(node, error.message);
    fail(response, 502, 'bad_gateway', `The node ${node.url} failed before answering: ${error.message}`);
  });
  response.on('close', () => {
    if (!response.writableFinished) {
      clientLeft = true;
      upstream.destroy();
    }
  });
  request.pipe(upstream);
}

/** The client's address, IPv4 without IPv6's `::ffff:` prefix. */
function clientAddress(request) {
  const address = request.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** An error of the proxy's own, in the server's shape and readable by any page. */
function fail(response, status, code, message) {
  response.writeHead(status, {
    'content-type': 'application/json',
    'access-control-allow-origin': '*',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify({ error: { code, message } }));
}

async function main() {
  const { values, positionals } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PROXY_PORT },
      host: { type: 'string', default: '127.0.0.1' },
      'ready-path': { type: 'string', default: '/readyz' },
    },
    allowPositionals: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || positionals.length === 0) {
    console.error('usage: node proxy.js --port <port> [--host 127.0.0.1] [--ready-path /readyz] <node URL>…');
    process.exit(2);
  }
  const proxy = await startProxy({
    nodes: positionals,
    port,
    host: values.host,
    readyPath: values['ready-path'],
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
  console.log(`${new Date().toISOString()} listening on ${proxy.url}, round-robin over ${positionals.join(', ')}`);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => proxy.close().then(() => process.exit(0)));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
